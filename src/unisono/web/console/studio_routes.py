"""Studio pages in the console: templates, versions, side-by-side preview, approval.

- ``/studio``: the templates (filters by purpose and status) and the form for a new one;
- ``/studio/templates/{id}``: its versions with who did what when; ``.../versions/{n}``: one
  version, its editor while it is a draft, its findings and the workflow's forms (submit,
  approve or reject with a comment, retire, new version from it);
- ``.../versions/{n}/preview``: every variant in its channel's frame for the sample data or a
  chosen customer, with the findings beside each; the email is an ``<iframe sandbox>`` of
  ``.../frames/email`` (its own strict CSP), the letter a PNG of ``.../frames/letter.png``;
- ``/studio/templates/{id}/diff`` and ``/history``; ``/studio/blocks`` and a block's page.

Every form works as a plain POST answered with a 303; a refused one shows the page again with
the reason beside the form (translated per error code) and, for ``version_not_ready``, the
findings. The request is rolled back first, so a refusal leaves nothing behind. htmx boosts the
forms (``hx-boost``): its requests get the page with a 200, since htmx swaps only 2xx answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from pydantic import StringConstraints
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from unisono.clock import utcnow
from unisono.customers.search import search_customers
from unisono.errors import Invalid, NotFound, UnisonoError
from unisono.ids import parse_uuid
from unisono.models import VersionStatus
from unisono.security.actor import Actor
from unisono.security.operators import operator_names
from unisono.studio import blocks, templates, workflow
from unisono.studio.company import company_sender
from unisono.studio.diff import diff_block_versions, diff_template_versions
from unisono.studio.preview import preview_letter, preview_version
from unisono.studio.schema import MAX_DESCRIPTION, MAX_NAME
from unisono.studio.spec import Purpose
from unisono.studio.test_send import RECIPIENT_KINDS, do_test_send
from unisono.studio.workflow import MAX_COMMENT
from unisono.web.console import studio_views as sv
from unisono.web.console.auth import ConsoleActor, CsrfChecked
from unisono.web.console.i18n import N_
from unisono.web.console.pages import Page, SignedInPage, harden
from unisono.web.console.views import customer_name
from unisono.web.deps import SessionDep

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

LIST_SIZE = 200
HISTORY_SIZE = 50
RECENT_HISTORY = 6
PICKER_SIZE = 10
MAX_VERSION = 1_000_000

VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION)]
Cursor = Annotated[str | None, Query(max_length=500)]
Comment = Annotated[str, Form(max_length=MAX_COMMENT)]
SchemaText = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)]
SchemaList = Annotated[list[SchemaText], Form(max_length=200)]

# The email frame is untrusted markup: no script, nothing fetched from elsewhere, no form, no
# plugin; the inlined CSS needs inline styles. Only console pages may frame it.
EMAIL_FRAME_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)

# The sentence shown beside a form that failed, by form; the reason follows it.
FAILED: Mapping[str, str] = {
    "create": N_("The template was not created."),
    "edit": N_("The version was not saved."),
    "submit": N_("The version was not submitted for review."),
    "approve": N_("The version was not approved."),
    "reject": N_("The version was not rejected."),
    "retire": N_("The version was not retired."),
    "copy": N_("The new version was not created."),
    "block": N_("The block was not created."),
    "test": N_("The test message was not sent."),
}
# Why, by the error's reason or code, in the operator's language; other errors follow the
# form's sentence in the service's words.
REASONS: Mapping[str, str] = {
    "self_approval": N_(
        "You worked on this version: another compliance officer or an administrator must review it."
    ),
    "version_not_editable": N_(
        "The version is frozen since it was submitted: create a new version from it to change it."
    ),
    "version_not_ready": N_("It is not ready for review: fix the errors listed here."),
    "comment_required": N_("Write a comment: the designer reads it beside the decision."),
    "forbidden": N_("Your role does not allow this."),
    "version_status": N_("The version is no longer in the state this needs: reload the page."),
    "draft_exists": N_("There is a draft already: edit or submit it first."),
    "older_than_approved": N_(
        "A newer version is approved: create a new version from this one to go back to it."
    ),
    "not_found": N_("It no longer exists: reload the page."),
    "not_configured": N_("No channel of this kind is set up yet: an administrator adds it first."),
    "customer_recipient": N_(
        "This address or number belongs to a customer: test messages go to your own."
    ),
    "no_recipient": N_("Enter where to send the test."),
    "bad_phone": N_("This is not a phone number."),
    "bad_email": N_("This is not an email address."),
    "not_sendable_kind": N_("This variant is not sent: it has no test send."),
}
SAVED: Mapping[str, str] = {
    "created": N_("The template was created with version 1 as a draft."),
    "edit": N_("The draft was saved."),
    "submit": N_("The version was submitted for review."),
    "approve": N_("The version was approved: it is the one that sends."),
    "reject": N_("The version was rejected with your comment."),
    "retire": N_("The version was retired: the template cannot send until another is approved."),
    "copy": N_("A new draft was created."),
    "block": N_("The block was created with version 1 as a draft."),
}


class Failure:
    """A refused form: which one, the sentence, and the findings that explain it."""

    def __init__(self, form: str, message: str, findings: list[sv.FindingView]) -> None:
        self.form = form
        self.message = message
        self.findings = findings
        # The variant kind a test send was for: its card shows the failure.
        self.target = ""


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _redirect(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    harden(response)
    return response


def _failure(form: str, exc: UnisonoError, page: Page) -> Failure:
    reason = exc.extra.get("reason")
    why = exc.detail
    for code in (reason if isinstance(reason, str) else "", exc.code):
        if code in REASONS:
            why = page.gettext(REASONS[code])
            break
    return Failure(form, f"{page.gettext(FAILED[form])} {why}", sv.problem_findings(exc, page.l10n))


def _failed_status(request: Request, exc: UnisonoError) -> int:
    # htmx swaps 2xx answers only; a plain form's page says what it is.
    return 200 if _is_htmx(request) else (exc.status if exc.status < 500 else 400)


async def editor_fields(request: Request) -> dict[str, str]:
    """The editor's dynamic fields (``v.<kind>.<locale>.<field>``, ``b.<locale>.<format>``)."""
    form = await request.form()
    return {
        key: value
        for key, value in form.multi_items()
        if isinstance(value, str) and key.startswith(("v.", "b."))
    }


EditorFields = Annotated[dict[str, str], Depends(editor_fields)]


def _viewer_role(page: Page) -> str:
    return page.viewer.role if page.viewer else ""


# --- the templates list --------------------------------------------------------------------------


@router.get("/studio")
def studio_page(
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    purpose: Annotated[str, Query(max_length=32)] = "",
    status: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """Templates with their purpose, channels, locales and the state of their versions."""
    chosen = Purpose(purpose) if purpose in set(Purpose) else None
    result = templates.list_templates(session, purpose=chosen, limit=LIST_SIZE)
    shown_status = status if status in set(VersionStatus) else ""
    return page.render(
        "console/studio_list.html",
        nav="studio",
        rows=sv.template_rows(result.items, page.l10n, utcnow(), shown_status),
        purpose=chosen.value if chosen else "",
        status=shown_status,
        purposes=sv.purpose_choices(page.l10n),
        statuses=sv.status_choices(page.l10n),
        kinds=sv.kind_choices(page.l10n),
        locales_available=sv.locale_choices(page.l10n),
        can_design=sv.can_design(_viewer_role(page)),
        failure=None,
        values={},
        more=result.next_cursor is not None,
    )


@router.post("/studio/templates")
def create_template(
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=MAX_NAME)] = "",
    purpose: Annotated[str, Form(max_length=32)] = "",
    description: Annotated[str, Form(max_length=MAX_DESCRIPTION)] = "",
    kinds: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006 - FastAPI copies it
    locales: Annotated[list[str], Form(max_length=5)] = [],  # noqa: B006
) -> Response:
    """A new template (version 1, a draft); then its first version's editor."""
    try:
        version = templates.do_create_template(
            session,
            actor,
            name=name,
            purpose=purpose,
            variant_kinds=kinds,
            locales=locales or ["it"],
            description=description,
        )
    except UnisonoError as exc:
        session.rollback()
        result = templates.list_templates(session, limit=LIST_SIZE)
        return page.render(
            "console/studio_list.html",
            status_code=_failed_status(request, exc),
            nav="studio",
            rows=sv.template_rows(result.items, page.l10n, utcnow()),
            purpose="",
            status="",
            purposes=sv.purpose_choices(page.l10n),
            statuses=sv.status_choices(page.l10n),
            kinds=sv.kind_choices(page.l10n),
            locales_available=sv.locale_choices(page.l10n),
            can_design=sv.can_design(_viewer_role(page)),
            failure=_failure("create", exc, page),
            values={
                "name": name,
                "purpose": purpose,
                "description": description,
                "kinds": kinds,
                "locales": locales,
            },
            more=False,
        )
    target = sv.version_url(version.template_id, 1)
    return _redirect(f"{target}?{urlencode({'done': 'created'})}#editor")


# --- a template and its versions -----------------------------------------------------------------


@router.get("/studio/templates/{template_id}")
def template_page(
    template_id: uuid.UUID, session: SessionDep, actor: ConsoleActor, page: SignedInPage
) -> Response:
    """The template's versions (who created, submitted, reviewed each, when), recent history."""
    template = templates.get_template(session, template_id)
    versions = templates.list_versions(session, template.id, limit=LIST_SIZE).items
    recent = templates.version_history(session, template.id, limit=RECENT_HISTORY).items
    names = operator_names(session, sv.people_of(versions))
    now = utcnow()
    has_draft = any(v.status is VersionStatus.DRAFT for v in versions)
    (summary,) = sv.template_rows(
        templates.summarize_templates(session, [template]), page.l10n, now
    )
    return page.render(
        "console/studio_template.html",
        nav="studio",
        tpl=template,
        summary=summary,
        versions=[
            sv.version_row(v, sv.version_url(template.id, v.number), names, page.l10n, now)
            for v in versions
        ],
        history=sv.history_rows(recent, page.l10n, now),
        can_copy=sv.can_design(_viewer_role(page)) and not has_draft,
        numbers=[v.number for v in versions],
        url=sv.template_url(template.id),
    )


def _version_page(
    session: Session,
    actor: Actor,
    page: Page,
    template_id: uuid.UUID,
    number: VersionNumber,
    *,
    failure: Failure | None = None,
    typed: Mapping[str, str] | None = None,
    typed_schema: list[sv.SchemaRow] | None = None,
    status_code: int = 200,
) -> Response:
    template = templates.get_template(session, template_id)
    version = templates.get_version(session, template.id, number)
    versions = templates.list_versions(session, template.id, limit=LIST_SIZE).items
    names = operator_names(session, sv.people_of([version]))
    now = utcnow()
    role = _viewer_role(page)
    contributed = version.status is VersionStatus.IN_REVIEW and (
        actor.operator_id in workflow.contributors(session, template.id, version)
    )
    actions = sv.version_actions(
        role,
        version,
        page.l10n,
        contributed=contributed,
        has_draft=any(v.status is VersionStatus.DRAFT for v in versions),
    )
    try:
        findings = sv.finding_views(templates.check_version(session, version), page.l10n)
    except Invalid as exc:  # stored variants of kinds or locales the template dropped since
        findings = sv.problem_findings(exc, page.l10n)
    url = sv.version_url(template.id, number)
    done = page.request.query_params.get("done", "")
    return page.render(
        "console/studio_version.html",
        status_code=status_code,
        nav="studio",
        tpl=template,
        template_url=sv.template_url(template.id),
        version=sv.version_row(version, url, names, page.l10n, now),
        url=url,
        actions=actions,
        findings=findings,
        editor=sv.editor_variants(template, version.variants or {}, page.l10n, typed)
        if actions.edit
        else [],
        schema=typed_schema or sv.schema_rows(version.schema or []),
        sources=sv.source_views(template, version.variants or {}, page.l10n),
        stored_schema=sv.schema_rows(version.schema or [])[: len(version.schema or [])],
        types=sv.type_choices(page.l10n),
        failure=failure,
        notice=page.gettext(SAVED[done]) if done in SAVED else "",
        previous=max((v.number for v in versions if v.number < number), default=None),
    )


@router.get("/studio/templates/{template_id}/versions/{number}")
def version_page(
    template_id: uuid.UUID,
    number: VersionNumber,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
) -> Response:
    """One version: its content (the editor while a draft), findings, and the workflow's forms."""
    return _version_page(session, actor, page, template_id, number)


def _after(template_id: uuid.UUID, number: int, done: str, anchor: str = "actions") -> Response:
    return _redirect(f"{sv.version_url(template_id, number)}?{urlencode({'done': done})}#{anchor}")


@router.post("/studio/templates/{template_id}/versions/{number}/edit")
def edit_version(
    template_id: uuid.UUID,
    number: VersionNumber,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    fields: EditorFields,
    var_name: SchemaList = [],  # noqa: B006 - FastAPI copies it
    var_type: SchemaList = [],  # noqa: B006
    var_sample: SchemaList = [],  # noqa: B006
    var_required: SchemaList = [],  # noqa: B006
    var_description: SchemaList = [],  # noqa: B006
) -> Response:
    """Save a draft: its data schema and every variant (each replaces what was stored)."""
    schema_form = (var_name, var_type, var_sample, var_required, var_description)
    try:
        template = templates.get_template(session, template_id)
        templates.do_edit_version(
            session,
            actor,
            template.id,
            number,
            schema=sv.parse_schema(*schema_form),
            variants=sv.parse_variants(fields, template.variant_kinds, template.locales),
        )
    except UnisonoError as exc:
        session.rollback()
        return _version_page(
            session,
            actor,
            page,
            template_id,
            number,
            failure=_failure("edit", exc, page),
            typed=fields,
            typed_schema=sv.typed_schema_rows(*schema_form),
            status_code=_failed_status(request, exc),
        )
    return _after(template_id, number, "edit", "editor")


def _workflow_step(
    request: Request,
    session: Session,
    actor: Actor,
    page: Page,
    template_id: uuid.UUID,
    number: VersionNumber,
    form: str,
    comment: str = "",
) -> Response:
    try:
        if form == "submit":
            templates.do_submit_version(session, actor, template_id, number)
        elif form == "approve":
            templates.do_approve_version(session, actor, template_id, number, comment)
        elif form == "reject":
            templates.do_reject_version(session, actor, template_id, number, comment)
        elif form == "retire":
            templates.do_retire_version(session, actor, template_id, number, comment)
        else:
            copy = templates.do_new_version(session, actor, template_id, from_number=number)
            return _after(template_id, copy.number, "copy", "editor")
    except UnisonoError as exc:
        session.rollback()
        return _version_page(
            session,
            actor,
            page,
            template_id,
            number,
            failure=_failure(form, exc, page),
            status_code=_failed_status(request, exc),
        )
    return _after(template_id, number, form)


@router.post("/studio/templates/{template_id}/versions/{number}/submit")
def submit_version(
    template_id: uuid.UUID,
    number: VersionNumber,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
) -> Response:
    """Freeze the draft and send it to compliance (refused with its findings if not ready)."""
    return _workflow_step(request, session, actor, page, template_id, number, "submit")


@router.post("/studio/templates/{template_id}/versions/{number}/approve")
def approve_version(
    template_id: uuid.UUID,
    number: VersionNumber,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    comment: Comment = "",
) -> Response:
    """Approve with a comment (compliance or admin who did not work on the version)."""
    return _workflow_step(request, session, actor, page, template_id, number, "approve", comment)


@router.post("/studio/templates/{template_id}/versions/{number}/reject")
def reject_version(
    template_id: uuid.UUID,
    number: VersionNumber,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    comment: Comment = "",
) -> Response:
    """Send the version back with a comment."""
    return _workflow_step(request, session, actor, page, template_id, number, "reject", comment)


@router.post("/studio/templates/{template_id}/versions/{number}/retire")
def retire_version(
    template_id: uuid.UUID,
    number: VersionNumber,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    comment: Comment = "",
) -> Response:
    """Withdraw the approved version (compliance or admin)."""
    return _workflow_step(request, session, actor, page, template_id, number, "retire", comment)


@router.post("/studio/templates/{template_id}/versions/{number}/copy")
def copy_version(
    template_id: uuid.UUID,
    number: VersionNumber,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
) -> Response:
    """A new draft copied from this version (how a frozen version is changed)."""
    return _workflow_step(request, session, actor, page, template_id, number, "copy")


# --- preview -------------------------------------------------------------------------------------


def _customer_id(value: str) -> uuid.UUID | None:
    if not value:
        return None
    parsed = parse_uuid(value)
    if parsed is None:
        raise NotFound("no such customer")
    return parsed


CustomerParam = Annotated[str, Query(max_length=40)]
LocaleParam = Annotated[str, Query(max_length=10)]


def _preview_page(
    session: Session,
    actor: Actor,
    page: Page,
    template_id: uuid.UUID,
    number: int,
    *,
    customer: str,
    locale: str,
    find: str = "",
    failure: Failure | None = None,
    status_code: int = 200,
) -> Response:
    template = templates.get_template(session, template_id)
    version = templates.get_version(session, template.id, number)
    customer_id = _customer_id(customer)
    shown_locale = locale or template.locales[0]
    preview = preview_version(
        session, actor, version, customer_id=customer_id, locale=shown_locale, letters=False
    )
    query = {"customer": str(customer_id)} if customer_id else {}
    base = sv.version_url(template.id, number)
    found = (
        search_customers(session, actor, find.strip(), limit=PICKER_SIZE).items
        if find.strip()
        else []
    )
    params = page.request.query_params
    tested = params.get("tested", "")
    outcome = params.get("outcome", "")
    return page.render(
        "console/studio_preview.html",
        status_code=status_code,
        nav="studio",
        tpl=template,
        template_url=sv.template_url(template.id),
        version=sv.version_row(version, base, {}, page.l10n, utcnow()),
        url=base,
        cards=sv.preview_cards(preview, page.l10n, base, query),
        findings=sv.finding_views(preview.findings, page.l10n),
        from_sample=preview.data.from_sample if customer_id else [],
        problems=dict(preview.data.problems),
        customer=preview.customer,
        customer_label=customer_name(preview.customer) if preview.customer else "",
        customer_locale=preview.customer_locale,
        customer_email=_customer_email(preview),
        locale_choice=shown_locale,
        locales_of=[sv.locale_choice(loc, page.l10n) for loc in template.locales],
        query=query,
        find=find,
        found=[(customer_name(c), str(c.id)) for c in found],
        sender=company_sender().name,
        sendable={k.value for k in RECIPIENT_KINDS},
        own_email=page.viewer.email if page.viewer else "",
        can_test=sv.can_test_send(_viewer_role(page)),
        failure=failure,
        tested=tested if outcome in ("sent", "failed") else "",
        outcome=outcome,
    )


@router.get("/studio/templates/{template_id}/versions/{number}/preview")
def preview_page(
    template_id: uuid.UUID,
    number: VersionNumber,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    customer: CustomerParam = "",
    locale: LocaleParam = "",
    find: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Every variant of the version side by side in its channel's frame, for the sample data or
    a customer (audited), in one of the template's locales, the findings beside each."""
    return _preview_page(
        session, actor, page, template_id, number, customer=customer, locale=locale, find=find
    )


@router.post("/studio/templates/{template_id}/versions/{number}/test-send")
def send_test(
    template_id: uuid.UUID,
    number: VersionNumber,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    kind: Annotated[str, Form(max_length=32)] = "",
    locale: Annotated[str, Form(max_length=10)] = "",
    recipient: Annotated[str, Form(max_length=320)] = "",
    customer: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Send one variant to the operator's own address or number, to see it for real."""
    try:
        template = templates.get_template(session, template_id)
        version = templates.get_version(session, template.id, number)
        receipt = do_test_send(
            session,
            actor,
            version,
            kind,
            locale or None,
            recipient,
            customer_id=_customer_id(customer),
        )
    except UnisonoError as exc:
        session.rollback()
        failure = _failure("test", exc, page)
        failure.target = kind
        return _preview_page(
            session,
            actor,
            page,
            template_id,
            number,
            customer=customer if parse_uuid(customer) else "",
            locale=locale,
            failure=failure,
            status_code=_failed_status(request, exc),
        )
    query = {"customer": customer} if parse_uuid(customer) else {}
    query |= {"locale": receipt.locale, "tested": receipt.kind.value, "outcome": receipt.status}
    return _redirect(
        f"{sv.version_url(template_id, number)}/preview?{urlencode(query)}#pv-{receipt.kind.value}"
    )


def _customer_email(preview: Any) -> str:
    value = preview.data.values.get("customer", {})
    email = value.get("email") if isinstance(value, Mapping) else None
    return str(email) if email else ""


def _frame_preview(
    session: Session,
    actor: Actor,
    template_id: uuid.UUID,
    number: VersionNumber,
    customer: str,
    locale: str,
) -> tuple[Any, uuid.UUID | None, str]:
    template = templates.get_template(session, template_id)
    version = templates.get_version(session, template.id, number)
    return version, _customer_id(customer), locale or template.locales[0]


@router.get("/studio/templates/{template_id}/versions/{number}/frames/email")
def email_frame(
    template_id: uuid.UUID,
    number: VersionNumber,
    session: SessionDep,
    actor: ConsoleActor,
    customer: CustomerParam = "",
    locale: LocaleParam = "",
) -> Response:
    """The rendered email's HTML alone, for the preview's sandboxed frame (its own CSP)."""
    version, customer_id, loc = _frame_preview(
        session, actor, template_id, number, customer, locale
    )
    preview = preview_version(
        session, actor, version, customer_id=customer_id, locale=loc, kinds=["email"], letters=False
    )
    variant = preview.variant("email", loc)
    html = ""
    if variant is not None and variant.rendered is not None:
        html = variant.rendered.fields.get("html", "")
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = EMAIL_FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "no-referrer"
    return harden(response)


@router.get("/studio/templates/{template_id}/versions/{number}/frames/letter.{fmt}")
def letter_frame(
    template_id: uuid.UUID,
    number: VersionNumber,
    fmt: str,
    session: SessionDep,
    actor: ConsoleActor,
    customer: CustomerParam = "",
    locale: LocaleParam = "",
) -> Response:
    """The letter as printed: its first page as a PNG for the preview, or the whole PDF."""
    if fmt not in ("png", "pdf"):
        raise NotFound("no such format")
    version, customer_id, loc = _frame_preview(
        session, actor, template_id, number, customer, locale
    )
    files = preview_letter(
        session, actor, version, locale=loc, customer_id=customer_id, image=fmt == "png"
    )
    if fmt == "png" and files.png is not None:
        return harden(Response(files.png, media_type="image/png"))
    response = Response(files.pdf, media_type="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="letter-v{number}-{loc}.pdf"'
    return harden(response)


# --- diff and history ----------------------------------------------------------------------------


@router.get("/studio/templates/{template_id}/diff")
def template_diff(
    template_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    from_: Annotated[int | None, Query(alias="from", ge=1, le=MAX_VERSION)] = None,
    to: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> Response:
    """What changed between any two versions (by default the newest and the one before)."""
    template = templates.get_template(session, template_id)
    numbers = [
        v.number for v in templates.list_versions(session, template.id, limit=LIST_SIZE).items
    ]
    new = to or numbers[0]
    old = from_ or max((n for n in numbers if n < new), default=new)
    diff = diff_template_versions(session, template.id, old, new)
    return page.render(
        "console/studio_diff.html",
        nav="studio",
        subject=template.name,
        back_url=sv.template_url(template.id),
        url=f"{sv.template_url(template.id)}/diff",
        numbers=numbers,
        old=old,
        new=new,
        changes=sv.diff_changes(diff, page.l10n),
    )


@router.get("/studio/templates/{template_id}/history")
def template_history(
    template_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    cursor: Cursor = None,
) -> Response:
    """Who did what when to the template and its versions, with the reviewers' comments."""
    template = templates.get_template(session, template_id)
    result = templates.version_history(session, template.id, cursor=cursor, limit=HISTORY_SIZE)
    url = f"{sv.template_url(template.id)}/history"
    return page.render(
        "console/studio_history.html",
        nav="studio",
        subject=template.name,
        back_url=sv.template_url(template.id),
        rows=sv.history_rows(result.items, page.l10n, utcnow()),
        first_url=url if cursor else None,
        next_url=f"{url}?{urlencode({'cursor': result.next_cursor})}"
        if result.next_cursor
        else None,
    )


# --- content blocks ------------------------------------------------------------------------------


def _blocks_page(
    session: Session,
    page: Page,
    *,
    failure: Failure | None = None,
    values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    result = blocks.list_blocks(session, limit=LIST_SIZE)
    numbers = blocks.summarize_blocks(session, [b.id for b in result.items])
    return page.render(
        "console/studio_blocks.html",
        status_code=status_code,
        nav="studio",
        rows=sv.block_rows(result.items, numbers, page.l10n),
        can_design=sv.can_design(_viewer_role(page)),
        failure=failure,
        values=values or {},
    )


@router.get("/studio/blocks")
def blocks_page(session: SessionDep, actor: ConsoleActor, page: SignedInPage) -> Response:
    """The shared content blocks (brand header, legal notice, signature...)."""
    return _blocks_page(session, page)


@router.post("/studio/blocks")
def create_block(
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=64)] = "",
    description: Annotated[str, Form(max_length=MAX_DESCRIPTION)] = "",
) -> Response:
    try:
        version = blocks.do_create_block(session, actor, name=name, description=description)
    except UnisonoError as exc:
        session.rollback()
        return _blocks_page(
            session,
            page,
            failure=_failure("block", exc, page),
            values={"name": name, "description": description},
            status_code=_failed_status(request, exc),
        )
    return _redirect(f"{sv.block_url(version.block_id, 1)}&done=block#editor")


def _block_page(
    session: Session,
    actor: Actor,
    page: Page,
    block_id: uuid.UUID,
    number: int | None,
    *,
    failure: Failure | None = None,
    typed: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    block = blocks.get_block(session, block_id)
    versions = blocks.list_block_versions(session, block.id, limit=LIST_SIZE).items
    selected = next((v for v in versions if v.number == number), None) if number else versions[0]
    if selected is None:
        raise NotFound("the block has no such version")
    names = operator_names(session, sv.people_of(versions))
    now = utcnow()
    contributed = selected.status is VersionStatus.IN_REVIEW and (
        actor.operator_id in workflow.contributors(session, block.id, selected)
    )
    actions = sv.version_actions(
        _viewer_role(page),
        selected,
        page.l10n,
        contributed=contributed,
        has_draft=any(v.status is VersionStatus.DRAFT for v in versions),
    )
    done = page.request.query_params.get("done", "")
    base = f"/studio/blocks/{block.id}"
    return page.render(
        "console/studio_block.html",
        status_code=status_code,
        nav="studio",
        block=block,
        base=base,
        versions=[
            sv.version_row(v, sv.block_url(block.id, v.number), names, page.l10n, now)
            for v in versions
        ],
        version=sv.version_row(
            selected, sv.block_url(block.id, selected.number), names, page.l10n, now
        ),
        url=f"{base}/versions/{selected.number}",
        actions=actions,
        findings=sv.finding_views(blocks.check_block_version(selected), page.l10n),
        editor=sv.block_editor(selected.content or {}, page.l10n, typed),
        content=selected.content or {},
        locales_of=sv.locale_choices(page.l10n),
        failure=failure,
        notice=page.gettext(SAVED[done]) if done in SAVED else "",
    )


@router.get("/studio/blocks/{block_id}")
def block_page(
    block_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> Response:
    """A block's versions, the chosen one (the newest by default) with its editor and forms."""
    return _block_page(session, actor, page, block_id, version)


def _block_after(block_id: uuid.UUID, number: int, done: str, anchor: str = "actions") -> Response:
    return _redirect(f"{sv.block_url(block_id, number)}&{urlencode({'done': done})}#{anchor}")


@router.post("/studio/blocks/{block_id}/versions/{number}/{step}")
def block_step(
    block_id: uuid.UUID,
    number: VersionNumber,
    step: str,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    fields: EditorFields,
    comment: Comment = "",
) -> Response:
    """A block version's workflow: edit, submit, approve, reject, retire, copy."""
    if step not in ("edit", "submit", "approve", "reject", "retire", "copy"):
        raise NotFound("no such action")
    try:
        if step == "edit":
            content = sv.parse_block_content(fields)
            blocks.do_edit_block_version(session, actor, block_id, number, content=content)
        elif step == "submit":
            blocks.do_submit_block_version(session, actor, block_id, number)
        elif step == "approve":
            blocks.do_approve_block_version(session, actor, block_id, number, comment)
        elif step == "reject":
            blocks.do_reject_block_version(session, actor, block_id, number, comment)
        elif step == "retire":
            blocks.do_retire_block_version(session, actor, block_id, number, comment)
        else:
            copy = blocks.do_new_block_version(session, actor, block_id, from_number=number)
            return _block_after(block_id, copy.number, "copy", "editor")
    except UnisonoError as exc:
        session.rollback()
        return _block_page(
            session,
            actor,
            page,
            block_id,
            number,
            failure=_failure(step, exc, page),
            typed=fields if step == "edit" else None,
            status_code=_failed_status(request, exc),
        )
    return _block_after(block_id, number, step, "editor" if step == "edit" else "actions")


@router.get("/studio/blocks/{block_id}/diff")
def block_diff(
    block_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    from_: Annotated[int | None, Query(alias="from", ge=1, le=MAX_VERSION)] = None,
    to: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> Response:
    block = blocks.get_block(session, block_id)
    numbers = [
        v.number for v in blocks.list_block_versions(session, block.id, limit=LIST_SIZE).items
    ]
    new = to or numbers[0]
    old = from_ or max((n for n in numbers if n < new), default=new)
    diff = diff_block_versions(session, block.id, old, new)
    return page.render(
        "console/studio_diff.html",
        nav="studio",
        subject=block.name,
        back_url=sv.block_url(block.id),
        url=f"/studio/blocks/{block.id}/diff",
        numbers=numbers,
        old=old,
        new=new,
        changes=sv.diff_changes(diff, page.l10n),
    )


@router.get("/studio/blocks/{block_id}/history")
def block_history(
    block_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    cursor: Cursor = None,
) -> Response:
    block = blocks.get_block(session, block_id)
    result = blocks.block_history(session, block.id, cursor=cursor, limit=HISTORY_SIZE)
    url = f"/studio/blocks/{block.id}/history"
    return page.render(
        "console/studio_history.html",
        nav="studio",
        subject=block.name,
        back_url=sv.block_url(block.id),
        rows=sv.history_rows(result.items, page.l10n, utcnow()),
        first_url=url if cursor else None,
        next_url=f"{url}?{urlencode({'cursor': result.next_cursor})}"
        if result.next_cursor
        else None,
    )
