"""IMAP polling against a small IMAP server on a real socket (imaplib's parsing included)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.channels.email.conftest import ADDRESS, MakeEmailChannel, eml, rows
from tests.channels.email.fake_imap import FakeImapServer, FakeMailbox
from unisono.channels.email.commands import mail_app
from unisono.channels.email.imap import poll_channel, poll_due
from unisono.clock import utcnow
from unisono.db import session_factory
from unisono.inbox.mail_intake import do_store_polled_mail, imap_state
from unisono.models import Channel, Interaction, WebhookDelivery, WebhookStatus


@pytest.fixture
def mailbox() -> FakeMailbox:
    return FakeMailbox()


@pytest.fixture
def imap_server(mailbox: FakeMailbox) -> Iterator[FakeImapServer]:
    with FakeImapServer(mailbox) as server:
        yield server


@pytest.fixture
def imap_channel(make_email_channel: MakeEmailChannel, imap_server: FakeImapServer) -> Channel:
    host, port = imap_server.address
    return make_email_channel(
        settings={"imap_ssl": "false", "imap_port": port},
        imap_host=host,
        username=ADDRESS,
        password="segreta",
    )


def state_of(session: Session, channel: Channel) -> Any:
    (fresh,) = [c for c in rows(session, Channel) if c.id == channel.id]
    return imap_state(fresh)


def test_the_first_poll_takes_what_is_unseen_and_remembers_where_the_mailbox_ends(
    engine: Engine, imap_channel: Channel, mailbox: FakeMailbox, session: Session, app: Any
) -> None:
    mailbox.deliver(eml("auto_reply.eml"), seen=True)  # read long ago, before Unisono
    first = mailbox.deliver(eml("plain_utf8.eml"))
    second = mailbox.deliver(eml("attachments.eml"))
    result = poll_channel(session_factory(engine), imap_channel.id)
    assert (result.stored, result.error) == (2, None)
    deliveries = sorted(rows(session, WebhookDelivery), key=lambda d: d.url)
    assert [d.url for d in deliveries] == [
        f"imap://127.0.0.1/INBOX;UIDVALIDITY={mailbox.uidvalidity}/;UID={uid}"
        for uid in (first, second)
    ]
    assert all(d.status == WebhookStatus.RECEIVED for d in deliveries)
    assert deliveries[0].body == eml("plain_utf8.eml")
    assert deliveries[0].headers["x-unisono-source"] == "imap"
    # Fetched with BODY.PEEK, flagged \Seen only once stored.
    assert mailbox.seen(first)
    assert mailbox.seen(second)
    state = state_of(session, imap_channel)
    assert (state.uidvalidity, state.last_uid, state.error) == (str(mailbox.uidvalidity), 3, None)
    assert state.polled_at is not None
    app.state.worker.drain()
    texts = sorted(i.text[:20] for i in rows(session, Interaction))
    assert texts == ["Buongiorno,\n\nla boll", "Buongiorno,\nvi mando"]


def test_later_polls_go_by_uid_so_mail_read_in_between_is_not_missed(
    engine: Engine, imap_channel: Channel, mailbox: FakeMailbox, session: Session
) -> None:
    sessions = session_factory(engine)
    mailbox.deliver(eml("plain_utf8.eml"))
    assert poll_channel(sessions, imap_channel.id).stored == 1
    # Nothing new: "n:*" still answers the newest UID, which must not be taken again.
    assert poll_channel(sessions, imap_channel.id).stored == 0
    assert mailbox.commands.count("UID FETCH") == 1
    # A colleague reads the next mail in Outlook before we poll.
    read = mailbox.deliver(eml("latin1_qp.eml"), seen=True)
    unread = mailbox.deliver(eml("outlook_html.eml"))
    assert poll_channel(sessions, imap_channel.id).stored == 2
    assert mailbox.seen(unread)
    state = state_of(session, imap_channel)
    assert state.last_uid == unread > read
    assert len(rows(session, WebhookDelivery)) == 3


def test_a_connection_lost_mid_poll_loses_and_duplicates_nothing(
    engine: Engine, imap_channel: Channel, mailbox: FakeMailbox, session: Session, app: Any
) -> None:
    sessions = session_factory(engine)
    poll_channel(sessions, imap_channel.id)  # an empty mailbox, met for the first time
    for name in ("plain_utf8.eml", "latin1_qp.eml", "outlook_html.eml"):
        mailbox.deliver(eml(name))
    mailbox.drop_after_fetches = 1
    result = poll_channel(sessions, imap_channel.id)
    assert result.stored == 1
    assert result.error is not None
    assert state_of(session, imap_channel).error == result.error
    mailbox.drop_after_fetches = None
    again = poll_channel(sessions, imap_channel.id)
    assert (again.stored, again.error) == (2, None)
    assert state_of(session, imap_channel).error is None
    assert len(rows(session, WebhookDelivery)) == 3
    app.state.worker.drain()
    assert len(rows(session, Interaction)) == 3


def test_a_first_poll_cut_short_takes_the_rest_next_time(
    engine: Engine, imap_channel: Channel, mailbox: FakeMailbox, session: Session
) -> None:
    sessions = session_factory(engine)
    mailbox.deliver(eml("plain_utf8.eml"))
    mailbox.deliver(eml("auto_reply.eml"), seen=True)
    mailbox.deliver(eml("latin1_qp.eml"))
    mailbox.deliver(eml("outlook_html.eml"))
    mailbox.drop_after_fetches = 1
    assert poll_channel(sessions, imap_channel.id).stored == 1
    # The end of the mailbox was not recorded: the unseen mail after the cut is still due.
    assert state_of(session, imap_channel).last_uid == 1
    mailbox.drop_after_fetches = None
    assert poll_channel(sessions, imap_channel.id).stored == 3
    assert len(rows(session, WebhookDelivery)) == 4


def test_a_recreated_mailbox_is_met_afresh_and_duplicates_are_harmless(
    engine: Engine, imap_channel: Channel, mailbox: FakeMailbox, session: Session, app: Any
) -> None:
    sessions = session_factory(engine)
    mailbox.deliver(eml("plain_utf8.eml"))
    mailbox.deliver(eml("latin1_qp.eml"))
    assert poll_channel(sessions, imap_channel.id).stored == 2
    mailbox.recreate()
    # Restored with one message unread again: it is stored a second time ...
    mailbox.messages[2][1].discard("\\Seen")
    assert poll_channel(sessions, imap_channel.id).stored == 1
    state = state_of(session, imap_channel)
    assert (state.uidvalidity, state.last_uid) == (str(mailbox.uidvalidity), 2)
    # ... but ingestion knows its Message-ID: still two interactions.
    app.state.worker.drain()
    assert len(rows(session, Interaction)) == 2
    mailbox.deliver(eml("outlook_html.eml"))
    assert poll_channel(sessions, imap_channel.id).stored == 1


def test_a_uid_already_stored_by_another_poller_is_not_stored_again(
    engine: Engine, imap_channel: Channel, mailbox: FakeMailbox, session: Session
) -> None:
    mailbox.deliver(eml("plain_utf8.eml"))
    poll_channel(session_factory(engine), imap_channel.id)
    session.rollback()
    again = do_store_polled_mail(
        session,
        imap_channel.id,
        eml("plain_utf8.eml"),
        uidvalidity=str(mailbox.uidvalidity),
        uid=1,
        url="imap://x",
    )
    assert again is None
    session.rollback()
    assert len(rows(session, WebhookDelivery)) == 1


def test_a_wrong_password_is_recorded_on_the_channel(
    engine: Engine,
    make_email_channel: MakeEmailChannel,
    imap_server: FakeImapServer,
    mailbox: FakeMailbox,
    session: Session,
) -> None:
    host, port = imap_server.address
    channel = make_email_channel(
        settings={"imap_ssl": False, "imap_port": port},
        imap_host=host,
        username=ADDRESS,
        password="sbagliata",
    )
    mailbox.deliver(eml("plain_utf8.eml"))
    result = poll_channel(session_factory(engine), channel.id)
    assert result.stored == 0
    assert result.error is not None
    assert "Invalid credentials" in result.error
    assert state_of(session, channel).error == result.error
    assert rows(session, WebhookDelivery) == []


def test_poll_due_waits_for_each_channels_interval(
    engine: Engine, imap_channel: Channel, mailbox: FakeMailbox
) -> None:
    sessions = session_factory(engine)
    mailbox.deliver(eml("plain_utf8.eml"))
    assert poll_due(sessions) == 1
    mailbox.deliver(eml("latin1_qp.eml"))
    logins = mailbox.commands.count("LOGIN")
    assert poll_due(sessions) == 0
    assert mailbox.commands.count("LOGIN") == logins
    assert poll_due(sessions, now=utcnow() + timedelta(seconds=61)) == 1


def test_poll_of_a_channel_that_is_not_there(engine: Engine) -> None:
    result = poll_channel(session_factory(engine), uuid.uuid4())
    assert result.error is not None
    assert "no email channel" in result.error


def test_the_mail_poll_command(
    engine: Engine,
    imap_channel: Channel,
    mailbox: FakeMailbox,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("unisono.db.get_engine", lambda: engine)
    cli = typer.Typer()
    cli.add_typer(mail_app)
    mailbox.deliver(eml("plain_utf8.eml"))
    runner = CliRunner()
    result = runner.invoke(cli, ["mail-poll", "--channel", str(imap_channel.id)])
    assert result.exit_code == 0, result.output
    assert f"{imap_channel.id}  1 stored" in result.stdout
    everything = runner.invoke(cli, ["mail-poll"])
    assert f"{imap_channel.id}  0 stored" in everything.stdout
    bad = runner.invoke(cli, ["mail-poll", "--channel", "nope"])
    assert bad.exit_code == 1
    assert len(rows(session, WebhookDelivery)) == 1
