"""The company's own mobile app: its backend posts signed events in, we post messages back.

No messaging provider stands between the app and Unisono: the app backend is a server of the
company's own. ``signing`` is the shared-key signature both directions use, ``inbound`` reads
the events the backend posts to ``/webhooks/app/{channel_id}``, ``outbound`` builds the in-app
message for the backend and the optional FCM push. Each module documents its part of the format.
"""
