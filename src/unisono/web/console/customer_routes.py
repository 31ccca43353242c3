"""Console pages of customers: search, the 360 panel, consents, merges, offline visits.

The customer page itself (``GET /customers/{id}``) lives in ``routes`` beside the conversation
page that shares it; this module builds its 360 panel (``customer_panel``) and answers the
panel's forms. Every form works as a plain POST answered with a 303 back to the page it came
from; with htmx (``HX-Request``) the profile, contact and consent forms get the card back
instead, errors included. A failed form rolls the request back first, so a refused change
leaves nothing behind, then shows the card again with the error beside the form.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from unisono.clock import utcnow
from unisono.config import get_settings
from unisono.customers.access import access_customer
from unisono.customers.consents import (
    ConsentChoice,
    consent_ledger,
    current_consents,
    do_record_consent,
)
from unisono.customers.overview import (
    customer_figures,
    last_activity,
    scheduled_visits,
    undoable_merges,
)
from unisono.customers.profile import do_update_profile, profile_history
from unisono.customers.search import search_customers
from unisono.errors import Conflict, Invalid, NotFound, UnisonoError
from unisono.identity.merge import do_merge_customers, do_undo_merge
from unisono.identity.normalize import normalize_handle
from unisono.identity.resolve import do_add_identity, do_remove_identity, do_verify_identity
from unisono.inbox.call_notes import CallNote, do_record_call_note
from unisono.inbox.offline import (
    Visit,
    VisitChanges,
    VisitFilter,
    VisitKind,
    VisitStatus,
    access_visit,
    do_record_visit,
    do_update_visit,
    list_visits,
)
from unisono.models import Customer, CustomerMerge, Direction, Interaction
from unisono.security.actor import Actor
from unisono.security.operators import operator_names
from unisono.web.console.auth import ConsoleActor, CsrfChecked
from unisono.web.console.customer_views import (
    FormError,
    Panel,
    build_panel,
    change_rows,
    customer_rows,
    ledger_rows,
    merge_row,
    side,
    visit_action,
    visit_rows,
)
from unisono.web.console.i18n import N_
from unisono.web.console.pages import Page, SignedInPage, harden
from unisono.web.console.views import customer_name, customer_url, profile_view
from unisono.web.deps import SessionDep

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

SEARCH_PAGE_SIZE = 25
HISTORY_PAGE_SIZE = 50
VISITS_LIMIT = 200
# Where a panel form may send the browser back to: the two pages that show the panel.
BACK_PATH = re.compile(r"/(customers|conversations)/[0-9a-fA-F-]{36}")
# ...and where a visit's outcome form may: those pages, or the list of visits due as filtered.
VISITS_BACK = re.compile(r"/visits(\?(kind|when)=\w{1,20}(&(kind|when)=\w{1,20})?)?")
FORM_ID = "profile-card"

Cursor = Annotated[str | None, Query(max_length=500)]
ShortText = Annotated[str, Form(max_length=200)]
Back = Annotated[str, Form(alias="next", max_length=200)]

# The sentence shown beside a form that failed, by form; the service's reason follows it.
FAILED: dict[str, str] = {
    "profile": N_("The profile was not saved."),
    "identity": N_("The contact was not added."),
    "identity-list": N_("The contact was not changed."),
    "consent": N_("The choice was not recorded."),
    "merge": N_("The customers were not merged."),
    "undo": N_("The merge was not undone."),
    "branch": N_("The branch visit was not recorded."),
    "call": N_("The call note was not recorded."),
    "home": N_("The home visit was not scheduled."),
    "outcome": N_("The outcome of the visit was not recorded."),
}
TAKEN = N_(
    "This contact belongs to another customer. Compare the two and merge them "
    "if they are the same person."
)
MERGED_AWAY = N_("This profile was merged into another one: make changes there.")
# What went wrong, by the reason a service gives (an error's ``reason``, else its ``code``), in
# the operator's language. Any other reason follows the form's sentence in the service's words.
REASONS: dict[str, str] = {
    "not_found": N_("It no longer exists: reload the page."),
    "bad_date": N_("Enter a date and time, for example 05/03/2026 10:30."),
    "in_the_future": N_("That moment is in the future: record it once it has happened."),
    "bad_phone": N_("This is not a phone number."),
    "bad_email": N_("This is not an email address."),
    "unknown_purpose": N_("Choose a purpose from the list."),
    "unknown_channel": N_("Choose a channel from the list."),
    "bad_note": N_("The note is too long."),
    "choice_missing": N_("Choose whether the customer agrees or refuses."),
    "same_customer": N_("A customer cannot be merged with itself."),
    "already_undone": N_("This merge was undone already."),
    "merged_later": N_("This profile was merged into another one since: undo that merge first."),
    "text_missing": N_("Write what was said."),
    "bad_minutes": N_("The duration is a whole number of minutes."),
    "bad_duration": N_("The duration is too long: check the minutes."),
    "reason_missing": N_("Enter the reason of the visit."),
    "branch_missing": N_("Enter the branch, for example Milano Centrale."),
    "address_missing": N_("Enter the address: the profile has none."),
    "date_missing": N_("Enter the day and time of the visit."),
    "too_far_ahead": N_("The date is more than two years ahead: check the year."),
    "visit_status_missing": N_("Choose how the visit went."),
    "not_happened": N_("A cancelled visit did not take place: leave its time empty."),
    "visit_closed": N_("The visit is closed already: record a new visit instead."),
}


# --- helpers ------------------------------------------------------------------------------------


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(value: str, customer_id: uuid.UUID) -> str:
    """``value`` when it is one of the pages showing this panel, else the customer page."""
    return value if BACK_PATH.fullmatch(value or "") else customer_url(customer_id)


def _redirect(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    harden(response)
    return response


def reason_text(exc: UnisonoError, page: Page) -> str:
    """Why ``exc`` happened: translated when its reason is known, else the service's words."""
    reason = exc.extra.get("reason")
    for code in (reason if isinstance(reason, str) else None, exc.code):
        if code in REASONS:
            return page.gettext(REASONS[code])
    return exc.detail


def _error(form: str, exc: UnisonoError, page: Page) -> FormError:
    """The error a form shows: our sentence, then the reason (see ``reason_text``)."""
    if isinstance(exc, Conflict) and "other_customer_id" in exc.extra:
        return FormError(form, page.gettext(TAKEN), f"?other={exc.extra['other_customer_id']}")
    if isinstance(exc, Conflict) and "merged_into_id" in exc.extra:
        return FormError(form, page.gettext(MERGED_AWAY))
    return FormError(form, _failed_sentence(form, exc, page))


def _failed_sentence(form: str, exc: UnisonoError, page: Page) -> str:
    return f"{page.gettext(FAILED[form])} {reason_text(exc, page)}"


def _local_moment(value: str, page: Page) -> datetime | None:
    """A ``datetime-local`` field (the operator's wall clock) as an aware moment; None if blank."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(f"'{value[:40]}' is not a date and time", reason="bad_date") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=page.l10n.tz)
    return moment


def _notice_merge(
    session: Session, customer: Customer, merge_id: str | None
) -> CustomerMerge | None:
    if not merge_id:
        return None
    try:
        merge = session.get(CustomerMerge, uuid.UUID(merge_id))
    except ValueError:
        return None
    if merge is None or customer.id not in (merge.survivor_id, merge.merged_id):
        return None
    return merge


def customer_panel(
    session: Session,
    actor: Actor,
    page: Page,
    customer: Customer,
    *,
    back: str,
    error: FormError | None = None,
    values: dict[str, str] | None = None,
) -> Panel:
    """The 360 panel of ``customer`` (already loaded, so audited, by the caller)."""
    now = utcnow()
    merges = [
        (m, session.get(Customer, m.merged_id)) for m in undoable_merges(session, customer.id)
    ]
    panel = build_panel(
        customer, current_consents(session, actor, customer), merges, page.l10n, now, back=back
    )
    panel.error = error
    panel.values = values or {}
    if customer.merged_into_id is None:
        panel.open_visits = {
            str(visit_id): visit_action(visit_id, back, customer_name(customer))
            for visit_id in scheduled_visits(session, customer.id)
        }
    query = page.request.query_params
    merged = _notice_merge(session, customer, query.get("merged"))
    if merged is not None and merged.undone_at is None and merged.survivor_id == customer.id:
        panel.notice = "merged"
        panel.notice_merge = merge_row(
            merged, session.get(Customer, merged.merged_id), page.l10n, now
        )
    unmerged = _notice_merge(session, customer, query.get("unmerged"))
    if unmerged is not None and unmerged.undone_at is not None:
        panel.notice = "unmerged"
        panel.notice_merge = merge_row(
            unmerged, session.get(Customer, unmerged.merged_id), page.l10n, now
        )
    return panel


def _card(
    session: Session,
    actor: Actor,
    page: Page,
    customer_id: uuid.UUID,
    *,
    back: str,
    error: FormError | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    fragment: bool = True,
) -> Response:
    """The 360 card alone (htmx), or on a page of its own (a plain form that failed)."""
    customer = access_customer(session, actor, customer_id)
    context: dict[str, Any] = {
        "profile": profile_view(customer, page.l10n),
        "panel": customer_panel(
            session, actor, page, customer, back=back, error=error, values=values
        ),
        "nav": "customers",
    }
    template = "console/_profile_card.html" if fragment else "console/customer_edit.html"
    return page.render(template, status_code=status_code, **context)


def _answer(
    request: Request,
    session: Session,
    actor: Actor,
    page: Page,
    customer_id: uuid.UUID,
    back: str,
    *,
    anchor: str = FORM_ID,
) -> Response:
    """After a change: the card again for htmx, else back to the page (to the card)."""
    if _is_htmx(request):
        return _card(session, actor, page, customer_id, back=back)
    return _redirect(f"{back}#{anchor}")


def _failed(
    request: Request,
    session: Session,
    actor: Actor,
    page: Page,
    customer_id: uuid.UUID,
    back: str,
    form: str,
    exc: UnisonoError,
    values: dict[str, str],
) -> Response:
    """The card with the error beside ``form``; nothing the request did is kept."""
    session.rollback()
    htmx = _is_htmx(request)
    return _card(
        session,
        actor,
        page,
        customer_id,
        back=back,
        error=_error(form, exc, page),
        values=values,
        # htmx swaps 2xx answers only; a plain form's page says what it is.
        status_code=200 if htmx else (exc.status if exc.status < 500 else 400),
        fragment=htmx,
    )


# --- the customers page -------------------------------------------------------------------------


@router.get("/customers")
def customers_page(
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Cursor = None,
) -> Response:
    """Customers by name, phone in any format, email or social handle."""
    query = q.strip()
    result = search_customers(session, actor, query, cursor=cursor, limit=SEARCH_PAGE_SIZE)
    activity = last_activity(session, [c.id for c in result.items])
    return page.render(
        "console/customers.html",
        nav="customers",
        q=query,
        rows=customer_rows(result.items, activity, page.l10n, utcnow()),
        first_url="/customers?" + urlencode({"q": query}) if cursor else None,
        next_url=(
            "/customers?" + urlencode({"q": query, "cursor": result.next_cursor})
            if result.next_cursor
            else None
        ),
    )


# --- profile ------------------------------------------------------------------------------------


@router.post("/customers/{customer_id}/profile")
def update_profile(
    customer_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    display_name: ShortText = "",
    given_name: ShortText = "",
    family_name: ShortText = "",
    language: Annotated[str, Form(max_length=10)] = "",
    preferred_channel: Annotated[str, Form(max_length=32)] = "",
    vulnerable: Annotated[str, Form(max_length=10)] = "",
    segments: Annotated[str, Form(max_length=2_000)] = "",
    next_path: Back = "",
) -> Response:
    """Edit the profile's core fields; only what changed is recorded in the history."""
    back = _back(next_path, customer_id)
    changes: dict[str, Any] = {
        "display_name": display_name,
        "given_name": given_name or None,
        "family_name": family_name or None,
        "language": language or None,
        "preferred_channel": preferred_channel or None,
        "vulnerable": bool(vulnerable),
        "segments": [s.strip() for s in segments.split(",") if s.strip()],
    }
    try:
        customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
        if customer.merged_into_id is not None:
            raise Conflict("merged", merged_into_id=str(customer.merged_into_id))
        do_update_profile(session, actor, customer, changes)
    except UnisonoError as exc:
        values = {
            "display_name": display_name,
            "given_name": given_name,
            "family_name": family_name,
            "segments": segments,
        }
        return _failed(request, session, actor, page, customer_id, back, "profile", exc, values)
    return _answer(request, session, actor, page, customer_id, back)


@router.get("/customers/{customer_id}/history")
def history_page(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    cursor: Cursor = None,
) -> Response:
    """Who changed which profile field, from what to what, when and through which surface."""
    customer = access_customer(session, actor, customer_id)
    result = profile_history(session, actor, customer, cursor=cursor, limit=HISTORY_PAGE_SIZE)
    names = operator_names(session, {c.operator_id for c in result.items if c.operator_id})
    url = f"{customer_url(customer.id)}/history"
    return page.render(
        "console/customer_history.html",
        nav="customers",
        customer_name=customer_name(customer),
        customer_url=customer_url(customer.id),
        rows=change_rows(result.items, names, page.l10n, utcnow()),
        first_url=url if cursor else None,
        next_url=f"{url}?{urlencode({'cursor': result.next_cursor})}"
        if result.next_cursor
        else None,
    )


# --- identities ---------------------------------------------------------------------------------


@router.post("/customers/{customer_id}/identities")
def add_identity(
    customer_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    kind: Annotated[str, Form(max_length=32)] = "",
    value: Annotated[str, Form(max_length=320)] = "",
    label: Annotated[str, Form(max_length=100)] = "",
    next_path: Back = "",
) -> Response:
    """Add a phone, email or handle, normalised; one owned by someone else offers a merge."""
    back = _back(next_path, customer_id)
    try:
        customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
        if customer.merged_into_id is not None:
            raise Conflict("merged", merged_into_id=str(customer.merged_into_id))
        handle = normalize_handle(kind, value, region=get_settings().default_region)
        do_add_identity(session, customer, handle, raw_value=value, label=label.strip() or None)
    except UnisonoError as exc:
        values = {"kind": kind, "value": value, "label": label}
        return _failed(request, session, actor, page, customer_id, back, "identity", exc, values)
    return _answer(request, session, actor, page, customer_id, back)


@router.post("/customers/{customer_id}/identities/{identity_id}/remove")
def remove_identity(
    customer_id: uuid.UUID,
    identity_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    next_path: Back = "",
) -> Response:
    """Remove a contact; the messages it brought stay on the timeline."""
    back = _back(next_path, customer_id)
    try:
        customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
        do_remove_identity(session, customer, identity_id)
    except UnisonoError as exc:
        return _failed(request, session, actor, page, customer_id, back, "identity-list", exc, {})
    return _answer(request, session, actor, page, customer_id, back)


@router.post("/customers/{customer_id}/identities/{identity_id}/verify")
def verify_identity(
    customer_id: uuid.UUID,
    identity_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    verified: Annotated[str, Form(max_length=5)] = "true",
    next_path: Back = "",
) -> Response:
    """Mark a contact as verified (or no longer verified)."""
    back = _back(next_path, customer_id)
    try:
        customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
        do_verify_identity(
            session, actor, customer, identity_id, verified=verified.lower() == "true"
        )
    except UnisonoError as exc:
        return _failed(request, session, actor, page, customer_id, back, "identity-list", exc, {})
    return _answer(request, session, actor, page, customer_id, back)


# --- consents -----------------------------------------------------------------------------------


@router.post("/customers/{customer_id}/consents")
def record_consent(
    customer_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    purpose: Annotated[str, Form(max_length=32)] = "",
    channel: Annotated[str, Form(max_length=32)] = "",
    granted: Annotated[str, Form(max_length=5)] = "",
    note: Annotated[str, Form(max_length=2_000)] = "",
    next_path: Back = "",
) -> Response:
    """Record the customer's grant or refusal for a purpose on a channel (appended)."""
    back = _back(next_path, customer_id)
    values = {"purpose": purpose, "channel": channel, "note": note}
    try:
        if granted not in ("yes", "no"):
            raise Invalid("granted is yes or no", reason="choice_missing")
        choice = ConsentChoice(purpose, channel, granted == "yes", "console", note)
        do_record_consent(session, actor, customer_id, choice)
    except UnisonoError as exc:
        return _failed(request, session, actor, page, customer_id, back, "consent", exc, values)
    return _answer(request, session, actor, page, customer_id, back)


@router.get("/customers/{customer_id}/consents")
def consent_ledger_page(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    cursor: Cursor = None,
) -> Response:
    """Every choice the customer made, newest first: the proof of what held when."""
    customer = access_customer(session, actor, customer_id)
    result = consent_ledger(session, actor, customer, cursor=cursor, limit=HISTORY_PAGE_SIZE)
    names = operator_names(session, {c.operator_id for c in result.items if c.operator_id})
    url = f"{customer_url(customer.id)}/consents"
    return page.render(
        "console/consent_ledger.html",
        nav="customers",
        customer_name=customer_name(customer),
        customer_url=customer_url(customer.id),
        rows=ledger_rows(result.items, names, page.l10n, utcnow()),
        first_url=url if cursor else None,
        next_url=f"{url}?{urlencode({'cursor': result.next_cursor})}"
        if result.next_cursor
        else None,
    )


# --- merging ------------------------------------------------------------------------------------


def _merge_page(
    session: Session,
    actor: Actor,
    page: Page,
    customer_id: uuid.UUID,
    *,
    other_id: uuid.UUID | None,
    q: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    survivor = access_customer(session, actor, customer_id)
    now = utcnow()
    context: dict[str, Any] = {
        "nav": "customers",
        "q": q,
        "error": error,
        "rows": [],
        "sides": None,
    }
    if other_id is not None and other_id != customer_id:
        other = access_customer(session, actor, other_id)
        figures = customer_figures(session, [survivor.id, other.id])
        context["sides"] = (
            side(survivor, figures[survivor.id], page.l10n, now),
            side(other, figures[other.id], page.l10n, now),
        )
        context["swap_url"] = f"{customer_url(other.id)}/merge?{urlencode({'other': survivor.id})}"
    elif q.strip():
        found = search_customers(session, actor, q, limit=SEARCH_PAGE_SIZE)
        others = [c for c in found.items if c.id != survivor.id]
        context["rows"] = customer_rows(
            others, last_activity(session, [c.id for c in others]), page.l10n, now
        )
    return page.render(
        "console/merge.html",
        status_code=status_code,
        survivor_name=customer_name(survivor),
        survivor_url=customer_url(survivor.id),
        merge_url=f"{customer_url(survivor.id)}/merge",
        **context,
    )


@router.get("/customers/{customer_id}/merge")
def merge_page(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    q: Annotated[str, Query(max_length=200)] = "",
    other: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """Pick the customer to merge into this one, then compare the two side by side."""
    return _merge_page(session, actor, page, customer_id, other_id=other, q=q)


@router.post("/customers/{customer_id}/merge")
def merge(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    other_id: Annotated[uuid.UUID, Form()],
) -> Response:
    """Merge the other customer into this one (this one survives); undo from the banner."""
    try:
        record = do_merge_customers(session, actor, customer_id, other_id)
    except UnisonoError as exc:
        session.rollback()
        message = _failed_sentence("merge", exc, page)
        status_code = exc.status if exc.status < 500 else 400
        return _merge_page(
            session,
            actor,
            page,
            customer_id,
            other_id=other_id,
            q="",
            error=message,
            status_code=status_code,
        )
    return _redirect(f"{customer_url(customer_id)}?{urlencode({'merged': record.id})}")


@router.post("/merges/{merge_id}/undo")
def undo_merge(
    merge_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    customer_id: Annotated[uuid.UUID, Form()],
) -> Response:
    """Undo a merge exactly: the other customer gets back what was theirs."""
    try:
        record = do_undo_merge(session, actor, merge_id)
    except UnisonoError as exc:
        back = customer_url(customer_id)
        return _failed(request, session, actor, page, customer_id, back, "undo", exc, {})
    target = customer_url(record.survivor_id)
    return _redirect(f"{target}?{urlencode({'unmerged': record.id})}#{FORM_ID}")


# --- offline touchpoints -------------------------------------------------------------------------


@router.post("/customers/{customer_id}/branch-visits")
def record_branch_visit(
    customer_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    branch: ShortText = "",
    staff: ShortText = "",
    reason: Annotated[str, Form(max_length=2_000)] = "",
    outcome: Annotated[str, Form(max_length=5_000)] = "",
    notes: Annotated[str, Form(max_length=10_000)] = "",
    occurred_at: Annotated[str, Form(max_length=40)] = "",
    next_path: Back = "",
) -> Response:
    """A customer came to a branch: who they saw, why, and how it ended."""
    back = _back(next_path, customer_id)
    values = {
        "branch": branch,
        "staff": staff,
        "reason": reason,
        "outcome": outcome,
        "notes": notes,
        "occurred_at": occurred_at,
    }
    try:
        visit = Visit(
            kind=VisitKind.BRANCH,
            status=VisitStatus.DONE,
            reason=reason,
            occurred_at=_local_moment(occurred_at, page),
            branch=branch or None,
            staff=staff or None,
            outcome=outcome or None,
            notes=notes or None,
        )
        do_record_visit(session, actor, customer_id, visit)
    except UnisonoError as exc:
        return _failed(request, session, actor, page, customer_id, back, "branch", exc, values)
    return _redirect(f"{back}#timeline-title")


@router.post("/customers/{customer_id}/home-visits")
def schedule_home_visit(
    customer_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    scheduled_for: Annotated[str, Form(max_length=40)] = "",
    address: Annotated[str, Form(max_length=500)] = "",
    staff: ShortText = "",
    reason: Annotated[str, Form(max_length=2_000)] = "",
    notes: Annotated[str, Form(max_length=10_000)] = "",
    next_path: Back = "",
) -> Response:
    """Schedule a technician's visit at the customer's home (the address defaults to theirs)."""
    back = _back(next_path, customer_id)
    values = {
        "scheduled_for": scheduled_for,
        "address": address,
        "home_staff": staff,
        "home_reason": reason,
        "home_notes": notes,
    }
    try:
        when = _local_moment(scheduled_for, page)
        if when is None:
            raise Invalid("scheduled_for is missing", reason="date_missing")
        visit = Visit(
            kind=VisitKind.HOME,
            status=VisitStatus.SCHEDULED,
            reason=reason,
            scheduled_for=when,
            address=address or None,
            staff=staff or None,
            notes=notes or None,
        )
        do_record_visit(session, actor, customer_id, visit)
    except UnisonoError as exc:
        return _failed(request, session, actor, page, customer_id, back, "home", exc, values)
    return _redirect(f"{back}#timeline-title")


@router.post("/customers/{customer_id}/call-notes")
def record_call_note(
    customer_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    text: Annotated[str, Form(max_length=100_000)] = "",
    direction: Annotated[str, Form(max_length=10)] = "inbound",
    occurred_at: Annotated[str, Form(max_length=40)] = "",
    duration_minutes: Annotated[str, Form(max_length=6)] = "",
    outcome: Annotated[str, Form(max_length=2_000)] = "",
    next_path: Back = "",
) -> Response:
    """Write down a phone call no telephony integration reported."""
    back = _back(next_path, customer_id)
    values = {
        "call_text": text,
        "call_direction": direction,
        "call_at": occurred_at,
        "duration_minutes": duration_minutes,
        "call_outcome": outcome,
    }
    try:
        if direction not in ("inbound", "outbound"):
            raise Invalid("direction is inbound or outbound")
        minutes = duration_minutes.strip()
        if minutes and not minutes.isdigit():
            raise Invalid("duration_minutes is a whole number", reason="bad_minutes")
        note = CallNote(
            text=text,
            direction=Direction(direction),
            occurred_at=_local_moment(occurred_at, page),
            duration_minutes=int(minutes) if minutes else None,
            outcome=outcome or None,
        )
        do_record_call_note(session, actor, customer_id, note)
    except UnisonoError as exc:
        return _failed(request, session, actor, page, customer_id, back, "call", exc, values)
    return _redirect(f"{back}#timeline-title")


VISIT_WINDOWS = {"all": None, "overdue": timedelta(0), "week": timedelta(days=7)}


@router.get("/visits")
def visits_page(
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    kind: Annotated[str, Query(max_length=20)] = "home_visit",
    when: Annotated[str, Query(max_length=10)] = "all",
) -> Response:
    """Scheduled visits, vulnerable customers first, then the earliest due."""
    chosen_kind = kind if kind in ("home_visit", "branch_visit", "all") else "home_visit"
    window = when if when in VISIT_WINDOWS else "all"
    visits_url = "/visits?" + urlencode({"kind": chosen_kind, "when": window})
    now = utcnow()
    ahead = VISIT_WINDOWS[window]
    found = list_visits(
        session,
        actor,
        VisitFilter(
            status=VisitStatus.SCHEDULED,
            kind=VisitKind(chosen_kind) if chosen_kind != "all" else None,
            due_before=now + ahead if ahead is not None else None,
        ),
        limit=VISITS_LIMIT,
    )
    return page.render(
        "console/visits.html",
        nav="customers",
        kind=chosen_kind,
        when=window,
        rows=visit_rows(found, page.l10n, now, back=visits_url),
    )


OUTCOMES = (VisitStatus.DONE, VisitStatus.CANCELLED, VisitStatus.NO_SHOW)


@router.post("/visits/{visit_id}/outcome")
def record_visit_outcome(
    visit_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    status: Annotated[str, Form(max_length=20)] = "",
    outcome: Annotated[str, Form(max_length=5_000)] = "",
    occurred_at: Annotated[str, Form(max_length=40)] = "",
    next_path: Back = "",
) -> Response:
    """How a scheduled visit went: done, cancelled or the customer absent, with its outcome.

    Back to the page the form was on (the customer's timeline, at the visit, or the list of
    visits due); a refused outcome shows the form again on a page of its own.
    """
    on_timeline = bool(BACK_PATH.fullmatch(next_path or ""))
    back = next_path if on_timeline or VISITS_BACK.fullmatch(next_path or "") else "/visits"
    try:
        if status not in OUTCOMES:
            raise Invalid("status is done, cancelled or no_show", reason="visit_status_missing")
        changes = VisitChanges(
            status=VisitStatus(status),
            outcome=outcome or None,
            occurred_at=_local_moment(occurred_at, page),
        )
        visit = do_update_visit(session, actor, visit_id, changes)
    except NotFound:
        raise
    except UnisonoError as exc:
        session.rollback()
        return _visit_outcome_page(
            session,
            actor,
            page,
            visit_id,
            back=back,
            values={"status": status, "outcome": outcome, "occurred_at": occurred_at},
            error=_error("outcome", exc, page).message,
            status_code=exc.status if exc.status < 500 else 400,
        )
    return _redirect(f"{back}#i-{visit.id}" if on_timeline else back)


def _visit_outcome_page(
    session: Session,
    actor: Actor,
    page: Page,
    visit_id: uuid.UUID,
    *,
    back: str,
    values: dict[str, str],
    error: str,
    status_code: int,
) -> Response:
    """The outcome form alone, as the operator filled it, with the reason it was refused."""
    visit: Interaction = access_visit(session, actor, visit_id)
    customer = session.get_one(Customer, visit.customer_id)
    action = visit_action(visit.id, back, customer_name(customer))
    return page.render(
        "console/visit_outcome.html",
        status_code=status_code,
        nav="customers",
        customer_name=customer_name(customer),
        customer_url=customer_url(customer.id),
        summary=visit.text,
        error=error,
        v=replace(action, open=True, **values),
    )
