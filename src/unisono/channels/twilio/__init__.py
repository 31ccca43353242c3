"""What Twilio's SMS and Voice adapters share: request signatures, form fields, the REST API."""
