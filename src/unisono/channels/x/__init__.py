"""X (formerly Twitter): Account Activity API webhooks in, v2 direct messages out."""
