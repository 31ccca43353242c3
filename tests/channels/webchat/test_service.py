"""The webchat service: visitors, their messages, identify and merge, the reply poll."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channels.webchat.conftest import SITE_KEY
from unisono.channels.base import Capability, OutboundMessage, WebhookRequest
from unisono.channels.errors import SignatureInvalid
from unisono.channels.registry import provider_for
from unisono.errors import Conflict, Invalid
from unisono.identity.normalize import normalize_handle
from unisono.identity.resolve import resolve_customer
from unisono.inbox.channel_config import connection_for
from unisono.inbox.replies import do_reply
from unisono.inbox.webchat import (
    Cursor,
    Refused,
    check_identify,
    check_message,
    do_webchat_identify,
    do_webchat_message,
    history,
    new_messages,
    normalize_origin,
    origin_allowed,
    start_cursor,
    user_hash,
    visitor_from_hello,
)
from unisono.models import (
    Channel,
    Conversation,
    Customer,
    CustomerMerge,
    DeliveryStatus,
    Identity,
    Interaction,
)
from unisono.security.actor import Actor

VISITOR_ID = "v-0123456789abcdef"


def anonymous(channel: Channel, visitor_id: str = VISITOR_ID):  # type: ignore[no-untyped-def]
    return visitor_from_hello(channel.id, SITE_KEY, {"type": "hello", "visitor_id": visitor_id})


def test_the_provider_sends_text_and_refuses_webhooks(channel: Channel) -> None:
    provider = provider_for("webchat")
    assert provider.credential_keys == ("site_key",)
    assert provider.supports(Capability.SEND_TEXT)
    assert not provider.supports(Capability.WEBHOOK)
    connection = connection_for(channel)
    request = WebhookRequest("POST", "http://x/", {}, {}, b"{}")
    with pytest.raises(SignatureInvalid, match="WebSocket"):
        connection.verify(request)
    assert connection.parse(request).messages == ()
    sent = connection.send(OutboundMessage(recipient=VISITOR_ID, text="Ciao"))
    assert sent.external_id.startswith("webchat-")
    assert sent.status == DeliveryStatus.SENT


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://www.energiachiara.it", True),
        ("HTTPS://WWW.ENERGIACHIARA.IT:443", True),
        ("https://www.energiachiara.it:8443", False),
        ("http://www.energiachiara.it", False),
        ("https://evil.example", False),
        ("null", False),
        ("", False),
        (None, False),
    ],
)
def test_origins_are_compared_normalised(origin: str | None, allowed: bool) -> None:
    settings = {"allowed_origins": ["https://www.energiachiara.it/"]}
    assert origin_allowed(settings, origin) is allowed


def test_origins_without_settings_are_refused() -> None:
    assert not origin_allowed({}, "https://www.energiachiara.it")
    assert not origin_allowed({"allowed_origins": "https://x.it"}, "https://x.it")
    assert normalize_origin("ftp://x.it") is None
    assert normalize_origin("http://x.it:99999") is None


def test_an_anonymous_visitor_becomes_a_customer_at_the_first_message(
    session: Session, channel: Channel
) -> None:
    visitor = anonymous(channel)
    assert not visitor.logged_in
    assert history(session, visitor) == []
    interaction, created = do_webchat_message(session, channel, visitor, "Bolletta?", "c1")
    session.commit()
    assert created
    identity = session.scalars(select(Identity).where(Identity.kind == "webchat")).one()
    assert identity.value == VISITOR_ID
    assert interaction.customer_id == identity.customer_id
    assert interaction.channel == "webchat"
    assert interaction.channel_id == channel.id
    assert interaction.conversation_id is not None
    assert [m["text"] for m in history(session, visitor)] == ["Bolletta?"]


def test_a_logged_in_visitor_with_a_valid_hash_is_a_webchat_user(
    session: Session, channel: Channel
) -> None:
    visitor = visitor_from_hello(
        channel.id,
        SITE_KEY,
        {
            "type": "hello",
            "visitor_id": VISITOR_ID,
            "user_id": "cliente-42",
            "user_hash": user_hash(SITE_KEY, "cliente-42").upper(),
        },
    )
    assert visitor.logged_in
    do_webchat_message(session, channel, visitor, "Sono Mario", "c1")
    session.commit()
    identity = session.scalars(select(Identity)).one()
    assert (identity.kind, identity.value) == ("webchat_user", "cliente-42")


@pytest.mark.parametrize("given", [None, "", "00" * 32, user_hash("other-key", "cliente-42")])
def test_a_wrong_user_hash_is_refused(channel: Channel, given: str | None) -> None:
    frame = {"type": "hello", "visitor_id": VISITOR_ID, "user_id": "cliente-42"}
    if given is not None:
        frame["user_hash"] = given
    with pytest.raises(Refused):
        visitor_from_hello(channel.id, SITE_KEY, frame)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message"},
        {"type": "hello"},
        {"type": "hello", "visitor_id": "short"},
        {"type": "hello", "visitor_id": "has spaces in it"},
        {"type": "hello", "visitor_id": 12345678},
        {"type": "hello", "visitor_id": VISITOR_ID, "user_id": 42},
        {"type": "hello", "visitor_id": VISITOR_ID, "user_id": "x" * 300, "user_hash": "a"},
    ],
)
def test_a_malformed_hello_is_invalid(channel: Channel, frame: dict[str, object]) -> None:
    with pytest.raises(Invalid):
        visitor_from_hello(channel.id, SITE_KEY, frame)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message", "text": "  ", "client_id": "c1"},
        {"type": "message", "text": "x" * 4001, "client_id": "c1"},
        {"type": "message", "text": "ciao", "client_id": ""},
        {"type": "message", "text": "ciao", "client_id": "no spaces"},
        {"type": "message", "text": ["ciao"], "client_id": "c1"},
        {"type": "message", "text": "ciao"},
    ],
)
def test_a_malformed_message_is_invalid(frame: dict[str, object]) -> None:
    with pytest.raises(Invalid):
        check_message(frame)


def test_a_resend_with_the_same_client_id_is_one_interaction(
    session: Session, channel: Channel
) -> None:
    visitor = anonymous(channel)
    first, created = do_webchat_message(session, channel, visitor, "Ciao", "c1")
    session.commit()
    again, created_again = do_webchat_message(session, channel, visitor, "Ciao", "c1")
    session.commit()
    assert created
    assert not created_again
    assert again.id == first.id
    # Another visitor's identical client id is another message.
    other, created_other = do_webchat_message(
        session, channel, anonymous(channel, "w-0123456789abcdef"), "Ciao", "c1"
    )
    session.commit()
    assert created_other
    assert other.id != first.id
    assert len(session.scalars(select(Interaction)).all()) == 2


def test_identify_with_a_new_email_attaches_it(session: Session, channel: Channel) -> None:
    visitor = anonymous(channel)
    done = do_webchat_identify(session, visitor, check_identify({"email": " Mario@Example.IT "}))
    session.commit()
    assert not done.merged
    email = session.scalars(select(Identity).where(Identity.kind == "email")).one()
    assert email.value == "mario@example.it"
    assert not email.verified
    assert email.customer_id == done.customer_id


def test_identify_with_an_email_of_an_existing_customer_merges_into_them(
    session: Session, channel: Channel
) -> None:
    mario, _, _ = resolve_customer(
        session, normalize_handle("email", "mario@example.it"), display_name="Mario Rossi"
    )
    session.commit()
    visitor = anonymous(channel)
    message, _ = do_webchat_message(session, channel, visitor, "Bolletta?", "c1")
    visitor_customer = message.customer_id
    session.commit()

    done = do_webchat_identify(session, visitor, check_identify({"email": "MARIO@example.it"}))
    session.commit()

    assert done.merged
    assert done.customer_id == mario.id
    merge = session.scalars(select(CustomerMerge)).one()
    assert (merge.survivor_id, merge.merged_id) == (mario.id, visitor_customer)
    assert session.get_one(Customer, visitor_customer).merged_into_id == mario.id
    assert session.get_one(Interaction, message.id).customer_id == mario.id
    webchat = session.scalars(select(Identity).where(Identity.kind == "webchat")).one()
    assert webchat.customer_id == mario.id
    # The visitor's view follows their identity to the survivor.
    assert [m["text"] for m in history(session, visitor)] == ["Bolletta?"]


def test_identify_never_merges_an_established_customer(session: Session, channel: Channel) -> None:
    resolve_customer(session, normalize_handle("phone", "+393331234567"))
    visitor = anonymous(channel)
    do_webchat_identify(session, visitor, check_identify({"email": "anna@example.it"}))
    session.commit()
    with pytest.raises(Conflict):
        do_webchat_identify(session, visitor, check_identify({"phone": "333 123 4567"}))
    session.rollback()
    assert session.scalars(select(CustomerMerge)).all() == []


def test_identify_is_for_anonymous_visitors_with_a_handle(channel: Channel) -> None:
    with pytest.raises(Invalid):
        check_identify({"email": "", "phone": None})
    with pytest.raises(Invalid):
        check_identify({"email": 5})
    logged_in = visitor_from_hello(
        channel.id,
        SITE_KEY,
        {"type": "hello", "user_id": "u1", "user_hash": user_hash(SITE_KEY, "u1")},
    )
    with pytest.raises(Invalid):
        do_webchat_identify(None, logged_in, [])  # type: ignore[arg-type]


def test_the_poll_shows_replies_once_sent_in_order(
    session: Session, channel: Channel, actor: Actor
) -> None:
    visitor = anonymous(channel)
    assert new_messages(session, visitor, start_cursor(session, visitor))[0] == []
    message, _ = do_webchat_message(session, channel, visitor, "Ciao", "c1")
    session.commit()
    cursor = Cursor(message.occurred_at)
    frames, cursor = new_messages(session, visitor, cursor)
    assert [(f["from"], f["client_id"]) for f in frames] == [("visitor", "c1")]
    assert new_messages(session, visitor, cursor)[0] == []

    conversation = session.get_one(Conversation, message.conversation_id)
    reply = do_reply(session, actor, conversation, "Buongiorno!", channel="webchat")
    do_reply(session, actor, conversation, "Come posso aiutarla?", channel="webchat")
    session.commit()
    # Queued replies wait for the worker; a socket opened now still starts before them.
    assert new_messages(session, visitor, cursor)[0] == []
    assert start_cursor(session, visitor).since <= reply.occurred_at
    assert [m["text"] for m in history(session, visitor)] == ["Ciao"]

    for interaction in session.scalars(
        select(Interaction).where(Interaction.direction == "outbound")
    ):
        interaction.delivery_status = DeliveryStatus.SENT
    session.commit()
    frames, cursor = new_messages(session, visitor, cursor)
    assert [(f["from"], f["text"]) for f in frames] == [
        ("operator", "Buongiorno!"),
        ("operator", "Come posso aiutarla?"),
    ]
    assert new_messages(session, visitor, cursor)[0] == []


def test_another_visitor_sees_nothing_of_this_one(session: Session, channel: Channel) -> None:
    visitor = anonymous(channel)
    message, _ = do_webchat_message(session, channel, visitor, "Privato", "c1")
    session.commit()
    other = anonymous(channel, "w-" + uuid.uuid4().hex)
    assert history(session, other) == []
    assert new_messages(session, other, Cursor(message.occurred_at))[0] == []
