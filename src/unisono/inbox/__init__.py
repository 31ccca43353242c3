"""The inbox: threading interactions into conversations, ingesting them, working conversations."""
