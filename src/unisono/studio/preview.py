"""Previews: every channel variant of a template version rendered side by side, with its lint.

A preview renders a version (any status: designers preview drafts) for a real customer, for
data given with the request, or for the schema's samples, in each of the template's locales (or
one). Each variant comes back with what it rendered or why it could not (a render error is a
result, never a failure of the preview), its findings (the version's static ones for that
variant and locale, plus the checks on what was rendered, with the maximum of SMS parts that
sending applies), and for letters the A4 PDF on the company's letterhead and its first page as
a PNG.

Reading a customer to render for them is a read of customer data: it is audited
(``template.preview`` on the customer). Nothing is cached here; the renderer keeps its own
compiled templates.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.config import get_settings
from unisono.customers.access import access_customer
from unisono.errors import Invalid, NotFound
from unisono.models import Customer, Template, TemplateVersion
from unisono.security.actor import Actor
from unisono.studio.blocks import approved_block_sources
from unisono.studio.company import company_sender
from unisono.studio.customer_data import (
    TemplateData,
    letter_address,
    letter_reference,
    send_locale,
    template_data,
)
from unisono.studio.letter import first_page_png, render_letter_pdf
from unisono.studio.lint import Blocks, blocks_for, lint_rendered, lint_version
from unisono.studio.render import RenderError, render_variant
from unisono.studio.spec import LintFinding, RenderedVariant, Severity, VariantKind
from unisono.studio.templates import get_template, get_version

# Codes ``lint_version`` takes from rendering the samples (``lint_rendered`` and the sample
# render itself). A preview replaces them with the findings on what it rendered, since the
# customer's data may differ from the samples (a longer name, an accented letter).
RENDERED_CODES = frozenset(
    {
        "render_error",
        "insecure_link",
        "unknown_link_domain",
        "image_without_alt",
        "no_unsubscribe",
        "no_stop_instruction",
        "sms_ucs2",
        "sms_multipart",
        "sms_too_long",
        "whatsapp_parameter_empty",
        "whatsapp_parameter_value",
        "whatsapp_text_too_long",
        "whatsapp_too_many_buttons",
        "whatsapp_button_text",
        "push_title_too_long",
        "push_body_too_long",
        "push_payload_too_large",
    }
)
PREVIEW_WIDTH_PX = 600


@dataclass(frozen=True, slots=True)
class RenderProblem:
    """Why a variant (or its letter) could not be rendered, and where."""

    message: str
    field: str | None = None
    line: int | None = None
    reason: str = "error"

    @classmethod
    def of(cls, exc: Invalid) -> RenderProblem:
        if isinstance(exc, RenderError):
            return cls(exc.detail, exc.field, exc.line, exc.reason)
        return cls(exc.detail, reason=str(exc.extra.get("reason") or exc.code))


@dataclass(frozen=True, slots=True)
class LetterFiles:
    """A letter as printed (A4 PDF) and its first page as a PNG for the screen."""

    pdf: bytes
    png: bytes | None = None


@dataclass(frozen=True, slots=True)
class VariantPreview:
    """One variant in one locale: rendered (or the problem), its findings, its letter."""

    kind: VariantKind
    locale: str
    rendered: RenderedVariant | None
    error: RenderProblem | None
    findings: tuple[LintFinding, ...]
    letter: LetterFiles | None = None
    letter_error: RenderProblem | None = None

    @property
    def errors(self) -> int:
        """Findings of severity error: a send of this variant would be refused."""
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def sendable(self) -> bool:
        return self.rendered is not None and self.error is None and self.errors == 0

    @property
    def sms(self) -> Mapping[str, Any] | None:
        """SMS encoding (``gsm7``/``ucs2``), ``segments`` and ``units``; None for other kinds."""
        if self.kind is not VariantKind.SMS or self.rendered is None:
            return None
        extra = self.rendered.extra
        return {k: extra.get(k) for k in ("encoding", "segments", "units", "per_segment")}


@dataclass(frozen=True, slots=True)
class Preview:
    """A version rendered in every variant and locale asked for.

    ``customer_locale`` is the locale a send to ``customer`` would use (None without one);
    ``findings`` are those about the whole version (unused or sample-less variables...).
    """

    template: Template
    version: TemplateVersion
    customer: Customer | None
    data: TemplateData
    variants: tuple[VariantPreview, ...]
    findings: tuple[LintFinding, ...] = field(default_factory=tuple)
    customer_locale: str | None = None

    def variant(self, kind: VariantKind | str, locale: str) -> VariantPreview | None:
        kind = VariantKind(kind)
        return next((v for v in self.variants if v.kind is kind and v.locale == locale), None)


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(get_settings().default_timezone)).date()


def check_locale(template: Template, locale: str | None) -> list[str]:
    """The template's locales to render: all of them, or ``locale`` if the template has it."""
    locales = [str(loc) for loc in template.locales]
    if locale is None:
        return locales
    if locale not in locales:
        raise Invalid(
            f"the template has no {locale!r} locale; it has {', '.join(locales)}",
            reason="unknown_locale",
        )
    return [locale]


def check_kinds(template: Template, kinds: Collection[str] | None) -> list[VariantKind]:
    """The template's variant kinds to render: all of them, or those asked for."""
    own = [VariantKind(k) for k in template.variant_kinds]
    if kinds is None:
        return own
    unknown = sorted(set(kinds) - {k.value for k in own})
    if unknown:
        raise Invalid(
            f"the template has no {', '.join(unknown)} variant", reason="unknown_variant_kind"
        )
    return [k for k in own if k.value in kinds]


def load_customer(
    session: Session,
    actor: Actor,
    customer_id: uuid.UUID | None,
    *,
    action: str = "template.preview",
) -> Customer | None:
    """The customer to render for (the read audited as ``action``), or None."""
    if customer_id is None:
        return None
    return access_customer(session, actor, customer_id, action=action)


def render_letter(
    rendered: RenderedVariant, customer: Customer | None, *, preview: bool, image: bool
) -> LetterFiles:
    """The rendered letter body on the letterhead, addressed to ``customer`` (or a placeholder
    in a preview without one), dated today; ``Invalid`` when it cannot be laid out."""
    pdf = render_letter_pdf(
        rendered.fields.get("html", ""),
        recipient=letter_address(customer, preview=preview),
        sender=company_sender(),
        date=_today(),
        reference=letter_reference(customer),
        locale=rendered.locale,
    )
    return LetterFiles(pdf=pdf, png=first_page_png(pdf, PREVIEW_WIDTH_PX) if image else None)


def render_one(
    template: Template,
    version: TemplateVersion,
    kind: VariantKind,
    locale: str,
    values: Mapping[str, Any],
    blocks: Blocks,
    *,
    max_sms_segments: int,
) -> tuple[RenderedVariant | None, RenderProblem | None, list[LintFinding]]:
    """One variant rendered with ``values``, and the findings on what it rendered."""
    by_locale: Mapping[str, Any] = (version.variants or {}).get(kind.value) or {}
    sources = by_locale.get(locale)
    if not sources:
        problem = RenderProblem(f"the {kind.value} variant has no {locale} version", reason="empty")
        return None, problem, []
    try:
        rendered = render_variant(
            kind,
            locale,
            sources,
            values,
            blocks_for(blocks, locale),
            timezone=get_settings().default_timezone,
        )
    except Invalid as exc:  # RenderError, and a bad zone or block the renderer refuses
        return None, RenderProblem.of(exc), []
    findings = lint_rendered(
        rendered,
        template.purpose,
        max_sms_segments=max_sms_segments,
        link_allowlist=get_settings().link_allowlist,
    )
    return rendered, None, findings


def preview_version(
    session: Session,
    actor: Actor,
    version: TemplateVersion,
    *,
    customer_id: uuid.UUID | None = None,
    data: Mapping[str, Any] | None = None,
    locale: str | None = None,
    kinds: Sequence[str] | None = None,
    letters: bool = True,
) -> Preview:
    """``version`` rendered for the customer ``customer_id`` and/or ``data``, else the samples.

    Every variant kind (or those in ``kinds``) in every locale (or ``locale``). Variables the
    customer and ``data`` do not supply show their sample and are listed in
    ``preview.data.from_sample``. ``letters``: lay letters out as PDF and PNG (about 0.2 s each;
    a page that shows the letter as an image may ask for it separately with
    :func:`preview_letter`). Invalid when ``data`` does not fit the schema or the locale or a
    kind is not the template's; NotFound for an unknown customer.
    """
    template = version.template
    locales = check_locale(template, locale)
    wanted = check_kinds(template, kinds)
    customer = load_customer(session, actor, customer_id)
    values = template_data(version.schema or [], customer=customer, data=data, preview=True)
    blocks = approved_block_sources(session)
    max_segments = get_settings().studio_max_sms_segments
    static = lint_version(
        template,
        version,
        blocks,
        max_sms_segments=max_segments,
        link_allowlist=get_settings().link_allowlist,
    )
    by_place: dict[tuple[str | None, str | None], list[LintFinding]] = {}
    for finding in static:
        if finding.code not in RENDERED_CODES or finding.variant is None:
            kind_key = finding.variant.value if finding.variant else None
            by_place.setdefault((kind_key, finding.locale), []).append(finding)
    variants = []
    for kind in wanted:
        for loc in locales:
            rendered, error, found = render_one(
                template,
                version,
                kind,
                loc,
                values.values,
                blocks,
                max_sms_segments=max_segments,
            )
            own = by_place.get((kind.value, loc), []) + by_place.get((kind.value, None), [])
            letter = letter_error = None
            if kind is VariantKind.LETTER and letters and rendered is not None:
                try:
                    letter = render_letter(rendered, customer, preview=True, image=True)
                except Invalid as exc:
                    letter_error = RenderProblem.of(exc)
            variants.append(
                VariantPreview(
                    kind=kind,
                    locale=loc,
                    rendered=rendered,
                    error=error,
                    findings=tuple(own + found),
                    letter=letter,
                    letter_error=letter_error,
                )
            )
    return Preview(
        template=template,
        version=version,
        customer=customer,
        data=values,
        variants=tuple(variants),
        findings=_version_wide(by_place),
        customer_locale=send_locale(template, customer) if customer is not None else None,
    )


def _version_wide(
    by_place: Mapping[tuple[str | None, str | None], list[LintFinding]],
) -> tuple[LintFinding, ...]:
    """The findings about no one variant (unused or sample-less variables...)."""
    return tuple(f for (kind, _), found in by_place.items() if kind is None for f in found)


def preview_letter(
    session: Session,
    actor: Actor,
    version: TemplateVersion,
    *,
    locale: str | None = None,
    customer_id: uuid.UUID | None = None,
    data: Mapping[str, Any] | None = None,
    image: bool = False,
) -> LetterFiles:
    """The letter variant of ``version`` as a PDF (and, with ``image``, its first page as a PNG)
    for the customer and/or ``data``, else the samples; ``locale`` defaults to the customer's
    (or the template's first). Invalid when the template has no letter variant or it does not
    render (the error says where)."""
    template = version.template
    check_kinds(template, [VariantKind.LETTER.value])
    customer = load_customer(session, actor, customer_id)
    (loc,) = check_locale(template, locale or send_locale(template, customer))
    values = template_data(version.schema or [], customer=customer, data=data, preview=True)
    rendered, error, _ = render_one(
        template,
        version,
        VariantKind.LETTER,
        loc,
        values.values,
        approved_block_sources(session),
        max_sms_segments=get_settings().studio_max_sms_segments,
    )
    if rendered is None:
        assert error is not None
        raise Invalid(f"the letter does not render: {error.message}", reason="render_error")
    return render_letter(rendered, customer, preview=True, image=image)


def version_to_preview(
    session: Session, template_id: uuid.UUID | str, number: int | None = None
) -> TemplateVersion:
    """Version ``number`` of the template, or its newest (the draft being worked on)."""
    template = get_template(session, template_id)
    if number is not None:
        return get_version(session, template.id, number)
    newest = session.scalar(
        select(TemplateVersion)
        .where(TemplateVersion.template_id == template.id)
        .order_by(TemplateVersion.number.desc())
        .limit(1)
    )
    if newest is None:  # every template is created with its version 1
        raise NotFound(f"the template {template.name} has no version")
    return newest
