"""The app provider descriptor and its connection to one app backend.

Channel configuration:

- credential ``app_key`` (required): the shared key both sides sign with;
- credential ``fcm_access_token`` (optional): an OAuth 2 access token for FCM;
- setting ``app_backend_url`` (required): where in-app messages are posted;
- setting ``fcm_project_id`` (optional): the Firebase project that pushes go through;
- setting ``api_base_url`` (optional): FCM's address, for the sandbox;
- setting ``push_title`` (optional): the notification title (default: the channel's name).

Limits, on purpose for now:

- Unisono pushes only when the outbound message carries a ``device_token`` in its metadata.
  Operator replies carry none: Unisono does not keep device tokens (they would be one more copy
  of personal data to erase), and the app backend, which knows the user's devices, notifies
  them when it receives the in-app message.
- FCM access tokens expire after an hour and channel credentials cannot be updated yet, so a
  stored ``fcm_access_token`` suits the sandbox and trials. Production pushes need Unisono to
  mint tokens from a service-account key (signed JWT exchanged for a token): future work.
- A push is best effort: the in-app message is the record. A push that fails is logged and
  does not fail the send, since retrying the send would post the in-app message twice.
- Each try of a send posts a new message ``id``: the sender gives the adapter no stable id yet,
  so a backend that timed out after storing the message may receive it twice.
"""

from __future__ import annotations

import json
import logging
from typing import ClassVar

from unisono.channels.app.inbound import parse_events
from unisono.channels.app.outbound import (
    FCM_API,
    describe_fcm_error,
    fcm_path,
    fcm_payload,
    in_app_payload,
)
from unisono.channels.app.signing import signed_headers, verify_signed
from unisono.channels.base import (
    Capability,
    ChannelConfig,
    Connection,
    MediaRef,
    OutboundMessage,
    ParsedDelivery,
    Provider,
    SendResult,
    WebhookRequest,
)
from unisono.channels.errors import ChannelError, Rejected
from unisono.channels.http import ProviderClient
from unisono.channels.registry import register
from unisono.clock import utcnow
from unisono.ids import uuid7

log = logging.getLogger(__name__)

BACKEND_SETTING = "app_backend_url"
MESSAGES_PATH = "/unisono/messages"


class AppConnection(Connection):
    @property
    def app_key(self) -> str:
        return self.config.credentials.get("app_key", "")

    def verify(self, request: WebhookRequest) -> None:
        verify_signed(self.app_key, request.headers, request.body)

    def parse(self, request: WebhookRequest) -> ParsedDelivery:
        return parse_events(request.json())

    def backend(self) -> ProviderClient:
        url = self.config.settings.get(BACKEND_SETTING)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Rejected(
                f"app channel '{self.config.name}' has no '{BACKEND_SETTING}' setting: set it to "
                "the http(s) address of the app backend"
            )
        return ProviderClient(url)

    def send(self, message: OutboundMessage) -> SendResult:
        backend = self.backend()
        message_id = str(uuid7())
        body = json.dumps(in_app_payload(message, message_id, utcnow())).encode()
        backend.request(
            "POST",
            MESSAGES_PATH,
            content=body,
            headers={"Content-Type": "application/json", **signed_headers(self.app_key, body)},
        )
        self._push(message, message_id)
        return SendResult(external_id=message_id)

    def _push(self, message: OutboundMessage, message_id: str) -> None:
        """Notify the device named in the message's metadata through FCM, if configured."""
        project = self.config.settings.get("fcm_project_id")
        token = self.config.credentials.get("fcm_access_token")
        device = message.metadata.get("device_token")
        if not (isinstance(project, str) and project and token):
            return
        if not isinstance(device, str) or not device:
            return
        title = str(self.config.settings.get("push_title") or self.config.name)
        client = ProviderClient(
            self.config.api_base_url or FCM_API,
            headers={"Authorization": f"Bearer {token}"},
            describe_error=describe_fcm_error,
        )
        payload = fcm_payload(message, device_token=device, message_id=message_id, title=title)
        try:
            client.post_json(fcm_path(project), payload)
        except ChannelError as exc:
            log.warning("push for app message %s failed: %s", message_id, exc.detail)

    def fetch_media(self, ref: MediaRef) -> tuple[bytes, str | None]:
        """An attachment the backend holds, fetched with a GET signed over its URL."""
        if not ref.url or not ref.url.startswith(("http://", "https://")):
            raise Rejected("app media needs its URL")
        headers = signed_headers(self.app_key, ref.url.encode())
        response = ProviderClient(ref.url).request("GET", ref.url, headers=headers)
        return response.content, response.headers.get("content-type")


class AppProvider(Provider):
    kind = "app"
    display_name = "Mobile app (in-app messages, FCM push)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.WEBHOOK,
            Capability.SEND_TEXT,
            Capability.DELIVERY_STATUS,
            Capability.MEDIA,
        }
    )
    credential_keys = ("app_key",)
    optional_credential_keys = ("fcm_access_token",)
    # Operators answer on the app: a channel that could only listen would fail every reply.
    required_settings = (BACKEND_SETTING,)

    def connect(self, config: ChannelConfig) -> Connection:
        return AppConnection(config)


register(AppProvider())
