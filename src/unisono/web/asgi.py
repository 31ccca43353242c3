"""The ASGI entry point for ``uvicorn unisono.web.asgi:app``."""

from unisono.web.app import create_app

app = create_app()
