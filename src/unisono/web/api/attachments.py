"""GET /api/v1/attachments/{id}: the stored bytes of a recording, photo or document."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import APIRouter, Response

from unisono.media.attachments import download_attachment
from unisono.web.deps import ApiActor, SessionDep

router = APIRouter(prefix="/attachments", tags=["attachments"])


@router.get("/{attachment_id}", response_class=Response)
def download(attachment_id: uuid.UUID, session: SessionDep, actor: ApiActor) -> Response:
    """The attachment's bytes with its content type; the read is audited."""
    attachment, data = download_attachment(session, actor, attachment_id)
    name = quote(attachment.filename or f"{attachment.id}")
    return Response(
        data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{attachment.sha256}"',
        },
    )
