"""The studio's templates and content blocks through the HTTP API: the review workflow and its
rules, diff, history and audit, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.errors import NotFound
from unisono.models import AuditEvent, Operator, Role
from unisono.security.operators import do_create_token
from unisono.studio.blocks import approved_block_sources
from unisono.studio.templates import approved_version

T = "/api/v1/templates"
B = "/api/v1/blocks"

SCHEMA: list[dict[str, Any]] = [
    {"name": "customer.first_name", "type": "str", "sample": "Maria"},
    {"name": "invoice.amount", "type": "money", "sample": {"amount": "412.30", "currency": "EUR"}},
    {"name": "invoice.due_date", "type": "date", "sample": "2026-12-01"},
]
DUE_IT = "la bolletta di {{ invoice.amount|money }} scade il {{ invoice.due_date|date }}."
DUE_EN = "your bill of {{ invoice.amount|money }} is due on {{ invoice.due_date|date }}."
SMS_IT = "Gentile {{ customer.first_name }}, " + DUE_IT
SMS_EN = "Dear {{ customer.first_name }}, " + DUE_EN
EMAIL_IT = {
    "subject": "La tua bolletta, {{ customer.first_name }}",
    "html": f"<p>{SMS_IT}</p>",
    "text": SMS_IT,
}
EMAIL_EN = {
    "subject": "Your bill, {{ customer.first_name }}",
    "html": f"<p>{SMS_EN}</p>",
    "text": SMS_EN,
}
VARIANTS = {
    "sms": {"it": {"text": SMS_IT}, "en": {"text": SMS_EN}},
    "email": {"it": EMAIL_IT, "en": EMAIL_EN},
}

Headers = dict[str, str]
AsRole = Callable[..., Headers]


@pytest.fixture
def as_role(session: Session, make_operator: Callable[..., Operator]) -> AsRole:
    """``as_role(Role.DESIGNER)`` -> Authorization headers of a new operator of that role."""

    def headers(role: Role, name: str = "Operatore") -> Headers:
        operator = make_operator(role, name=name)
        token = do_create_token(session, operator, "tests")
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def designer(as_role: AsRole) -> Headers:
    return as_role(Role.DESIGNER, "Dario Designer")


@pytest.fixture
def compliance(as_role: AsRole) -> Headers:
    return as_role(Role.COMPLIANCE, "Carla Compliance")


def create(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Sollecito di pagamento",
        "purpose": "payment_reminder",
        "variant_kinds": ["sms", "email"],
        "locales": ["it", "en"],
        "schema": SCHEMA,
        "variants": VARIANTS,
        **overrides,
    }
    r = client.post(T, json=body, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def step(
    client: TestClient, headers: Headers, path: str, expect: int = 200, **body: Any
) -> dict[str, Any]:
    r = client.post(path, json=body or None, headers=headers)
    assert r.status_code == expect, r.text
    result: dict[str, Any] = r.json()
    return result


def audit_actions(session: Session) -> list[str]:
    session.rollback()
    actions = list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "template")
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )
    session.rollback()
    return actions


def test_the_whole_workflow_from_draft_to_sending(
    client: TestClient, session: Session, designer: Headers, compliance: Headers
) -> None:
    t = create(client, designer)
    assert t["latest_version"] == 1
    assert t["latest_status"] == "draft"
    assert t["approved_version"] is None
    assert t["locales"] == ["it", "en"]
    assert t["purpose"] == "payment_reminder"
    v = f"{T}/{t['id']}/versions/1"

    with pytest.raises(NotFound):
        approved_version(session, t["id"])
    session.rollback()

    submitted = step(client, designer, f"{v}/submit")
    assert submitted["status"] == "in_review"
    assert submitted["submitted_at"] is not None
    assert isinstance(submitted["warnings"], list)

    approved = step(client, compliance, f"{v}/approve", comment="Testo conforme, ok.")
    assert approved["status"] == "approved"
    assert approved["review_comment"] == "Testo conforme, ok."
    assert approved["reviewed_by_id"] is not None

    assert client.get(f"{T}/{t['id']}", headers=designer).json()["approved_version"] == 1
    sending = approved_version(session, "Sollecito di pagamento")
    assert sending.number == 1
    assert sending.template.name == "Sollecito di pagamento"
    assert sending.variants["sms"]["it"]["text"] == SMS_IT
    session.rollback()

    history = client.get(f"{T}/{t['id']}/history", headers=designer).json()["items"]
    assert [(h["action"], h["version"]) for h in history] == [
        ("approved", 1),
        ("submitted", 1),
        ("created", 1),
    ]
    assert history[0]["operator_name"] == "Carla Compliance"
    assert history[0]["comment"] == "Testo conforme, ok."
    assert history[2]["operator_name"] == "Dario Designer"
    assert audit_actions(session) == ["template.created", "template.submitted", "template.approved"]


def test_self_approval_is_refused_even_for_an_admin(
    client: TestClient, as_role: AsRole, compliance: Headers
) -> None:
    admin = as_role(Role.ADMIN, "Anna Admin")
    t = create(client, admin)
    v = f"{T}/{t['id']}/versions/1"
    step(client, admin, f"{v}/submit")
    r = client.post(f"{v}/approve", json={"comment": "approvo io"}, headers=admin)
    assert r.status_code == 403
    assert r.json()["code"] == "self_approval"
    assert r.headers["content-type"].startswith("application/problem+json")
    # An admin who only submitted someone else's draft did work on it too.
    other_admin = as_role(Role.ADMIN, "Altro Admin")
    designer = as_role(Role.DESIGNER)
    t2 = create(client, designer, name="Altro")
    v2 = f"{T}/{t2['id']}/versions/1"
    step(client, other_admin, f"{v2}/submit")
    r = client.post(f"{v2}/approve", json={"comment": "ok"}, headers=other_admin)
    assert r.json()["code"] == "self_approval"
    # Neither did the author approve: the version is still in review, and compliance may.
    assert step(client, compliance, f"{v}/approve", comment="ok")["status"] == "approved"


def test_an_editor_of_the_draft_cannot_approve_it(client: TestClient, as_role: AsRole) -> None:
    designer = as_role(Role.DESIGNER)
    admin = as_role(Role.ADMIN)
    t = create(client, designer)
    v = f"{T}/{t['id']}/versions/1"
    r = client.patch(v, json={"variants": VARIANTS}, headers=admin)
    assert r.status_code == 200, r.text
    step(client, designer, f"{v}/submit")
    r = client.post(f"{v}/approve", json={"comment": "ok"}, headers=admin)
    assert r.status_code == 403
    assert r.json()["code"] == "self_approval"


def test_designers_and_agents_cannot_approve_and_only_designers_create(
    client: TestClient, as_role: AsRole, designer: Headers
) -> None:
    t = create(client, designer)
    v = f"{T}/{t['id']}/versions/1"
    step(client, designer, f"{v}/submit")
    other_designer = as_role(Role.DESIGNER)
    for headers in (other_designer, as_role(Role.AGENT), as_role(Role.SUPERVISOR)):
        r = client.post(f"{v}/approve", json={"comment": "ok"}, headers=headers)
        assert r.status_code == 403
        assert r.json()["code"] == "forbidden"
        r = client.post(f"{v}/reject", json={"comment": "no"}, headers=headers)
        assert r.status_code == 403
    for role in (Role.AGENT, Role.COMPLIANCE, Role.SUPERVISOR):
        r = client.post(
            T,
            json={"name": f"x-{role}", "purpose": "inform", "variant_kinds": ["sms"]},
            headers=as_role(role),
        )
        assert r.status_code == 403, role
    # Everyone signed in may read.
    assert client.get(f"{T}/{t['id']}", headers=as_role(Role.AGENT)).status_code == 200


def test_a_submitted_or_approved_version_never_changes(
    client: TestClient, designer: Headers, compliance: Headers
) -> None:
    t = create(client, designer)
    v = f"{T}/{t['id']}/versions/1"
    edit = {"variants": {"sms": {"it": {"text": "cambiato"}}}}
    assert client.patch(v, json=edit, headers=designer).status_code == 200
    client.patch(v, json={"variants": VARIANTS}, headers=designer)
    step(client, designer, f"{v}/submit")

    r = client.patch(v, json=edit, headers=designer)
    assert r.status_code == 409
    assert r.json()["code"] == "version_not_editable"
    r = client.post(f"{v}/submit", headers=designer)
    assert r.status_code == 409
    assert r.json()["code"] == "version_status"

    approved = step(client, compliance, f"{v}/approve", comment="ok")
    for headers in (designer, compliance):
        r = client.patch(v, json=edit, headers=headers)
        assert r.status_code in (403, 409)
    r = client.patch(v, json=edit, headers=designer)
    assert r.json()["code"] == "version_not_editable"
    r = client.post(f"{v}/approve", json={"comment": "di nuovo"}, headers=compliance)
    assert r.status_code == 409
    assert r.json()["code"] == "version_status"
    r = client.post(f"{v}/reject", json={"comment": "ripensamento"}, headers=compliance)
    assert r.status_code == 409
    after = client.get(v, headers=designer).json()
    assert after["content_hash"] == approved["content_hash"]
    assert after["variants"] == VARIANTS


def test_a_new_version_from_the_approved_one_and_its_approval_retires_the_old(
    client: TestClient, session: Session, designer: Headers, compliance: Headers
) -> None:
    t = create(client, designer)
    base = f"{T}/{t['id']}"
    step(client, designer, f"{base}/versions/1/submit")
    v1 = step(client, compliance, f"{base}/versions/1/approve", comment="ok")

    v2 = step(client, designer, f"{base}/versions", expect=201)
    assert (v2["number"], v2["status"], v2["based_on"]) == (2, "draft", 1)
    assert v2["variants"] == VARIANTS
    assert v2["content_hash"] == v1["content_hash"]
    r = client.post(f"{base}/versions", headers=designer)
    assert r.status_code == 409
    assert r.json()["code"] == "draft_exists"

    changed = {**VARIANTS, "sms": {"it": {"text": SMS_IT + " Grazie."}, "en": {"text": SMS_EN}}}
    r = client.patch(f"{base}/versions/2", json={"variants": changed}, headers=designer)
    assert r.status_code == 200
    assert r.json()["content_hash"] != v1["content_hash"]
    step(client, designer, f"{base}/versions/2/submit")
    # While v2 waits for review, v1 still sends.
    assert approved_version(session, t["id"]).number == 1
    session.rollback()
    step(client, compliance, f"{base}/versions/2/approve", comment="ok anche questa")

    versions = client.get(f"{base}/versions", headers=designer).json()["items"]
    assert [(v["number"], v["status"]) for v in versions] == [(2, "approved"), (1, "retired")]
    assert versions[1]["retired_at"] is not None
    assert approved_version(session, t["id"]).number == 2
    session.rollback()
    history = client.get(f"{base}/history", headers=designer).json()["items"]
    assert [(h["action"], h["version"]) for h in history[:2]] == [("approved", 2), ("retired", 1)]
    assert history[1]["details"] == {"superseded_by": 2}


def test_going_back_to_an_older_version_is_a_new_copy(
    client: TestClient, designer: Headers, compliance: Headers
) -> None:
    t = create(client, designer)
    base = f"{T}/{t['id']}"
    step(client, designer, f"{base}/versions/1/submit")
    step(client, designer, f"{base}/versions", expect=201)
    step(client, designer, f"{base}/versions/2/submit")
    step(client, compliance, f"{base}/versions/2/approve", comment="ok")
    r = client.post(f"{base}/versions/1/approve", json={"comment": "ok"}, headers=compliance)
    assert r.status_code == 409
    assert r.json()["code"] == "older_than_approved"
    v3 = step(client, designer, f"{base}/versions", expect=201, from_version=1)
    assert (v3["number"], v3["based_on"]) == (3, 1)


def test_reject_needs_a_comment_and_a_rejected_version_stays_frozen(
    client: TestClient, designer: Headers, compliance: Headers
) -> None:
    t = create(client, designer)
    v = f"{T}/{t['id']}/versions/1"
    step(client, designer, f"{v}/submit")
    for action in ("approve", "reject"):
        r = client.post(f"{v}/{action}", json={"comment": "   "}, headers=compliance)
        assert r.status_code == 422
        assert r.json()["code"] == "comment_required"
        r = client.post(f"{v}/{action}", json={}, headers=compliance)
        assert r.json()["code"] == "comment_required"
    rejected = step(client, compliance, f"{v}/reject", comment="Manca il riferimento al contratto")
    assert rejected["status"] == "rejected"
    assert rejected["review_comment"] == "Manca il riferimento al contratto"
    r = client.patch(v, json={"variants": VARIANTS}, headers=designer)
    assert r.status_code == 409
    v2 = step(client, designer, f"{T}/{t['id']}/versions", expect=201)
    assert v2["based_on"] == 1
    assert v2["status"] == "draft"


def test_retire_stops_sending_and_is_for_compliance(
    client: TestClient, session: Session, designer: Headers, compliance: Headers
) -> None:
    t = create(client, designer)
    v = f"{T}/{t['id']}/versions/1"
    step(client, designer, f"{v}/submit")
    r = client.post(f"{v}/retire", headers=compliance)
    assert r.status_code == 409
    assert r.json()["code"] == "version_status"
    step(client, compliance, f"{v}/approve", comment="ok")
    r = client.post(f"{v}/retire", headers=designer)
    assert r.status_code == 403
    retired = step(client, compliance, f"{v}/retire", comment="campagna finita")
    assert retired["status"] == "retired"
    with pytest.raises(NotFound):
        approved_version(session, t["id"])
    session.rollback()
    assert client.get(f"{T}/{t['id']}", headers=designer).json()["approved_version"] is None


def test_submission_lists_what_is_missing(client: TestClient, designer: Headers) -> None:
    t = create(client, designer, variants={"sms": {"it": {"text": SMS_IT}}})
    r = client.post(f"{T}/{t['id']}/versions/1/submit", headers=designer)
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "version_not_ready"
    found = {(f["code"], f["variant"], f["locale"]) for f in problem["findings"]}
    assert ("missing_locale", "sms", "en") in found
    assert ("missing_variant", "email", None) in found
    assert all(f["severity"] == "error" for f in problem["findings"])
    findings = client.get(f"{T}/{t['id']}/versions/1/findings", headers=designer).json()
    assert {f["code"] for f in findings} >= {"missing_locale", "missing_variant"}
    # Still a draft: nothing changed.
    assert client.get(f"{T}/{t['id']}/versions/1", headers=designer).json()["status"] == "draft"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"schema": [{"name": "9bad", "type": "str"}]}, "dotted identifier"),
        ({"schema": [{"name": "invoice.amount", "type": "money", "sample": "12"}]}, "sample"),
        ({"schema": [{"name": "x", "type": "date", "sample": "01/12/2026"}]}, "sample"),
        (
            {"schema": [{"name": "a", "type": "str"}, {"name": "a", "type": "int"}]},
            "declared twice",
        ),
        ({"schema": [{"name": "c", "type": "str"}, {"name": "c.n", "type": "str"}]}, "parent"),
        ({"variants": {"push": {"it": {"title": "x"}}}}, "does not support push"),
        ({"variants": {"sms": {"de": {"text": "x"}}}}, "locales"),
        ({"variants": {"sms": {"it": {"subject": "x"}}}}, "sms has the fields text"),
        ({"variants": {"sms": {"it": {"text": 3}}}}, "is text"),
        ({"variants": {"fax": {}}}, "not a variant kind"),
        ({"locales": ["en"]}, "'it'"),
        ({"locales": ["it", "it"]}, "twice"),
        ({"variant_kinds": ["sms", "sms"]}, "twice"),
        ({"name": "   "}, "name"),
    ],
)
def test_bad_schemas_and_variants_are_refused_clearly(
    client: TestClient, designer: Headers, overrides: dict[str, Any], expected: str
) -> None:
    body = {"name": "T", "purpose": "inform", "variant_kinds": ["sms"], "locales": ["it"]}
    r = client.post(T, json=body | overrides, headers=designer)
    assert r.status_code == 422, r.text
    assert expected in r.json()["detail"]


def test_whatsapp_variant_shapes(client: TestClient, designer: Headers) -> None:
    body = {"name": "W", "purpose": "service", "variant_kinds": ["whatsapp"], "locales": ["it"]}
    good: dict[str, Any] = {
        "template_name": "promemoria_lettura",
        "category": "UTILITY",
        "body": "Ciao {{first_name}}, invia la lettura",
        "parameters": {"first_name": "{{ customer.first_name }}"},
        "buttons": [{"type": "URL", "text": "Invia", "url": "https://energiachiara.it/lettura"}],
        "text": "Ciao {{ customer.first_name }}",
    }
    created = create(
        client, designer, **body, schema=SCHEMA[:1], variants={"whatsapp": {"it": good}}
    )
    version = client.get(f"{T}/{created['id']}/versions/1", headers=designer).json()
    assert version["variants"]["whatsapp"]["it"]["parameters"] == good["parameters"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"category": "PROMO"}, "MARKETING"),
        ({"template_name": "Con Spazi"}, "lower-case"),
        ({"parameters": {"First Name": "x"}}, "parameter name"),
        ({"parameters": ["x"]}, "parameters is an object"),
        ({"buttons": [{"type": "CALL", "text": "x"}]}, "QUICK_REPLY"),
    ]
    for bad, expected in cases:
        r = client.post(
            T,
            json=body | {"name": "W2", "variants": {"whatsapp": {"it": good | bad}}},
            headers=designer,
        )
        assert r.status_code == 422, (bad, r.text)
        assert expected in r.json()["detail"], (bad, r.text)


def test_diff_between_two_versions(client: TestClient, designer: Headers) -> None:
    t = create(client, designer)
    base = f"{T}/{t['id']}"
    client.post(f"{base}/versions/1/submit", headers=designer)
    step(client, designer, f"{base}/versions", expect=201)
    new_schema = [*SCHEMA, {"name": "contract.code", "type": "str", "sample": "EC-1"}]
    new_variants = {
        "sms": {"it": {"text": SMS_IT.replace("Gentile", "Caro")}, "en": {"text": SMS_EN}},
        "email": {"it": EMAIL_IT, "en": {k: v for k, v in EMAIL_EN.items() if k != "text"}},
    }
    r = client.patch(
        f"{base}/versions/2",
        json={"schema": new_schema, "variants": new_variants},
        headers=designer,
    )
    assert r.status_code == 200, r.text
    diff = client.get(f"{base}/diff", params={"from": 1, "to": 2}, headers=designer).json()
    assert (diff["from_version"], diff["to_version"]) == (1, 2)
    changes = {c["path"]: c for c in diff["changes"]}
    assert list(changes) == ["schema", "email.en.text", "sms.it.text"]
    assert changes["schema"]["change"] == "changed"
    assert '+contract.code: str sample="EC-1"' in changes["schema"]["unified"]
    assert changes["email.en.text"]["change"] == "removed"
    unified = changes["sms.it.text"]["unified"]
    assert unified.startswith("--- v1/sms.it.text\n+++ v2/sms.it.text")
    assert "-Gentile {{ customer.first_name }}" in unified
    assert "+Caro {{ customer.first_name }}" in unified
    back = client.get(f"{base}/diff", params={"from": 2, "to": 1}, headers=designer).json()
    assert {c["path"]: c["change"] for c in back["changes"]}["email.en.text"] == "added"
    same = client.get(f"{base}/diff", params={"from": 1, "to": 1}, headers=designer).json()
    assert same["changes"] == []
    r = client.get(f"{base}/diff", params={"from": 1, "to": 9}, headers=designer)
    assert r.status_code == 404


def test_template_updates_and_lists(client: TestClient, designer: Headers) -> None:
    ids = [create(client, designer, name=f"Modello {n}")["id"] for n in "CAB"]
    r = client.post(
        T,
        json={"name": "modello a", "purpose": "inform", "variant_kinds": ["sms"]},
        headers=designer,
    )
    assert r.status_code == 409
    first = client.get(T, params={"limit": 2}, headers=designer).json()
    assert [t["name"] for t in first["items"]] == ["Modello A", "Modello B"]
    rest = client.get(
        T, params={"limit": 2, "cursor": first["next_cursor"]}, headers=designer
    ).json()
    assert [t["name"] for t in rest["items"]] == ["Modello C"]
    assert rest["next_cursor"] is None
    r = client.patch(
        f"{T}/{ids[0]}",
        json={
            "description": "per le bollette",
            "variant_kinds": ["sms", "push"],
            "locales": ["en", "it"],
        },
        headers=designer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["variant_kinds"] == ["sms", "push"]
    assert r.json()["locales"] == ["it", "en"]
    r = client.patch(f"{T}/{ids[0]}", json={"purpose": "advertise"}, headers=designer)
    assert r.status_code == 422
    assert client.get(T, params={"purpose": "advertise"}, headers=designer).json()["items"] == []


def test_content_blocks_are_reviewed_like_templates(
    client: TestClient, session: Session, designer: Headers, compliance: Headers
) -> None:
    content = {
        "it": {
            "html": "<p>Energia Chiara S.p.A. — P.IVA 01234567890</p>",
            "text": "Energia Chiara S.p.A.",
        },
        "en": {
            "html": "<p>Energia Chiara S.p.A. — VAT 01234567890</p>",
            "text": "Energia Chiara S.p.A.",
        },
    }
    r = client.post(B, json={"name": "Legal Notice", "content": content}, headers=designer)
    assert r.status_code == 422
    assert "include" in r.json()["detail"]
    r = client.post(
        B, json={"name": "legal_notice", "content": {"it": {"html": "<p>x</p>"}}}, headers=designer
    )
    assert r.status_code == 201, r.text
    block = r.json()
    base = f"{B}/{block['id']}"
    r = client.post(f"{base}/versions/1/submit", headers=designer)
    assert r.status_code == 422
    assert r.json()["code"] == "version_not_ready"
    assert (
        client.patch(f"{base}/versions/1", json={"content": content}, headers=designer).status_code
        == 200
    )
    step(client, designer, f"{base}/versions/1/submit")
    r = client.post(f"{base}/versions/1/approve", json={"comment": "ok"}, headers=designer)
    assert r.status_code == 403
    step(client, compliance, f"{base}/versions/1/approve", comment="testo legale verificato")
    assert approved_block_sources(session)["legal_notice"]["it"]["text"] == "Energia Chiara S.p.A."
    session.rollback()

    r = client.patch(f"{base}/versions/1", json={"content": content}, headers=designer)
    assert r.status_code == 409
    assert r.json()["code"] == "version_not_editable"
    step(client, designer, f"{base}/versions", expect=201)
    changed = {**content, "it": {**content["it"], "text": "Energia Chiara S.p.A., Milano"}}
    client.patch(f"{base}/versions/2", json={"content": changed}, headers=designer)
    step(client, designer, f"{base}/versions/2/submit")
    step(client, compliance, f"{base}/versions/2/approve", comment="ok")
    assert approved_block_sources(session)["legal_notice"]["it"]["text"].endswith("Milano")
    session.rollback()
    versions = client.get(f"{base}/versions", headers=designer).json()["items"]
    assert [(v["number"], v["status"]) for v in versions] == [(2, "approved"), (1, "retired")]
    diff = client.get(f"{base}/diff", params={"from": 1, "to": 2}, headers=designer).json()
    assert [c["path"] for c in diff["changes"]] == ["it.text"]
    history = client.get(f"{base}/history", headers=designer).json()["items"]
    assert [h["action"] for h in history][:3] == ["approved", "retired", "submitted"]
    listed = client.get(B, headers=designer).json()["items"]
    assert [b["name"] for b in listed] == ["legal_notice"]


def test_unknown_ids_and_versions_are_404(client: TestClient, designer: Headers) -> None:
    unknown = "0190a4b2-0000-7000-8000-00000000beef"
    assert client.get(f"{T}/{unknown}", headers=designer).status_code == 404
    assert client.get(f"{T}/{unknown}/history", headers=designer).status_code == 404
    t = create(client, designer)
    assert client.get(f"{T}/{t['id']}/versions/2", headers=designer).status_code == 404
    r = client.post(f"{T}/{t['id']}/versions", json={"from_version": 7}, headers=designer)
    assert r.status_code == 404
    assert client.get(f"{B}/{unknown}", headers=designer).status_code == 404


def test_the_linter_blocks_submission_and_blocks_are_included_once_approved(
    client: TestClient, designer: Headers, compliance: Headers
) -> None:
    footer = '{% include "firma" %}'
    variants = {"sms": {"it": {"text": "Ciao {{ cliente.nome }}. " + footer}}}
    body = {"name": "Con firma", "purpose": "service", "variant_kinds": ["sms"], "locales": ["it"]}
    t = create(client, designer, **body, schema=[], variants=variants)
    v = f"{T}/{t['id']}/versions/1"
    r = client.post(f"{v}/submit", headers=designer)
    assert r.status_code == 422
    codes = {f["code"] for f in r.json()["findings"]}
    assert codes == {"undeclared_variable", "unknown_block"}

    schema = [{"name": "cliente.nome", "type": "str", "sample": "Maria"}]
    assert client.patch(v, json={"schema": schema}, headers=designer).status_code == 200
    block = client.post(
        B,
        json={"name": "firma", "content": {"it": {"html": "<p>Energia Chiara</p>", "text": "EC"}}},
        headers=designer,
    ).json()
    # A block in draft or in review does not count: only approved content renders.
    step(client, designer, f"{B}/{block['id']}/versions/1/submit")
    r = client.post(f"{v}/submit", headers=designer)
    assert {f["code"] for f in r.json()["findings"]} == {"unknown_block"}
    step(client, compliance, f"{B}/{block['id']}/versions/1/approve", comment="ok")
    assert step(client, designer, f"{v}/submit")["status"] == "in_review"
