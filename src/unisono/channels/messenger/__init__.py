"""Facebook Messenger Platform: page webhooks in, the Send API (``/me/messages``) out."""
