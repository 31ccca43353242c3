"""Console pages: sign in and out, the inbox, a conversation with its customer's timeline.

Handlers stay thin: they read the request, call the same service functions as the API (which
check access and write the audit trail) and hand the result to ``views`` and a template.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from unisono.clock import utcnow
from unisono.customers.access import access_customer
from unisono.customers.timeline import customer_timeline
from unisono.errors import Invalid, Unauthenticated
from unisono.inbox.changes import now_ms
from unisono.inbox.conversations import (
    ConversationChanges,
    ConversationFilter,
    ConversationSort,
    access_conversation,
    count_conversations,
    do_update_conversation,
    filter_choices,
    list_conversations,
    summarize,
)
from unisono.inbox.sla import sla_policy
from unisono.models import (
    ACTIVE_STATUSES,
    Conversation,
    ConversationStatus,
    Customer,
    Interaction,
    Priority,
)
from unisono.security.actor import Actor
from unisono.security.operators import do_login, do_update_preferences, operator_names
from unisono.web.console import (
    conversation_routes,
    customer_routes,
    live_routes,
    studio_routes,
    supervisor_routes,
)
from unisono.web.console.auth import (
    ConsoleActor,
    CsrfChecked,
    clear_session,
    new_session,
    read_session,
    signed_in_operator,
    store_session,
)
from unisono.web.console.errors import install_error_pages
from unisono.web.console.i18n import LOCALE_COOKIE, supported_locale
from unisono.web.console.pages import AnyPage, Page, SignedInPage, harden
from unisono.web.console.views import (
    CHANNELS,
    channel_view,
    conversation_url,
    conversation_view,
    customer_url,
    inbox_row,
    profile_view,
    timeline_days,
)
from unisono.web.deps import SessionDep, client_ip

INBOX_PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 50
CUSTOMER_CONVERSATIONS = 10
# Long enough for any real password; a longer one is refused before hashing it.
MAX_PASSWORD_LENGTH = 1024
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60

Cursor = Annotated[str | None, Query(max_length=500)]


# The inbox's tabs by their code in the URL (labels are in the template).
INBOX_TABS: dict[str, tuple[ConversationStatus, ...]] = {
    "active": ACTIVE_STATUSES,
    "open": (ConversationStatus.OPEN,),
    "pending": (ConversationStatus.PENDING,),
    "snoozed": (ConversationStatus.SNOOZED,),
    "resolved": (ConversationStatus.RESOLVED,),
    "all": (),
}

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def safe_next(value: str | None) -> str:
    """``value`` when it is a path of this site, else ``/`` (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return value


def _redirect(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    harden(response)
    return response


def _operator_names(session: Session, interactions: list[Interaction]) -> dict[uuid.UUID, str]:
    return operator_names(session, {i.operator_id for i in interactions if i.operator_id})


# --- signing in and out ---------------------------------------------------------------------


@router.get("/login")
def login_form(
    request: Request,
    session: SessionDep,
    page: AnyPage,
    next_path: Annotated[str, Query(alias="next", max_length=2000)] = "/",
) -> Response:
    """The login form; a signed-in operator goes straight on."""
    state = read_session(request)
    if signed_in_operator(session, state) is not None:
        return _redirect(safe_next(next_path))
    fresh = state is None or state.operator_id is not None
    if fresh:
        # A session for the form's CSRF token; a stale operator session is dropped.
        page.state = new_session()
    response = _login_page(page, next_path=safe_next(next_path))
    if fresh and page.state is not None:
        store_session(response, request, page.state)
    return response


def _login_page(page: Page, *, next_path: str, email: str = "", failed: bool = False) -> Response:
    return page.render("console/login.html", next_path=next_path, email=email, failed=failed)


@router.post("/login")
def login_submit(
    request: Request,
    session: SessionDep,
    page: AnyPage,
    _csrf: CsrfChecked,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    """Check the credentials; on success start a new session and go on to ``next``."""
    try:
        if len(password) > MAX_PASSWORD_LENGTH:
            raise Unauthenticated("wrong email or password")
        operator = do_login(session, email, password, ip=client_ip(request))
    except Unauthenticated:
        # One message whether the email is unknown or the password wrong.
        return _login_page(page, next_path=safe_next(next_path), email=email, failed=True)
    response = _redirect(safe_next(next_path))
    # A new session id: a session planted before login (fixation) stays anonymous.
    store_session(response, request, new_session(operator))
    return response


@router.post("/logout")
def logout(request: Request, _csrf: CsrfChecked) -> Response:
    """End the session in this browser."""
    response = _redirect("/login")
    clear_session(response, request)
    return response


@router.post("/preferences/locale")
def set_locale(
    request: Request,
    session: SessionDep,
    _csrf: CsrfChecked,
    locale: Annotated[str, Form(max_length=10)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    """Switch the console's language: kept on the operator, and in this browser for the login."""
    response = _redirect(safe_next(next_path))
    chosen = supported_locale(locale)
    operator = signed_in_operator(session, read_session(request))
    if chosen and operator is not None:
        actor = Actor(operator=operator, via="console", ip=client_ip(request))
        do_update_preferences(session, actor, locale=chosen)
    if chosen:
        response.set_cookie(
            LOCALE_COOKIE,
            chosen,
            max_age=LOCALE_COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


# --- the inbox ------------------------------------------------------------------------------


INBOX_SORTS = {"waiting": ConversationSort.WAITING, "recent": ConversationSort.RECENT}
INBOX_DEFAULT_SORT = "waiting"
# Channel kinds to filter by (internal notes are not a channel customers write on).
INBOX_CHANNELS = tuple(kind for kind in CHANNELS if kind != "internal")
InboxValue = Annotated[str, Query(max_length=64)]


@dataclass(frozen=True, slots=True)
class InboxQuery:
    """The inbox's filters as the URL holds them (empty: any), so a view can be shared."""

    status: str = "active"
    channel: str = ""
    team: str = ""
    assignee: str = ""
    label: str = ""
    priority: str = ""
    sort: str = INBOX_DEFAULT_SORT

    @property
    def filtered(self) -> bool:
        return any((self.channel, self.team, self.assignee, self.label, self.priority))

    def url(self, cursor: str | None = None, **changes: str) -> str:
        """This view's URL with ``changes`` (defaults and empty values left out)."""
        values = {**asdict(self), **changes}
        params = {"status": values.pop("status")}
        if cursor:
            params["cursor"] = cursor
        if values["sort"] == INBOX_DEFAULT_SORT:
            del values["sort"]
        params.update((key, value) for key, value in values.items() if value)
        return "/?" + urlencode(params)

    def conversation_filter(self) -> ConversationFilter:
        if self.channel and self.channel not in INBOX_CHANNELS:
            raise Invalid(f"no channel '{self.channel}'")
        try:
            priority = Priority(self.priority) if self.priority else None
        except ValueError as exc:
            raise Invalid(f"no priority '{self.priority}'") from exc
        return ConversationFilter(
            statuses=INBOX_TABS[self.status],
            channel=self.channel or None,
            team=self.team or None,
            assignee=self.assignee or None,
            label=self.label or None,
            priority=priority,
        )


@router.get("/")
def inbox(
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    status: Annotated[str, Query(max_length=20)] = "active",
    channel: InboxValue = "",
    team: InboxValue = "",
    assignee: InboxValue = "",
    label: InboxValue = "",
    priority: InboxValue = "",
    sort: InboxValue = INBOX_DEFAULT_SORT,
    cursor: Cursor = None,
    fragment: InboxValue = "",
) -> Response:
    """Conversations filtered by status, channel, team, assignee, label and priority, the
    longest waiting first (or the most recent activity); ``fragment=list``: the list alone,
    which the page fetches again when something changes."""
    query = InboxQuery(
        status=status if status in INBOX_TABS else "active",
        channel=channel.strip(),
        team=team.strip(),
        assignee=assignee.strip(),
        label=label.strip(),
        priority=priority.strip(),
        sort=sort if sort in INBOX_SORTS else INBOX_DEFAULT_SORT,
    )
    flt = query.conversation_filter()
    result = list_conversations(
        session, actor, flt, cursor=cursor, limit=INBOX_PAGE_SIZE, sort=INBOX_SORTS[query.sort]
    )
    counts = count_conversations(session, actor, flt)
    assignees = operator_names(
        session, {s.conversation.assignee_id for s in result.items if s.conversation.assignee_id}
    )
    now, policy, l10n = utcnow(), sla_policy(), page.l10n
    rows = [
        inbox_row(
            summary,
            l10n,
            now,
            sla=policy.status(summary.conversation, now),
            assignee=assignees.get(summary.conversation.assignee_id)
            if summary.conversation.assignee_id
            else None,
        )
        for summary in result.items
    ]
    context: dict[str, Any] = {
        "query": query,
        "tab": query.status,
        "rows": rows,
        "tabs": [
            (code, query.url(status=code), counts.total(statuses))
            for code, statuses in INBOX_TABS.items()
        ],
        "mine": (query.url(assignee="" if query.assignee == "me" else "me"), counts.mine),
        "unassigned": (
            query.url(assignee="" if query.assignee == "none" else "none"),
            counts.unassigned,
        ),
        "clear_url": InboxQuery(status=query.status, sort=query.sort).url(),
        "first_url": query.url() if cursor else None,
        "next_url": query.url(cursor=result.next_cursor) if result.next_cursor else None,
    }
    if fragment == "list":
        return page.render("console/_inbox_list.html", **context)
    teams, operators = filter_choices(session)
    return page.render(
        "console/inbox.html",
        nav="inbox",
        **context,
        channel_choices=[channel_view(kind, l10n) for kind in INBOX_CHANNELS],
        team_choices=[(t.slug, t.name) for t in teams],
        operator_choices=[(str(op.id), op.name) for op in operators],
        fragment_url=query.url(cursor=cursor, fragment="list"),
        live_since=now_ms(),
    )


@router.post("/inbox/resolve")
def inbox_resolve(
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    _csrf: CsrfChecked,
    conversation_id: Annotated[uuid.UUID, Form(alias="conversation")],
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    """Resolve a conversation from the inbox (the ``e`` shortcut): back to the list, or
    ``204`` for a script, which takes the row out itself."""
    conversation = access_conversation(session, actor, conversation_id)
    do_update_conversation(
        session, actor, conversation, ConversationChanges(status=ConversationStatus.RESOLVED)
    )
    if request.headers.get("HX-Request") == "true":
        return harden(Response(status_code=204))
    return _redirect(safe_next(next_path))


# --- a conversation and its customer --------------------------------------------------------


@router.get("/conversations/{conversation_id}")
def conversation_page(
    conversation_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    cursor: Cursor = None,
) -> Response:
    """The conversation's customer with their whole timeline; this conversation's items marked."""
    conversation = access_conversation(session, actor, conversation_id)
    return _customer_page(session, actor, page, conversation.customer_id, conversation, cursor)


@router.get("/customers/{customer_id}")
def customer_page(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    cursor: Cursor = None,
) -> Response:
    """A customer's profile, conversations and timeline across every channel."""
    return _customer_page(session, actor, page, customer_id, None, cursor)


def _customer_page(
    session: Session,
    actor: Actor,
    page: Page,
    customer_id: uuid.UUID,
    conversation: Conversation | None,
    cursor: str | None,
) -> Response:
    customer: Customer = access_customer(session, actor, customer_id)
    timeline = customer_timeline(session, actor, customer, cursor=cursor, limit=TIMELINE_PAGE_SIZE)
    conversations = list_conversations(
        session,
        actor,
        ConversationFilter(customer_id=customer.id),
        limit=CUSTOMER_CONVERSATIONS,
    )
    now = utcnow()
    l10n = page.l10n
    selected = None
    if conversation is not None:
        (summary,) = summarize(session, [conversation])
        selected = conversation_view(conversation, summary.channels, l10n, now)
    base_url = conversation_url(conversation.id) if conversation else customer_url(customer.id)
    return page.render(
        "console/customer.html",
        nav="inbox",
        profile=profile_view(customer, l10n),
        panel=customer_routes.customer_panel(session, actor, page, customer, back=base_url),
        conversation=selected,
        conversations=[
            conversation_view(s.conversation, s.channels, l10n, now) for s in conversations.items
        ],
        days=timeline_days(
            timeline.items,
            l10n,
            now,
            selected=conversation.id if conversation else None,
            operators=_operator_names(session, timeline.items),
        ),
        newest_url=base_url if cursor else None,
        older_url=(
            f"{base_url}?{urlencode({'cursor': timeline.next_cursor})}"
            if timeline.next_cursor
            else None
        ),
        **conversation_routes.workspace(
            session, actor, page, customer, conversation, timeline.items
        ),
    )


def install_console(app: FastAPI) -> None:
    """Add the console's pages and its error pages to ``app``."""
    app.include_router(router)
    for area in (
        conversation_routes,
        customer_routes,
        live_routes,
        supervisor_routes,
        studio_routes,
    ):
        app.include_router(area.router)
    install_error_pages(app)
