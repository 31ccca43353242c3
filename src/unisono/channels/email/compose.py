"""Building the mail we send: text and a simple HTML version, with threading headers.

The customer's mail client threads our answer under their message by ``In-Reply-To`` and
``References``, so an ``OutboundMessage.in_reply_to`` (the thread's ids, oldest first, the
message we answer last) becomes both. The new ``Message-ID`` is the send's external id: a
reply to it, or a bounce of it, comes back naming it.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from unisono.channels.base import ChannelConfig, OutboundMessage
from unisono.channels.email.mime import (
    MAX_REFERENCES,
    SYNTHETIC_ID_PREFIX,
    normalize_message_id,
)
from unisono.channels.errors import Rejected
from unisono.clock import utcnow

# Subject prefixes of answers: Re, R (Italian Outlook), Rif, AW/SV (German, Nordic), Antw.
_RE_PREFIX = re.compile(r"^\s*((re|r|rif|aw|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Where the sender passes the subject of the customer's mail being answered.
ANSWERED_SUBJECT = "in_reply_to_subject"


def reply_subject(subject: str) -> str:
    """``subject`` as the subject of an answer: one "Re: ", whatever prefixes it had."""
    base = _RE_PREFIX.sub("", subject).strip()
    return f"Re: {base}" if base else "Re:"


def subject_for(config: ChannelConfig, message: OutboundMessage) -> str:
    """The message's own subject, else "Re: " the answered one, else the channel's default."""
    if message.subject and message.subject.strip():
        subject = message.subject.strip()
        # "Re: R: Voltura" (a reply prefix added to an Italian Outlook one) reads as one "Re:".
        return reply_subject(subject) if _RE_PREFIX.match(subject) else subject
    answered = message.metadata.get(ANSWERED_SUBJECT)
    if isinstance(answered, str) and answered.strip():
        return reply_subject(answered)
    default = config.settings.get("default_subject")
    return str(default).strip() if default and str(default).strip() else config.name


def text_to_html(text: str) -> str:
    """``text`` as a plain HTML document: escaped, blank lines as paragraphs, lines as <br>."""
    paragraphs = [p.strip("\n") for p in _PARAGRAPH_BREAK.split(text.strip()) if p.strip()]
    body = "\n".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family: sans-serif; font-size: 14px;">\n{body}\n</body></html>\n'
    )


def _address(value: str, what: str, display_name: str = "") -> Address:
    try:
        return Address(display_name=display_name, addr_spec=value.strip())
    except (ValueError, IndexError, TypeError, MessageError) as exc:
        raise Rejected(f"{what} '{value[:80]}' is not an email address", "address") from exc


def message_id_domain(config: ChannelConfig) -> str:
    """The right-hand side of our Message-IDs: a setting, else the channel address's domain."""
    configured = config.settings.get("message_id_domain")
    if configured:
        return str(configured)
    address = config.credentials.get("address", "")
    return address.rpartition("@")[2] or "unisono.invalid"


def compose(
    config: ChannelConfig, message: OutboundMessage, *, now: datetime | None = None
) -> EmailMessage:
    """The mail for ``message`` from ``config``'s address; its ``Message-ID`` is the send's id.

    Rejected when there is nothing to send or an address is unusable.
    """
    if not message.text.strip():
        raise Rejected("an email needs some text", "empty")
    address = config.credentials.get("address", "")
    from_name = str(config.settings.get("from_name") or config.name)
    mail = EmailMessage()
    mail["From"] = _address(address, "the channel address", from_name)
    mail["To"] = _address(message.recipient, "the recipient")
    mail["Subject"] = subject_for(config, message)
    mail["Date"] = format_datetime(now or utcnow())
    mail["Message-ID"] = make_msgid(domain=message_id_domain(config))
    # "sha256:..." ids are ours, for mail that came without a Message-ID: nothing to name.
    answered = [r for r in message.in_reply_to if not r.startswith(SYNTHETIC_ID_PREFIX)]
    thread = [i for i in (normalize_message_id(r) for r in answered) if i]
    if thread:
        mail["In-Reply-To"] = thread[-1]
        # RFC 5322 3.6.4: the parent's References plus the parent; trimmed to the latest ones.
        mail["References"] = " ".join(thread[-MAX_REFERENCES:])
    # A person wrote this (RFC 3834): vacation responders may answer it.
    mail["Auto-Submitted"] = "no"
    # Quoted-printable keeps accented text readable and 7-bit safe for any relay.
    mail.set_content(message.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    # A studio template brings its own HTML part (CSS inlined); a typed reply gets one made.
    own_html = message.metadata.get("html")
    html_part = own_html if isinstance(own_html, str) and own_html.strip() else None
    mail.add_alternative(
        html_part or text_to_html(message.text),
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
    return mail
