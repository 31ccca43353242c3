"""Polling an IMAP mailbox: each new message stored like a gateway delivery, then marked seen.

The poller keeps its place by UID, not by the \\Seen flag: a person who reads the mailbox in
their mail client between two polls must not make us miss a message. UIDs only mean something
within one UIDVALIDITY, so a mailbox whose UIDVALIDITY changed (recreated, restored) is met as
if for the first time: we take what is unseen and remember where the mailbox ends.

Each message is stored and the place moved past it in one transaction, and only then marked
\\Seen (a courtesy to people reading the same mailbox). A crash before the commit fetches the
message again; after it, the UID is already behind us. Should a message still come twice (a
reset place), ingestion ignores a Message-ID it has already stored.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from unisono.channels.base import ChannelConfig
from unisono.channels.email.client import flag
from unisono.clock import utcnow
from unisono.inbox.channel_config import channel_config
from unisono.inbox.mail_intake import (
    do_record_poll,
    do_store_polled_mail,
    imap_state,
    pollable_channels,
)
from unisono.models import Channel

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
# Messages taken per poll: a first poll of a full mailbox is spread over several passes.
BATCH = 100
ImapConnector = Callable[[ChannelConfig], imaplib.IMAP4]


class MailboxError(Exception):
    """The server answered something other than OK."""


def open_mailbox(config: ChannelConfig) -> imaplib.IMAP4:
    """A logged-in IMAP connection for ``config``: TLS (port 993) unless ``imap_ssl`` is false."""
    host = config.credentials.get("imap_host", "")
    use_ssl = flag(config.settings, "imap_ssl", True)
    port = int(config.settings.get("imap_port") or (993 if use_ssl else 143))
    imap: imaplib.IMAP4
    if use_ssl:
        imap = imaplib.IMAP4_SSL(
            host, port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS
        )
    else:
        imap = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
    username = config.credentials.get("username") or config.credentials.get("address", "")
    imap.login(username, config.credentials.get("password", ""))
    return imap


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(answer: tuple[str, Sequence[object]], what: str) -> Sequence[object]:
    status, data = answer
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise MailboxError(f"{what}: {status} {detail}".strip())
    return data


def _uidvalidity(imap: imaplib.IMAP4, mailbox: str) -> str:
    _, values = imap.response("UIDVALIDITY")
    for value in values or []:
        if isinstance(value, bytes) and value.strip():
            return value.decode().strip()
    # Not in the SELECT answer (rare): ask for it.
    data = _ok(imap.status(_quoted(mailbox), "(UIDVALIDITY)"), "STATUS")
    for item in data:
        if isinstance(item, bytes) and (found := re.search(rb"UIDVALIDITY (\d+)", item)):
            return found.group(1).decode()
    raise MailboxError("the server gave no UIDVALIDITY for the mailbox")


def _search(imap: imaplib.IMAP4, *criteria: str) -> list[int]:
    data = _ok(imap.uid("SEARCH", *criteria), "UID SEARCH")
    return sorted(
        int(token)
        for item in data
        if isinstance(item, bytes)
        for token in item.split()
        if token.isdigit()
    )


def _fetch(imap: imaplib.IMAP4, uid: int) -> bytes | None:
    """The raw message at ``uid``, without setting \\Seen; None when it is gone meanwhile."""
    data = _ok(imap.uid("FETCH", str(uid), "(BODY.PEEK[])"), "UID FETCH")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and b"BODY[" in item[0].upper():
            body = item[1]
            return bytes(body) if isinstance(body, bytes | bytearray) else None
    return None


@dataclass(frozen=True, slots=True)
class PollResult:
    channel_id: uuid.UUID
    stored: int = 0
    error: str | None = None


def poll_channel(
    sessions: sessionmaker[Session],
    channel_id: uuid.UUID,
    *,
    connect: ImapConnector = open_mailbox,
    batch: int = BATCH,
) -> PollResult:
    """Store the mailbox's new messages for ``channel_id``; errors are kept on the channel."""
    with sessions() as session:
        channel = session.get(Channel, channel_id)
        if channel is None or channel.kind != "email":
            return PollResult(channel_id, error=f"no email channel {channel_id}")
        config = channel_config(channel)
        state = imap_state(channel)
    mailbox = str(config.settings.get("imap_mailbox") or "INBOX")
    mark_seen = flag(config.settings, "imap_mark_seen", True)
    host = config.credentials.get("imap_host", "")
    stored = 0
    error = None
    start: int | None = None
    uidvalidity: str | None = None
    try:
        imap = connect(config)
    except (imaplib.IMAP4.error, OSError, ValueError) as exc:  # ValueError: a bad port
        imap, error = None, f"cannot log in to {host}: {exc}"
    if imap is not None:
        try:
            _ok(imap.select(_quoted(mailbox)), f"SELECT {mailbox}")
            uidvalidity = _uidvalidity(imap, mailbox)
            if state.uidvalidity == uidvalidity:
                # "n:*" always matches the newest message, even below n: filter it out.
                uids = [u for u in _search(imap, f"{state.last_uid + 1}:*") if u > state.last_uid]
            else:
                # A mailbox met for the first time: where it ends now, searched before what is
                # unseen, so that nothing arriving in between falls behind that point unseen.
                end = max(_search(imap, "ALL"), default=0)
                uids = _search(imap, "UNSEEN")
                start = end if len(uids) <= batch else None
            for uid in uids[:batch]:
                raw = _fetch(imap, uid)
                if raw is None:
                    continue
                with sessions() as session, session.begin():
                    delivery = do_store_polled_mail(
                        session,
                        channel_id,
                        raw,
                        uidvalidity=uidvalidity,
                        uid=uid,
                        url=f"imap://{host}/{mailbox};UIDVALIDITY={uidvalidity}/;UID={uid}",
                    )
                stored += delivery is not None
                if mark_seen:
                    # Stored already: failing to flag it costs nothing but a bold line.
                    with contextlib.suppress(imaplib.IMAP4.error, OSError):
                        imap.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
        except (imaplib.IMAP4.error, OSError, MailboxError) as exc:
            error = f"{host}: {exc}"
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                imap.logout()
    if error:
        log.warning("IMAP poll of channel %s failed: %s", channel_id, error)
    # Where a mailbox met afresh ends is only ours once everything unseen below it is stored.
    complete = start is not None and error is None
    with sessions() as session, session.begin():
        do_record_poll(
            session,
            channel_id,
            at=utcnow(),
            uidvalidity=uidvalidity if complete else None,
            last_uid=start if complete else None,
            error=error,
        )
    return PollResult(channel_id, stored, error)


def poll_due(
    sessions: sessionmaker[Session],
    *,
    now: datetime | None = None,
    connect: ImapConnector = open_mailbox,
    due_only: bool = True,
) -> int:
    """Poll every email channel with an IMAP host whose interval has passed; messages stored.

    For the worker's loop: cheap when nothing is due (one query), and a failing mailbox only
    records its error on its channel.
    """
    with sessions() as session:
        ids = [c.id for c in pollable_channels(session, now or utcnow(), due_only=due_only)]
    return sum(poll_channel(sessions, i, connect=connect).stored for i in ids)
