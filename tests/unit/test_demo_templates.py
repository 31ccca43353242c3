"""The demo's studio content: every template lints clean and renders in Italian and English with
its samples, SMS within their parts, links on the company's site; the seed loads blocks and
templates approved by compliance, with a draft and a version in review, once."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unisono.demo.calendar import END_OF_DATA, GO_LIVE, DemoCalendar
from unisono.demo.templates import (
    BLOCKS,
    COMPLIANCE_EMAIL,
    DESIGNER_EMAIL,
    DOMAIN,
    LETTER_SENDER,
    NEW_OFFER,
    PAYMENT_REMINDER,
    TEMPLATES,
    StudioSeed,
    TemplateDef,
    seed_templates,
)
from unisono.models import (
    AuditEvent,
    ContentBlock,
    ContentBlockVersion,
    Operator,
    Role,
    StudioEvent,
    Template,
    TemplateVersion,
    VersionStatus,
)
from unisono.security.actor import Actor
from unisono.studio import templates as template_service
from unisono.studio.data import sample_data
from unisono.studio.diff import diff_template_versions
from unisono.studio.letter import Address, render_letter_pdf
from unisono.studio.lint import blocks_for, lint_version
from unisono.studio.render import render_variant
from unisono.studio.spec import Purpose, Severity, VariantKind

NOW = datetime(2026, 3, 31, 17, 30, tzinfo=UTC)
BLOCK_SOURCES = {block.name: block.content for block in BLOCKS}
_URL = re.compile(r"https?://[^\s<>\"')]+")


def _each_version() -> Iterator[Any]:
    for t in TEMPLATES:
        yield pytest.param(t, t.schema, t.variants, id=f"{t.name} v1")
        if t.revision is not None:
            schema = t.revision.schema or t.schema
            yield pytest.param(t, schema, t.revised_variants(), id=f"{t.name} v2")


VERSIONS = list(_each_version())


def _lint(t: TemplateDef, schema: Any, variants: Any) -> list[Any]:
    template = SimpleNamespace(
        purpose=t.purpose, variant_kinds=list(t.kinds), locales=list(t.locales)
    )
    version = SimpleNamespace(schema=list(schema), variants=variants)
    return lint_version(template, version, BLOCK_SOURCES, link_allowlist=[DOMAIN])


def test_the_demo_covers_every_purpose_it_promises_with_every_channel() -> None:
    purposes = {t.purpose for t in TEMPLATES}
    assert {Purpose.PAYMENT_REMINDER, Purpose.INFORM, Purpose.SERVICE, Purpose.ADVERTISE} <= (
        purposes
    )
    for t in TEMPLATES:
        assert set(t.kinds) == {kind.value for kind in VariantKind}, t.name
        assert t.locales == ("it", "en")
        assert set(t.variants) == set(t.kinds)
        for kind, by_locale in t.variants.items():
            assert set(by_locale) == {"it", "en"}, (t.name, kind)
    assert len({t.name for t in TEMPLATES}) == len(TEMPLATES)


@pytest.mark.parametrize(("template", "schema", "variants"), VERSIONS)
def test_every_version_lints_without_errors_or_warnings(
    template: TemplateDef, schema: Any, variants: Any
) -> None:
    findings = _lint(template, schema, variants)
    assert [f.text() for f in findings if f.severity is not Severity.INFO] == []
    # What is left is information: a two-part SMS.
    assert {f.code for f in findings} <= {"sms_multipart"}


@pytest.mark.parametrize(("template", "schema", "variants"), VERSIONS)
@pytest.mark.parametrize("locale", ["it", "en"])
def test_every_variant_renders_its_samples(
    template: TemplateDef, schema: Any, variants: Any, locale: str
) -> None:
    data = sample_data(list(schema))
    blocks = blocks_for(BLOCK_SOURCES, locale)
    other = {"it": "Dear ", "en": "Gentile "}[locale]
    for kind in template.kinds:
        rendered = render_variant(kind, locale, variants[kind][locale], data, blocks)
        where = (template.name, kind, locale)
        for name, text in rendered.fields.items():
            assert text.strip(), (*where, name)
            for leftover in ("{{", "{%", "None"):
                assert leftover not in text, (*where, name)
            assert other not in text, (*where, name)  # the other language slipped in
            for url in _URL.findall(text):
                parts = urlsplit(url)
                assert parts.scheme == "https", (*where, url)
                assert (parts.hostname or "").endswith(DOMAIN), (*where, url)
        fields, extra = rendered.fields, rendered.extra
        if kind == VariantKind.EMAIL:
            assert f'<html lang="{locale}">' in fields["html"]
            assert "<style" not in fields["html"]  # inlined for mail clients
            assert not extra["text_generated"]
            assert "P.IVA 08745320153" in fields["html"] or "VAT no. 08745320153" in fields["html"]
        elif kind == VariantKind.SMS:
            assert extra["encoding"] == "GSM-7", (*where, extra["chars_outside"])
            assert 1 <= extra["segments"] <= template.sms_segments, where
        elif kind == VariantKind.WHATSAPP:
            expected = "MARKETING" if template.purpose is Purpose.ADVERTISE else "UTILITY"
            assert fields["category"] == expected
            assert len(fields["body"]) <= 1024
            assert all(value.strip() for value in extra["parameters"].values())
            for button in extra["buttons"]:
                assert 1 <= len(button["text"]) <= 25
                if button["type"] == "URL":
                    assert button["url"].startswith(f"https://www.{DOMAIN}/")
        elif kind == VariantKind.PUSH:
            assert len(fields["title"]) <= 65, where
            assert len(fields["body"]) <= 240, where
            assert fields["deep_link"].startswith(f"https://www.{DOMAIN}/app/")


def test_the_offer_lets_the_customer_opt_out_on_every_written_channel() -> None:
    data = sample_data(list(NEW_OFFER.schema))
    unsubscribe = data["links"]["unsubscribe"]
    for locale in ("it", "en"):
        blocks = blocks_for(BLOCK_SOURCES, locale)

        def render(kind: VariantKind, locale: str = locale, blocks: Any = blocks) -> Any:
            return render_variant(kind, locale, NEW_OFFER.variants[kind][locale], data, blocks)

        assert f'href="{unsubscribe}"' in render(VariantKind.EMAIL).fields["html"]
        assert unsubscribe in render(VariantKind.EMAIL).fields["text"]
        assert "STOP" in render(VariantKind.SMS).fields["text"]
        whatsapp = render(VariantKind.WHATSAPP)
        assert "STOP" in whatsapp.fields["body"]
        assert "STOP" in whatsapp.fields["text"]
        assert unsubscribe in render(VariantKind.LETTER).fields["html"]
        assert unsubscribe in render(VariantKind.CALL_SCRIPT).fields["text"]


def test_every_letter_prints_on_one_a4_page() -> None:
    recipient = Address(name="Maria Rossi", lines=("Via Saragozza 112", "40135 Bologna BO"))
    for t in TEMPLATES:
        data = sample_data(list(t.schema))
        for locale in t.locales:
            source = t.variants[VariantKind.LETTER][locale]
            body = render_variant(
                VariantKind.LETTER, locale, source, data, blocks_for(BLOCK_SOURCES, locale)
            ).fields["html"]
            pdf = render_letter_pdf(
                body,
                recipient=recipient,
                sender=LETTER_SENDER,
                date=date(2026, 3, 20),
                reference="FT0004812005",
                locale=locale,
            )
            pages = PdfReader(io.BytesIO(pdf)).pages
            assert len(pages) == 1, (t.name, locale)
            text = pages[0].extract_text()
            assert "Maria Rossi" in text
            assert ("Cordiali saluti" if locale == "it" else "Kind regards") in text


# --- the seed, through the studio's services ------------------------------------------------


def _studio_counts(session: Session) -> dict[str, int]:
    models = (Template, TemplateVersion, ContentBlock, ContentBlockVersion, StudioEvent)
    counts = {
        m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0 for m in models
    }
    counts["audit"] = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    counts["operators"] = session.scalar(select(func.count()).select_from(Operator)) or 0
    return counts


def test_the_seed_loads_approved_content_once(session: Session) -> None:
    calendar = DemoCalendar.ending_at(NOW)
    assert seed_templates(session, calendar=calendar) == StudioSeed(len(BLOCKS), len(TEMPLATES))
    session.commit()

    designer = session.scalars(select(Operator).where(Operator.email == DESIGNER_EMAIL)).one()
    compliance = session.scalars(select(Operator).where(Operator.email == COMPLIANCE_EMAIL)).one()
    assert (designer.role, compliance.role) == (Role.DESIGNER, Role.COMPLIANCE)

    for block in session.scalars(select(ContentBlockVersion)):
        assert block.status is VersionStatus.APPROVED
        assert block.reviewed_by_id == compliance.id
    for t in TEMPLATES:
        version = template_service.approved_version(session, t.name)
        assert version.number == 1
        assert version.template.purpose is t.purpose
        assert (version.created_by_id, version.submitted_by_id) == (designer.id, designer.id)
        assert version.reviewed_by_id == compliance.id
        assert version.review_comment == t.approval
        errors = [
            f
            for f in template_service.check_version(session, version)
            if f.severity is Severity.ERROR
        ]
        assert errors == []

    # The payment reminder has a draft under way: its diff shows what changes.
    reminder = template_service.get_template(session, PAYMENT_REMINDER.name)
    draft = template_service.get_version(session, reminder.id, 2)
    assert draft.status is VersionStatus.DRAFT
    changed = {c.path for c in diff_template_versions(session, reminder.id, 1, 2).changes}
    assert changed == {"sms.it.text", "sms.en.text", "whatsapp.it.buttons", "whatsapp.en.buttons"}

    # The new offer's second version waits for compliance, who may approve it.
    offer = template_service.get_template(session, NEW_OFFER.name)
    waiting = template_service.get_version(session, offer.id, 2)
    assert waiting.status is VersionStatus.IN_REVIEW
    assert waiting.submitted_by_id == designer.id
    assert "schema" in [c.path for c in diff_template_versions(session, offer.id, 1, 2).changes]

    # The history reads true on the demo's calendar: approved before the data begins, the
    # revisions in its last days, nothing after its end.
    moments = list(session.scalars(select(StudioEvent.created_at)))
    assert max(m.replace(tzinfo=UTC) if m.tzinfo is None else m for m in moments) <= (
        calendar.at(END_OF_DATA)
    )
    approvals = session.scalars(
        select(StudioEvent.created_at).where(StudioEvent.action == "approved")
    ).all()
    assert len(approvals) == len(BLOCKS) + len(TEMPLATES)
    assert all(
        (a.replace(tzinfo=UTC) if a.tzinfo is None else a) < calendar.at(GO_LIVE) for a in approvals
    )

    # Seeding again changes nothing.
    counts = _studio_counts(session)
    assert seed_templates(session, calendar=calendar) == StudioSeed(0, 0)
    session.commit()
    assert _studio_counts(session) == counts

    # The compliance demo: approving the offer in review retires version 1.
    actor = Actor(operator=compliance, via="test")
    template_service.do_approve_version(session, actor, offer.id, 2, "Prezzo aggiornato: ok.")
    session.commit()
    assert template_service.approved_version(session, offer.id).number == 2
