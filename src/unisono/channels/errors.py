"""The small vocabulary of channel failures that the webhook endpoint and the sender act on."""

from __future__ import annotations


class ChannelError(Exception):
    """Base of every adapter failure; ``detail`` is safe to show to an operator."""

    #: Whether trying again later may succeed (the sender retries with backoff).
    transient = False

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class SignatureInvalid(ChannelError):
    """The request does not carry a valid provider signature: store nothing, answer 401/403."""


class MalformedPayload(ChannelError):
    """The body cannot be read as the provider's documented format: keep it, answer 400."""


class Unauthorized(ChannelError):
    """The provider refused our credentials (wrong or expired token): disable until fixed."""


class RateLimited(ChannelError):
    """The provider asked us to slow down."""

    transient = True

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ProviderTimeout(ChannelError):
    """The provider did not answer in time; the message may or may not have gone out."""

    transient = True


class Unreachable(ChannelError):
    """The provider could not be reached at all (DNS, connection refused, TLS, 5xx)."""

    transient = True


class Rejected(ChannelError):
    """The provider refused this message for good (invalid number, policy, window closed)."""

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
