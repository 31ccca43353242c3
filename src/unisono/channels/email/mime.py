"""Reading one raw RFC 5322 message into a neutral inbound message, or a bounce into a status.

Mail is the least regular input Unisono takes: headers in RFC 2047 or raw 8-bit, bodies in
ISO-8859-1 labelled as anything, HTML-only bodies, nesting several levels deep. The parser is
lenient about all of it and strict about one thing: it raises nothing but ``MalformedPayload``,
whatever the bytes, so one odd message never stops the worker.

What the timeline gets: the sender's address and name, the subject, the text (text/plain when
there is one, else the HTML made readable), every attachment and inline image with its bytes,
the Message-ID (our idempotency key) and the ids it answers (our threading hint). What the
operator may want to know rides in ``metadata``: the new part of a reply, the sender's SPF/DKIM/
DMARC results, whether it is an auto-reply, and anything we had to guess.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.policy
import hashlib
import mimetypes
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message, MIMEPart
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

from unisono.channels.base import InboundMessage, MediaRef, ParsedDelivery, StatusUpdate
from unisono.channels.email.htmltext import html_to_text
from unisono.channels.email.quoting import reply_part
from unisono.channels.errors import MalformedPayload
from unisono.clock import utcnow
from unisono.errors import Invalid
from unisono.identity.normalize import normalize_email
from unisono.media.store import MAX_MEDIA_BYTES
from unisono.models import DeliveryStatus

# The timeline's limit (``unisono.inbox.ingest.MAX_TEXT_LENGTH``): longer bodies are cut here
# rather than refused there, so a long newsletter still lands.
MAX_TEXT = 100_000
# Interaction external ids are at most 255 characters; longer Message-IDs are hashed.
MAX_ID = 255
# The external id of a message without a usable Message-ID: this and a SHA-256.
SYNTHETIC_ID_PREFIX = "sha256:"
# How deep we follow multiparts, and how many parts we look at: enough for any real message.
MAX_DEPTH = 30
MAX_PARTS = 500
# References can name a whole thread; the last ones are the ones that matter for threading.
MAX_REFERENCES = 30
# Ingest refuses times this far ahead; a Date beyond it is a wrong clock, not the arrival time.
FUTURE_SKEW = timedelta(hours=1)
# Labels that in practice mean windows-1252 (the WHATWG encoding standard reads them so):
# Outlook writes € and curly quotes in 0x80-0x9f under an ISO-8859-1 label.
_WINDOWS_1252_LABELS = frozenset({"iso8859-1", "ascii"})
# Codecs that are not mail charsets but would "decode" anything (or take quadratic time).
_NOT_CHARSETS = frozenset({"punycode", "idna", "unicode_escape", "raw_unicode_escape"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MSGID = re.compile(r"<[^<>\s]+>")
_AUTO_PRECEDENCE = frozenset({"bulk", "auto_reply", "junk"})
_AUTH_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
_COMMENT = re.compile(r"\([^()]*\)")
_NOT_A_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\]")


# -- text and headers -----------------------------------------------------------------------


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip().strip('"')).name
    except (LookupError, ValueError, TypeError):
        return None
    return None if name in _NOT_CHARSETS else name


def decode_text(data: bytes, charset: str | None) -> str:
    """``data`` as text: in its declared charset when that works, else UTF-8, else cp1252."""
    declared = _codec(charset)
    candidates: tuple[str | None, ...] = (declared, "utf-8")
    if declared in _WINDOWS_1252_LABELS:
        # 8-bit text under an ASCII or Latin-1 label is UTF-8 more often than not today, and
        # real Latin-1 text is almost never valid UTF-8: trying UTF-8 first costs nothing.
        candidates = ("utf-8", "cp1252")
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            return clean(data.decode(candidate))
        except (UnicodeError, LookupError):
            continue
    return clean(data.decode("cp1252", errors="replace"))


def clean(value: str) -> str:
    """``value`` safe to store: raw 8-bit bytes recovered, no NULs or control characters."""
    if any("\ud800" <= c <= "\udfff" for c in value):
        try:
            # The parser keeps raw 8-bit header bytes as surrogate escapes: they are usually
            # UTF-8 from clients that skip RFC 2047, and decoding them gives the real name.
            value = decode_text(value.encode("utf-8", "surrogateescape"), "utf-8")
        except UnicodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _raw_headers(msg: Message, name: str) -> list[str]:
    """Every value of header ``name`` as written, unfolded, without the policy's parsing."""
    wanted = name.lower()
    values = []
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            values.append(re.sub(r"\r?\n[ \t]+", " ", str(value)).strip())
    return values


def _raw_header(msg: Message, name: str) -> str | None:
    values = _raw_headers(msg, name)
    return values[0] if values else None


def _decoded(value: str) -> str:
    """An unstructured header value with its RFC 2047 encoded words decoded."""
    try:
        chunks = email.header.decode_header(value)
    except Exception:  # noqa: BLE001 - a broken encoded word: keep the header as written
        return clean(value)
    # Each word in its own charset; an unknown charset falls back like a body would.
    return "".join(
        decode_text(chunk, charset) if isinstance(chunk, bytes) else clean(chunk)
        for chunk, charset in chunks
    )


def _unstructured(msg: Message, name: str) -> str | None:
    value = _raw_header(msg, name)
    return re.sub(r"\s+", " ", _decoded(value)).strip() if value is not None else None


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """``(display name, address)`` pairs of an address header, names decoded."""
    found = []
    for value in _raw_headers(msg, name):
        try:
            pairs = getaddresses([value])
        except Exception:  # noqa: BLE001 - getaddresses has crashed on odd input before
            pairs = [parseaddr(value)]
        for display, address in pairs:
            address = clean(address).strip()
            if address:
                found.append((_decoded(display).strip().strip('"').strip(), address))
    return found


def message_ids(value: str | None) -> list[str]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header, in order."""
    return [clean(m) for m in _MSGID.findall(value or "")]


def normalize_message_id(value: str) -> str | None:
    """``value`` as ``<id>``: the form our outbound ids and the threading headers use."""
    found = message_ids(value)
    if found:
        return found[0]
    bare = clean(value).strip()
    # Some old clients leave out the brackets; anything with spaces is not an id.
    return f"<{bare}>" if bare and not re.search(r"[\s<>]", bare) else None


# -- dates -----------------------------------------------------------------------------------


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" means "no zone information": RFC 5322 says read it as UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _received_date(msg: Message) -> datetime | None:
    """When the topmost (our own side's) Received header says the message arrived."""
    received = _raw_header(msg, "Received")
    if not received or ";" not in received:
        return None
    return _parse_date(received.rsplit(";", 1)[1].strip())


def _occurred_at(msg: Message, received_at: datetime | None, metadata: dict[str, Any]) -> datetime:
    raw = _raw_header(msg, "Date")
    date = _parse_date(raw)
    now = utcnow()
    if date is not None and date <= now + FUTURE_SKEW:
        return date
    metadata["date_problem"] = (
        "missing" if raw is None else ("in the future" if date is not None else "invalid")
    )
    if raw is not None:
        metadata["date_header"] = clean(raw)[:200]
    for source, fallback in (("received", received_at), ("received_header", _received_date(msg))):
        if fallback is not None and fallback <= now + FUTURE_SKEW:
            metadata["date_source"] = source
            return fallback
    metadata["date_source"] = "now"
    return now


# -- bodies and attachments -----------------------------------------------------------------


def _leaves(part: Message, depth: int = 0) -> Iterator[Message]:
    """The non-multipart parts of ``part`` in order; a forwarded message counts as one."""
    if depth > MAX_DEPTH:
        return
    if part.get_content_maintype() == "multipart":
        payload = part.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    yield from _leaves(sub, depth + 1)
        return
    yield part


def _part_bytes(part: Message) -> bytes:
    if part.get_content_maintype() == "message":
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0].as_bytes(policy=email.policy.default)
        return b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def unflow(text: str, *, delsp: bool = False) -> str:
    """Plain text sent as ``format=flowed`` (RFC 3676) with its soft line breaks joined.

    Thunderbird and Apple Mail wrap long lines and mark the breaks with a trailing space;
    joined again, a paragraph reads as one line however wide the operator's screen is.
    """
    out: list[str] = []
    joining = False
    for line in text.split("\n"):
        line = line.removeprefix(" ")  # space-stuffing
        soft = line.endswith(" ") and line != "-- "
        if soft and delsp:
            line = line[:-1]
        if joining and out:
            out[-1] += line
        else:
            out.append(line)
        joining = soft
    return "\n".join(out)


def _part_text(part: Message) -> str:
    text = decode_text(_part_bytes(part), part.get_content_charset())
    if part.get_content_type() == "text/plain":
        fmt = str(part.get_param("format", "") or "").lower()
        if fmt == "flowed":
            delsp = str(part.get_param("delsp", "") or "").lower() == "yes"
            text = unflow(text, delsp=delsp)
    return text


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 - RFC 2231 parameters in the wild break the parser
        name = None
    if not name:
        return None
    # Outlook writes RFC 2047 words inside quoted filenames, which MIME does not decode.
    name = _decoded(name) if "=?" in name else clean(name)
    name = _NOT_A_FILENAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:300] or None


def _is_text_body(part: Message) -> bool:
    """A text part that is (an alternative of) the body rather than an attachment."""
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
        and _filename(part) is None
    )


@dataclass(frozen=True, slots=True)
class Body:
    text: str
    source: str  # "plain", "html" or "none"
    parts: tuple[int, ...]  # id() of the parts used, so they are not attachments too


def read_body(msg: EmailMessage) -> Body:
    """The text of the message: text/plain if it says anything, else the HTML made readable."""
    candidates: list[tuple[str, MIMEPart | None]] = [
        ("plain", msg.get_body(preferencelist=("plain",))),
        ("html", msg.get_body(preferencelist=("html",))),
    ]
    for source, part in candidates:
        if part is None:
            continue
        text = _part_text(part)
        if source == "html":
            text = html_to_text(text)
        if text.strip():
            return Body(text.strip("\n").rstrip(), source, (id(part),))
    return Body("", "none", ())


def read_attachments(msg: Message, body: Body, metadata: dict[str, Any]) -> tuple[MediaRef, ...]:
    """Every attachment and inline image, with its bytes; oversized ones are only noted."""
    media: list[MediaRef] = []
    skipped: list[dict[str, Any]] = []
    for count, part in enumerate(_leaves(msg)):
        if count >= MAX_PARTS:
            skipped.append({"reason": f"more than {MAX_PARTS} parts"})
            break
        if id(part) in body.parts or _is_text_body(part):
            continue
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "text/rfc822-headers"):
            continue
        filename = _filename(part)
        try:
            data = _part_bytes(part)
        except Exception:  # noqa: BLE001 - e.g. a forwarded message we cannot re-serialise
            skipped.append({"filename": filename, "reason": "unreadable"})
            continue
        if filename is None and content_type == "message/rfc822":
            filename = "messaggio.eml"
        if content_type == "application/octet-stream" and filename:
            content_type = mimetypes.guess_type(filename)[0] or content_type
        if len(data) > MAX_MEDIA_BYTES:
            skipped.append({"filename": filename, "size": len(data), "reason": "too large"})
            continue
        media.append(MediaRef(content_type=content_type, filename=filename, data=data))
    if skipped:
        metadata["skipped_attachments"] = skipped
    return tuple(media)


# -- trust and automation -------------------------------------------------------------------


def authentication_results(msg: Message, authserv_id: str | None = None) -> dict[str, str] | None:
    """SPF, DKIM and DMARC results from the Authentication-Results our side added.

    Anyone can write an Authentication-Results header into a message they send, so only one is
    believed: the topmost (added last, by the receiving server), or with ``authserv_id`` the
    topmost of that server. Comments are dropped first: "(dkim=pass? no)" says nothing.
    """
    for value in _raw_headers(msg, "Authentication-Results"):
        server = value.split(";", 1)[0].strip().split()[0:1]
        if authserv_id and server != [authserv_id]:
            continue
        text = value
        for _ in range(5):  # nested comments, innermost first
            text = _COMMENT.sub(" ", text)
        found: dict[str, str] = {}
        for method, result in _AUTH_RESULT.findall(text):
            method, result = method.lower(), result.lower()
            # Several DKIM signatures: the message is authenticated if any of them passes.
            if method not in found or result == "pass":
                found[method] = result
        if not found:
            return None
        if server:
            found["authserv_id"] = clean(server[0])[:200]
        return found
    return None


def auto_reply_reason(msg: Message) -> str | None:
    """Why this looks machine-written (RFC 3834 and the headers vacation responders add)."""
    submitted = (_raw_header(msg, "Auto-Submitted") or "").split(";")[0].strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autorespond-Id"):
        if _raw_header(msg, name) is not None:
            return name
    precedence = (_raw_header(msg, "Precedence") or "").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    return None


# -- the message ----------------------------------------------------------------------------


def from_bytes(raw: bytes) -> EmailMessage:
    """``raw`` parsed with the modern policy; MalformedPayload when it is not mail at all."""
    if not isinstance(raw, bytes | bytearray) or not raw.strip():
        raise MalformedPayload("the message is empty")
    try:
        return email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the parser is lenient: this is truly not mail
        raise MalformedPayload(f"the message cannot be parsed: {type(exc).__name__}") from exc


def sender(msg: Message) -> tuple[str, str | None]:
    """The normalised From address and display name; MalformedPayload without a usable one."""
    addresses = _addresses(msg, "From") or _addresses(msg, "Sender")
    if not addresses:
        raise MalformedPayload("the message has no From address")
    name, address = addresses[0]
    try:
        return normalize_email(address), (name[:300] or None)
    except Invalid as exc:
        raise MalformedPayload(f"the From address is not usable: {exc.detail}") from exc


def external_id(msg: Message, raw: bytes, metadata: dict[str, Any]) -> str:
    """The Message-ID, our key for "seen this one already"; a hash of the bytes without one."""
    value = _raw_header(msg, "Message-ID")
    message_id = normalize_message_id(value) if value else None
    if message_id is not None and len(message_id) <= MAX_ID:
        return message_id
    if message_id is not None:
        metadata["message_id"] = message_id[:1000]
        return SYNTHETIC_ID_PREFIX + hashlib.sha256(message_id.encode()).hexdigest()
    # Without a Message-ID the same bytes delivered twice are still the same message.
    metadata["message_id_missing"] = True
    return SYNTHETIC_ID_PREFIX + hashlib.sha256(bytes(raw)).hexdigest()


def thread_ids(msg: Message) -> tuple[str, ...]:
    """The ids this message answers, oldest first, the direct parent (In-Reply-To) last."""
    references = message_ids(" ".join(_raw_headers(msg, "References")))
    parents = message_ids(_raw_header(msg, "In-Reply-To"))
    ordered = [r for r in references if r not in parents] + parents
    unique = list(dict.fromkeys(i for i in ordered if len(i) <= MAX_ID))
    return tuple(unique[-MAX_REFERENCES:])


def _truncate(text: str, metadata: dict[str, Any]) -> str:
    if len(text) <= MAX_TEXT:
        return text
    metadata["truncated"] = True
    metadata["original_length"] = len(text)
    return text[: MAX_TEXT - 1] + "…"


def _summary(media: Iterable[MediaRef]) -> str:
    names = [m.filename or m.content_type for m in media]
    return f"[attachments: {', '.join(names)}]" if names else ""


def _read(
    msg: EmailMessage, raw: bytes, received_at: datetime | None, authserv_id: str | None
) -> InboundMessage:
    address, name = sender(msg)
    metadata: dict[str, Any] = {}
    subject = _unstructured(msg, "Subject")
    if subject:
        metadata["subject"] = subject[:998]
    for header in ("To", "Cc"):
        found = [a for _, a in _addresses(msg, header)][:50]
        if found:
            metadata[header.lower()] = found
    reply_to = [a for _, a in _addresses(msg, "Reply-To")]
    if reply_to and reply_to[0].lower() != address:
        metadata["reply_to"] = reply_to[0]
    identifier = external_id(msg, raw, metadata)
    occurred_at = _occurred_at(msg, received_at, metadata)
    body = read_body(msg)
    metadata["text_source"] = body.source
    media = read_attachments(msg, body, metadata)
    text = _truncate(body.text, metadata) or _summary(media)
    new_part = reply_part(body.text) if body.text else None
    if new_part is not None:
        metadata["reply_text"] = new_part[:MAX_TEXT]
    authentication = authentication_results(msg, authserv_id)
    if authentication:
        metadata["authentication"] = authentication
    automatic = auto_reply_reason(msg)
    if automatic:
        metadata["auto_reply"] = True
        metadata["auto_reply_reason"] = automatic
    return InboundMessage(
        external_id=identifier,
        identity_kind="email",
        identity_value=address,
        text=text,
        occurred_at=occurred_at,
        sender_name=name,
        metadata=metadata,
        media=media,
        replies_to=thread_ids(msg),
    )


def parse_mail(
    raw: bytes,
    *,
    received_at: datetime | None = None,
    authserv_id: str | None = None,
    own_addresses: Iterable[str] = (),
) -> ParsedDelivery:
    """What one raw RFC 5322 message means: a customer's message, or news about ours.

    A delivery report (bounce) about one of our messages becomes its status; mail from one of
    ``own_addresses`` (our copy of what we sent, a loop) is ignored. ``received_at`` (when our
    gateway took the message) stands in for a missing or impossible Date header;
    ``authserv_id`` names the server whose Authentication-Results are believed.
    Raises MalformedPayload, and nothing else, when the bytes cannot be read as a message.
    """
    try:
        msg = from_bytes(raw)
        if is_report(msg):
            update, why = _bounce(msg)
            if update is None:
                return ParsedDelivery(ignored=(f"report:{why}",))
            return ParsedDelivery(statuses=(update,))
        message = _read(msg, raw, received_at, authserv_id)
        if message.identity_value in {a.strip().lower() for a in own_addresses}:
            return ParsedDelivery(ignored=("from_self",))
        return ParsedDelivery(messages=(message,))
    except MalformedPayload:
        raise
    except Exception as exc:
        # The stdlib email package still has crash bugs on hostile input (header parsers,
        # deep nesting); one odd message must be kept as malformed, not stop the worker.
        raise MalformedPayload(f"the message cannot be read: {type(exc).__name__}") from exc


def parse_message(
    raw: bytes, *, received_at: datetime | None = None, authserv_id: str | None = None
) -> InboundMessage:
    """One raw message as a neutral inbound message (reports and all); see ``parse_mail``."""
    try:
        return _read(from_bytes(raw), raw, received_at, authserv_id)
    except MalformedPayload:
        raise
    except Exception as exc:  # as in parse_mail
        raise MalformedPayload(f"the message cannot be read: {type(exc).__name__}") from exc


# -- bounces --------------------------------------------------------------------------------

_DSN_ACTIONS = {
    "failed": DeliveryStatus.FAILED,
    "delivered": DeliveryStatus.DELIVERED,
    "relayed": DeliveryStatus.DELIVERED,
    "expanded": DeliveryStatus.DELIVERED,
}


def _original_message_id(msg: Message) -> str | None:
    for part in _leaves(msg):
        content_type = part.get_content_type()
        headers: Message
        if content_type == "text/rfc822-headers":
            headers = email.message_from_bytes(_part_bytes(part), policy=email.policy.default)
        elif content_type == "message/rfc822":
            payload = part.get_payload()
            if not (isinstance(payload, list) and payload and isinstance(payload[0], Message)):
                continue
            headers = payload[0]
        else:
            continue
        value = _raw_header(headers, "Message-ID")
        if value:
            return normalize_message_id(value)
    return None


def _dsn_fields(msg: Message) -> list[Message]:
    """The per-recipient field blocks of the message/delivery-status part."""
    for part in _leaves(msg):
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            return [block for block in payload[1:] if isinstance(block, Message)]
    return []


def is_report(msg: Message) -> bool:
    """Whether ``msg`` is a delivery status notification (RFC 3464), i.e. a bounce."""
    return msg.get_content_type() == "multipart/report" and (
        str(msg.get_param("report-type", "")).lower() == "delivery-status"
    )


def _bounce(msg: Message) -> tuple[StatusUpdate | None, str]:
    """The status a delivery report gives one of our messages, or None and why not."""
    original = _original_message_id(msg)
    recipients = _dsn_fields(msg)
    if original is None or not recipients:
        return None, "unmatched"
    fields = recipients[0]
    action = (_raw_header(fields, "Action") or "").strip().lower()
    status = _DSN_ACTIONS.get(action)
    if status is None:
        # "delayed": the remote server is still trying; the final report will follow.
        return None, action or "unknown"
    error = None
    if status == DeliveryStatus.FAILED:
        code = (_raw_header(fields, "Status") or "").strip()
        diagnostic = _unstructured(fields, "Diagnostic-Code") or ""
        error = f"{code} {diagnostic}".strip()[:1000] or "the mail server bounced the message"
    date = _parse_date(_raw_header(msg, "Date"))
    now = utcnow()
    at = date if date is not None and date <= now + FUTURE_SKEW else now
    return StatusUpdate(original, status, at, error), action
