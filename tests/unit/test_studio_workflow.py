"""The studio's services without HTTP: schema checks, content hashes, diff, and the review
rules as service calls (who may do what, what is recorded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.errors import Conflict, Forbidden, Invalid
from unisono.models import AuditEvent, Operator, Role, StudioEvent, VersionStatus
from unisono.security.actor import Actor
from unisono.studio import templates
from unisono.studio.diff import diff_text, schema_text
from unisono.studio.schema import check_schema, content_hash, missing_for_review
from unisono.studio.workflow import SelfApproval, VersionNotEditable

SMS = {"sms": {"it": {"text": "Gentile {{ nome }}, la lettura è attesa entro venerdì."}}}


@pytest.mark.parametrize(
    ("var_type", "good", "bad"),
    [
        ("str", "Maria", ["Maria"]),
        ("int", 3, True),
        ("decimal", "12.5", "dodici"),
        ("money", {"amount": "412.30", "currency": "EUR"}, {"amount": "x", "currency": "EUR"}),
        ("date", "2026-12-01", "2026-12-01T10:00:00"),
        ("datetime", "2026-12-01T10:00:00+01:00", "2026-12-01T10:00:00"),
        ("bool", False, "no"),
        ("url", "https://energiachiara.it/paga", "ftp://energiachiara.it"),
        ("list", [{"kwh": 120}], {"kwh": 120}),
    ],
)
def test_samples_must_have_their_declared_type(var_type: str, good: Any, bad: Any) -> None:
    (spec,) = check_schema([{"name": "x.y", "type": var_type, "sample": good}])
    assert spec.sample == good
    with pytest.raises(Invalid, match=r"variable x\.y: the sample is wrong"):
        check_schema([{"name": "x.y", "type": var_type, "sample": bad}])


def test_schema_problems_are_all_listed_at_once() -> None:
    with pytest.raises(Invalid) as caught:
        check_schema(
            [
                {"name": "a b", "type": "str"},
                {"name": "ok", "type": "colour"},
                {"name": "n", "type": "int", "sample": "tre", "extra": 1},
            ]
        )
    problems = caught.value.extra["problems"]
    assert len(problems) == 4
    assert any("unknown keys: extra" in p for p in problems)


def test_the_content_hash_ignores_key_order() -> None:
    assert content_hash({"a": 1, "b": [1, {"c": "è"}]}) == content_hash(
        {"b": [1, {"c": "è"}], "a": 1}
    )
    assert content_hash({"a": 1}) != content_hash({"a": 2})


def test_whatsapp_needs_a_template_message_or_a_free_text() -> None:
    free_text = {"whatsapp": {"it": {"text": "Ciao"}}}
    assert missing_for_review(free_text, ["whatsapp"], ["it"]) == []
    half = {"whatsapp": {"it": {"template_name": "promemoria", "text": "Ciao"}}}
    missing = missing_for_review(half, ["whatsapp"], ["it"])
    assert [(f.code, f.field) for f in missing] == [
        ("field_empty", "category"),
        ("field_empty", "body"),
    ]
    assert missing[0].text() == "The field category of the whatsapp variant in it is empty."


def test_diff_text_says_added_removed_changed() -> None:
    labels = ("v1", "v2")
    assert diff_text("sms.it.text", "a", "a", labels) is None
    assert diff_text("sms.it.text", None, "", labels) is None
    added = diff_text("sms.it.text", None, "nuovo", labels)
    assert added is not None
    assert added.change == "added"
    assert added.unified.endswith("+nuovo")
    removed = diff_text("sms.it.text", "vecchio", None, labels)
    assert removed is not None
    assert removed.change == "removed"
    text = schema_text([{"name": "a", "type": "str", "sample": None, "required": False}])
    assert text == "a: str optional sample=null"


@pytest.fixture
def actor_of(make_operator: Callable[..., Operator]) -> Callable[[Role], Actor]:
    return lambda role: Actor(operator=make_operator(role), via="test")


def test_the_rules_as_service_calls(session: Session, actor_of: Callable[[Role], Actor]) -> None:
    designer, other_designer = actor_of(Role.DESIGNER), actor_of(Role.DESIGNER)
    compliance, agent = actor_of(Role.COMPLIANCE), actor_of(Role.AGENT)
    schema = [{"name": "nome", "type": "str", "sample": "Maria"}]
    with pytest.raises(Forbidden):
        templates.do_create_template(
            session, agent, name="X", purpose="inform", variant_kinds=["sms"], locales=["it"]
        )
    version = templates.do_create_template(
        session,
        designer,
        name="Lettura",
        purpose="service",
        variant_kinds=["sms"],
        locales=["it"],
        schema=schema,
        variants=SMS,
    )
    tid = version.template_id
    templates.do_edit_version(session, other_designer, tid, 1, variants=SMS)
    templates.do_submit_version(session, designer, tid, 1)
    with pytest.raises(VersionNotEditable):
        templates.do_edit_version(session, designer, tid, 1, variants={})
    with pytest.raises(Forbidden):
        templates.do_approve_version(session, other_designer, tid, 1, "ok")
    # The other designer edited the draft: even as a compliance officer they may not approve it.
    editor = other_designer.operator
    assert editor is not None
    editor.role = Role.COMPLIANCE
    with pytest.raises(SelfApproval):
        templates.do_approve_version(session, other_designer, tid, 1, "ok")
    approved = templates.do_approve_version(session, compliance, tid, 1, "va bene")
    assert approved.status is VersionStatus.APPROVED
    with pytest.raises(Conflict):
        templates.do_submit_version(session, designer, tid, 1)
    session.commit()

    events = session.scalars(
        select(StudioEvent).where(StudioEvent.subject_id == tid).order_by(StudioEvent.created_at)
    ).all()
    assert [e.action for e in events] == ["created", "edited", "submitted", "approved"]
    assert events[-1].comment == "va bene"
    audit = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "template.approved")
    ).one()
    assert audit.entity_id == str(tid)
    assert audit.details == {"version": 1, "comment": "va bene"}
    assert audit.operator_id == compliance.operator_id


def test_links_outside_the_companys_domains_block_review(
    session: Session,
    actor_of: Callable[[Role], Actor],
    settings_override: Callable[..., None],
) -> None:
    designer = actor_of(Role.DESIGNER)
    settings_override(studio_link_domains=["energiachiara.it"])
    elsewhere = {"sms": {"it": {"text": "Paga su https://paga-subito.example.com/x"}}}
    version = templates.do_create_template(
        session,
        designer,
        name="Link altrove",
        purpose="service",
        variant_kinds=["sms"],
        locales=["it"],
        variants=elsewhere,
    )
    with pytest.raises(Invalid) as refused:
        templates.do_submit_version(session, designer, version.template_id, 1)
    assert "unknown_link_domain" in str(refused.value.extra)
    ours = {"sms": {"it": {"text": "Paga su https://www.energiachiara.it/paga"}}}
    templates.do_edit_version(session, designer, version.template_id, 1, variants=ours)
    templates.do_submit_version(session, designer, version.template_id, 1)
