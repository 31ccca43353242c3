"""``unisono demo seed``: load the Energia Chiara demo into an empty database.

The demo is planned first (``build_plan``: pure, deterministic for a seed) and then played in
time order through the same service functions a live installation uses: every message goes
through ``do_ingest_interaction`` (identity resolution, threading), every status or assignee
change through ``do_update_conversation``, merges through ``do_merge_customers``. Only what has
no service yet is written directly: the teams, the channels, the CRM import of customers with
their identities, and bulk notices (bills, reminders, campaigns) that the outbound module will
send once it exists.

Dates: see ``unisono.demo.calendar``: the nominal year is shifted in whole days so that it
ends today. Services stamp "now" on a few fields (a conversation's creation and resolution, a
merge); the loader puts the historical moment there instead, so the history reads true.

Loading twice is harmless: once the demo login exists, ``seed_demo`` only reports what is there.
Everything happens in one transaction, so a failed load leaves nothing half-done behind.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, Select, distinct, func, insert, select, update
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.db import session_factory
from unisono.demo.calendar import END_OF_DATA, FIRST_DAY, GO_LIVE, DemoCalendar
from unisono.demo.org import (
    COMPANY,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_URL,
    STAFF,
    TEAMS,
    TOUCHPOINTS,
)
from unisono.demo.people import Person, Registry, attributes, make_people, spaced_mobile
from unisono.demo.plan import (
    Action,
    LinkIdentity,
    Merge,
    Message,
    Note,
    Notice,
    Plan,
    Update,
)
from unisono.demo.routine import plan_routine
from unisono.demo.stories import plan_stories, scripted_people
from unisono.demo.templates import seed_templates
from unisono.errors import Conflict
from unisono.identity.merge import do_merge_customers
from unisono.identity.normalize import name_key, normalize_handle
from unisono.identity.resolve import do_add_identity, find_identity
from unisono.inbox.conversations import ConversationChanges, do_update_conversation
from unisono.inbox.ingest import NewInteraction, do_ingest_interaction
from unisono.inbox.replies import do_add_note
from unisono.models import (
    Author,
    Channel,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerMerge,
    Direction,
    Identity,
    Interaction,
    Operator,
    Team,
)
from unisono.security.actor import Actor
from unisono.security.operators import do_create_operator

# Customers drawn at random, besides the three of the scripted stories.
RANDOM_CUSTOMERS = 556
NOTICE_BATCH = 500


def _rng(seed: int, purpose: str) -> random.Random:
    # One generator per purpose: a change in how stories draw does not reshuffle the people.
    return random.Random(f"unisono-demo:{seed}:{purpose}")


def build_plan(seed: int = 7) -> Plan:
    """The whole demo as a time-stamped plan; the same seed always gives the same plan."""
    registry = Registry()
    scripted = scripted_people(registry)
    people = make_people(_rng(seed, "people"), registry, RANDOM_CUSTOMERS)
    plan = Plan()
    plan.people = [*scripted, *people]
    plan_stories(plan, _rng(seed, "stories"), registry, scripted, people)
    plan_routine(plan, _rng(seed, "routine"), people)
    return plan


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds, for the person who just loaded it."""

    already_loaded: bool = False
    seed: int | None = None
    customers: int = 0
    merged_customers: int = 0
    interactions: int = 0
    channels: int = 0
    conversations: int = 0
    statuses: tuple[tuple[str, int], ...] = ()
    operators: int = 0
    teams: int = 0
    first_day: date | None = None
    last_day: date | None = None
    stories: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()
    unmerged: tuple[str, ...] = ()
    seconds: float = 0.0

    def describe(self) -> str:
        status_names = {
            "open": "aperte",
            "pending": "in attesa",
            "snoozed": "sospese",
            "resolved": "risolte",
        }
        statuses = ", ".join(f"{status_names.get(s, s)} {n}" for s, n in self.statuses)
        if self.already_loaded:
            head = "I dati demo sono già presenti: nulla da caricare (demo already loaded)."
        else:
            head = (
                f"Demo {COMPANY} caricata con seed {self.seed} in {self.seconds:.1f} s "
                "(demo loaded)."
            )
        lines = [
            head,
            f"  Clienti (customers): {self.customers}, più {self.merged_customers} uniti ad altri",
            f"  Interazioni (interactions): {self.interactions} su {self.channels} canali",
            f"  Conversazioni: {self.conversations} ({statuses})",
            f"  Operatori: {self.operators} in {self.teams} team",
        ]
        if self.first_day and self.last_day:
            lines.append(f"  Periodo: dal {self.first_day:%d/%m/%Y} al {self.last_day:%d/%m/%Y}")
        lines += [
            f"Accesso (login): {DEMO_EMAIL} / {DEMO_PASSWORD}  (admin; stessa password per tutti "
            "gli operatori demo)",
            f"Console: {DEMO_URL}  (avvia con: unisono serve)",
        ]
        if self.stories:
            lines.append("Storie da cercare:")
            lines += [f"  - {story}" for story in self.stories]
        if self.merged:
            lines.append("Clienti già uniti (l'unione si può annullare):")
            lines += [f"  - {pair}" for pair in self.merged]
        if self.unmerged:
            lines.append("Stessa persona, due clienti – da unire nella demo:")
            lines += [f"  - {pair}" for pair in self.unmerged]
        return "\n".join(lines)


def seed_demo(engine: Engine, *, seed: int = 7, now: datetime | None = None) -> DemoSummary:
    """Load the demo into ``engine``'s database, or report it if it is there already.

    ``now`` (default: the current time) is where the data ends; tests pin it.
    """
    started = time.perf_counter()
    session = session_factory(engine)()
    try:
        if session.scalar(select(Operator.id).where(Operator.email == DEMO_EMAIL)) is not None:
            summary = _summary(session, already_loaded=True)
            session.rollback()
            return summary
        if session.scalar(select(Customer.id).limit(1)) is not None:
            raise Conflict(
                "the database already holds customers; load the demo into an empty database "
                "(for example UNISONO_DATABASE_URL=sqlite:///./var/demo.db unisono demo seed)"
            )
        plan = build_plan(seed)
        calendar = DemoCalendar.ending_at(now or utcnow())
        loader = Loader(session, calendar)
        loader.create_company()
        loader.import_customers(plan.people)
        for event in plan.ordered():
            loader.play(event.at, event.action)
        loader.finish()
        seed_templates(session, calendar=calendar)
        session.commit()
        return _summary(
            session,
            seed=seed,
            first_day=calendar.day(FIRST_DAY),
            last_day=calendar.day(END_OF_DATA.date()),
            stories=tuple(plan.stories),
            merged=tuple(plan.merged),
            unmerged=tuple(plan.unmerged),
            seconds=time.perf_counter() - started,
        )
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _summary(
    session: Session,
    *,
    already_loaded: bool = False,
    seed: int | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    stories: tuple[str, ...] = (),
    merged: tuple[str, ...] = (),
    unmerged: tuple[str, ...] = (),
    seconds: float = 0.0,
) -> DemoSummary:
    def count(query: Select[Any]) -> int:
        return session.scalar(query) or 0

    statuses = session.execute(
        select(Conversation.status, func.count()).group_by(Conversation.status)
    ).all()
    order = list(ConversationStatus)
    if already_loaded:
        first = session.scalar(select(func.min(Interaction.occurred_at)))
        last = session.scalar(select(func.max(Interaction.occurred_at)))
        first_day = first.date() if first else None
        last_day = last.date() if last else None
    return DemoSummary(
        already_loaded=already_loaded,
        seed=seed,
        customers=count(
            select(func.count()).select_from(Customer).where(Customer.merged_into_id.is_(None))
        ),
        merged_customers=count(
            select(func.count()).select_from(Customer).where(Customer.merged_into_id.isnot(None))
        ),
        interactions=count(select(func.count()).select_from(Interaction)),
        channels=count(
            select(func.count(distinct(Interaction.channel))).where(
                Interaction.direction != Direction.NOTE
            )
        ),
        conversations=count(select(func.count()).select_from(Conversation)),
        statuses=tuple(
            (ConversationStatus(s).value, int(n))
            for s, n in sorted(statuses, key=lambda row: order.index(ConversationStatus(row[0])))
        ),
        operators=count(select(func.count()).select_from(Operator)),
        teams=count(select(func.count()).select_from(Team)),
        first_day=first_day,
        last_day=last_day,
        stories=stories,
        merged=merged,
        unmerged=unmerged,
        seconds=seconds,
    )


SYSTEM = Actor(operator=None, via="demo")


class Loader:
    """Plays a plan into one session, keeping the rows it needs again at hand."""

    def __init__(self, session: Session, calendar: DemoCalendar) -> None:
        self.session = session
        self.calendar = calendar
        self.operators: dict[str, Operator] = {}
        self.actors: dict[str, Actor] = {}
        self.customers: dict[str, Customer] = {}
        self.customer_ids: dict[str, uuid.UUID] = {}
        self.touchpoints: dict[str, uuid.UUID] = {}
        self.identities: dict[tuple[str, str], uuid.UUID] = {}
        self.normalized: dict[tuple[str, str], str] = {}
        self.conversations: dict[uuid.UUID, Conversation] = {}
        self.seen_customers: set[uuid.UUID] = set()
        # Customers created by ingest, held so the session does not load them over and over.
        self.strangers: list[Customer] = []
        # What services stamp or leave out, corrected in bulk at the end: one statement for
        # thousands of rows instead of one UPDATE each.
        self.interaction_fixes: list[dict[str, Any]] = []
        self.subjects: dict[uuid.UUID, str] = {}
        self.resolved_at: dict[uuid.UUID, datetime] = {}
        self.csat: dict[uuid.UUID, int] = {}
        self.stranger_since: dict[uuid.UUID, datetime] = {}
        self.notices: list[dict[str, Any]] = []

    # -- the company

    def create_company(self) -> None:
        session = self.session
        teams: dict[str, Team] = {}
        for slug, name in TEAMS:
            team = session.scalar(select(Team).where(Team.slug == slug))
            if team is None:
                team = Team(slug=slug, name=name)
                session.add(team)
            teams[slug] = team
        session.flush()
        for staff in STAFF:
            operator = do_create_operator(
                session,
                staff.email,
                name=staff.name,
                role=staff.role,
                password=DEMO_PASSWORD,
                team=teams[staff.team] if staff.team else None,
            )
            self.operators[staff.email] = operator
            self.actors[staff.email] = Actor(operator=operator, via="demo")
        for touchpoint in TOUCHPOINTS:
            channel = Channel(
                kind=touchpoint.kind, name=touchpoint.name, settings=dict(touchpoint.settings)
            )
            session.add(channel)
            session.flush()
            self.touchpoints[touchpoint.key] = channel.id

    # -- the CRM import

    def import_customers(self, people: list[Person]) -> None:
        """Energia Chiara's customers as its CRM knew them on the day Unisono went live."""
        session = self.session
        imported = self.calendar.at(GO_LIVE)
        for person in people:
            customer = Customer(
                display_name=person.display_name,
                name_key=name_key(person.display_name),
                given_name=person.given,
                family_name=person.family,
                language=person.language,
                preferred_channel=person.preferred_channel,
                vulnerable=person.vulnerable,
                attributes=attributes(person, self.calendar.day),
                segments=list(person.segments),
                created_at=imported,
                updated_at=imported,
            )
            self.customers[person.key] = customer
        session.add_all(self.customers.values())
        session.flush()
        rows = []
        for person in people:
            customer = self.customers[person.key]
            self.customer_ids[person.key] = customer.id
            self.seen_customers.add(customer.id)
            for kind, raw, label, verified in _crm_identities(person):
                value = self._normalize(kind, raw)
                identity = Identity(
                    customer_id=customer.id,
                    kind=kind,
                    value=value,
                    raw_value=raw,
                    label=label,
                    verified=verified,
                    created_at=imported,
                )
                rows.append(identity)
        session.add_all(rows)
        session.flush()
        for identity in rows:
            self.identities[(identity.kind, identity.value)] = identity.id

    def _normalize(self, kind: str, raw: str) -> str:
        key = (kind, raw)
        if key not in self.normalized:
            self.normalized[key] = normalize_handle(kind, raw).value
        return self.normalized[key]

    # -- the plan

    def play(self, nominal: datetime, action: Action) -> None:
        at = self.calendar.at(nominal)
        if isinstance(action, Message):
            self.message(action, at)
        elif isinstance(action, Notice):
            self.notice(action, at)
        elif isinstance(action, Update):
            self.update(action, at)
        elif isinstance(action, Note):
            self.note(action, at)
        elif isinstance(action, LinkIdentity):
            self.link(action, at)
        else:
            self.merge(action, at)

    def actor(self, operator: str | None) -> Actor:
        return self.actors[operator] if operator else SYSTEM

    def message(self, message: Message, at: datetime) -> None:
        interaction, _ = do_ingest_interaction(
            self.session,
            self.actor(message.operator),
            NewInteraction(
                channel=message.channel,
                identity_kind=message.identity_kind,
                identity_value=message.identity_value,
                direction=message.direction,
                text=message.text,
                occurred_at=at,
                external_id=message.external_id,
                customer_name=message.customer_name,
                metadata=dict(message.metadata),
                channel_id=self.touchpoints[message.touchpoint or message.channel],
                author=message.author,
            ),
        )
        fix: dict[str, Any] = {}
        if message.operator:
            # Ingest records who sent a message, not which operator wrote it.
            fix["operator_id"] = self.operators[message.operator].id
        if (
            message.direction == Direction.OUTBOUND
            and message.delivery != interaction.delivery_status
        ):
            fix["delivery_status"] = message.delivery
        if message.enrichment:
            fix["enrichment"] = dict(message.enrichment)
        if fix:
            self.interaction_fixes.append({"id": interaction.id, **fix})
        if interaction.customer_id not in self.seen_customers:
            # A stranger: ingest created the customer just now, on the day they first wrote.
            self.seen_customers.add(interaction.customer_id)
            self.stranger_since[interaction.customer_id] = at
            self.strangers.append(self.session.get_one(Customer, interaction.customer_id))
        conversation_id = interaction.conversation_id
        if conversation_id is None:
            return
        if conversation_id not in self.conversations:
            # Played in time order, so a conversation first seen is one this message opened.
            self.conversations[conversation_id] = self.session.get_one(
                Conversation, conversation_id
            )
            if message.subject and message.direction == Direction.INBOUND:
                # An email's subject names the case better than its first line does.
                self.subjects[conversation_id] = message.subject[:300]
        if message.case is not None:
            message.case.conversation_id = conversation_id

    def notice(self, notice: Notice, at: datetime) -> None:
        value = self._normalize(notice.identity_kind, notice.identity_value)
        self.notices.append(
            {
                "customer_id": self.customer_ids[notice.person.key],
                "channel": notice.channel,
                "channel_id": self.touchpoints[notice.channel],
                "identity_id": self.identities.get((notice.identity_kind, value)),
                "direction": Direction.OUTBOUND,
                "author": Author.SYSTEM,
                "text": notice.text,
                "meta": dict(notice.metadata),
                "occurred_at": at,
                "delivery_status": notice.delivery,
                "delivery_error": notice.delivery_error,
            }
        )
        if len(self.notices) >= NOTICE_BATCH:
            self.flush_notices()

    def flush_notices(self) -> None:
        """Write the pending notices in one statement, as an outbound batch job would."""
        if self.notices:
            self.session.execute(insert(Interaction), self.notices)
            self.notices = []

    def update(self, update: Update, at: datetime) -> None:
        if update.case.conversation_id is None:
            return
        conversation = self.conversations[update.case.conversation_id]
        do_update_conversation(
            self.session,
            self.actor(update.operator),
            conversation,
            ConversationChanges(
                status=update.status,
                priority=update.priority,
                assignee_id=self.operators[update.assignee].id if update.assignee else None,
                assignee_set=update.assignee_set,
                team=update.team,
                team_set=update.team_set,
                labels=list(update.labels) if update.labels is not None else None,
            ),
        )
        if update.status == ConversationStatus.RESOLVED:
            # The service stamps the time of the call; the history needs the time it happened.
            self.resolved_at[conversation.id] = (
                self.calendar.at(update.resolved_at) if update.resolved_at else at
            )
        elif update.status is not None:
            self.resolved_at.pop(conversation.id, None)
        if update.csat is not None:
            self.csat[conversation.id] = update.csat

    def note(self, note: Note, at: datetime) -> None:
        if note.case.conversation_id is None:
            return
        conversation = self.conversations[note.case.conversation_id]
        added = do_add_note(self.session, self.actor(note.operator), conversation, note.text)
        added.occurred_at = at

    def link(self, link: LinkIdentity, at: datetime) -> None:
        identity = do_add_identity(
            self.session,
            self.customers[link.person.key],
            normalize_handle(link.kind, link.value),
            raw_value=link.value,
            label=link.label,
            verified=True,
        )
        identity.created_at = at

    def merge(self, merge: Merge, at: datetime) -> None:
        survivor_id = self.customer_ids[merge.survivor.key]
        identity = find_identity(self.session, normalize_handle(merge.kind, merge.value))
        if identity is None or identity.customer_id == survivor_id:
            return
        record: CustomerMerge = do_merge_customers(
            self.session, self.actor(merge.operator), survivor_id, identity.customer_id
        )
        record.created_at = at
        # The merge expired every object in the session; reload what we hold in three queries
        # rather than one query (and one for its identities) per object as they are touched.
        for model in (Customer, Conversation, Operator):
            self.session.scalars(select(model)).all()

    def finish(self) -> None:
        """Apply the corrections collected while playing, a few statements in all."""
        session = self.session
        self.flush_notices()
        session.flush()
        if self.interaction_fixes:
            # Rows differ in which fields they fix: group them so each executemany is uniform.
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in self.interaction_fixes:
                groups.setdefault(tuple(sorted(row)), []).append(row)
            for rows in groups.values():
                session.execute(update(Interaction), rows)
        # A conversation began with its first interaction, not when the demo was loaded.
        first = (
            select(func.min(Interaction.occurred_at))
            .where(Interaction.conversation_id == Conversation.id)
            .scalar_subquery()
        )
        session.execute(
            update(Conversation)
            .values(created_at=first)
            .execution_options(synchronize_session=False)
        )
        for values, column in (
            (self.subjects, "subject"),
            (self.resolved_at, "resolved_at"),
            (self.csat, "csat"),
        ):
            if values:
                session.execute(
                    update(Conversation), [{"id": cid, column: v} for cid, v in values.items()]
                )
        if self.stranger_since:
            session.execute(
                update(Customer),
                [{"id": cid, "created_at": at} for cid, at in self.stranger_since.items()],
            )
        session.expire_all()


def _crm_identities(person: Person) -> list[tuple[str, str, str | None, bool]]:
    """The handles the CRM holds for ``person``: (kind, as typed, label, verified)."""
    rows: list[tuple[str, str, str | None, bool]] = [("card", person.key, "Codice cliente", True)]
    if person.mobile:
        rows.append(("phone", spaced_mobile(person.mobile), "Cellulare", True))
    if person.landline:
        rows.append(("phone", person.landline, "Telefono fisso", True))
    if person.email:
        rows.append(("email", person.email, None, True))
    if person.app_id:
        rows.append(("app", person.app_id, "App Energia Chiara", True))
    if person.webchat_id:
        rows.append(("webchat", person.webchat_id, "Area clienti", True))
    if person.messenger_id:
        rows.append(("messenger", person.messenger_id, "Messenger", False))
    if person.facebook_id:
        rows.append(("facebook", person.facebook_id, "Facebook", False))
    if person.x_id:
        rows.append(("x", person.x_id, person.x_handle, False))
    return rows
