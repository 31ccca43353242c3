"""What Meta's platforms (WhatsApp, Messenger, Facebook pages) share: signatures, handshake."""
