"""Background work: the worker loop that processes webhooks and sends queued messages."""
