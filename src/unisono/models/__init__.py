"""The SQLAlchemy models, one module per aggregate; import them from here."""

from unisono.models.attachment import Attachment, AttachmentStatus
from unisono.models.audit import AuditEvent
from unisono.models.base import Base
from unisono.models.canned import CannedResponse
from unisono.models.channel import Channel, ChannelKind
from unisono.models.consent import Consent
from unisono.models.conversation import ACTIVE_STATUSES, Conversation, ConversationStatus, Priority
from unisono.models.customer import Customer, CustomerMerge, Identity, ProfileChange
from unisono.models.delivery import DeliveryAttempt
from unisono.models.interaction import Author, DeliveryStatus, Direction, Interaction
from unisono.models.mention import Mention
from unisono.models.operator import ApiToken, Operator, Role, Team
from unisono.models.subscription import EventDelivery, EventDeliveryStatus, WebhookSubscription
from unisono.models.template import (
    ContentBlock,
    ContentBlockVersion,
    StudioEvent,
    Template,
    TemplateVersion,
    VersionStatus,
)
from unisono.models.webhook import WebhookDelivery, WebhookStatus

__all__ = [
    "ACTIVE_STATUSES",
    "ApiToken",
    "Attachment",
    "AttachmentStatus",
    "AuditEvent",
    "Author",
    "Base",
    "CannedResponse",
    "Channel",
    "ChannelKind",
    "Consent",
    "ContentBlock",
    "ContentBlockVersion",
    "Conversation",
    "ConversationStatus",
    "Customer",
    "CustomerMerge",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Direction",
    "EventDelivery",
    "EventDeliveryStatus",
    "Identity",
    "Interaction",
    "Mention",
    "Operator",
    "Priority",
    "ProfileChange",
    "Role",
    "StudioEvent",
    "Team",
    "Template",
    "TemplateVersion",
    "VersionStatus",
    "WebhookDelivery",
    "WebhookStatus",
    "WebhookSubscription",
]
