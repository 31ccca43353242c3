"""Sandbox providers: local stand-ins for WhatsApp, Twilio, Meta, X, FCM and SMTP.

They accept our outbound calls exactly as the real APIs would, answer with realistic ids, send
signed delivery-status callbacks back, and can inject inbound messages, so the tests and the
demo see messages flow both ways without the internet.
"""
