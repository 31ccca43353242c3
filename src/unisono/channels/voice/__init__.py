"""Twilio Voice: incoming calls, their end and their recordings on the timeline (no calls out)."""
