"""WhatsApp Business Cloud API: webhooks in, ``/{phone_number_id}/messages`` out."""
