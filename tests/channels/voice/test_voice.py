"""Voice through Twilio: one timeline interaction per call, its end and its recording.

Fixtures are form bodies shaped as Twilio documents them:
- the incoming call: https://www.twilio.com/docs/usage/webhooks/voice-webhooks
- the call's status callback: https://www.twilio.com/docs/voice/api/call-resource#statuscallback
- the recording status callback:
  https://www.twilio.com/docs/voice/api/recording#recordingstatuscallback and
  https://www.twilio.com/docs/voice/twiml/recording (``<Start><Recording>``)
- recordings as MP3: https://www.twilio.com/docs/voice/api/recording#fetch-a-recording-media-file
- signatures: https://www.twilio.com/docs/usage/security#validating-requests
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel, eventually
from tests.channels.sms.twilio_fixtures import (
    ACCOUNT_SID,
    BUSINESS_NUMBER,
    CREDENTIALS,
    TEST_SERVER,
    config_of,
    post_webhook,
    read_fixture,
    request_of,
    rows,
    signed,
    with_fields,
)
from unisono.channels.base import InboundMessage, MediaRef
from unisono.channels.errors import MalformedPayload, Rejected, Unauthorized
from unisono.channels.registry import provider_for
from unisono.channels.twilio.webhooks import Form
from unisono.channels.voice.inbound import (
    INCOMING_CALL,
    MISSED_CALL,
    InteractionUpdate,
    read_call_event,
)
from unisono.channels.voice.twiml import answer_call
from unisono.models import (
    Attachment,
    AttachmentStatus,
    Channel,
    Interaction,
    Operator,
    WebhookDelivery,
    WebhookStatus,
)
from unisono.security.operators import do_create_token

HERE = Path(__file__).parent
CALL = "CA5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a"
RECORDING = "RE0a1b2c3d4e5f60718293a4b5c6d7e8f9"
NOW = datetime(2026, 3, 2, 8, 10, 30, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return read_fixture(HERE, name)


def event(body: bytes) -> Any:
    return read_call_event(Form(request_of(body).form()), NOW)


def parse(body: bytes, **settings: Any) -> Any:
    return provider_for("voice").connect(config_of("voice", **settings)).parse(request_of(body))


@pytest.fixture
def channel(make_channel: MakeChannel) -> Channel:
    return make_channel("voice", credentials=CREDENTIALS)


# -- reading the three webhooks ---------------------------------------------------------------


def test_an_incoming_call_becomes_one_interaction_named_by_its_callsid() -> None:
    call = event(fixture("incoming_call.form"))
    assert isinstance(call, InboundMessage)
    assert call.external_id == CALL
    assert (call.identity_kind, call.identity_value) == ("phone", "+393331234567")
    assert call.text == INCOMING_CALL
    assert call.occurred_at == NOW
    assert call.metadata == {
        "call_status": "ringing",
        "direction": "inbound",
        "to": BUSINESS_NUMBER,
        "from_country": "IT",
    }


def test_the_end_of_the_call_updates_it_with_status_and_duration() -> None:
    ended = event(fixture("call_completed.form"))
    assert isinstance(ended, InteractionUpdate)
    assert ended.external_id == CALL
    assert ended.metadata == {
        "call_status": "completed",
        "duration_seconds": 372,
        "ended_at": "2026-03-02T08:16:42+00:00",
    }
    assert ended.text is None
    assert ended.media == ()
    # Should the start never have reached us, the call appears whole, when it started.
    assert ended.fallback is not None
    assert ended.fallback.external_id == CALL
    assert ended.fallback.occurred_at.isoformat() == "2026-03-02T08:10:30+00:00"
    assert ended.fallback.metadata["duration_seconds"] == 372
    assert ended.fallback.text == INCOMING_CALL


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_a_call_that_never_connected_is_a_missed_call(status: str) -> None:
    ended = event(with_fields(fixture("call_completed.form"), CallStatus=status, CallDuration="0"))
    assert ended.text == MISSED_CALL
    assert ended.metadata["call_status"] == status
    assert ended.fallback.text == MISSED_CALL


def test_the_recording_becomes_an_mp3_attachment_of_the_call() -> None:
    recorded = event(fixture("recording_completed.form"))
    assert isinstance(recorded, InteractionUpdate)
    assert recorded.external_id == CALL
    (ref,) = recorded.media
    assert ref == MediaRef(
        content_type="audio/mpeg",
        provider_id=RECORDING,
        url=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}.mp3",
        filename=f"recording-{RECORDING}.mp3",
    )
    assert recorded.metadata == {
        "recording_sid": RECORDING,
        "recording_status": "completed",
        "recording_duration_seconds": 355,
        "recording_channels": 1,
    }
    # A recording names no caller: it can only add to a call already on the timeline.
    assert recorded.fallback is None


def test_an_absent_recording_says_why_and_carries_no_file() -> None:
    body = with_fields(
        fixture("recording_completed.form"), RecordingStatus="absent", ErrorCode="16101"
    )
    recorded = event(body)
    assert recorded.media == ()
    assert recorded.metadata["recording_error"] == "16101 Recording too short"


def test_a_call_recorded_through_the_api_reports_its_recording_with_its_end() -> None:
    body = with_fields(
        fixture("call_completed.form"),
        RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE1",
        RecordingSid="RE1",
        RecordingDuration="360",
    )
    ended = event(body)
    assert [m.url for m in ended.media] == [
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE1.mp3"
    ]
    assert ended.fallback.media == ended.media


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"Direction": "outbound-api"}, "call:outbound-api"),
        ({"Direction": "outbound-dial"}, "call:outbound-dial"),
        ({"From": "anonymous", "Caller": "anonymous"}, "call:no-caller-id"),
        ({"From": "client:anna"}, "call:no-caller-id"),
        ({"CallStatus": "answered-elsewhere"}, "call:answered-elsewhere"),
    ],
)
def test_calls_that_are_not_a_customer_calling_in_are_ignored(
    changes: dict[str, str], reason: str
) -> None:
    assert event(with_fields(fixture("incoming_call.form"), **changes)) == reason


@pytest.mark.parametrize("status", ["in-progress", "paused"])
def test_a_recording_still_in_progress_is_ignored(status: str) -> None:
    body = with_fields(fixture("recording_completed.form"), RecordingStatus=status)
    assert event(body) == f"recording:{status}"


@pytest.mark.parametrize(
    "timestamp", ["", "ieri", "Mon, 01 Jan 1850 00:00:00 +1400", "Fri, 31 Dec 9999 23:59:59 -1200"]
)
def test_an_unreadable_end_time_is_taken_as_the_time_of_receipt(timestamp: str) -> None:
    body = with_fields(fixture("call_completed.form"), Timestamp=timestamp, CallDuration="99999999")
    ended = event(body)
    assert ended.occurred_at == NOW
    assert ended.metadata["duration_seconds"] == 99999999


def test_the_start_is_a_message_the_end_and_the_recording_are_updates() -> None:
    started = parse(fixture("incoming_call.form"))
    assert [m.external_id for m in started.messages] == [CALL]
    for name in ("call_completed.form", "recording_completed.form"):
        parsed = parse(fixture(name))
        assert parsed.messages == ()
        assert [u.external_id for u in parsed.updates] == [CALL]


def test_unknown_and_odd_fields_are_tolerated() -> None:
    body = with_fields(
        fixture("incoming_call.form"),
        CallToken="%7B%22parentCallInfoToken%22%3A%22eyJ%22%7D",
        StirVerstat="TN-Validation-Passed-A",
        ParentCallSid="",
        **{"Future[Field]": "x"},
    )
    assert isinstance(event(body), InboundMessage)


def test_a_delivery_for_another_account_is_malformed_not_forged() -> None:
    body = with_fields(fixture("incoming_call.form"), AccountSid="AC" + "1" * 32)
    with pytest.raises(MalformedPayload, match="not this channel's account"):
        parse(body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"CallSid=CA1&&CallStatus=ringing",
        with_fields(fixture("incoming_call.form"), CallSid=None),
        with_fields(fixture("incoming_call.form"), CallStatus=None),
        with_fields(fixture("recording_completed.form"), RecordingUrl=None),
        with_fields(fixture("recording_completed.form"), RecordingUrl="ftp://x/y"),
        with_fields(fixture("recording_completed.form"), RecordingSid=""),
        fixture("incoming_call.form") + b"&CallSid=CA2",
    ],
)
def test_malformed_bodies_are_refused_clearly(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        parse(body)


FIELDS = [
    "AccountSid",
    "CallSid",
    "CallStatus",
    "Direction",
    "From",
    "To",
    "CallDuration",
    "Timestamp",
    "RecordingSid",
    "RecordingUrl",
    "RecordingStatus",
    "RecordingDuration",
    "RecordingChannels",
    "RecordingStartTime",
    "ErrorCode",
]
VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            *(ACCOUNT_SID, "+393331234567", "ringing", "completed", "busy", "in-progress"),
            *("absent", "inbound", "outbound-api", "-1", "42", "99999999999999999999"),
            *("https://api.twilio.com/x", "Mon, 02 Mar 2026 08:16:42 +0000", "Mon, 99 Foo"),
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(FIELDS) | st.text(max_size=5), VALUES), max_size=12),
    st.binary(max_size=40),
)
def test_arbitrary_form_data_never_fails_except_as_malformed(
    pairs: list[tuple[str, str]], raw: bytes
) -> None:
    for body in (urlencode(pairs).encode(), raw):
        with contextlib.suppress(MalformedPayload):
            parse(body)


# -- the answer to a ringing phone ------------------------------------------------------------


def test_by_default_the_caller_leaves_a_recorded_message_without_a_record_loop() -> None:
    config = config_of("voice")
    twiml = answer_call(config)
    assert twiml.startswith(
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="it-IT">'
    )
    assert "la chiamata viene registrata" in twiml
    assert (
        f'<Start><Recording recordingStatusCallback="/webhooks/voice/{config.id}" '
        'recordingStatusCallbackEvent="completed absent" track="inbound" channels="mono"/></Start>'
    ) in twiml
    assert '<Pause length="120"/>' in twiml
    assert twiml.endswith("<Hangup/></Response>")
    # <Record> would fetch its action URL, by default this same URL, and start over.
    assert "<Record " not in twiml


def test_forwarding_to_the_contact_centre_records_both_parties() -> None:
    public = "https://unisono.energiachiara.it/webhooks/voice/1"
    twiml = answer_call(config_of("voice", forward_to="+390298765432", webhook_url=public))
    assert (
        f'<Dial record="record-from-answer-dual" recordingStatusCallback="{public}" '
        'recordingStatusCallbackEvent="completed absent"><Number>+390298765432</Number></Dial>'
    ) in twiml
    sip = answer_call(config_of("voice", forward_to="sip:coda@pbx.energiachiara.it"))
    assert "<Sip>sip:coda@pbx.energiachiara.it</Sip>" in sip
    unrecorded = answer_call(config_of("voice", forward_to="+390298765432", record=False))
    assert "<Dial><Number>+390298765432</Number></Dial>" in unrecorded
    assert "Recording" not in unrecorded
    assert "<Say" not in unrecorded


def test_settings_shape_the_answer_safely() -> None:
    twiml = answer_call(
        config_of(
            "voice",
            greeting='Benvenuti <in> "Energia Chiara" & co.',
            voice_language="en-GB",
            max_message_seconds=9999,
        )
    )
    assert (
        '<Say language="en-GB">Benvenuti &lt;in&gt; &quot;Energia Chiara&quot; &amp; co.</Say>'
        in twiml
    )
    assert '<Pause length="600"/>' in twiml
    # A forward_to typo must not break the answer to a ringing phone: voice message instead.
    assert "<Start><Recording" in answer_call(config_of("voice", forward_to="02 9876"))
    logged = answer_call(config_of("voice", record=False))
    assert "Recording" not in logged
    assert logged.endswith("<Hangup/></Response>")


# -- the webhook endpoint -------------------------------------------------------------------


def test_a_ringing_call_is_answered_with_twiml_then_put_on_the_timeline(
    client: TestClient, app: Any, channel: Channel, session: Session
) -> None:
    response = post_webhook(client, channel, fixture("incoming_call.form"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert f'recordingStatusCallback="/webhooks/voice/{channel.id}"' in response.text
    app.state.worker.drain()
    (call,) = rows(session, Interaction)
    assert (call.channel, call.channel_id, call.external_id) == ("voice", channel.id, CALL)
    assert call.text == INCOMING_CALL
    assert call.meta["call_status"] == "ringing"


def test_a_call_only_reported_at_its_end_still_lands_whole(
    client: TestClient, app: Any, channel: Channel, session: Session
) -> None:
    # The company's IVR answers the calls: only the status callback is sent to Unisono.
    assert post_webhook(client, channel, fixture("call_completed.form")).status_code == 200
    app.state.worker.drain()
    (call,) = rows(session, Interaction)
    assert call.external_id == CALL
    assert call.meta["call_status"] == "completed"
    assert call.meta["duration_seconds"] == 372
    assert call.occurred_at.isoformat() == "2026-03-02T08:10:30+00:00"


def test_one_call_one_interaction_updated_by_its_end_and_recording(
    client: TestClient, app: Any, channel: Channel, session: Session
) -> None:
    for name in ("incoming_call.form", "call_completed.form", "recording_completed.form"):
        assert post_webhook(client, channel, fixture(name)).status_code == 200
    app.state.worker.drain()
    (call,) = rows(session, Interaction)
    assert call.meta["call_status"] == "completed"
    assert call.meta["duration_seconds"] == 372
    assert call.meta["recording_sid"] == RECORDING
    (recording,) = rows(session, Attachment)
    assert recording.interaction_id == call.id
    assert recording.content_type == "audio/mpeg"
    assert recording.source_url.endswith(f"{RECORDING}.mp3")
    # Twilio retries: the same recording callback again adds no second attachment.
    post_webhook(client, channel, fixture("recording_completed.form"))
    app.state.worker.drain()
    assert len(rows(session, Attachment)) == 1


def test_a_public_webhook_url_behind_a_proxy_is_what_is_verified_and_handed_out(
    client: TestClient, make_channel: MakeChannel, session: Session
) -> None:
    public = "https://unisono.energiachiara.it/webhooks/voice/centralino"
    channel = make_channel("voice", credentials=CREDENTIALS, settings={"webhook_url": public})
    body = fixture("incoming_call.form")
    answered = post_webhook(client, channel, body, signed_url=public)
    assert answered.status_code == 200
    assert f'recordingStatusCallback="{public}"' in answered.text
    assert post_webhook(client, channel, body).status_code == 401
    assert len(rows(session, WebhookDelivery)) == 1


@pytest.mark.parametrize("problem", ["missing", "wrong-token", "tampered"])
def test_a_bad_signature_is_401_and_stores_nothing(
    client: TestClient, channel: Channel, session: Session, problem: str
) -> None:
    path = f"/webhooks/voice/{channel.id}"
    body = fixture("call_completed.form")
    headers = {
        "missing": {"Content-Type": "application/x-www-form-urlencoded"},
        "wrong-token": signed(body, TEST_SERVER + path, token="another-account-token"),
        "tampered": signed(
            body.replace(b"CallDuration=372", b"CallDuration=1"), TEST_SERVER + path
        ),
    }[problem]
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 401
    assert rows(session, WebhookDelivery) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            with_fields(fixture("incoming_call.form"), AccountSid="AC" + "1" * 32),
            "not this channel's account",
        ),
        (with_fields(fixture("incoming_call.form"), CallSid=None), "CallSid is missing"),
        (b"CallSid=CA1&&CallStatus=ringing", "not a form"),
    ],
)
def test_a_malformed_body_from_twilio_is_400_and_kept_for_inspection(
    client: TestClient, channel: Channel, session: Session, body: bytes, reason: str
) -> None:
    response = post_webhook(client, channel, body)
    assert response.status_code == 400
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.INVALID
    assert reason in (delivery.error or "")


# -- a whole call through the sandbox -------------------------------------------------------


def sandbox_call(sandbox: str, channel: Channel, **call: Any) -> dict[str, Any]:
    answer = httpx.post(
        f"{sandbox}/_sandbox/voice/{channel.id}/calls",
        json={"from": "+393331234567", "duration": 42, "record": True, **call},
        timeout=20,
    ).json()
    assert answer["unisono_statuses"] == [200] * len(answer["unisono_statuses"]), answer
    return answer


def test_a_call_through_the_sandbox_lands_once_and_its_recording_is_fetchable(
    live_unisono: str, sandbox: str, make_channel: MakeChannel, session: Session
) -> None:
    channel = make_channel("voice", credentials=CREDENTIALS, settings={"api_base_url": sandbox})
    answer = sandbox_call(sandbox, channel)
    assert len(answer["unisono_statuses"]) == 3  # ringing, completed, recording
    assert "<Start><Recording" in answer["twiml"]

    def processed() -> list[Any]:
        found = rows(session, WebhookDelivery)
        done = [d for d in found if d.status == WebhookStatus.PROCESSED]
        return found if len(found) == 3 and len(done) == 3 else []

    eventually(processed)
    (call,) = rows(session, Interaction)
    assert (call.channel, call.external_id) == ("voice", answer["call_sid"])
    # The recording's bytes are where Twilio serves them, with the account's credentials.
    connection = provider_for("voice").connect(config_of("voice", api_base_url=sandbox))
    url = f"{sandbox}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{answer['recording_sid']}"
    data, content_type = connection.fetch_media(MediaRef("audio/mpeg", url=url + ".mp3"))
    assert content_type == "audio/mpeg"
    assert data.startswith(b"ID3")
    assert answer["call_sid"].encode() in data
    # Asked without the extension, Twilio serves WAV: why the adapter appends ".mp3".
    wav, wav_type = connection.fetch_media(MediaRef("audio/x-wav", url=url))
    assert (wav[:4], wav_type) == (b"RIFF", "audio/x-wav")
    with pytest.raises(Rejected, match="not on the Twilio API"):
        connection.fetch_media(MediaRef("audio/mpeg", url="https://elsewhere.example/r.mp3"))
    anonymous = provider_for("voice").connect(
        config_of("voice", credentials={"auth_token": "nope"}, api_base_url=sandbox)
    )
    with pytest.raises(Unauthorized):
        anonymous.fetch_media(MediaRef("audio/mpeg", url=url + ".mp3"))


def test_a_recorded_call_has_its_duration_and_a_downloadable_recording(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = make_channel("voice", credentials=CREDENTIALS, settings={"api_base_url": sandbox})
    token = do_create_token(session, operator)
    session.commit()
    answer = sandbox_call(sandbox, channel, duration=95)

    def recorded() -> list[Any]:
        found = rows(session, Attachment)
        return found if found and found[0].status == AttachmentStatus.STORED else []

    (recording,) = eventually(recorded)
    (call,) = rows(session, Interaction)
    assert call.meta["duration_seconds"] == 95
    assert call.meta["call_status"] == "completed"
    assert recording.interaction_id == call.id
    downloaded = httpx.get(
        f"{live_unisono}/api/v1/attachments/{recording.id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "audio/mpeg"
    assert answer["call_sid"].encode() in downloaded.content
