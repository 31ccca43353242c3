"""API shapes: what comes in (``*Create``, ``*Update``) and what goes out (``*Out``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from unisono.models import (
    Attachment,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerMerge,
    DeliveryStatus,
    Direction,
    Identity,
    Interaction,
    Priority,
    ProfileChange,
)

T = TypeVar("T")


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


class StrictIn(BaseModel):
    """A request body: unknown fields and NUL characters (which PostgreSQL cannot store) refused."""

    model_config = ConfigDict(extra="forbid", str_max_length=100_000)

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        if _contains_nul(data):
            raise ValueError("text must not contain NUL (\\u0000) characters")
        return data


class IdentityIn(StrictIn):
    kind: str = Field(min_length=1, max_length=32, examples=["phone"])
    value: str = Field(min_length=1, max_length=320, examples=["333 123 4567"])


class InteractionCreate(StrictIn):
    channel: str = Field(min_length=1, max_length=32, examples=["whatsapp"])
    identity: IdentityIn
    direction: Direction = Field(examples=["inbound"])
    text: str = Field(default="", max_length=100_000)
    occurred_at: AwareDatetime
    external_id: str | None = Field(default=None, min_length=1, max_length=255)
    customer_name: str | None = Field(default=None, max_length=300)
    metadata: dict[str, Any] = Field(default_factory=dict)


class IdentityOut(BaseModel):
    id: uuid.UUID
    kind: str
    value: str
    raw_value: str
    verified: bool
    label: str | None
    created_at: datetime

    @classmethod
    def of(cls, identity: Identity) -> IdentityOut:
        return cls(
            id=identity.id,
            kind=identity.kind,
            value=identity.value,
            raw_value=identity.raw_value,
            verified=identity.verified,
            label=identity.label,
            created_at=identity.created_at,
        )


class AttachmentOut(BaseModel):
    id: uuid.UUID
    status: str
    content_type: str
    filename: str | None
    caption: str | None
    size: int | None
    sha256: str | None
    error: str | None
    download_path: str

    @classmethod
    def of(cls, a: Attachment) -> AttachmentOut:
        return cls(
            id=a.id,
            status=a.status.value,
            content_type=a.content_type,
            filename=a.filename,
            caption=a.caption,
            size=a.size,
            sha256=a.sha256,
            error=a.error,
            download_path=f"/api/v1/attachments/{a.id}",
        )


class InteractionOut(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    conversation_id: uuid.UUID | None
    channel: str
    direction: str
    author: str
    operator_id: uuid.UUID | None
    text: str
    occurred_at: datetime
    external_id: str | None
    delivery_status: DeliveryStatus | None
    delivery_error: str | None
    metadata: dict[str, Any]
    attachments: list[AttachmentOut]
    created_at: datetime

    @classmethod
    def of(cls, i: Interaction) -> InteractionOut:
        return cls(
            id=i.id,
            customer_id=i.customer_id,
            conversation_id=i.conversation_id,
            channel=i.channel,
            direction=i.direction.value,
            author=i.author.value,
            operator_id=i.operator_id,
            text=i.text,
            occurred_at=i.occurred_at,
            external_id=i.external_id,
            delivery_status=i.delivery_status,
            delivery_error=i.delivery_error,
            metadata=i.meta or {},
            attachments=[AttachmentOut.of(a) for a in i.attachments],
            created_at=i.created_at,
        )


class CustomerSummaryOut(BaseModel):
    id: uuid.UUID
    display_name: str
    vulnerable: bool
    merged_into_id: uuid.UUID | None

    @classmethod
    def of(cls, c: Customer) -> CustomerSummaryOut:
        return cls(
            id=c.id,
            display_name=c.display_name,
            vulnerable=c.vulnerable,
            merged_into_id=c.merged_into_id,
        )


class CustomerOut(CustomerSummaryOut):
    given_name: str | None
    family_name: str | None
    language: str | None
    preferred_channel: str | None
    attributes: dict[str, Any]
    segments: list[str]
    identities: list[IdentityOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(
            id=c.id,
            display_name=c.display_name,
            vulnerable=c.vulnerable,
            merged_into_id=c.merged_into_id,
            given_name=c.given_name,
            family_name=c.family_name,
            language=c.language,
            preferred_channel=c.preferred_channel,
            attributes=c.attributes or {},
            segments=c.segments or [],
            identities=[IdentityOut.of(i) for i in c.identities],
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class CustomerUpdate(StrictIn):
    display_name: str | None = Field(default=None, max_length=200)
    given_name: str | None = Field(default=None, max_length=200)
    family_name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=10)
    preferred_channel: str | None = Field(default=None, max_length=32)
    vulnerable: bool | None = None
    segments: list[str] | None = None
    attributes: dict[str, Any] | None = Field(
        default=None, description="Merge patch: a key set to null is removed."
    )


class ProfileChangeOut(BaseModel):
    id: uuid.UUID
    field: str
    old_value: Any
    new_value: Any
    operator_id: uuid.UUID | None
    source: str
    created_at: datetime

    @classmethod
    def of(cls, c: ProfileChange) -> ProfileChangeOut:
        return cls(
            id=c.id,
            field=c.field,
            old_value=c.old_value,
            new_value=c.new_value,
            operator_id=c.operator_id,
            source=c.source,
            created_at=c.created_at,
        )


class IdentityCreate(StrictIn):
    kind: str = Field(min_length=1, max_length=32)
    value: str = Field(min_length=1, max_length=320)
    label: str | None = Field(default=None, max_length=100)
    verified: bool = False


class MergeCreate(StrictIn):
    other_id: uuid.UUID


class MergeOut(BaseModel):
    id: uuid.UUID
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    operator_id: uuid.UUID | None
    moved: dict[str, list[str]]
    created_at: datetime
    undone_at: datetime | None

    @classmethod
    def of(cls, m: CustomerMerge) -> MergeOut:
        return cls(
            id=m.id,
            survivor_id=m.survivor_id,
            merged_id=m.merged_id,
            operator_id=m.operator_id,
            moved=m.moved,
            created_at=m.created_at,
            undone_at=m.undone_at,
        )


class ConversationOut(BaseModel):
    id: uuid.UUID
    customer: CustomerSummaryOut
    status: ConversationStatus
    priority: Priority
    assignee_id: uuid.UUID | None
    team_id: uuid.UUID | None
    labels: list[str]
    subject: str
    channels: list[str]
    last_message: InteractionOut | None
    last_activity_at: datetime
    waiting_since: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime

    @classmethod
    def of(
        cls, c: Conversation, customer: Customer, channels: list[str], last: Interaction | None
    ) -> ConversationOut:
        return cls(
            id=c.id,
            customer=CustomerSummaryOut.of(customer),
            status=c.status,
            priority=c.priority,
            assignee_id=c.assignee_id,
            team_id=c.team_id,
            labels=c.labels or [],
            subject=c.subject,
            channels=channels,
            last_message=InteractionOut.of(last) if last else None,
            last_activity_at=c.last_activity_at,
            waiting_since=c.waiting_since,
            first_response_at=c.first_response_at,
            resolved_at=c.resolved_at,
            created_at=c.created_at,
        )


class ConversationDetailOut(ConversationOut):
    interactions: list[InteractionOut]


class ConversationUpdate(StrictIn):
    status: ConversationStatus | None = None
    priority: Priority | None = None
    assignee_id: uuid.UUID | None = Field(default=None, description="null unassigns")
    team: str | None = Field(default=None, description="team id or slug; null removes")
    labels: list[str] | None = None


class MessageCreate(StrictIn):
    text: str | None = Field(default=None, min_length=1, max_length=100_000)
    template_id: uuid.UUID | None = Field(
        default=None,
        description="instead of text: send this template's approved version, rendered for the "
        "customer",
    )
    channel: str | None = Field(
        default=None, description="default: the channel the customer last wrote on"
    )

    @model_validator(mode="after")
    def _text_or_template(self) -> MessageCreate:
        if (self.text is None) == (self.template_id is None):
            raise ValueError("give either text or template_id")
        return self


class NoteCreate(StrictIn):
    text: str = Field(min_length=1, max_length=100_000)


class SearchHitOut(BaseModel):
    interaction: InteractionOut
    customer: CustomerSummaryOut
    rank: float


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None
