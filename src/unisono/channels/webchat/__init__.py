"""The website chat channel: an embeddable widget talking to Unisono over a WebSocket."""
