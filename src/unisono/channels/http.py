"""One HTTP client base for every provider API: transport failures become ChannelErrors.

The sender decides retry, fail or disable from the error's class alone, so each adapter only
says how its provider spells an error message (``describe_error``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from unisono.channels.errors import (
    ProviderTimeout,
    RateLimited,
    Rejected,
    Unauthorized,
    Unreachable,
)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def generic_error(response: httpx.Response) -> tuple[str, str | None]:
    """A readable message and code from a provider's error body, whatever its shape."""
    try:
        body = response.json()
    except ValueError:
        return (response.text[:300] or response.reason_phrase, None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            message = error.get("message") or error.get("error_user_msg") or str(error)[:300]
            code = error.get("code")
            return (str(message), str(code) if code is not None else None)
        if "message" in body:
            return (str(body["message"]), str(body.get("code")) if body.get("code") else None)
        detail = body.get("detail") or body.get("title") or body.get("errors")
        if detail:
            return (str(detail)[:300], None)
    return (str(body)[:300], None)


class ProviderClient:
    """HTTP calls to one provider's API, with failures mapped to the channel error vocabulary."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        describe_error: Callable[[httpx.Response], tuple[str, str | None]] = generic_error,
        transport: httpx.BaseTransport | None = None,
        forbidden_is_auth: Callable[[str | None], bool] = lambda _code: True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.auth = auth
        self.describe_error = describe_error
        self.transport = transport
        # Some providers answer 403 for a refused message, not only for bad credentials.
        self.forbidden_is_auth = forbidden_is_auth

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The provider's 2xx response; raises a ChannelError for anything else."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        try:
            with httpx.Client(
                timeout=DEFAULT_TIMEOUT,
                headers=self.headers,
                auth=self.auth,
                transport=self.transport,
            ) as client:
                response = client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(f"{url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise Unreachable(f"{url} could not be reached: {exc}") from exc
        if response.is_success:
            return response
        message, code = self.describe_error(response)
        status = response.status_code
        if status == 401 or (status == 403 and self.forbidden_is_auth(code)):
            raise Unauthorized(f"the provider refused our credentials ({status}): {message}")
        if status == 429:
            raise RateLimited(f"rate limited: {message}", retry_after=_retry_after(response))
        if status >= 500:
            raise Unreachable(f"the provider failed ({status}): {message}")
        raise Rejected(message, code=code)

    def post_json(self, path: str, payload: Any) -> Any:
        return self.request("POST", path, json=payload).json()

    def post_form(self, path: str, data: Mapping[str, str] | list[tuple[str, str]]) -> Any:
        return self.request("POST", path, data=data).json()
