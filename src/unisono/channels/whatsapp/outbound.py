"""Building Cloud API send requests: free-form text, or an approved template with parameters."""

from __future__ import annotations

from typing import Any

import httpx

from unisono.channels.base import OutboundMessage


def message_payload(message: OutboundMessage) -> dict[str, Any]:
    """The JSON body of ``POST /{phone_number_id}/messages`` for ``message``."""
    payload: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": message.recipient.lstrip("+"),
    }
    if message.template_name:
        template: dict[str, Any] = {
            "name": message.template_name,
            "language": {"code": message.template_language or "it"},
        }
        if message.template_parameters:
            parameters: list[dict[str, str]] = [
                {"type": "text", "text": p} for p in message.template_parameters
            ]
            # Templates registered with named parameters ({{first_name}}) need each value's
            # name; the studio sends the names beside the values, in the same order.
            names = message.metadata.get("template_parameter_names")
            if isinstance(names, (list, tuple)) and len(names) == len(parameters):
                for parameter, name in zip(parameters, names, strict=True):
                    parameter["parameter_name"] = str(name)
            template["components"] = [{"type": "body", "parameters": parameters}]
        payload |= {"type": "template", "template": template}
    else:
        payload |= {"type": "text", "text": {"preview_url": False, "body": message.text}}
    if message.in_reply_to:
        payload["context"] = {"message_id": message.in_reply_to[-1]}
    return payload


def describe_error(response: httpx.Response) -> tuple[str, str | None]:
    """Graph API errors: ``{"error": {"message", "code", "error_data": {"details"}}}``."""
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return (response.text[:300], None)
    if not isinstance(error, dict):
        return (str(error)[:300], None)
    details = (
        error.get("error_data", {}).get("details")
        if isinstance(error.get("error_data"), dict)
        else None
    )
    message = str(details or error.get("message") or "rejected")
    return (message, str(error["code"]) if "code" in error else None)
