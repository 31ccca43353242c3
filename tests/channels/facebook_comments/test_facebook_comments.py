"""Facebook page comments: documented ``feed`` webhooks in, comment replies out through the sandbox.

Payload shapes follow Meta's page webhook reference (field ``feed``):
https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed
https://developers.facebook.com/docs/graph-api/webhooks/getting-started/webhooks-for-pages
and the reply call: https://developers.facebook.com/docs/graph-api/reference/object/comments/
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel, eventually, rows
from unisono.channels.base import Capability, OutboundMessage
from unisono.channels.errors import MalformedPayload, Rejected
from unisono.channels.facebook_comments.inbound import parse_webhook
from unisono.channels.facebook_comments.outbound import comment_to_answer, reply_payload
from unisono.channels.registry import provider_for
from unisono.channels.signatures import meta_signature
from unisono.clock import utcnow
from unisono.models import (
    DeliveryStatus,
    Identity,
    Interaction,
    Operator,
    WebhookDelivery,
    WebhookStatus,
)
from unisono.security.operators import do_create_token

HERE = Path(__file__).parent
SECRET = "facebook-app-secret"
PAGE_ID = "104729365281746"
POST_ID = "104729365281746_122131676912594941"
DAVIDE = "7301942518237765"
FRANCESCA = "6245148112174353"
FRANCESCA_COMMENT = "122131676912594941_1402837465019283"
CREDENTIALS = {
    "app_secret": SECRET,
    "verify_token": "verifica-commenti",
    "page_access_token": "EAAPage-comments-token",
    "page_id": PAGE_ID,
}


def fixture(name: str) -> bytes:
    return (HERE / name).read_bytes()


def payload(name: str) -> Any:
    return json.loads(fixture(name))


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(secret, body)}


def feed(*values: Any, time: Any = 1772439000) -> dict[str, Any]:
    changes = [{"field": "feed", "value": v} for v in values]
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": time, "changes": changes}]}


def comment(**overrides: Any) -> dict[str, Any]:
    return {
        "from": {"id": DAVIDE, "name": "Davide Greco"},
        "message": "Quando torna la luce?",
        "post_id": POST_ID,
        "comment_id": "122131676912594941_1213590066982748",
        "created_time": 1772439000,
        "item": "comment",
        "parent_id": POST_ID,
        "verb": "add",
        **overrides,
    }


@pytest.fixture
def channel(make_channel: MakeChannel) -> Any:
    return make_channel("facebook_comments", credentials=CREDENTIALS)


# -- the provider ----------------------------------------------------------------------------


def test_the_provider_answers_comments_without_a_window_or_delivery_statuses() -> None:
    provider = provider_for("facebook_comments")
    assert provider.supports(Capability.SEND_TEXT)
    assert not provider.supports(Capability.SERVICE_WINDOW)
    assert not provider.supports(Capability.DELIVERY_STATUS)
    assert provider.credential_keys == (
        "app_secret",
        "verify_token",
        "page_access_token",
        "page_id",
    )


# -- parsing ---------------------------------------------------------------------------------


def test_a_comment_becomes_a_neutral_message_from_the_commenter() -> None:
    (message,) = parse_webhook(payload("comment_added.json"), PAGE_ID).messages
    assert message.identity_kind == "facebook"
    assert message.identity_value == DAVIDE
    assert message.sender_name == "Davide Greco"
    assert message.text.startswith("Anche in via Pacini niente corrente")
    assert message.external_id == "122131676912594941_1213590066982748"
    assert message.occurred_at.isoformat() == "2026-03-02T08:10:00+00:00"
    assert message.replies_to == ()
    assert message.metadata == {
        "post_id": POST_ID,
        "comment_id": "122131676912594941_1213590066982748",
        "parent_id": POST_ID,
        "verb": "add",
        "reply_to_comment_id": "122131676912594941_1213590066982748",
        "post_url": "https://www.facebook.com/104729365281746/posts/pfbid02Xq7nVd3kLmZs9aYt",
    }


def test_a_batch_keeps_replies_and_edits_and_names_everything_else() -> None:
    parsed = parse_webhook(payload("feed_batch.json"), PAGE_ID)
    by_id = {m.external_id: m for m in parsed.messages}
    assert set(by_id) == {
        FRANCESCA_COMMENT,
        "122131676912594941_1502938475610293",
        f"{FRANCESCA_COMMENT}:edited:1772439300",
    }
    # A reply in Francesca's thread: answers go under her comment, the top of the thread.
    reply = by_id["122131676912594941_1502938475610293"]
    assert reply.identity_value == DAVIDE
    assert reply.replies_to == (FRANCESCA_COMMENT,)
    assert reply.metadata["reply_to_comment_id"] == FRANCESCA_COMMENT
    edit = by_id[f"{FRANCESCA_COMMENT}:edited:1772439300"]
    assert edit.text.endswith("A fine mese passo a un altro fornitore.")
    assert edit.metadata["edit_of"] == FRANCESCA_COMMENT
    assert edit.metadata["verb"] == "edited"
    # The edit happened at the entry's time, not when the comment was first written.
    assert edit.occurred_at.isoformat() == "2026-03-02T08:15:00+00:00"
    assert parsed.ignored == (
        "comment:own",
        "comment:remove",
        "item:reaction",
        "item:status",
        "field:likes",
    )


def test_two_edits_of_one_comment_are_two_messages_and_a_retry_is_not() -> None:
    first = parse_webhook(feed(comment(verb="edited"), time=1772439100), PAGE_ID).messages
    again = parse_webhook(feed(comment(verb="edited"), time=1772439100), PAGE_ID).messages
    second = parse_webhook(feed(comment(verb="edited"), time=1772439200), PAGE_ID).messages
    assert first[0].external_id == again[0].external_id
    assert first[0].external_id != second[0].external_id


def test_comments_without_author_from_other_pages_or_hidden_are_ignored() -> None:
    anonymous = comment()
    del anonymous["from"]
    parsed = parse_webhook(feed(anonymous, comment(verb="hide")), PAGE_ID)
    assert parsed.messages == ()
    assert parsed.ignored == ("comment:no_sender", "comment:hide")
    other = feed(comment())
    other["entry"][0]["id"] = "999888777666555"
    assert parse_webhook(other, PAGE_ID).ignored == ("page:999888777666555",)
    messenger = {"object": "page", "entry": [{"id": PAGE_ID, "time": 1, "messaging": [{}]}]}
    assert parse_webhook(messenger, PAGE_ID).ignored == ("messaging",)


def test_photos_in_comments_are_media_and_iso_times_are_read() -> None:
    photo = "https://scontent.xx.fbcdn.net/v/t39.30808-6/431_contatore_n.jpg?_nc_cat=1"
    value = comment(message="", photo=photo, created_time="2026-03-02T08:10:00+0000")
    (message,) = parse_webhook(feed(value), PAGE_ID).messages
    assert message.text == "[photo]"
    assert message.media[0].url == photo
    assert message.occurred_at.isoformat() == "2026-03-02T08:10:00+00:00"


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"object": "instagram", "entry": []},
        {"object": "page", "entry": {}},
        {"object": "page", "entry": [{"id": PAGE_ID, "changes": {}}]},
        {"object": "page", "entry": [{"id": PAGE_ID, "changes": ["change"]}]},
        {"object": "page", "entry": [{"id": PAGE_ID, "changes": [{"field": "feed"}]}]},
        feed(comment(comment_id=None)),
        feed(comment(comment_id={"id": 1})),
        feed(comment(created_time="yesterday")),
        feed(comment(created_time=None), time=None),
        feed(comment(**{"from": {"id": "12 34", "name": "x"}})),
    ],
)
def test_malformed_payloads_are_refused_clearly(body: Any) -> None:
    with pytest.raises(MalformedPayload):
        parse_webhook(body, PAGE_ID)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "object",
                    "entry",
                    "id",
                    "time",
                    "changes",
                    "messaging",
                    "field",
                    "value",
                    "item",
                    "verb",
                    "from",
                    "name",
                    "message",
                    "post_id",
                    "comment_id",
                    "parent_id",
                    "created_time",
                    "photo",
                    "post",
                    "permalink_url",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=400)
@given(json_values)
def test_the_parser_never_fails_except_with_malformed_payload(body: Any) -> None:
    candidates = [
        body,
        {"object": "page", "entry": body},
        {"object": "page", "entry": [{"id": PAGE_ID, "time": 1, "changes": body}]},
        feed(body),
    ]
    if isinstance(body, dict):
        candidates += [feed(comment(**body)), feed(comment(**{"verb": "edited", **body}))]
    for candidate in candidates:
        with contextlib.suppress(MalformedPayload):
            parse_webhook(candidate, PAGE_ID)


# -- outbound --------------------------------------------------------------------------------


def test_the_reply_goes_under_in_reply_to_or_the_metadata_fallback() -> None:
    assert (
        comment_to_answer(OutboundMessage(recipient=DAVIDE, text="x", in_reply_to=("a_1", "b_2")))
        == "b_2"
    )
    fallback = OutboundMessage(
        recipient=DAVIDE, text="x", metadata={"reply_to_comment_id": FRANCESCA_COMMENT}
    )
    assert comment_to_answer(fallback) == FRANCESCA_COMMENT
    assert reply_payload(OutboundMessage(recipient=DAVIDE, text=" Ciao Davide ")) == {
        "message": "Ciao Davide"
    }


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (OutboundMessage(recipient=DAVIDE, text="x"), "needs the comment to answer"),
        (OutboundMessage(recipient=DAVIDE, text="x", in_reply_to=("../me/feed",)), "not a Face"),
        (
            OutboundMessage(recipient=DAVIDE, text="x", metadata={"reply_to_comment_id": 12}),
            "not a Facebook comment id",
        ),
    ],
)
def test_a_reply_without_a_comment_to_answer_is_rejected(
    message: OutboundMessage, reason: str
) -> None:
    with pytest.raises(Rejected, match=reason):
        comment_to_answer(message)


def test_empty_oversized_or_template_replies_are_rejected() -> None:
    for message, reason in [
        (OutboundMessage(recipient=DAVIDE, text=" "), "empty"),
        (OutboundMessage(recipient=DAVIDE, text="x" * 8001), "at most 8000"),
        (OutboundMessage(recipient=DAVIDE, text="", template_name="t"), "no message templates"),
    ]:
        with pytest.raises(Rejected, match=reason):
            reply_payload(message)


# -- the webhook endpoint --------------------------------------------------------------------


def test_handshake_echoes_the_challenge_only_with_our_verify_token(
    client: TestClient, channel: Any
) -> None:
    path = f"/webhooks/facebook_comments/{channel.id}"
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    ok = client.get(path, params={**query, "hub.verify_token": "verifica-commenti"})
    assert ok.status_code == 200
    assert ok.text == "1158201444"
    assert client.get(path, params={**query, "hub.verify_token": "nope"}).status_code == 403


def test_a_signed_comment_is_stored_answered_then_put_on_the_timeline(
    client: TestClient, app: Any, channel: Any, session: Session
) -> None:
    body = fixture("comment_added.json")
    path = f"/webhooks/facebook_comments/{channel.id}"
    assert client.post(path, content=body, headers=signed(body)).status_code == 200
    (stored,) = rows(session, WebhookDelivery)
    assert stored.status == WebhookStatus.RECEIVED
    assert app.state.worker.drain() == 1
    (interaction,) = rows(session, Interaction)
    assert interaction.channel == "facebook_comments"
    assert interaction.channel_id == channel.id
    assert interaction.meta["reply_to_comment_id"] == "122131676912594941_1213590066982748"
    (identity,) = rows(session, Identity)
    assert (identity.kind, identity.value) == ("facebook", DAVIDE)
    client.post(path, content=body, headers=signed(body))
    app.state.worker.drain()
    assert len(rows(session, Interaction)) == 1


def test_a_batch_lands_as_comments_edits_and_replies_of_two_customers(
    client: TestClient, app: Any, channel: Any, session: Session
) -> None:
    body = fixture("feed_batch.json")
    path = f"/webhooks/facebook_comments/{channel.id}"
    assert client.post(path, content=body, headers=signed(body)).status_code == 200
    app.state.worker.drain()
    interactions = rows(session, Interaction)
    assert len(interactions) == 3
    assert len({i.customer_id for i in interactions}) == 2
    (stored,) = rows(session, WebhookDelivery)
    assert stored.summary["created"] == 3
    assert stored.summary["ignored"] == [
        "comment:own",
        "comment:remove",
        "item:reaction",
        "item:status",
        "field:likes",
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": meta_signature("another-secret", fixture("comment_added.json"))},
    ],
)
def test_a_bad_signature_is_401_and_stores_nothing(
    client: TestClient, channel: Any, session: Session, headers: dict[str, str]
) -> None:
    response = client.post(
        f"/webhooks/facebook_comments/{channel.id}",
        content=fixture("comment_added.json"),
        headers=headers,
    )
    assert response.status_code == 401
    assert rows(session, WebhookDelivery) == []


def test_a_malformed_payload_is_400_and_kept_for_inspection(
    client: TestClient, channel: Any, session: Session
) -> None:
    body = json.dumps(feed(comment(comment_id=None))).encode()
    response = client.post(
        f"/webhooks/facebook_comments/{channel.id}", content=body, headers=signed(body)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payload"
    (stored,) = rows(session, WebhookDelivery)
    assert stored.status == WebhookStatus.INVALID
    assert "comment_id is missing" in (stored.error or "")


# -- both directions through the sandbox -----------------------------------------------------


def test_comments_flow_in_and_replies_go_under_them_through_the_sandbox(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = make_channel(
        "facebook_comments",
        credentials=CREDENTIALS,
        settings={"api_base_url": f"{sandbox}/v21.0"},
        name="Energia Chiara",
    )
    injected = httpx.post(
        f"{sandbox}/_sandbox/facebook_comments/{channel.id}/comments",
        json={"from_id": DAVIDE, "from_name": "Davide Greco", "message": "Siamo senza luce"},
        timeout=10,
    ).json()
    assert injected["unisono_status"] == 200
    (inbound,) = eventually(lambda: rows(session, Interaction))
    assert inbound.external_id == injected["comment_id"]
    assert inbound.meta["reply_to_comment_id"] == injected["comment_id"]
    # The operator answers in the conversation: the reply goes under the customer's comment.
    token = do_create_token(session, operator)
    session.commit()
    session.expunge_all()
    session.rollback()
    answered = httpx.post(
        f"{live_unisono}/api/v1/conversations/{inbound.conversation_id}/messages",
        json={"text": "Gentile Davide, le squadre sono al lavoro"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answered.status_code == 201, answered.text
    assert answered.json()["metadata"]["in_reply_to"] == [injected["comment_id"]]

    def sent() -> Interaction | None:
        found = [
            i
            for i in rows(session, Interaction)
            if i.direction == "outbound" and i.delivery_status == DeliveryStatus.SENT
        ]
        return found[0] if found else None

    reply = eventually(sent)
    calls = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()
    assert calls[-1]["provider"] == "facebook_comments"
    assert calls[-1]["recipient"] == injected["comment_id"]  # the comment answered
    assert calls[-1]["payload"] == {"message": "Gentile Davide, le squadre sono al lavoro"}
    assert reply.external_id == calls[-1]["id"]
    # Meta then posts our own reply to the feed webhook: stored, read and ignored.
    eventually(
        lambda: [
            d
            for d in rows(session, WebhookDelivery)
            if d.status == WebhookStatus.PROCESSED and d.summary["ignored"] == ["comment:own"]
        ]
    )
    assert len(rows(session, Interaction)) == 2


def test_a_reply_to_a_deleted_comment_fails_for_good(
    live_unisono: str, sandbox: str, make_channel: MakeChannel, session: Session, app: Any
) -> None:
    channel = make_channel(
        "facebook_comments", credentials=CREDENTIALS, settings={"api_base_url": f"{sandbox}/v21.0"}
    )
    injected = httpx.post(
        f"{sandbox}/_sandbox/facebook_comments/{channel.id}/comments",
        json={"from_id": FRANCESCA, "from_name": "Francesca Ricci", "message": "Terzo reclamo"},
        timeout=10,
    ).json()
    (inbound,) = eventually(lambda: rows(session, Interaction))
    assert inbound.external_id == injected["comment_id"]
    session.add(
        Interaction(
            customer_id=inbound.customer_id,
            conversation_id=inbound.conversation_id,
            channel="facebook_comments",
            identity_id=inbound.identity_id,
            direction="outbound",
            author="operator",
            text="Ci scusi",
            occurred_at=utcnow(),
            delivery_status=DeliveryStatus.QUEUED,
            meta={"reply_to_comment_id": "122131676912594941_0000"},
        )
    )
    session.commit()
    session.expunge_all()
    session.rollback()

    def failed() -> Interaction | None:
        found = [
            i
            for i in rows(session, Interaction)
            if i.direction == "outbound" and i.delivery_status == DeliveryStatus.FAILED
        ]
        return found[0] if found else None

    reply = eventually(failed)
    assert "(#100/33)" in (reply.delivery_error or "")
