"""The supervisor's view: live queues per team and channel, who handles what, SLA breaches.

The figures come from ``unisono.insight.queues``; this module only turns them into what the
page shows (translated names, formatted waits, links into the filtered inbox). The page fetches
its queues again (``?fragment=queues``) when the live stream reports a change, and every minute
(waits grow and answers fall due without any event).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from starlette.responses import HTMLResponse, Response

from unisono.clock import utcnow
from unisono.errors import Forbidden
from unisono.inbox.changes import now_ms
from unisono.inbox.sla import sla_policy
from unisono.insight.queues import Queue, QueuedConversation, QueueOverview, queue_overview
from unisono.web.console.auth import ConsoleActor
from unisono.web.console.i18n import N_, Localizer
from unisono.web.console.pages import SignedInPage
from unisono.web.console.views import (
    PRIORITIES,
    ROLES,
    STATUSES,
    ChannelView,
    Label,
    SlaBadge,
    channel_view,
    conversation_url,
    customer_name,
    sla_badge,
)
from unisono.web.deps import SessionDep

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

FRAGMENT_URL = "/supervisor?fragment=queues"
NOT_ALLOWED = (
    N_("This page is for supervisors"),
    N_(
        "The team queues are shown to supervisors and administrators. "
        "Ask one of them if you need it."
    ),
)
NO_TEAM = N_("No team")


@dataclass(frozen=True, slots=True)
class QueueRow:
    name: str
    channel: ChannelView | None
    url: str
    open: int
    waiting: int
    unassigned: int
    oldest_wait: str | None
    breaching: int


@dataclass(frozen=True, slots=True)
class ConversationLine:
    url: str
    customer: str
    status: Label
    priority: Label
    waiting: str | None
    sla: SlaBadge | None
    team: str | None
    assignee: str | None


@dataclass(frozen=True, slots=True)
class OperatorRow:
    name: str
    role: str
    team: str | None
    url: str
    active: int
    waiting: int
    breaching: int
    conversations: list[ConversationLine]
    more: int


@dataclass(frozen=True, slots=True)
class SupervisorView:
    total: QueueRow
    teams: list[QueueRow]
    channels: list[QueueRow]
    operators: list[OperatorRow]
    breaching: list[ConversationLine]
    breaching_more: int


def _inbox_url(**params: str) -> str:
    return "/?" + urlencode({"status": "open", **params})


def _queue_row(
    queue: Queue, name: str, url: str, now: datetime, l10n: Localizer, channel: ChannelView | None
) -> QueueRow:
    oldest = queue.oldest_waiting_since
    return QueueRow(
        name=name,
        channel=channel,
        url=url,
        open=queue.open,
        waiting=queue.waiting,
        unassigned=queue.unassigned,
        oldest_wait=l10n.elapsed(now - oldest) if oldest else None,
        breaching=queue.breaching,
    )


def _label(code: str, labels: dict[str, str], l10n: Localizer) -> Label:
    return Label(code, l10n.gettext(labels[code]) if code in labels else code)


def _line(item: QueuedConversation, overview: QueueOverview, l10n: Localizer) -> ConversationLine:
    conversation = item.conversation
    team = overview.teams_by_id.get(conversation.team_id) if conversation.team_id else None
    assignee = (
        overview.operators_by_id.get(conversation.assignee_id) if conversation.assignee_id else None
    )
    since = conversation.waiting_since
    return ConversationLine(
        url=conversation_url(conversation.id),
        customer=customer_name(item.customer),
        status=_label(conversation.status.value, STATUSES, l10n),
        priority=_label(conversation.priority.value, PRIORITIES, l10n),
        waiting=l10n.elapsed(overview.at - since) if since else None,
        sla=sla_badge(item.sla, l10n),
        team=team.name if team else None,
        assignee=assignee.name if assignee else None,
    )


def supervisor_view(overview: QueueOverview, l10n: Localizer) -> SupervisorView:
    """What the supervisor page shows of ``overview``."""
    now = overview.at
    teams = []
    for queue in overview.teams:
        team = overview.teams_by_id.get(uuid.UUID(queue.key)) if queue.key else None
        teams.append(
            _queue_row(
                queue,
                team.name if team else l10n.gettext(NO_TEAM),
                # The inbox filters by a team, not by the lack of one.
                _inbox_url(team=team.slug) if team else "",
                now,
                l10n,
                None,
            )
        )
    channels = []
    for queue in overview.channels:
        channel = channel_view(queue.key or "", l10n)
        channels.append(
            _queue_row(queue, channel.label, _inbox_url(channel=channel.kind), now, l10n, channel)
        )
    operators = [
        OperatorRow(
            name=load.operator.name,
            role=l10n.gettext(ROLES[load.operator.role.value])
            if load.operator.role.value in ROLES
            else load.operator.role.value,
            team=load.operator.team.name if load.operator.team else None,
            url="/?" + urlencode({"status": "active", "assignee": str(load.operator.id)}),
            active=load.active,
            waiting=load.waiting,
            breaching=load.breaching,
            conversations=[_line(item, overview, l10n) for item in load.conversations],
            more=load.active - len(load.conversations),
        )
        for load in overview.operators
    ]
    return SupervisorView(
        total=_queue_row(overview.total, "", _inbox_url(), now, l10n, None),
        teams=teams,
        channels=channels,
        operators=operators,
        breaching=[_line(item, overview, l10n) for item in overview.breaching],
        breaching_more=overview.total.breaching - len(overview.breaching),
    )


@router.get("/supervisor")
def supervisor(
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    fragment: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Queues per team and channel, operators' loads, conversations past their answer target;
    ``fragment=queues``: the figures alone, for the page to refresh itself."""
    try:
        overview = queue_overview(session, actor, utcnow(), sla_policy())
    except Forbidden:
        title, message = NOT_ALLOWED
        return page.render(
            "console/error.html",
            status_code=403,
            code=403,
            title=page.gettext(title),
            message=page.gettext(message),
        )
    view = supervisor_view(overview, page.l10n)
    if fragment == "queues":
        return page.render("console/_supervisor_queues.html", view=view)
    return page.render(
        "console/supervisor.html",
        nav="supervisor",
        view=view,
        fragment_url=FRAGMENT_URL,
        live_since=now_ms(),
    )
