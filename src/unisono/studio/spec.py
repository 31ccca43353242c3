"""The vocabulary of the communication studio, shared by its models, renderer, linter and API.

A template version holds, per channel variant and per locale, a mapping of field name to
source text (Jinja2, rendered in the sandbox). The fields each variant kind has are listed in
``VARIANT_FIELDS``; a template's data schema declares the variables the sources may use.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Purpose(enum.StrEnum):
    INFORM = "inform"
    EXPLAIN = "explain"
    ADVISE = "advise"
    EDUCATE = "educate"
    ADVERTISE = "advertise"
    PAYMENT_REMINDER = "payment_reminder"
    SERVICE = "service"


class VariantKind(enum.StrEnum):
    """A channel variant of a template (not the same list as channel kinds: a call script is
    read by an agent, a push notification has no inbound side)."""

    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    PUSH = "push"
    IN_APP = "in_app"
    LETTER = "letter"
    CALL_SCRIPT = "call_script"


# The source fields of each variant kind; every value is Jinja2 source text unless noted.
VARIANT_FIELDS: Mapping[VariantKind, tuple[str, ...]] = {
    VariantKind.EMAIL: ("subject", "html", "text"),
    # ``template_name`` and ``category`` (MARKETING, UTILITY, AUTHENTICATION) are plain text as
    # registered with Meta; ``body`` uses Meta's named parameters ``{{first_name}}`` whose
    # values come from ``parameters`` (a JSON object: parameter name -> Jinja2 source);
    # ``buttons`` is a JSON list of {"type": "QUICK_REPLY"|"URL", "text": ..., "url": ...};
    # ``text`` is the free-form message used inside the 24-hour service window.
    VariantKind.WHATSAPP: ("template_name", "category", "body", "parameters", "buttons", "text"),
    VariantKind.SMS: ("text",),
    VariantKind.PUSH: ("title", "body", "deep_link"),
    VariantKind.IN_APP: ("title", "body"),
    # ``html`` is the letter's body; the page frame (header, address window, page numbers)
    # comes from the studio's letter layout.
    VariantKind.LETTER: ("html",),
    VariantKind.CALL_SCRIPT: ("text",),
}

# The channel kinds (``unisono.channels``) a variant can be sent on.
VARIANT_CHANNELS: Mapping[VariantKind, tuple[str, ...]] = {
    VariantKind.EMAIL: ("email",),
    VariantKind.SMS: ("sms",),
    VariantKind.WHATSAPP: ("whatsapp",),
    VariantKind.PUSH: ("app",),
    VariantKind.IN_APP: ("app",),
    VariantKind.LETTER: ("letter",),
    VariantKind.CALL_SCRIPT: ("voice",),
}

SUPPORTED_LOCALES = ("it", "en")
DEFAULT_LOCALE = "it"


class VarType(enum.StrEnum):
    """Types a template's data schema can declare.

    In data (JSON), ``money`` is ``{"amount": "412.30", "currency": "EUR"}`` (amount as a
    decimal string), ``date`` is ``"2026-12-01"``, ``datetime`` is ISO 8601 with an offset,
    ``list`` is a JSON list (of objects or scalars).
    """

    STR = "str"
    INT = "int"
    DECIMAL = "decimal"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    URL = "url"
    LIST = "list"


@dataclass(frozen=True, slots=True)
class VariableSpec:
    """One declared variable: a dotted name such as ``invoice.amount``, its type, a sample."""

    name: str
    type: VarType
    sample: Any = None
    required: bool = True
    description: str = ""


class Severity(enum.StrEnum):
    ERROR = "error"  # blocks submission for review and sending
    WARNING = "warning"  # shown; a reviewer decides
    INFO = "info"


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One lint result. ``message`` is an English msgid with ``%(name)s`` placeholders filled
    from ``params``: the console translates it, the API returns both."""

    code: str
    severity: Severity
    message: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    variant: VariantKind | None = None
    locale: str | None = None
    field: str | None = None

    def text(self, gettext: Callable[[str], str] | None = None) -> str:
        """The message in a language (``gettext``), placeholders filled."""
        template = gettext(self.message) if gettext else self.message
        return template % dict(self.params) if self.params else template


@dataclass(frozen=True, slots=True)
class RenderedVariant:
    """A variant rendered for one customer or for the sample data.

    ``fields`` holds the rendered text per field: email ``subject``/``html`` (CSS inlined)/
    ``text``; sms ``text``; whatsapp ``body`` (parameters substituted, for preview),
    ``template_name``, ``category``, ``text``; push ``title``/``body``/``deep_link``; in-app
    ``title``/``body``; letter ``html`` (the whole page document); call script ``text``.
    ``extra`` carries what is not text: whatsapp ``parameters`` (name -> value) and
    ``buttons``; sms ``encoding``, ``segments``, ``units``; letter ``pdf`` is produced on demand
    by the letter module, not here.
    """

    kind: VariantKind
    locale: str
    fields: Mapping[str, str]
    extra: Mapping[str, Any] = field(default_factory=dict)
