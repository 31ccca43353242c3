"""Handing a mail to the channel's SMTP server, with failures in the channel error vocabulary.

SMTP says in its reply codes what the sender needs to know: 4xx is "try again later" (a full
queue, greylisting), 5xx is "never" (no such mailbox, policy). Authentication failures disable
the channel until someone fixes its credentials; a dropped connection after the message was
handed over may or may not have delivered it, like an HTTP timeout.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from unisono.channels.base import ChannelConfig
from unisono.channels.errors import (
    ChannelError,
    ProviderTimeout,
    RateLimited,
    Rejected,
    Unauthorized,
    Unreachable,
)

TIMEOUT_SECONDS = 30.0
IMPLICIT_TLS_PORT = 465
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def flag(settings: Mapping[str, Any], key: str, default: bool) -> bool:
    """A yes/no channel setting; the CLI stores settings as text ("false", "0", "no")."""
    value = settings.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to hand over mail, read from a channel's credentials and settings."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None
    local_hostname: str

    @classmethod
    def of(cls, config: ChannelConfig) -> SmtpServer:
        """Unauthorized when the configuration cannot work (fix it, then retry)."""
        credentials = config.credentials
        host = credentials.get("smtp_host", "").strip()
        try:
            port = int(credentials.get("smtp_port", "") or 587)
        except ValueError as exc:
            raise Unauthorized(
                f"smtp_port '{credentials.get('smtp_port')}' is not a port number"
            ) from exc
        if not host or not 0 < port < 65536:
            raise Unauthorized("the channel needs smtp_host and a valid smtp_port")
        implicit = flag(config.settings, "smtp_ssl", port == IMPLICIT_TLS_PORT)
        # A relay on this machine needs no TLS; anything across a network does by default.
        starttls = not implicit and flag(
            config.settings, "smtp_starttls", host.lower() not in LOOPBACK_HOSTS
        )
        address = credentials.get("address", "")
        return cls(
            host=host,
            port=port,
            implicit_tls=implicit,
            starttls=starttls,
            username=credentials.get("username") or None,
            password=credentials.get("password") or None,
            # Our EHLO name; without one smtplib asks DNS for this host's FQDN every time.
            local_hostname=str(
                config.settings.get("helo_name") or address.rpartition("@")[2] or "localhost"
            ),
        )


def _by_code(code: int, text: str, what: str) -> ChannelError:
    detail = f"{what}: {code} {text}".strip()
    if 400 <= code < 500:
        if code in (421, 450, 451, 452) and any(
            hint in text.lower() for hint in ("rate", "too many", "throttl")
        ):
            return RateLimited(detail)
        return Unreachable(detail)
    if code in (530, 534, 535, 538):
        return Unauthorized(detail)
    return Rejected(detail, str(code))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def smtp_error(exc: Exception) -> ChannelError:
    """The channel error for what smtplib or the network raised."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return Unauthorized(
            f"the mail server refused our login: {exc.smtp_code} {_text(exc.smtp_error)}"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return Unauthorized(f"the mail server does not support what the channel requires: {exc}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = list(exc.recipients.values())
        code, text = refusals[0] if refusals else (550, b"refused")
        return _by_code(code, _text(text), "the recipient was refused")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _by_code(exc.smtp_code, _text(exc.smtp_error), "our sender address was refused")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, _text(exc.smtp_error), "the mail server refused")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return ProviderTimeout(f"the mail server closed the connection: {exc}")
    if isinstance(exc, TimeoutError | socket.timeout):
        return ProviderTimeout("the mail server did not answer in time")
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return Unreachable(f"TLS with the mail server failed: {exc}")
    if isinstance(exc, OSError):
        return Unreachable(f"the mail server cannot be reached: {exc}")
    return Unreachable(f"sending failed: {exc}")


def _connect(server: SmtpServer, timeout: float) -> smtplib.SMTP:
    if server.implicit_tls:
        return smtplib.SMTP_SSL(
            server.host,
            server.port,
            local_hostname=server.local_hostname,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(
        server.host, server.port, local_hostname=server.local_hostname, timeout=timeout
    )


def send_mail(
    server: SmtpServer,
    mail: EmailMessage,
    *,
    sender: str,
    recipients: list[str],
    timeout: float = TIMEOUT_SECONDS,
) -> None:
    """Hand ``mail`` over to ``server`` for ``recipients``; a ChannelError if it refuses."""
    try:
        smtp = _connect(server, timeout)
    except (smtplib.SMTPException, OSError) as exc:
        raise smtp_error(exc) from exc
    try:
        smtp.ehlo()
        if server.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if server.username:
            smtp.login(server.username, server.password or "")
        # One recipient per message: refusing it raises, so there is no partial success.
        smtp.send_message(mail, from_addr=sender, to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as exc:
        raise smtp_error(exc) from exc
    finally:
        # The mail is handed over once DATA is answered; a failed QUIT changes nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
