"""The ceiling for bench/ingest.py: a bare FastAPI app that reads a POST body and answers 200.

Served exactly like Unisono (same uvicorn, same worker count, same route shape), it measures
what the machine, uvicorn and FastAPI give before any of Unisono's work (signature, parsing,
the database): ``uvicorn --factory bench.ceiling_app:create_app``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response


def create_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/webhooks/{kind}/{channel_id}")
    async def receive(kind: str, channel_id: str, request: Request) -> Response:
        await request.body()
        return Response(b"", status_code=200)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
