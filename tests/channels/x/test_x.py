"""X: documented Account Activity payloads in, OAuth 1.0a-signed DMs out through the sandbox.

The fixtures follow X's documentation:
- deliveries: https://developer.x.com/en/docs/twitter-api/enterprise/account-activity-api/guides/account-activity-data-objects
- DM events: https://developer.x.com/en/docs/x-api/v1/direct-messages/sending-and-receiving/guides/message-create-object
- CRC and signature: https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks
- sending: https://docs.x.com/x-api/direct-messages/send-a-new-message-to-a-user
- OAuth 1.0a: https://developer.x.com/en/docs/authentication/oauth-1-0a/creating-a-signature
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel, api_get, eventually, rows
from unisono.channels.base import OutboundMessage, WebhookRequest
from unisono.channels.errors import (
    ChannelError,
    MalformedPayload,
    RateLimited,
    Rejected,
    Unauthorized,
    Unreachable,
)
from unisono.channels.registry import provider_for
from unisono.channels.signatures import x_signature
from unisono.channels.x.inbound import parse_created_at, parse_webhook
from unisono.channels.x.oauth import (
    OAuth1Credentials,
    authorization_header,
    base_string_uri,
    parse_authorization_header,
    percent_encode,
    sign,
    signature_base_string,
)
from unisono.channels.x.outbound import describe_error, dm_payload
from unisono.channels.x.provider import account_id
from unisono.errors import Invalid
from unisono.inbox.channel_config import channel_config
from unisono.models import (
    Attachment,
    AttachmentStatus,
    DeliveryStatus,
    Interaction,
    Operator,
    WebhookDelivery,
    WebhookStatus,
)
from unisono.security.operators import do_create_token

HERE = Path(__file__).parent
# The sample credentials of X's "Creating a signature" page; the access token starts with the
# brand account's id, as X's user tokens do.
CONSUMER_SECRET = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
CREDENTIALS = {
    "consumer_key": "xvz1evFS4wEEPTGEFPHBog",
    "consumer_secret": CONSUMER_SECRET,
    "access_token": "1428017212-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
    "access_token_secret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
}
BRAND = "1428017212"
SETTINGS = {"user_id": BRAND, "screen_name": "EnergiaChiara"}


def fixture(name: str) -> bytes:
    return (HERE / name).read_bytes()


def payload(name: str) -> Any:
    return json.loads(fixture(name))


def signed(body: bytes, secret: str = CONSUMER_SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "x-twitter-webhooks-signature": x_signature(secret, body),
    }


@pytest.fixture
def channel(make_channel: MakeChannel) -> Any:
    return make_channel("x", credentials=CREDENTIALS, settings=SETTINGS)


# -- parsing --------------------------------------------------------------------------------


def test_a_dm_becomes_a_private_neutral_message() -> None:
    parsed = parse_webhook(payload("dm.json"))
    (message,) = parsed.messages
    assert message.external_id == "2028382298429378567"
    assert (message.identity_kind, message.identity_value) == ("x", "1184562396")
    assert message.sender_name == "Maria Rossi"
    assert message.text.startswith("Buongiorno, la bolletta di febbraio è il doppio")
    assert message.occurred_at.isoformat() == "2026-03-02T08:10:00.123000+00:00"
    assert message.metadata == {
        "x_type": "direct_message",
        "visibility": "private",
        "x_dm_id": "2028382298429378567",
        "x_account_id": BRAND,
        "screen_name": "maria_rossi82",
    }
    assert message.media == ()
    assert parsed.ignored == ()


def test_a_dm_with_media_keeps_the_attachment_and_drops_its_link_from_the_text() -> None:
    (message,) = parse_webhook(payload("dm_media.json")).messages
    assert message.text == "Ecco la foto del contatore, vedete la lettura?"
    (photo,) = message.media
    assert photo.provider_id == "2028382927059079175"
    assert photo.content_type == "image/jpeg"
    assert photo.url == (
        "https://ton.twitter.com/1.1/ton/data/dm/2028382975322935303/2028382927059079175/Lk0pQ2aZ.jpg"
    )


def test_dms_sent_by_the_brand_account_itself_are_ignored() -> None:
    parsed = parse_webhook(payload("dm_from_account.json"))
    assert parsed.messages == ()
    assert parsed.ignored == ("direct_message_events:sent_by_account",)


def test_a_mention_is_a_public_message_answering_the_brands_post() -> None:
    (message,) = parse_webhook(payload("mention.json")).messages
    assert message.external_id == "2028411125364871175"
    assert (message.identity_kind, message.identity_value) == ("x", "972183645")
    assert message.sender_name == "Giovanni Esposito"
    # Post text arrives HTML-escaped; operators read it as written.
    assert message.text == (
        "@EnergiaChiara da ieri sera niente luce in via Toledo & dintorni, sapete qualcosa? "
        "Ho chiamato 3 volte"
    )
    assert message.occurred_at.isoformat() == "2026-03-02T10:04:33+00:00"
    assert message.replies_to == ("2028344549177479175",)
    assert message.metadata["visibility"] == "public"
    assert message.metadata["x_type"] == "mention"
    assert message.metadata["tweet_url"] == "https://x.com/gioesposito/status/2028411125364871175"
    assert message.metadata["in_reply_to_status_id"] == "2028344549177479175"
    assert "user_has_blocked" not in message.metadata


def test_an_extended_mention_is_read_whole_with_links_expanded_and_every_photo() -> None:
    (message,) = parse_webhook(payload("mention_extended.json")).messages
    assert message.text == (
        "@EnergiaChiara terza bolletta con conguaglio sbagliato in sei mesi. Il contatore è stato "
        "sostituito a gennaio ma continuate a fatturare sulla lettura stimata del vecchio. "
        "Reclamo qui: https://energiachiara.it/reclami/R-2026-0311"
    )
    assert [(m.provider_id, m.content_type) for m in message.media] == [
        ("2028738401234567175", "image/jpeg"),
        ("2028738401234571271", "image/png"),
    ]
    assert message.replies_to == ()
    assert message.metadata["visibility"] == "public"
    assert message.occurred_at.isoformat() == "2026-03-03T07:45:12+00:00"


def test_several_dms_in_one_delivery_are_all_read() -> None:
    parsed = parse_webhook(payload("batch.json"))
    maria, giovanni = parsed.messages
    assert (maria.identity_value, maria.sender_name) == ("1184562396", "Maria Rossi")
    assert "00917734" in maria.text
    assert (giovanni.identity_value, giovanni.sender_name) == ("972183645", "Giovanni Esposito")
    assert giovanni.text == "Il contatore fa così da stamattina"
    (gif,) = giovanni.media
    # A GIF plays from its MP4 variant, not from the still preview.
    assert gif.content_type == "video/mp4"
    assert gif.url == "https://video.twimg.com/dm_gif/2028402401234571264/Qm3nB8vLzXc.mp4"
    assert parsed.ignored == ("direct_message_events:sent_by_account",)


@pytest.mark.parametrize(
    ("index", "ignored"),
    [
        (0, ("favorite_events",)),
        (1, ("follow_events",)),
        (2, ("block_events",)),
        (3, ("direct_message_indicate_typing_events",)),
        (4, ("direct_message_mark_read_events",)),
        (5, ("tweet_delete_events",)),
        (6, ("user_event",)),
        (7, ("tweet_create_events:by_account",)),
        (8, ("tweet_create_events:retweet",)),
    ],
)
def test_other_activity_is_ignored_by_name(index: int, ignored: tuple[str, ...]) -> None:
    parsed = parse_webhook(payload("other_events.json")[index])
    assert parsed.messages == ()
    assert parsed.ignored == ignored


def test_a_delivery_for_another_account_of_the_same_app_is_ignored(channel: Any) -> None:
    body = fixture("dm.json").replace(BRAND.encode(), b"2244994945")
    request = WebhookRequest("POST", "https://unisono.test/webhooks/x", {}, {}, body)
    connection = provider_for("x").connect(channel_config(channel))
    parsed = connection.parse(request)
    assert parsed.messages == ()
    assert parsed.ignored == ("other_account:2244994945",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wed Oct 10 20:19:24 +0000 2018", "2018-10-10T20:19:24+00:00"),
        ("Tue Mar 03 09:45:12 +0200 2026", "2026-03-03T07:45:12+00:00"),
    ],
)
def test_classic_dates_are_read_whatever_the_locale(raw: str, expected: str) -> None:
    assert parse_created_at(raw).isoformat() == expected


DM = payload("dm.json")["direct_message_events"][0]
TWEET = payload("mention.json")["tweet_create_events"][0]


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"direct_message_events": [DM]},  # no for_user_id
        {"for_user_id": BRAND, "direct_message_events": {}},
        {"for_user_id": BRAND, "direct_message_events": ["dm"]},
        {"for_user_id": BRAND, "direct_message_events": [{**DM, "message_create": None}]},
        {"for_user_id": BRAND, "direct_message_events": [{**DM, "created_timestamp": "soon"}]},
        {
            "for_user_id": BRAND,
            "direct_message_events": [{k: v for k, v in DM.items() if k != "id"}],
        },
        {"for_user_id": BRAND, "tweet_create_events": [{**TWEET, "user": "someone"}]},
        {"for_user_id": BRAND, "tweet_create_events": [{**TWEET, "created_at": "yesterday"}]},
        {"for_user_id": BRAND, "tweet_create_events": [{**TWEET, "created_at": 1772445873}]},
        {"for_user_id": True, "tweet_create_events": [TWEET]},
    ],
)
def test_malformed_payloads_are_refused_clearly(body: Any) -> None:
    with pytest.raises(MalformedPayload):
        parse_webhook(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "for_user_id",
                    "direct_message_events",
                    "tweet_create_events",
                    "users",
                    "type",
                    "id",
                    "id_str",
                    "created_timestamp",
                    "created_at",
                    "message_create",
                    "sender_id",
                    "message_data",
                    "text",
                    "attachment",
                    "media",
                    "entities",
                    "urls",
                    "url",
                    "user",
                    "extended_tweet",
                    "full_text",
                    "video_info",
                    "variants",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300)
@given(json_values)
def test_the_parser_never_fails_except_with_malformed_payload(body: Any) -> None:
    for candidate in (
        body,
        {"for_user_id": BRAND, "direct_message_events": body},
        {"for_user_id": BRAND, "tweet_create_events": body},
        {"for_user_id": BRAND, "direct_message_events": [{**DM, "message_create": body}]},
        {"for_user_id": BRAND, "tweet_create_events": [{**TWEET, "extended_tweet": body}]},
    ):
        with contextlib.suppress(MalformedPayload):
            parse_webhook(candidate)


# -- OAuth 1.0a -----------------------------------------------------------------------------


def test_the_signature_reproduces_the_worked_example_of_xs_documentation() -> None:
    # The documented example signs a v1.1 call on api.twitter.com; its base string and
    # signature are stated for that URL, so that is the URL used here.
    url = "https://api.twitter.com/1.1/statuses/update.json?include_entities=true"
    oauth = {
        "oauth_consumer_key": "xvz1evFS4wEEPTGEFPHBog",
        "oauth_nonce": "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": "1318622958",
        "oauth_token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "oauth_version": "1.0",
    }
    form = [("status", "Hello Ladies + Gentlemen, a signed OAuth request!")]
    assert signature_base_string("POST", url, [*oauth.items(), *form]) == (
        "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue"
        "%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2"
        "pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth"
        "_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status"
        "%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request"
        "%2521"
    )
    signature = sign("POST", url, oauth, CONSUMER_SECRET, CREDENTIALS["access_token_secret"], form)
    assert signature == "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
    header = authorization_header(
        OAuth1Credentials(
            "xvz1evFS4wEEPTGEFPHBog",
            CONSUMER_SECRET,
            "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            CREDENTIALS["access_token_secret"],
        ),
        "POST",
        url,
        form,
        nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        timestamp=1318622958,
    )
    assert header.startswith('OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce=')
    assert 'oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"' in header
    assert parse_authorization_header(header)["oauth_signature"] == signature


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("Ladies + Gentlemen", "Ladies%20%2B%20Gentlemen"),
        ("An encoded string!", "An%20encoded%20string%21"),
        ("Dogs, Cats & Mice", "Dogs%2C%20Cats%20%26%20Mice"),
        ("☃", "%E2%98%83"),
        ("a/b~c-d.e_f", "a%2Fb~c-d.e_f"),
    ],
)
def test_percent_encoding_follows_rfc_3986(raw: str, encoded: str) -> None:
    assert percent_encode(raw) == encoded


def test_the_base_uri_is_normalised() -> None:
    assert base_string_uri("HTTPS://API.X.com:443/2/dm?x=1#f") == "https://api.x.com/2/dm"
    assert base_string_uri("http://127.0.0.1:8081/2/dm") == "http://127.0.0.1:8081/2/dm"
    assert base_string_uri("http://example.com:80") == "http://example.com/"


def test_every_request_gets_a_fresh_nonce_and_current_timestamp() -> None:
    credentials = OAuth1Credentials("key", "secret", "1-token", "token-secret")
    first, second = (
        parse_authorization_header(authorization_header(credentials, "POST", "https://api.x.com/2"))
        for _ in range(2)
    )
    assert first["oauth_nonce"] != second["oauth_nonce"]
    assert abs(int(first["oauth_timestamp"]) - time.time()) < 5
    assert first["oauth_token"] == "1-token"


# -- outbound -------------------------------------------------------------------------------


def test_a_dm_body_is_just_its_text_and_impossible_ones_are_refused() -> None:
    assert dm_payload(OutboundMessage(recipient="1184562396", text=" Ciao Maria ")) == {
        "text": "Ciao Maria"
    }
    for message in (
        OutboundMessage(recipient="@maria_rossi82", text="Ciao"),
        OutboundMessage(recipient="1184562396", text="   "),
        OutboundMessage(recipient="1184562396", text="x" * 10_001),
        OutboundMessage(recipient="1184562396", text="", template_name="bolletta_pronta"),
    ):
        with pytest.raises(Rejected):
            dm_payload(message)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            403,
            {
                "title": "Forbidden",
                "detail": "You are not permitted to send messages to this user.",
                "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
                "status": 403,
            },
            ("You are not permitted to send messages to this user.", "not-authorized-for-resource"),
        ),
        (
            400,
            {
                "errors": [{"parameters": {"text": []}, "message": "text is required"}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
            (
                "One or more parameters to your request was invalid.: text is required",
                "invalid-request",
            ),
        ),
        (
            401,
            {"errors": [{"message": "Could not authenticate you", "code": 32}]},
            ("Could not authenticate you", "32"),
        ),
        (
            401,
            {
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            },
            ("Unauthorized", None),
        ),
    ],
)
def test_both_of_xs_error_shapes_are_described(
    status: int, body: Any, expected: tuple[str, str | None]
) -> None:
    assert describe_error(httpx.Response(status, json=body)) == expected


def test_non_json_errors_are_described_by_their_text() -> None:
    assert describe_error(httpx.Response(502, text="Bad gateway")) == ("Bad gateway", None)


def test_the_brand_account_setting_is_required_with_a_clear_message(channel: Any) -> None:
    assert account_id(channel_config(channel)) == BRAND
    without = dataclasses.replace(channel_config(channel), settings={})
    with pytest.raises(Invalid, match="user_id"):
        account_id(without)


# -- the webhook endpoint -----------------------------------------------------------------


def test_the_crc_challenge_is_answered_with_the_consumer_secrets_hmac(
    client: TestClient, channel: Any
) -> None:
    token = "9b4507b3-9040-4669-9ca3-6b94edb50553"
    # HMAC-SHA256(consumer secret, crc_token), base64, computed apart from the adapter.
    by_hand = base64.b64encode(
        hmac.new(CONSUMER_SECRET.encode(), token.encode(), hashlib.sha256).digest()
    ).decode()
    assert by_hand == "vBZUZlyLbULk98qWav8eWIuZuzRiG0eiyKurwFkKrXc="
    response = client.get(f"/webhooks/x/{channel.id}", params={"crc_token": token})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"response_token": f"sha256={by_hand}"}
    assert client.get(f"/webhooks/x/{channel.id}").status_code == 400


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-twitter-webhooks-signature": "sha256=" + "A" * 43 + "="},
        {"x-twitter-webhooks-signature": x_signature("another-secret", fixture("dm.json"))},
        # Meta's header is not X's.
        {"X-Hub-Signature-256": x_signature(CONSUMER_SECRET, fixture("dm.json"))},
    ],
)
def test_a_bad_signature_is_401_and_stores_nothing(
    client: TestClient, channel: Any, session: Session, headers: dict[str, str]
) -> None:
    response = client.post(f"/webhooks/x/{channel.id}", content=fixture("dm.json"), headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert rows(session, WebhookDelivery) == []


def test_a_signed_delivery_is_stored_answered_then_put_on_the_timeline(
    client: TestClient, app: Any, channel: Any, session: Session
) -> None:
    body = fixture("dm.json")
    response = client.post(f"/webhooks/x/{channel.id}", content=body, headers=signed(body))
    assert response.status_code == 200
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.RECEIVED
    assert delivery.body == body
    assert "x-twitter-webhooks-signature" in delivery.headers
    assert app.state.worker.drain() == 1
    (dm,) = rows(session, Interaction)
    assert (dm.channel, dm.channel_id, dm.external_id) == ("x", channel.id, "2028382298429378567")
    assert dm.meta["visibility"] == "private"
    assert dm.meta["screen_name"] == "maria_rossi82"
    mention = fixture("mention.json")
    client.post(f"/webhooks/x/{channel.id}", content=mention, headers=signed(mention))
    # X retries a delivery it thinks failed: the same one again creates nothing new.
    client.post(f"/webhooks/x/{channel.id}", content=body, headers=signed(body))
    app.state.worker.drain()
    interactions = {i.external_id: i for i in rows(session, Interaction)}
    assert set(interactions) == {"2028382298429378567", "2028411125364871175"}
    public = interactions["2028411125364871175"]
    assert public.meta["visibility"] == "public"
    assert public.meta["replies_to"] == ["2028344549177479175"]
    assert public.customer_id != dm.customer_id
    assert {d.status for d in rows(session, WebhookDelivery)} == {WebhookStatus.PROCESSED}


def test_a_batch_lands_on_the_right_customers_and_says_what_it_left_out(
    client: TestClient, app: Any, channel: Any, session: Session
) -> None:
    for name in ("batch.json", "dm_media.json"):
        body = fixture(name)
        assert (
            client.post(f"/webhooks/x/{channel.id}", content=body, headers=signed(body)).status_code
            == 200
        )
    app.state.worker.drain()
    interactions = rows(session, Interaction)
    assert len(interactions) == 3
    assert len({i.customer_id for i in interactions}) == 2
    summaries = {d.summary["created"]: d.summary for d in rows(session, WebhookDelivery)}
    assert summaries[2]["ignored"] == ["direct_message_events:sent_by_account"]
    by_id = {i.external_id: i.id for i in interactions}
    attachments = {a.interaction_id: a for a in rows(session, Attachment)}
    photo = attachments[by_id["2028382975322935303"]]
    assert (photo.provider_id, photo.content_type) == ("2028382927059079175", "image/jpeg")
    assert photo.source_url == (
        "https://ton.twitter.com/1.1/ton/data/dm/2028382975322935303/2028382927059079175/Lk0pQ2aZ.jpg"
    )
    gif = attachments[by_id["2028402441158795271"]]
    assert gif.content_type == "video/mp4"
    # X is out of reach here: the fetch waits for a retry, nothing is lost.
    assert {photo.status, gif.status} == {AttachmentStatus.PENDING}
    assert photo.error is not None


def test_a_malformed_payload_is_400_and_kept_for_inspection(
    client: TestClient, channel: Any, session: Session
) -> None:
    body = b'{"for_user_id": "1428017212", "direct_message_events": "oops"}'
    response = client.post(f"/webhooks/x/{channel.id}", content=body, headers=signed(body))
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payload"
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.INVALID
    assert "not a list" in (delivery.error or "")


# -- both directions through the sandbox ---------------------------------------------------


def test_messages_flow_both_ways_through_the_sandbox(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = make_channel(
        "x", credentials=CREDENTIALS, settings={**SETTINGS, "api_base_url": sandbox}
    )
    token = do_create_token(session, operator)
    session.commit()
    injected = httpx.post(
        f"{sandbox}/_sandbox/x/{channel.id}/dms",
        json={
            "sender_id": "1184562396",
            "name": "Maria Rossi",
            "screen_name": "maria_rossi82",
            "text": "La bolletta è sbagliata",
        },
        timeout=10,
    ).json()
    assert injected["unisono_status"] == 200
    conversation = eventually(
        lambda: api_get(live_unisono, token, "/api/v1/conversations")["items"]
    )[0]
    assert conversation["customer"]["display_name"] == "Maria Rossi"
    reply = httpx.post(
        f"{live_unisono}/api/v1/conversations/{conversation['id']}/messages",
        json={"text": "Gentile signora, verifichiamo subito", "channel": "x"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    reply_id = reply.json()["id"]
    timeline = f"/api/v1/customers/{conversation['customer']['id']}/timeline"

    def sent_reply() -> dict[str, Any] | None:
        items = api_get(live_unisono, token, timeline)["items"]
        item: dict[str, Any] = next(i for i in items if i["id"] == reply_id)
        return item if item["delivery_status"] == "sent" else None

    sent = eventually(sent_reply)
    calls = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()
    assert calls[-1]["provider"] == "x"
    assert calls[-1]["recipient"] == "1184562396"
    assert calls[-1]["payload"] == {"text": "Gentile signora, verifichiamo subito"}
    assert sent["external_id"] == calls[-1]["id"]
    # A snowflake: 19 digits today.
    assert calls[-1]["id"].isdigit()
    assert len(calls[-1]["id"]) >= 18

    # X echoes the brand's DM to the webhook; it is recognised and left out.
    def echo_ignored() -> bool:
        return any(
            d.summary and d.summary["ignored"] == ["direct_message_events:sent_by_account"]
            for d in rows(session, WebhookDelivery)
        )

    eventually(echo_ignored)
    inbound = [i for i in rows(session, Interaction) if i.direction == "inbound"]
    assert len(inbound) == 1


def test_an_injected_mention_arrives_public_and_whole(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = make_channel(
        "x", credentials=CREDENTIALS, settings={**SETTINGS, "api_base_url": sandbox}
    )
    text = "da ieri sera niente luce in via Toledo, " + "sapete qualcosa? " * 8
    injected = httpx.post(
        f"{sandbox}/_sandbox/x/{channel.id}/mentions",
        json={
            "sender_id": "972183645",
            "name": "Giovanni Esposito",
            "screen_name": "gioesposito",
            "text": text,
            "in_reply_to_status_id": "2028344549177479175",
        },
        timeout=10,
    ).json()
    assert injected["unisono_status"] == 200

    def mention() -> Interaction | None:
        found = [i for i in rows(session, Interaction) if i.external_id == injected["id"]]
        return found[0] if found else None

    interaction = eventually(mention)
    assert interaction.text == f"@EnergiaChiara {text}".strip()
    assert interaction.meta["visibility"] == "public"
    assert interaction.meta["replies_to"] == ["2028344549177479175"]


def test_the_sandbox_checks_the_crc_answer_and_needs_the_account_setting(
    live_unisono: str, sandbox: str, make_channel: MakeChannel
) -> None:
    channel = make_channel("x", credentials=CREDENTIALS, settings=SETTINGS)
    crc = httpx.post(f"{sandbox}/_sandbox/x/{channel.id}/crc", timeout=10).json()
    assert crc == {"valid": True, "unisono_status": 200}
    # The account's own id is required: without it X's deliveries cannot be told apart.
    with pytest.raises(Invalid, match="missing settings for x: user_id"):
        make_channel("x", credentials=CREDENTIALS, name="senza user_id")


def test_the_sandbox_verifies_the_oauth_signature_really(
    sandbox: str, make_channel: MakeChannel
) -> None:
    make_channel("x", credentials=CREDENTIALS, settings=SETTINGS)
    good = OAuth1Credentials(
        CREDENTIALS["consumer_key"],
        CONSUMER_SECRET,
        CREDENTIALS["access_token"],
        CREDENTIALS["access_token_secret"],
    )
    url = f"{sandbox}/2/dm_conversations/with/1184562396/messages"

    def post(target: str, header: str) -> httpx.Response:
        return httpx.post(
            target, json={"text": "Ciao"}, headers={"Authorization": header}, timeout=10
        )

    header = authorization_header(good, "POST", url)
    accepted = post(url, header)
    assert accepted.status_code == 201, accepted.text
    data = accepted.json()["data"]
    assert data["dm_event_id"].isdigit()
    assert data["dm_conversation_id"] == f"1184562396-{BRAND}"
    # The same signed request again is a replay.
    assert post(url, header).status_code == 401
    # Signed for one recipient, sent to another.
    other = f"{sandbox}/2/dm_conversations/with/972183645/messages"
    assert post(other, authorization_header(good, "POST", url)).status_code == 401
    wrong_secret = dataclasses.replace(good, token_secret="not-the-secret")
    refused = post(url, authorization_header(wrong_secret, "POST", url))
    assert refused.status_code == 401
    assert refused.json()["title"] == "Unauthorized"
    stale = authorization_header(good, "POST", url, timestamp=int(time.time()) - 3600)
    assert post(url, stale).status_code == 401
    assert post(url, "Bearer AAAA").status_code == 401


def test_sends_through_the_sandbox_map_to_the_error_vocabulary(
    sandbox: str, make_channel: MakeChannel
) -> None:
    channel = make_channel(
        "x", credentials=CREDENTIALS, settings={**SETTINGS, "api_base_url": sandbox}
    )
    config = channel_config(channel)
    connection = provider_for("x").connect(config)
    result = connection.send(OutboundMessage(recipient="1184562396", text="Ciao Maria"))
    assert result.status == DeliveryStatus.SENT
    assert result.external_id.isdigit()
    with pytest.raises(RateLimited):
        connection.send(OutboundMessage(recipient="1184560429", text="Ciao"))
    with pytest.raises(Unreachable):
        connection.send(OutboundMessage(recipient="1184560500", text="Ciao"))
    with pytest.raises(ChannelError, match="not permitted to send messages") as refused:
        connection.send(OutboundMessage(recipient="1184560403", text="Ciao"))
    assert not refused.value.transient
    forged = dataclasses.replace(
        config, credentials={**config.credentials, "consumer_secret": "forged"}
    )
    with pytest.raises(Unauthorized, match="401"):
        provider_for("x").connect(forged).send(OutboundMessage(recipient="1184562396", text="x"))


def test_a_dm_photo_is_fetched_with_the_accounts_signature_and_downloadable(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = make_channel(
        "x", credentials=CREDENTIALS, settings={**SETTINGS, "api_base_url": sandbox}
    )
    token = do_create_token(session, operator)
    session.commit()
    injected = httpx.post(
        f"{sandbox}/_sandbox/x/{channel.id}/dms",
        json={"sender_id": "1184562396", "text": "Ecco il contatore", "photo": True},
        timeout=10,
    ).json()
    assert injected["unisono_status"] == 200

    def stored() -> Attachment | None:
        found = [a for a in rows(session, Attachment) if a.status == AttachmentStatus.STORED]
        return found[0] if found else None

    photo = eventually(stored)
    assert photo.content_type == "image/jpeg"
    (interaction,) = rows(session, Interaction)
    assert interaction.text == "Ecco il contatore"
    downloaded = httpx.get(
        f"{live_unisono}/api/v1/attachments/{photo.id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert downloaded.status_code == 200
    assert b"foto del contatore" in downloaded.content
    # Unsigned, the sandbox (like ton.twitter.com) gives the photo to nobody.
    assert httpx.get(str(photo.source_url), timeout=10).status_code == 401
