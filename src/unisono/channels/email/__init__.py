"""Email: RFC 5322 messages in through an SMTP gateway or IMAP polling, out through SMTP."""
