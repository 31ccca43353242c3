"""Twilio Programmable Messaging: SMS and MMS webhooks in, ``Messages.json`` out."""
