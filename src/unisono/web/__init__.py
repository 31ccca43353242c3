"""The web layer: the FastAPI app, the REST API, the console pages; thin shells over services."""
