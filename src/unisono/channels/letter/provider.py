"""The letter provider: an operator's reply by post, recorded as handed to the print house.

Nothing is called: no print house API is integrated yet. ``send`` gives the letter an id
(``LET-…``, the reference to quote to the print house and on the envelope) and reports it
``sent``, which for paper means "left our hands". Rendering the letter as a PDF on the company's
letterhead comes with the template studio; until then the print house receives the reply's text.
Letters arrive as scans uploaded by operators (``POST /api/v1/customers/{id}/letters``, see
``inbox.offline``), never by webhook, so ``verify`` refuses every request.
"""

from __future__ import annotations

from typing import ClassVar

from unisono.channels.base import (
    Capability,
    ChannelConfig,
    Connection,
    OutboundMessage,
    ParsedDelivery,
    Provider,
    SendResult,
    WebhookRequest,
)
from unisono.channels.errors import SignatureInvalid
from unisono.channels.registry import register
from unisono.ids import uuid7
from unisono.models import DeliveryStatus


def letter_id() -> str:
    """A new letter reference: time-ordered, so print-house batches sort by hand-over time."""
    return f"LET-{uuid7().hex.upper()}"


class LetterConnection(Connection):
    def verify(self, request: WebhookRequest) -> None:
        raise SignatureInvalid(
            "letters do not arrive by webhook: upload the scan with "
            "POST /api/v1/customers/{id}/letters"
        )

    def parse(self, request: WebhookRequest) -> ParsedDelivery:
        return ParsedDelivery()

    def send(self, message: OutboundMessage) -> SendResult:
        return SendResult(external_id=letter_id(), status=DeliveryStatus.SENT)


class LetterProvider(Provider):
    kind = "letter"
    display_name = "Letter (print house)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.SEND_TEXT})
    # A letter goes to the customer's postal address, not to an identity handle. Declared for
    # the sender, which today still fails a queued send whose customer has no identity on it.
    needs_recipient: ClassVar[bool] = False

    def connect(self, config: ChannelConfig) -> Connection:
        return LetterConnection(config)


register(LetterProvider())
