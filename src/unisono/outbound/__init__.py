"""Outbound: sending queued messages through their channel, with retries and attempt records."""
