"""The Energia Chiara demo: volume, channels, the scripted stories, merges, determinism, reloads.

Seeding is the slow part (thousands of interactions through the real ingest), so each database
is seeded once and every assertion is made on that one load.
"""

from __future__ import annotations

import functools
import random
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from unisono.db import make_engine, session_factory
from unisono.demo.calendar import DemoCalendar
from unisono.demo.org import DEMO_EMAIL, DEMO_PASSWORD, DEMO_URL, STAFF
from unisono.demo.people import Registry, make_people
from unisono.demo.plan import Message, Notice, Plan, context, render
from unisono.demo.seed import build_plan, seed_demo
from unisono.demo.stories import SAME_NUMBER
from unisono.demo.texts import (
    CALL_RECAP,
    CALLBACKS,
    GENERIC_CALL,
    LETTER_ACK,
    NOTES,
    RECAP,
    TEXT_KEYS,
    TOPICS,
)
from unisono.identity.normalize import normalize_handle
from unisono.identity.resolve import find_identity
from unisono.models import (
    ChannelKind,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerMerge,
    Interaction,
    Operator,
    Priority,
    Role,
    Team,
)
from unisono.security.operators import authenticate_password

# Every load in these tests ends at the same moment, so two loads can be compared row for row.
NOW = datetime(2026, 3, 31, 17, 30, tzinfo=UTC)


@functools.cache
def _plan7() -> Plan:
    return build_plan(7)


def _one_customer(session: Session, name: str) -> Customer:
    (customer,) = session.scalars(
        select(Customer).where(Customer.display_name == name, Customer.merged_into_id.is_(None))
    ).all()
    return customer


def _channels_in_order(session: Session, conversation: Conversation) -> list[str]:
    return list(
        session.scalars(
            select(Interaction.channel)
            .where(Interaction.conversation_id == conversation.id)
            .order_by(Interaction.occurred_at, Interaction.id)
        )
    )


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Customer, Interaction, Conversation, Operator, Team, CustomerMerge)
    }


def _content(engine: Engine) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    """What determinism promises: customer names, and every interaction's text and moment."""
    with session_factory(engine)() as session:
        names = sorted(session.scalars(select(Customer.display_name)))
        interactions = sorted(
            (i.occurred_at.isoformat(), i.channel, i.direction.value, i.text)
            for i in session.scalars(select(Interaction))
        )
    return names, interactions


def test_the_same_seed_plans_the_same_demo() -> None:
    def fingerprint(plan: Plan) -> list[tuple[str, str, str]]:
        return [
            (e.at.isoformat(), type(e.action).__name__, getattr(e.action, "text", ""))
            for e in plan.ordered()
        ]

    first = fingerprint(_plan7())
    assert first == fingerprint(build_plan(7))
    assert first != fingerprint(build_plan(8))


def test_every_template_renders_with_a_full_context() -> None:
    (person,) = make_people(random.Random(1), Registry(), 1)
    values = {**context(random.Random(1), person, STAFF[5]), "canale": "WhatsApp"}
    assert set(values) == set(TEXT_KEYS)
    templates = [
        *CALLBACKS,
        GENERIC_CALL,
        LETTER_ACK,
        *NOTES,
        *RECAP.values(),
        *CALL_RECAP.values(),
    ]
    for topic in TOPICS:
        for wording in filter(None, (topic.it, topic.en)):
            templates += [*wording.subjects, *wording.chat, *wording.email, *wording.social]
            templates += [*wording.letter, *wording.calls]
            templates += [v.text for v in wording.branch]
            templates += [t for v in wording.home for t in (v.scheduled, v.report, v.closing)]
            templates += [wording.letter_out or ""]
            for exchange in wording.exchanges:
                templates += [exchange.reply, exchange.answer or "", exchange.closing or ""]
    for template in templates:
        text = render(template, values)
        assert "{" not in text, template
        assert "}" not in text, template


def test_the_calendar_ends_today_and_never_in_the_future() -> None:
    evening = DemoCalendar.ending_at(datetime(2026, 7, 1, 16, 0, tzinfo=UTC))
    early = DemoCalendar.ending_at(datetime(2026, 7, 1, 5, 0, tzinfo=UTC))
    plan_end = max(e.at for e in _plan7().events)
    assert evening.at(plan_end) <= datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    assert evening.at(plan_end).date() == datetime(2026, 7, 1, tzinfo=UTC).date()
    assert early.at(plan_end) <= datetime(2026, 7, 1, 5, 0, tzinfo=UTC)


def test_demo_seed(engine: Engine, backend: str, tmp_path: Path, sqlite_template: Path) -> None:
    summary = seed_demo(engine, seed=7, now=NOW)
    assert not summary.already_loaded
    described = summary.describe()
    for needle in (DEMO_EMAIL, DEMO_PASSWORD, DEMO_URL, "Maria Rossi"):
        assert needle in described

    with session_factory(engine)() as session:
        active = select(func.count()).select_from(Customer).where(Customer.merged_into_id.is_(None))
        assert (session.scalar(active) or 0) >= 500
        assert (session.scalar(select(func.count()).select_from(Interaction)) or 0) >= 5000
        channels = set(session.scalars(select(Interaction.channel).distinct()))
        assert {kind.value for kind in ChannelKind} <= channels
        latest = session.scalar(select(func.max(Interaction.occurred_at)))
        assert latest is not None
        assert latest <= NOW
        statuses = set(session.scalars(select(Conversation.status).distinct()))
        assert statuses == set(ConversationStatus)

        # Signora Rossi never repeats herself: one conversation across five channels.
        maria = _one_customer(session, "Maria Rossi")
        assert maria.vulnerable
        assert maria.attributes["citta"] == "Bologna"
        timeline = set(
            session.scalars(select(Interaction.channel).where(Interaction.customer_id == maria.id))
        )
        assert {"whatsapp", "email", "voice", "home_visit", "letter"} <= timeline
        bill_case = session.scalars(
            select(Conversation).where(Conversation.customer_id == maria.id, Conversation.csat == 5)
        ).one()
        order = _channels_in_order(session, bill_case)
        firsts = [order.index(c) for c in ("whatsapp", "email", "voice", "home_visit", "letter")]
        assert firsts == sorted(firsts)
        assert order[-1] == "whatsapp"
        assert bill_case.status == ConversationStatus.RESOLVED

        # The same number in three formats: one customer, one open conversation.
        identity = find_identity(session, normalize_handle("phone", "0039 3331234567"))
        assert identity is not None
        assert identity.value == SAME_NUMBER
        (conversation,) = session.scalars(
            select(Conversation).where(Conversation.customer_id == identity.customer_id)
        ).all()
        assert conversation.status == ConversationStatus.OPEN
        assert sorted(_channels_in_order(session, conversation)) == ["sms", "voice", "whatsapp"]

        # Francesca Ricci's Facebook comment lands with retention, high priority.
        francesca = _one_customer(session, "Francesca Ricci")
        assert "keep" in francesca.segments
        leaving = session.scalars(
            select(Conversation)
            .where(Conversation.customer_id == francesca.id)
            .order_by(Conversation.last_activity_at.desc())
            .limit(1)
        ).one()
        retention = session.scalars(select(Team).where(Team.slug == "retention")).one()
        assert leaving.team_id == retention.id
        assert leaving.priority == Priority.HIGH
        assert "facebook_comments" in _channels_in_order(session, leaving)
        assert _one_customer(session, "Giovanni Esposito").preferred_channel == "email"

        # One person, two customers: some merged (undo-able), some waiting for the operator.
        merged = session.scalars(select(Customer).where(Customer.merged_into_id.isnot(None)))
        assert len(merged.all()) >= 3
        assert (session.scalar(select(func.count()).select_from(CustomerMerge)) or 0) >= 3

        roles = set(session.scalars(select(Operator.role)))
        assert roles == set(Role)
        demo = authenticate_password(session, DEMO_EMAIL, DEMO_PASSWORD)
        assert demo.role == Role.ADMIN
        counts = _counts(session)

    # Loading again changes nothing and says so.
    again = seed_demo(engine, seed=7, now=NOW)
    assert again.already_loaded
    assert DEMO_EMAIL in again.describe()
    with session_factory(engine)() as session:
        assert _counts(session) == counts

    if backend == "sqlite":
        # The same seed into a second fresh database gives the same names, texts and moments.
        second_path = tmp_path / "second.db"
        shutil.copyfile(sqlite_template, second_path)
        second = make_engine(f"sqlite:///{second_path}")
        try:
            seed_demo(second, seed=7, now=NOW)
            assert _content(second) == _content(engine)
        finally:
            second.dispose()


def test_plan_covers_every_channel_and_its_stories() -> None:
    plan = _plan7()
    channels = Counter(
        e.action.channel for e in plan.events if isinstance(e.action, Message | Notice)
    )
    assert {kind.value for kind in ChannelKind} <= set(channels)
    assert plan.merged
    assert plan.unmerged
    assert len(plan.stories) >= 4
