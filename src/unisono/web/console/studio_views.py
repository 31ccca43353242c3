"""What the studio's console pages show: template and block lists, versions with the actions
the viewer may take, the editor's fields, findings, the side-by-side preview, diffs, history.

Built once per request from the studio's services, labels translated and times formatted, so
the templates only lay values out (see ``views`` for the conventions). Which buttons a page
offers follows the workflow's roles (``unisono.studio.workflow``); the services check every
rule again when a form is posted, so a page that shows too much can never do too much.

The editor's forms are parsed here too: variant fields arrive as ``v.<kind>.<locale>.<field>``
(WhatsApp ``parameters`` and ``buttons`` as JSON text), the data schema as parallel lists of
names, types, samples, required flags and descriptions; a sample is read by its type.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from unisono.errors import Invalid, UnisonoError
from unisono.models import ContentBlock, Template, VersionStatus
from unisono.models.template import ReviewedVersionMixin
from unisono.studio.diff import VersionDiff
from unisono.studio.preview import Preview, VariantPreview
from unisono.studio.schema import BLOCK_FORMATS, JSON_FIELDS, MAX_SOURCE
from unisono.studio.spec import (
    SUPPORTED_LOCALES,
    VARIANT_FIELDS,
    LintFinding,
    Purpose,
    VariantKind,
    VarType,
)
from unisono.studio.templates import TemplateSummary
from unisono.studio.test_send import TEST_SENDERS
from unisono.studio.workflow import DESIGNERS, REVIEWERS, HistoryEntry
from unisono.web.console.customer_views import PURPOSES, Choice
from unisono.web.console.i18n import N_, Localizer, Moment
from unisono.web.console.views import LANGUAGES

STATUSES: Mapping[str, str] = {
    "draft": N_("Draft"),
    "in_review": N_("In review"),
    "approved": N_("Approved"),
    "retired": N_("Retired"),
    "rejected": N_("Rejected"),
}
KINDS: Mapping[str, str] = {
    "email": N_("Email"),
    "sms": N_("SMS"),
    "whatsapp": N_("WhatsApp"),
    "push": N_("Push notification"),
    "in_app": N_("In-app message"),
    "letter": N_("Letter"),
    "call_script": N_("Call script"),
}
KIND_ICONS: Mapping[str, str] = {
    "email": "mail",
    "sms": "sms",
    "whatsapp": "whatsapp",
    "push": "app",
    "in_app": "app",
    "letter": "letter",
    "call_script": "phone",
}
FIELDS: Mapping[str, str] = {
    "subject": N_("Subject"),
    "html": N_("HTML body"),
    "text": N_("Text"),
    "template_name": N_("Template name registered with Meta"),
    "category": N_("Category"),
    "body": N_("Template body"),
    "parameters": N_("Parameters (JSON: name to text)"),
    "buttons": N_("Buttons (JSON list)"),
    "title": N_("Title"),
    "deep_link": N_("Link in the app"),
}
# Hints under a field where its format is not obvious.
FIELD_HINTS: Mapping[tuple[str, str], str] = {
    ("whatsapp", "body"): N_("Meta's named parameters, for example {{first_name}}."),
    ("whatsapp", "parameters"): N_(
        'For example {"first_name": "{{ customer.first_name }}"}: each value is template text.'
    ),
    ("whatsapp", "buttons"): N_(
        'For example [{"type": "QUICK_REPLY", "text": "Stop"}] or '
        '[{"type": "URL", "text": "Pay", "url": "https://…"}].'
    ),
    ("whatsapp", "text"): N_("The free-form message sent inside the 24-hour service window."),
    ("whatsapp", "category"): N_("MARKETING, UTILITY or AUTHENTICATION."),
}
# Fields written on one line; the others are text areas.
ONE_LINE = frozenset({"subject", "template_name", "category", "title", "deep_link"})
TYPES: Mapping[str, str] = {
    "str": N_("Text"),
    "int": N_("Whole number"),
    "decimal": N_("Decimal number"),
    "money": N_("Amount of money"),
    "date": N_("Date"),
    "datetime": N_("Date and time"),
    "bool": N_("Yes or no"),
    "url": N_("Link"),
    "list": N_("List"),
}
SEVERITIES: Mapping[str, str] = {
    "error": N_("Error"),
    "warning": N_("Warning"),
    "info": N_("Note"),
}
ACTIONS: Mapping[str, str] = {
    "created": N_("Created"),
    "updated": N_("Changed the settings"),
    "version_created": N_("Created a new version"),
    "edited": N_("Edited"),
    "submitted": N_("Submitted for review"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "retired": N_("Retired"),
    "test_sent": N_("Sent a test"),
}
ENCODINGS: Mapping[str, str] = {"GSM-7": "GSM-7", "UCS-2": "UCS-2 (Unicode)"}
EMPTY_SCHEMA_ROWS = 3
MAX_VARIANT_FIELDS = 200


# --- small helpers ----------------------------------------------------------------------------


def _choice(code: str, labels: Mapping[str, str], l10n: Localizer) -> Choice:
    label = labels.get(code)
    return Choice(code, l10n.gettext(label) if label else code)


def status_choice(status: VersionStatus | str, l10n: Localizer) -> Choice:
    return _choice(str(status), STATUSES, l10n)


def kind_choice(kind: str, l10n: Localizer) -> Choice:
    return _choice(str(kind), KINDS, l10n)


def locale_choice(locale: str, l10n: Localizer) -> Choice:
    return _choice(locale, LANGUAGES, l10n)


def _moment(value: datetime | None, l10n: Localizer, now: datetime) -> Moment | None:
    return l10n.moment(value, now) if value is not None else None


def template_url(template_id: uuid.UUID) -> str:
    return f"/studio/templates/{template_id}"


def version_url(template_id: uuid.UUID, number: int) -> str:
    return f"{template_url(template_id)}/versions/{number}"


def block_url(block_id: uuid.UUID, number: int | None = None) -> str:
    url = f"/studio/blocks/{block_id}"
    return f"{url}?{urlencode({'version': number})}" if number else url


def can_design(role: str) -> bool:
    return role in DESIGNERS


def can_review(role: str) -> bool:
    return role in REVIEWERS


def can_test_send(role: str) -> bool:
    return role in TEST_SENDERS


# --- lists ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateRow:
    url: str
    name: str
    description: str
    purpose: Choice
    kinds: list[Choice]
    locales: list[Choice]
    latest_number: int
    latest_status: Choice
    approved_number: int | None
    updated: Moment


def template_rows(
    summaries: Iterable[TemplateSummary], l10n: Localizer, now: datetime, status: str = ""
) -> list[TemplateRow]:
    """Rows of the templates list; ``status`` keeps those whose newest version has it, or
    (``approved``) those with an approved version."""
    rows = []
    for s in summaries:
        if status == "approved" and s.approved_number is None:
            continue
        if status and status != "approved" and s.latest_status.value != status:
            continue
        t = s.template
        rows.append(
            TemplateRow(
                url=template_url(t.id),
                name=t.name,
                description=t.description,
                purpose=_choice(t.purpose.value, PURPOSES, l10n),
                kinds=[kind_choice(k, l10n) for k in t.variant_kinds],
                locales=[locale_choice(loc, l10n) for loc in t.locales],
                latest_number=s.latest_number,
                latest_status=status_choice(s.latest_status, l10n),
                approved_number=s.approved_number,
                updated=l10n.moment(t.updated_at, now),
            )
        )
    return rows


def purpose_choices(l10n: Localizer) -> list[Choice]:
    return [_choice(p.value, PURPOSES, l10n) for p in Purpose]


def status_choices(l10n: Localizer) -> list[Choice]:
    return [status_choice(s, l10n) for s in VersionStatus]


def kind_choices(l10n: Localizer) -> list[Choice]:
    return [kind_choice(k.value, l10n) for k in VariantKind]


def locale_choices(l10n: Localizer) -> list[Choice]:
    return [locale_choice(loc, l10n) for loc in SUPPORTED_LOCALES]


def type_choices(l10n: Localizer) -> list[Choice]:
    return [_choice(t.value, TYPES, l10n) for t in VarType]


@dataclass(frozen=True, slots=True)
class BlockRow:
    url: str
    name: str
    description: str
    latest_number: int
    latest_status: Choice
    approved_number: int | None


def block_rows(
    blocks: Sequence[ContentBlock],
    numbers: Mapping[uuid.UUID, tuple[int, VersionStatus, int | None]],
    l10n: Localizer,
) -> list[BlockRow]:
    rows = []
    for b in blocks:
        latest, status, approved = numbers[b.id]
        rows.append(
            BlockRow(
                url=block_url(b.id),
                name=b.name,
                description=b.description,
                latest_number=latest,
                latest_status=status_choice(status, l10n),
                approved_number=approved,
            )
        )
    return rows


# --- versions and what the viewer may do with them -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """Who did one step of a version's life, and when."""

    label: str
    who: str
    at: Moment


@dataclass(frozen=True, slots=True)
class VersionActions:
    """The forms a version page offers the viewer; ``notes`` say why others are missing."""

    edit: bool = False
    submit: bool = False
    review: bool = False
    retire: bool = False
    copy: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VersionRow:
    number: int
    url: str
    status: Choice
    based_on: int | None
    steps: list[Step]
    review_comment: str
    content_hash: str


def _who(operator_id: uuid.UUID | None, names: Mapping[uuid.UUID, str], l10n: Localizer) -> str:
    if operator_id is None:
        return l10n.gettext("Automatic")
    return names.get(operator_id) or l10n.gettext("Former operator")


def people_of(versions: Iterable[ReviewedVersionMixin]) -> set[uuid.UUID]:
    """Every operator a version row names (for one ``operator_names`` query)."""
    ids: set[uuid.UUID] = set()
    for v in versions:
        ids.update(
            i
            for i in (v.created_by_id, v.submitted_by_id, v.reviewed_by_id, v.retired_by_id)
            if i is not None
        )
    return ids


def version_row(
    v: ReviewedVersionMixin,
    url: str,
    names: Mapping[uuid.UUID, str],
    l10n: Localizer,
    now: datetime,
) -> VersionRow:
    steps = [
        Step(
            l10n.gettext("Created"),
            _who(v.created_by_id, names, l10n),
            l10n.moment(v.created_at, now),
        )
    ]
    if v.submitted_at is not None:
        steps.append(
            Step(
                l10n.gettext("Submitted for review"),
                _who(v.submitted_by_id, names, l10n),
                l10n.moment(v.submitted_at, now),
            )
        )
    if v.reviewed_at is not None:
        label = "Rejected" if v.status is VersionStatus.REJECTED else "Approved"
        steps.append(
            Step(
                l10n.gettext(label),
                _who(v.reviewed_by_id, names, l10n),
                l10n.moment(v.reviewed_at, now),
            )
        )
    if v.retired_at is not None:
        steps.append(
            Step(
                l10n.gettext("Retired"),
                _who(v.retired_by_id, names, l10n),
                l10n.moment(v.retired_at, now),
            )
        )
    return VersionRow(
        number=v.number,
        url=url,
        status=status_choice(v.status, l10n),
        based_on=v.based_on,
        steps=steps,
        review_comment=v.review_comment,
        content_hash=v.content_hash[:12],
    )


def version_actions(
    role: str,
    version: ReviewedVersionMixin,
    l10n: Localizer,
    *,
    contributed: bool,
    has_draft: bool,
) -> VersionActions:
    """The actions offered on ``version`` to a viewer of ``role`` (``contributed``: they wrote
    or submitted it), and a sentence for each one withheld that they might look for."""
    designer, reviewer = can_design(role), can_review(role)
    status = version.status
    notes: list[str] = []
    review = reviewer and status is VersionStatus.IN_REVIEW and not contributed
    if status is VersionStatus.IN_REVIEW:
        if reviewer and contributed:
            notes.append(
                l10n.gettext(
                    "You worked on this version, so you cannot approve or reject it: "
                    "another compliance officer or an administrator must review it."
                )
            )
        elif not reviewer:
            notes.append(
                l10n.gettext(
                    "Waiting for review: only a compliance officer or an administrator "
                    "approves or rejects it."
                )
            )
    if status is VersionStatus.DRAFT and not designer:
        notes.append(l10n.gettext("A designer is still writing this version."))
    if designer and has_draft and status is not VersionStatus.DRAFT:
        notes.append(
            l10n.gettext("There is a draft already: edit or submit it before starting another.")
        )
    return VersionActions(
        edit=designer and status is VersionStatus.DRAFT,
        submit=designer and status is VersionStatus.DRAFT,
        review=review,
        retire=reviewer and status is VersionStatus.APPROVED,
        copy=designer and not has_draft,
        notes=tuple(notes),
    )


# --- findings ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindingView:
    severity: Choice
    text: str
    where: str


def _where(kind: str | None, locale: str | None, field_name: str | None, l10n: Localizer) -> str:
    parts = []
    if kind:
        parts.append(kind_choice(kind, l10n).label)
    if locale:
        parts.append(locale_choice(locale, l10n).label)
    if field_name:
        label = FIELDS.get(field_name)
        parts.append(l10n.gettext(label) if label else field_name)
    return " · ".join(parts)


def _severity_rank(view: FindingView) -> int:
    return ("error", "warning", "info").index(view.severity.code)


def finding_views(findings: Iterable[LintFinding], l10n: Localizer) -> list[FindingView]:
    """Findings translated, errors first."""
    views = [
        FindingView(
            severity=_choice(f.severity.value, SEVERITIES, l10n),
            text=f.text(l10n.gettext),
            where=_where(f.variant.value if f.variant else None, f.locale, f.field, l10n),
        )
        for f in findings
    ]
    return sorted(views, key=_severity_rank)


def problem_findings(exc: UnisonoError, l10n: Localizer) -> list[FindingView]:
    """The findings a refusal carries (``version_not_ready``), as JSON, translated."""
    raw = exc.extra.get("findings")
    views: list[FindingView] = []
    if not isinstance(raw, list):
        return views
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        message = str(item.get("message") or "")
        params = item.get("params") or {}
        try:
            text = l10n.gettext(message) % dict(params) if params else l10n.gettext(message)
        except (KeyError, TypeError, ValueError):
            text = str(item.get("text") or message)
        severity = str(item.get("severity") or "error")
        views.append(
            FindingView(
                severity=_choice(severity, SEVERITIES, l10n),
                text=text,
                where=_where(item.get("variant"), item.get("locale"), item.get("field"), l10n),
            )
        )
    return views


# --- the editor ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EditorField:
    name: str  # the form field: v.<kind>.<locale>.<field>
    id: str
    label: str
    value: str
    one_line: bool
    hint: str = ""


@dataclass(frozen=True, slots=True)
class EditorVariant:
    kind: Choice
    icon: str
    locale: Choice
    fields: list[EditorField]


@dataclass(frozen=True, slots=True)
class SchemaRow:
    name: str = ""
    type: str = "str"
    sample: str = ""
    required: bool = True
    description: str = ""


def _field_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def editor_variants(
    template: Template,
    variants: Mapping[str, Any],
    l10n: Localizer,
    typed: Mapping[str, str] | None = None,
) -> list[EditorVariant]:
    """One form section per variant kind and locale of ``template``, filled from ``variants``
    (or from ``typed``, what the designer posted, when a save failed)."""
    sections = []
    for kind_name in template.variant_kinds:
        kind = VariantKind(kind_name)
        for locale in template.locales:
            stored = (variants.get(kind_name) or {}).get(locale) or {}
            fields = []
            for name in VARIANT_FIELDS[kind]:
                form_name = f"v.{kind_name}.{locale}.{name}"
                value = typed[form_name] if typed is not None and form_name in typed else None
                hint = FIELD_HINTS.get((kind_name, name))
                fields.append(
                    EditorField(
                        name=form_name,
                        id=f"f-{kind_name}-{locale}-{name}",
                        label=l10n.gettext(FIELDS[name]),
                        value=value if value is not None else _field_text(stored.get(name)),
                        one_line=name in ONE_LINE,
                        hint=l10n.gettext(hint) if hint else "",
                    )
                )
            sections.append(
                EditorVariant(
                    kind=kind_choice(kind_name, l10n),
                    icon=KIND_ICONS[kind_name],
                    locale=locale_choice(locale, l10n),
                    fields=fields,
                )
            )
    return sections


def sample_text(var_type: str, sample: Any) -> str:
    """A schema sample as the editor shows it (money as ``412.30 EUR``, lists as JSON)."""
    if sample is None:
        return ""
    if var_type == "money" and isinstance(sample, Mapping):
        return f"{sample.get('amount', '')} {sample.get('currency', '')}".strip()
    if var_type == "bool" and isinstance(sample, bool):
        return "true" if sample else "false"
    if isinstance(sample, str):
        return sample
    return json.dumps(sample, ensure_ascii=False)


def schema_rows(schema: Sequence[Mapping[str, Any]]) -> list[SchemaRow]:
    rows = [
        SchemaRow(
            name=str(item.get("name", "")),
            type=str(item.get("type", "str")),
            sample=sample_text(str(item.get("type", "")), item.get("sample")),
            required=bool(item.get("required", True)),
            description=str(item.get("description") or ""),
        )
        for item in schema
    ]
    return rows + [SchemaRow() for _ in range(EMPTY_SCHEMA_ROWS)]


def _sample_value(var_type: str, text: str, name: str) -> Any:
    """The sample typed in the editor as the schema stores it; Invalid when unreadable."""
    text = text.strip()
    if not text:
        return None
    try:
        if text[0] in "[{":
            return json.loads(text)
        if var_type == "int":
            return int(text)
        if var_type == "bool":
            lowered = text.lower()
            if lowered in ("true", "yes", "sì", "si", "1"):
                return True
            if lowered in ("false", "no", "0"):
                return False
            raise ValueError(text)
        if var_type == "money":
            amount, _, currency = text.replace(",", ".").partition(" ")
            Decimal(amount)
            return {"amount": amount, "currency": currency.strip().upper() or "EUR"}
    except (ValueError, InvalidOperation) as exc:
        raise Invalid(
            f"variable {name}: the sample '{text[:40]}' is not a {var_type}", reason="bad_sample"
        ) from exc
    return text


def parse_schema(
    names: Sequence[str],
    types: Sequence[str],
    samples: Sequence[str],
    required: Sequence[str],
    descriptions: Sequence[str],
) -> list[dict[str, Any]]:
    """The schema rows of the editor (rows without a name are left out)."""
    schema = []
    for index, raw_name in enumerate(names):
        name = raw_name.strip()
        if not name:
            continue
        var_type = types[index] if index < len(types) else "str"
        sample = samples[index] if index < len(samples) else ""
        schema.append(
            {
                "name": name,
                "type": var_type,
                "sample": _sample_value(var_type, sample, name),
                "required": (required[index] if index < len(required) else "yes") != "no",
                "description": (descriptions[index] if index < len(descriptions) else "").strip(),
            }
        )
    return schema


def typed_schema_rows(
    names: Sequence[str],
    types: Sequence[str],
    samples: Sequence[str],
    required: Sequence[str],
    descriptions: Sequence[str],
) -> list[SchemaRow]:
    """The schema rows as the designer typed them (to show them again after a refusal)."""

    def at(values: Sequence[str], index: int, default: str = "") -> str:
        return values[index] if index < len(values) else default

    rows = [
        SchemaRow(
            name=name,
            type=at(types, i, "str"),
            sample=at(samples, i),
            required=at(required, i, "yes") != "no",
            description=at(descriptions, i),
        )
        for i, name in enumerate(names)
        if name.strip()
    ]
    return rows + [SchemaRow() for _ in range(EMPTY_SCHEMA_ROWS)]


def parse_variants(
    fields: Mapping[str, str], kinds: Sequence[str], locales: Sequence[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """``v.<kind>.<locale>.<field>`` form values as stored variants: empty fields left out,
    WhatsApp parameters and buttons read as JSON."""
    variants: dict[str, dict[str, dict[str, Any]]] = {}
    if len(fields) > MAX_VARIANT_FIELDS:
        raise Invalid("the form has too many fields")
    for key, raw in fields.items():
        prefix, _, path = key.partition(".")
        kind_name, _, rest = path.partition(".")
        locale, _, name = rest.partition(".")
        if prefix != "v" or kind_name not in kinds or locale not in locales:
            continue
        kind = VariantKind(kind_name)
        if name not in VARIANT_FIELDS[kind] or not raw.strip():
            continue
        if len(raw) > MAX_SOURCE:
            raise Invalid(f"{path} is longer than {MAX_SOURCE} characters")
        value: Any = raw.replace("\r\n", "\n")
        if (kind, name) in JSON_FIELDS:
            try:
                value = json.loads(raw)
            except ValueError as exc:
                raise Invalid(
                    f"{path}: this is not JSON ({exc.args[0] if exc.args else exc})",
                    reason="bad_json",
                ) from exc
        variants.setdefault(kind_name, {}).setdefault(locale, {})[name] = value
    return variants


@dataclass(frozen=True, slots=True)
class SourceView:
    """A variant's sources, read-only (a frozen version)."""

    kind: Choice
    icon: str
    locale: Choice
    fields: list[tuple[str, str]]


def source_views(
    template: Template, variants: Mapping[str, Any], l10n: Localizer
) -> list[SourceView]:
    views = []
    for kind_name in template.variant_kinds:
        for locale in template.locales:
            stored = (variants.get(kind_name) or {}).get(locale) or {}
            views.append(
                SourceView(
                    kind=kind_choice(kind_name, l10n),
                    icon=KIND_ICONS.get(kind_name, "note"),
                    locale=locale_choice(locale, l10n),
                    fields=[
                        (l10n.gettext(FIELDS[n]), _field_text(stored.get(n)))
                        for n in VARIANT_FIELDS[VariantKind(kind_name)]
                        if stored.get(n)
                    ],
                )
            )
    return views


@dataclass(frozen=True, slots=True)
class BlockEditorLocale:
    locale: Choice
    fields: list[EditorField]


def block_editor(
    content: Mapping[str, Any], l10n: Localizer, typed: Mapping[str, str] | None = None
) -> list[BlockEditorLocale]:
    sections = []
    for locale in SUPPORTED_LOCALES:
        stored = content.get(locale) or {}
        fields = []
        for name in BLOCK_FORMATS:
            form_name = f"b.{locale}.{name}"
            value = typed.get(form_name) if typed is not None else None
            fields.append(
                EditorField(
                    name=form_name,
                    id=f"b-{locale}-{name}",
                    label="HTML" if name == "html" else l10n.gettext(FIELDS[name]),
                    value=value if value is not None else str(stored.get(name) or ""),
                    one_line=False,
                )
            )
        sections.append(BlockEditorLocale(locale_choice(locale, l10n), fields))
    return sections


def parse_block_content(fields: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``b.<locale>.<html|text>`` form values as block content (a locale left empty is out)."""
    content: dict[str, dict[str, str]] = {}
    for key, raw in fields.items():
        prefix, _, rest = key.partition(".")
        locale, _, name = rest.partition(".")
        if prefix != "b" or locale not in SUPPORTED_LOCALES or name not in BLOCK_FORMATS:
            continue
        if raw.strip():
            content.setdefault(locale, {})[name] = raw.replace("\r\n", "\n")
    return content


# --- history and diff ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryRow:
    at: Moment
    who: str
    action: str
    version: int | None
    comment: str
    details: str


def _details(action: str, details: Mapping[str, Any], l10n: Localizer) -> str:
    if action == "test_sent":
        values = {
            "variant": kind_choice(str(details.get("variant", "")), l10n).label,
            "recipient": details.get("recipient", ""),
            "error": details.get("error") or "",
        }
        if details.get("status") == "sent":
            return l10n.gettext("%(variant)s to %(recipient)s: sent") % values
        return l10n.gettext("%(variant)s to %(recipient)s: not sent (%(error)s)") % values
    if "based_on" in details and action == "version_created":
        return l10n.gettext("copied from version %(number)s") % {"number": details["based_on"]}
    if "superseded_by" in details:
        return l10n.gettext("replaced by version %(number)s") % {"number": details["superseded_by"]}
    if details.get("warnings"):
        return l10n.gettext("%(count)s warnings") % {"count": details["warnings"]}
    return ""


def history_rows(
    entries: Iterable[HistoryEntry], l10n: Localizer, now: datetime
) -> list[HistoryRow]:
    rows = []
    for h in entries:
        e = h.event
        label = ACTIONS.get(e.action)
        rows.append(
            HistoryRow(
                at=l10n.moment(e.created_at, now),
                who=h.operator_name or l10n.gettext("Automatic"),
                action=l10n.gettext(label) if label else e.action,
                version=e.version,
                comment=e.comment,
                details=_details(e.action, e.details or {}, l10n),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "add", "del", "ctx", "hunk"
    text: str


@dataclass(frozen=True, slots=True)
class DiffChange:
    path: str
    change: Choice
    lines: list[DiffLine]


CHANGES: Mapping[str, str] = {
    "added": N_("Added"),
    "removed": N_("Removed"),
    "changed": N_("Changed"),
}


def _diff_line(line: str) -> DiffLine | None:
    if line.startswith(("---", "+++")):
        return None  # the file headers: the path is the change's title
    if line.startswith("@@"):
        return DiffLine("hunk", line)
    if line.startswith("+"):
        return DiffLine("add", line[1:])
    if line.startswith("-"):
        return DiffLine("del", line[1:])
    return DiffLine("ctx", line[1:] if line.startswith(" ") else line)


def diff_changes(diff: VersionDiff, l10n: Localizer) -> list[DiffChange]:
    changes = []
    for c in diff.changes:
        lines = [d for d in map(_diff_line, c.unified.splitlines()) if d is not None]
        changes.append(DiffChange(c.path, _choice(c.change, CHANGES, l10n), lines))
    return changes


# --- the side-by-side preview -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreviewCard:
    """One variant in its channel's frame, with its findings."""

    kind: str
    label: str
    icon: str
    locale: Choice
    variant: VariantPreview
    fields: Mapping[str, str]
    extra: Mapping[str, Any]
    findings: list[FindingView]
    error: str
    email_frame_url: str = ""
    letter_image_url: str = ""
    letter_pdf_url: str = ""
    sms_encoding: str = ""
    sms_segments: int | None = None
    sms_units: int | None = None
    buttons: list[str] = field(default_factory=list)


def _error_text(variant: VariantPreview, l10n: Localizer) -> str:
    problem = variant.error
    if problem is None:
        return ""
    if problem.reason == "empty":
        return l10n.gettext("This variant has no text in this language yet.")
    where = []
    if problem.field:
        label = FIELDS.get(problem.field)
        where.append(l10n.gettext(label) if label else problem.field)
    if problem.line:
        where.append(l10n.gettext("line %(line)s") % {"line": problem.line})
    prefix = l10n.gettext("It does not render")
    return (
        f"{prefix} ({', '.join(where)}): {problem.message}"
        if where
        else f"{prefix}: {problem.message}"
    )


def preview_cards(
    preview: Preview, l10n: Localizer, base_url: str, query: Mapping[str, str]
) -> list[PreviewCard]:
    """The preview's variants in the template's order, each ready for its frame."""
    cards = []
    for v in preview.variants:
        rendered = v.rendered
        extra: Mapping[str, Any] = rendered.extra if rendered is not None else {}
        own_query = urlencode({**query, "locale": v.locale})
        sms = v.sms or {}
        buttons = [
            str(b.get("text", "")) for b in extra.get("buttons") or [] if isinstance(b, Mapping)
        ]
        cards.append(
            PreviewCard(
                kind=v.kind.value,
                label=kind_choice(v.kind.value, l10n).label,
                icon=KIND_ICONS[v.kind.value],
                locale=locale_choice(v.locale, l10n),
                variant=v,
                fields=rendered.fields if rendered is not None else {},
                extra=extra,
                findings=finding_views(v.findings, l10n),
                error=_error_text(v, l10n),
                email_frame_url=f"{base_url}/frames/email?{own_query}",
                letter_image_url=f"{base_url}/frames/letter.png?{own_query}",
                letter_pdf_url=f"{base_url}/frames/letter.pdf?{own_query}",
                sms_encoding=ENCODINGS.get(
                    str(sms.get("encoding")), str(sms.get("encoding") or "")
                ),
                sms_segments=sms.get("segments"),
                sms_units=sms.get("units"),
                buttons=buttons,
            )
        )
    return cards
