"""The demo as a plan: every message, status change, note and merge, at its nominal moment.

Planning is pure (no database): the same seed gives the same plan, which ``seed`` then plays in
time order through the service functions. A conversation is planned whole, step by step, and
the steps after the end of the data are simply dropped, so the most recent conversations stop
where "now" catches them: some still waiting for an answer, some waiting for the customer.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from unisono.demo.calendar import END_OF_DATA
from unisono.demo.org import BRANCHES, Staff, agents, branch_staff
from unisono.demo.people import CONTRACT_WORDS, OFFERS, PLACES, Person, spaced_mobile, weighted
from unisono.demo.texts import (
    CALL_RECAP,
    CALLBACKS,
    GENERIC_CALL,
    LETTER_ACK,
    NOTES,
    RECAP,
    SOCIAL_PUBLIC_ONLY,
    SOCIAL_PUBLIC_REPLIES,
    TECHNICIANS,
    THANKS,
    Exchange,
    Topic,
    Wording,
)
from unisono.models import Author, ConversationStatus, DeliveryStatus, Direction, Priority

CHAT = ("whatsapp", "sms", "messenger", "app", "webchat")
SOCIAL = ("x", "facebook_comments")
CHANNEL_NAMES = {
    "whatsapp": "WhatsApp",
    "sms": "SMS",
    "messenger": "Messenger",
    "app": "app",
    "webchat": "chat del sito",
    "email": "email",
    "x": "X",
    "facebook_comments": "Facebook",
    "voice": "telefono",
    "letter": "lettera",
    "branch_visit": "sportello",
}
TICKET_PREFIX = {"milano": "M", "bologna": "B", "napoli": "N"}


@dataclass(eq=False)
class Case:
    """One planned conversation; its database id is learnt when its first message is stored."""

    number: int
    person: Person | None
    topic: str
    conversation_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """An interaction stored through ``do_ingest_interaction``."""

    channel: str
    identity_kind: str
    identity_value: str
    direction: Direction
    text: str
    author: Author | None = None
    touchpoint: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    external_id: str | None = None
    customer_name: str | None = None
    operator: str | None = None
    case: Case | None = None
    subject: str | None = None
    enrichment: Mapping[str, Any] | None = None
    delivery: DeliveryStatus | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """A bill, reminder or campaign message: written straight onto the timeline, in bulk."""

    person: Person
    channel: str
    identity_kind: str
    identity_value: str
    text: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    delivery: DeliveryStatus = DeliveryStatus.DELIVERED
    delivery_error: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """A change of a conversation through ``do_update_conversation``."""

    case: Case
    operator: str | None = None
    status: ConversationStatus | None = None
    priority: Priority | None = None
    labels: tuple[str, ...] | None = None
    team: str | None = None
    team_set: bool = False
    assignee: str | None = None
    assignee_set: bool = False
    # For a resolution: when it happened (nominal), if not the moment of the update itself.
    resolved_at: datetime | None = None
    csat: int | None = None


@dataclass(frozen=True, slots=True)
class Note:
    case: Case
    operator: str
    text: str


@dataclass(frozen=True, slots=True)
class LinkIdentity:
    """An operator adds a handle to a customer's profile (``do_add_identity``)."""

    person: Person
    kind: str
    value: str
    label: str | None
    operator: str


@dataclass(frozen=True, slots=True)
class Merge:
    """An operator merges the customer who owns ``kind:value`` into ``survivor``."""

    survivor: Person
    kind: str
    value: str
    operator: str


Action = Message | Notice | Update | Note | LinkIdentity | Merge


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    seq: int
    action: Action


class Cut(Exception):
    """Raised inside a conversation's planning when it reaches the end of the data (or stalls)."""


class Plan:
    """Everything the demo will do, in the order it was planned; ``ordered()`` sorts by time."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.people: list[Person] = []
        self.cases: list[Case] = []
        self.merged: list[str] = []
        self.unmerged: list[str] = []
        self.stories: list[str] = []
        # Windows in which a scripted story has a customer's attention: routine leaves them be.
        self.busy: dict[str, list[tuple[datetime, datetime]]] = {}

    def add(self, at: datetime, action: Action) -> bool:
        """Plan ``action`` at ``at``; False (and nothing planned) after the end of the data."""
        if at > END_OF_DATA:
            return False
        self.events.append(Event(at, len(self.events), action))
        return True

    def reserve(self, person: Person, start: datetime, end: datetime) -> None:
        self.busy.setdefault(person.key, []).append((start, end))

    def is_free(self, person: Person, start: datetime, end: datetime) -> bool:
        return all(end < s or start > e for s, e in self.busy.get(person.key, []))

    def new_case(self, person: Person | None, topic: str) -> Case:
        case = Case(len(self.cases) + 1, person, topic)
        self.cases.append(case)
        return case

    def ordered(self) -> list[Event]:
        return sorted(self.events, key=lambda e: (e.at, e.seq))


# --- handles, ids and wording ------------------------------------------------------------------


def handle(person: Person, channel: str) -> tuple[str, str]:
    """The identity ``person`` uses on ``channel``, as the channel would report it."""
    if channel in ("letter", "branch_visit", "home_visit"):
        return "card", person.key
    values = {
        "email": ("email", person.email),
        "messenger": ("messenger", person.messenger_id),
        "facebook_comments": ("facebook", person.facebook_id),
        "x": ("x", person.x_id),
        "app": ("app", person.app_id),
        "webchat": ("webchat", person.webchat_id),
    }
    if channel in values:
        kind, value = values[channel]
        if value is None:
            raise ValueError(f"{person.key} has no {channel} handle")
        return kind, value
    phone = person.mobile
    if channel == "voice" and person.landline and (phone is None or person.age >= 65):
        phone = person.landline
    if phone is None:
        raise ValueError(f"{person.key} has no phone for {channel}")
    # WhatsApp shows numbers spaced; SMS and caller id deliver plain E.164.
    return "phone", spaced_mobile(phone) if channel == "whatsapp" else phone


def reachable(person: Person, channel: str) -> bool:
    try:
        handle(person, channel)
    except ValueError:
        return False
    return True


def external_id(rng: random.Random, channel: str) -> str:
    """A provider message id in the style of each channel's provider."""
    bits = rng.getrandbits(64)
    return {
        "whatsapp": f"wamid.HBgM{bits:016X}",
        "sms": f"SM{bits:016x}{rng.getrandbits(64):016x}",
        "email": f"<{bits:016x}@mail.example.it>",
        "messenger": f"m_{bits:016x}",
        "facebook_comments": f"{rng.getrandbits(40)}_{bits % 10**15}",
        "x": str(bits % 10**19),
        "app": f"app-msg-{bits:016x}",
        "webchat": f"wc-{bits:016x}",
        "voice": f"call-{bits:016x}",
        "letter": f"PROT-{bits % 10**8:08d}",
        "branch_visit": f"ticket-{bits:016x}",
    }.get(channel, f"{channel}-{bits:016x}")


def euro(value: float, language: str = "it") -> str:
    """``value`` as people read euros: ``412,37 €`` in Italian, ``€412.37`` in English."""
    text = f"{value:,.2f}"
    if language == "en":
        return f"€{text}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") + " €"


def render(template: str, context: Mapping[str, str]) -> str:
    return template.format_map(context)


def context(rng: random.Random, person: Person, staff: Staff | None) -> dict[str, str]:
    """Every value a template may ask for, drawn once per conversation."""
    female = person.gender == "f"
    en = person.language == "en"
    usual = round(person.spend * 2 * rng.uniform(0.85, 1.1), 2)
    amount = round(usual * rng.uniform(2.2, 4.6), 2)
    instalments = rng.choice((3, 4, 6, 8, 10))
    place = next(p for p in PLACES if p.city == person.city)
    other_offers = [o for o in OFFERS[person.contract] if o != person.offer] or [
        "Chiara Verde 100%"
    ]
    area_street = rng.choice(place.streets)
    return {
        "nome": person.given,
        "cognome": person.family,
        "titolo": "signora" if female else "signor",
        "Titolo": "Signora" if female else "Signor",
        "il_cliente": "la cliente" if female else "il cliente",
        "Il_cliente": "La cliente" if female else "Il cliente",
        "al_cliente": "alla cliente" if female else "al cliente",
        "del_cliente": "della cliente" if female else "del cliente",
        "o_a": "a" if female else "o",
        "codice": person.key,
        "citta": person.city,
        "cap": person.cap,
        "indirizzo": person.address,
        "nuovo_indirizzo": f"{area_street} {rng.randint(1, 150)}, {person.city}",
        "importo": euro(amount, person.language),
        "solito": euro(usual, person.language),
        "nuovo_importo": euro(round(usual * rng.uniform(0.9, 1.25), 2), person.language),
        "rate": str(instalments),
        "importo_rata": euro(round(amount / instalments, 2), person.language),
        "rimborso": euro(round(rng.uniform(18, 180), 2), person.language),
        "pod": person.pod or f"IT001E{rng.randrange(10**8):08d}",
        "pdr": person.pdr or f"0{rng.randrange(10**13):013d}",
        "lettura": f"{rng.randint(2_000, 48_000)}",
        "lettura_gas": f"{rng.randint(150, 9_000)}",
        "pratica": f"PR-{rng.randrange(10**7):07d}",
        "offerta": person.offer,
        "nuova_offerta": rng.choice(other_offers),
        "operatore": staff.given if staff else ("our team" if en else "il Servizio Clienti"),
        "firma": staff.name if staff else "Servizio Clienti",
        "tecnico": rng.choice(TECHNICIANS[person.area]),
        "sportello": BRANCHES[person.area][0],
        "fascia": rng.choice(("8:00-12:00", "9:00-13:00", "14:00-18:00")),
        "giorno": "domani",
        "cro": f"{rng.randrange(10**15, 10**16)}",
        "fattura": f"FT{rng.randrange(10**9):09d}",
        "potenza": f"{person.power_kw or 3.0:g}".replace(".", ","),
        "nuova_potenza": f"{(person.power_kw or 3.0) + 1.5:g}".replace(".", ","),
        "contratto": CONTRACT_WORDS[person.contract],
        "intestatario": rng.choice(("Giorgio Bassi", "Lucia Mauri", "Antonio Russo", "Rita Neri")),
        "azienda": person.company or person.full_name,
    }


def greeting(at: datetime, language: str) -> str:
    if language == "en":
        return "Good morning" if at.hour < 12 else "Good afternoon" if at.hour < 18 else "Hello"
    return "Buongiorno" if at.hour < 13 else "Buon pomeriggio" if at.hour < 18 else "Buonasera"


def vocative(person: Person) -> str:
    if person.language == "en" or person.age < 60:
        return person.given
    return f"{'signora' if person.gender == 'f' else 'signor'} {person.family}"


def operator_text(
    body: str, channel: str, person: Person, staff: Staff | None, at: datetime, *, first: bool
) -> str:
    """An operator's words as they go out on ``channel``: greeting and signature included."""
    en = person.language == "en"
    name = staff.name if staff else "Servizio Clienti"
    if channel == "email":
        if en:
            return (
                f"Dear {person.given},\n\n{body}\n\nKind regards,\n{name}\n"
                "Energia Chiara Customer Service"
            )
        opening = (
            f"Spettabile {person.company}"
            if person.company
            else f"Gentile {'signora' if person.gender == 'f' else 'signor'} {person.family}"
        )
        return f"{opening},\n\n{body}\n\nCordiali saluti,\n{name}\nServizio Clienti Energia Chiara"
    if channel == "letter":
        opening = f"Gentile {'signora' if person.gender == 'f' else 'signor'} {person.family}"
        body = body[:1].upper() + body[1:]
        return (
            f"{opening},\n\n{body}\n\nDistinti saluti,\n{name}\n"
            "Energia Chiara S.p.A. – Servizio Clienti"
        )
    if not first:
        return body
    who = staff.given if staff else ("Energia Chiara" if en else "il Servizio Clienti")
    if en:
        return f"{greeting(at, 'en')} {person.given}, this is {who} from Energia Chiara. {body}"
    return f"{greeting(at, 'it')} {vocative(person)}, sono {who} di Energia Chiara. {body}"


def customer_email(rng: random.Random, body: str, person: Person) -> str:
    if person.language == "en":
        return f"Hello,\n\n{body[:1].upper()}{body[1:]}\n\nBest regards,\n{person.full_name}"
    opening = rng.choice(("Buongiorno", "Gentile Energia Chiara", "Spett.le Energia Chiara"))
    closing = rng.choice(
        ("Cordiali saluti", "Grazie, saluti", "Distinti saluti", "In attesa di riscontro, saluti")
    )
    signature = person.full_name
    if person.company:
        signature += f"\n{person.company}"
    if rng.random() < 0.6:
        signature += f"\nCodice cliente {person.key}"
    return f"{opening},\n\n{body}\n\n{closing},\n{signature}"


def customer_letter(body: str, subject: str, person: Person) -> str:
    return (
        f"Spett.le Energia Chiara S.p.A.\nServizio Clienti\n\nOggetto: {subject}\n\n{body}\n\n"
        f"Distinti saluti,\n{person.full_name}\n{person.address}, {person.cap} {person.city}\n"
        f"Codice cliente {person.key}"
    )


# --- time ----------------------------------------------------------------------------------------


def at_day(day: date, hour: float) -> datetime:
    return datetime.combine(day, time()) + timedelta(hours=hour)


def customer_hour(rng: random.Random, channel: str) -> float:
    """When in the day a customer reaches out on ``channel`` (office hours for calls, visits)."""
    if channel == "voice":
        return rng.uniform(8.05, 19.8)
    if channel == "branch_visit":
        return rng.uniform(9.0, 12.7) if rng.random() < 0.65 else rng.uniform(14.5, 17.3)
    if channel == "letter":
        return rng.uniform(9.0, 12.5)  # when the mailroom scans the post
    if channel == "email":
        return rng.uniform(7.5, 23.0)
    # Chats: busy in the morning and the evening, quiet at night.
    band = weighted(rng, (("morning", 4.0), ("midday", 3.0), ("evening", 3.5), ("late", 1.0)))
    low, high = {
        "morning": (7.3, 11.5),
        "midday": (11.5, 17.0),
        "evening": (17.0, 22.0),
        "late": (22.0, 23.9),
    }[band]
    return rng.uniform(low, high)


def office(rng: random.Random, at: datetime, opens: float = 8.0, closes: float = 20.0) -> datetime:
    """``at``, or the next opening of the contact centre (plus a little queue) if it is closed."""
    hour = at.hour + at.minute / 60
    if hour < opens:
        return at_day(at.date(), opens) + timedelta(minutes=rng.uniform(3, 50))
    if hour >= closes:
        return at_day(at.date() + timedelta(days=1), opens) + timedelta(minutes=rng.uniform(3, 80))
    return at


def awake(rng: random.Random, at: datetime) -> datetime:
    """``at``, unless that is the middle of the night: then the next morning."""
    hour = at.hour + at.minute / 60
    if 0.5 <= hour < 7.0:
        return at_day(at.date(), 7.0) + timedelta(minutes=rng.uniform(10, 120))
    return at


def reply_delay(rng: random.Random, channel: str) -> timedelta:
    if channel in ("email", "letter"):
        return timedelta(minutes=rng.uniform(40, 22 * 60))
    if channel in SOCIAL:
        return timedelta(minutes=rng.uniform(5, 75))
    return timedelta(minutes=min(8 * 60, 3 + rng.expovariate(1 / 40)))


def customer_delay(rng: random.Random, channel: str) -> timedelta:
    if channel == "email":
        return timedelta(minutes=rng.uniform(30, 26 * 60))
    return timedelta(minutes=min(20 * 60, 2 + rng.expovariate(1 / 90)))


# --- one conversation --------------------------------------------------------------------------


CSAT_SCORES = (("5", 45.0), ("4", 30.0), ("3", 12.0), ("2", 7.0), ("1", 6.0))
# Where a customer stops answering in a conversation that stalls.
STALL_STAGES = (("opened", 30.0), ("assigned", 15.0), ("replied", 35.0), ("waiting", 20.0))
# Old conversations that never ended wait on the customer or on someone else, not on us.
OLD_STALL_STAGES = (("replied", 2.0), ("waiting", 1.0))


class Flow:
    """The planning of one conversation, step after step, each later than the one before."""

    def __init__(
        self,
        plan: Plan,
        rng: random.Random,
        person: Person,
        topic: Topic,
        start_day: date,
        *,
        stalls: bool = False,
        old: bool = False,
        channel: str | None = None,
        hour: float | None = None,
        hops: bool = True,
    ) -> None:
        self.plan = plan
        self.hops = hops
        self.rng = rng
        self.person = person
        self.topic = topic
        self.case = plan.new_case(person, topic.key)
        self.wording: Wording = topic.en if person.language == "en" and topic.en else topic.it
        self.language = "en" if self.wording is topic.en else "it"
        self.agent = rng.choice(agents(topic.team))
        self.context = context(rng, person, self.agent)
        self.exchange: Exchange = rng.choice(self.wording.exchanges)
        self.entry = channel or self.choose_entry()
        self.context["canale"] = CHANNEL_NAMES.get(self.entry, self.entry)
        stages = OLD_STALL_STAGES if old else STALL_STAGES
        self.stall = weighted(rng, stages) if stalls else None
        self.t = at_day(start_day, hour if hour is not None else customer_hour(rng, self.entry))
        self.last = self.t - timedelta(minutes=1)
        self.subject: str | None = None
        self.routed = False
        self.assigned = False
        # The channel of the last message if an operator wrote it (customers thank replies).
        self.answered_on: str | None = None
        self.resolved = False
        self.labels = self.choose_labels()
        self.priority = self.choose_priority()

    # -- choices

    def choose_entry(self) -> str:
        w = self.wording
        affinity: dict[str, float] = {
            "guasto": {"voice": 2.0, "x": 1.5, "facebook_comments": 1.5},
            "reclamo": {"letter": 3.0, "x": 1.5, "facebook_comments": 1.5, "email": 1.5},
            "autolettura": {"app": 2.0, "whatsapp": 1.5, "voice": 0.5},
            "autolettura_app": {"app": 3.0},
            "app_accesso": {"app": 2.5, "webchat": 1.5},
            "app_errore": {"app": 2.5, "webchat": 1.5},
            "app_bollette": {"app": 3.0},
            "sdi": {"email": 2.0},
            "sdi_codice": {"email": 2.0},
            "disdetta": {"letter": 2.0},
        }.get(self.topic.key, {})
        options = []
        for channel, weight in self.person.channels:
            allowed = (
                channel in CHAT
                or (channel == "email" and bool(w.email or w.chat))
                or (channel in SOCIAL and bool(w.social))
                or (channel == "voice" and bool(self.topic.it.calls))
                or (channel == "letter" and bool(w.letter))
                or (channel == "branch_visit" and bool(self.topic.it.branch))
            )
            if allowed and reachable(self.person, channel):
                options.append((channel, weight * affinity.get(channel, 1.0)))
        if not options:
            # Everyone has a phone (``make_person`` sees to it), and any topic can be phoned in.
            return "voice"
        return weighted(self.rng, options)

    def choose_labels(self) -> tuple[str, ...]:
        labels = set(self.topic.labels)
        if self.entry in SOCIAL:
            labels.add("social")
        if self.person.vulnerable:
            labels.add("cliente-vulnerabile")
        if "business" in self.person.segments:
            labels.add("business")
        return tuple(sorted(labels))

    def choose_priority(self) -> Priority:
        priority = self.topic.priority
        if self.person.vulnerable and self.topic.key in ("bolletta", "rateizzazione", "sollecito"):
            priority = Priority.HIGH
        if self.topic.key == "guasto" and self.person.vulnerable:
            priority = Priority.URGENT
        if "keep" in self.person.segments and self.topic.team == "retention":
            priority = Priority.URGENT
        return priority

    # -- steps

    def step(self, at: datetime) -> datetime:
        """``at``, or a minute after the previous step if that is later; cut after the end."""
        at = max(at, self.last + timedelta(minutes=1))
        if at > END_OF_DATA:
            raise Cut
        self.last = at
        return at

    def checkpoint(self, stage: str) -> None:
        if self.stall == stage:
            raise Cut

    def customer(
        self,
        channel: str,
        text: str,
        at: datetime,
        *,
        subject: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        touchpoint: str | None = None,
    ) -> datetime:
        at = self.step(at)
        self.answered_on = None
        kind, value = handle(self.person, channel)
        meta = dict(metadata or {})
        if subject and channel == "email":
            meta.setdefault("subject", subject)
        self.plan.add(
            at,
            Message(
                channel=channel,
                identity_kind=kind,
                identity_value=value,
                direction=Direction.INBOUND,
                text=text,
                touchpoint=touchpoint,
                metadata=meta,
                external_id=external_id(self.rng, channel),
                customer_name=self.person.display_name,
                case=self.case,
                subject=subject,
            ),
        )
        return at

    def operator(
        self,
        channel: str,
        body: str,
        at: datetime,
        *,
        staff: Staff | None = None,
        first: bool = False,
        metadata: Mapping[str, Any] | None = None,
        raw: bool = False,
        touchpoint: str | None = None,
        signed: bool = True,
    ) -> datetime:
        """An outbound interaction by ``staff``; ``signed=False`` for field staff who are not
        Unisono operators (technicians): authored by an operator, but no operator id."""
        at = self.step(at)
        self.answered_on = channel
        staff = staff or self.agent
        kind, value = handle(self.person, channel)
        text = body if raw else operator_text(body, channel, self.person, staff, at, first=first)
        meta = dict(metadata or {})
        if channel == "email" and self.subject:
            meta.setdefault("subject", f"Re: {self.subject}")
        delivery: DeliveryStatus | None = DeliveryStatus.DELIVERED
        if channel in ("whatsapp", "messenger", "app", "webchat", "x"):
            delivery = DeliveryStatus.READ
        if channel in ("voice", "home_visit", "branch_visit"):
            delivery = None
        if END_OF_DATA - at < timedelta(minutes=30) and delivery is not None:
            delivery = DeliveryStatus.SENT
        self.plan.add(
            at,
            Message(
                channel=channel,
                identity_kind=kind,
                identity_value=value,
                direction=Direction.OUTBOUND,
                author=Author.OPERATOR,
                text=text,
                touchpoint=touchpoint,
                metadata=meta,
                operator=staff.email if signed else None,
                case=self.case,
                delivery=delivery,
            ),
        )
        return at

    def update(self, at: datetime, **changes: Any) -> datetime:
        at = self.step(at)
        self.plan.add(at, Update(case=self.case, **changes))
        return at

    def route(self, at: datetime, *, team: str | None = None, assign: bool = False) -> datetime:
        """The routing rule sets team, priority and labels as soon as the message lands, and
        with ``assign`` also hands the conversation to the next free agent of the team."""
        self.routed = True
        if assign:
            self.assigned = True
            return self.update(
                at,
                team=team or self.topic.team,
                team_set=True,
                priority=self.priority,
                labels=self.labels,
                assignee=self.agent.email,
                assignee_set=True,
            )
        return self.update(
            at,
            team=team or self.topic.team,
            team_set=True,
            priority=self.priority,
            labels=self.labels,
        )

    def assign(self, at: datetime, staff: Staff | None = None) -> datetime:
        staff = staff or self.agent
        self.assigned = True
        return self.update(at, operator=staff.email, assignee=staff.email, assignee_set=True)

    def resolve(self, at: datetime, *, csat: bool = True) -> datetime:
        score = int(weighted(self.rng, CSAT_SCORES)) if csat and self.rng.random() < 0.3 else None
        self.resolved = True
        return self.update(
            at, operator=self.agent.email, status=ConversationStatus.RESOLVED, csat=score
        )

    def text(self, template: str) -> str:
        return render(template, self.context)

    def opener(self, channel: str) -> str:
        w = self.wording
        if channel == "email" and w.email:
            return customer_email(self.rng, self.text(self.rng.choice(w.email)), self.person)
        if channel == "email":
            return customer_email(self.rng, self.text(self.rng.choice(w.chat)), self.person)
        if channel in SOCIAL and w.social:
            return self.text(self.rng.choice(w.social))
        return self.text(self.rng.choice(w.chat))

    def customer_words(self, channel: str, text: str) -> str:
        if channel == "email":
            # A reply in a thread: no salutation, just the answer and a name.
            return f"{text}\n\n{self.person.given}"
        return text

    # -- flows

    def run(self) -> tuple[datetime, bool]:
        """Plan the whole conversation; returns when it last moved and whether it was resolved."""
        try:
            if self.entry in CHAT or self.entry == "email":
                self.written(self.entry)
            elif self.entry in SOCIAL:
                self.social(self.entry)
            elif self.entry == "voice":
                self.call()
            elif self.entry == "branch_visit":
                self.branch()
            else:
                self.letter()
        except Cut:
            pass
        return self.last, self.resolved

    def written(self, channel: str, *, opened: datetime | None = None) -> None:
        rng = self.rng
        ex = self.exchange
        if opened is None:
            subject = self.text(rng.choice(self.wording.subjects))
            if channel == "email":
                self.subject = subject
            t0 = self.customer(channel, self.opener(channel), self.t, subject=subject)
            if self.topic.key == "autolettura" and channel in CHAT and rng.random() < 0.5:
                self.customer(
                    channel,
                    "Vi allego la foto del contatore."
                    if self.language == "it"
                    else "Photo attached.",
                    t0 + timedelta(minutes=rng.uniform(0.5, 4)),
                    metadata={"attachments": [{"type": "image", "name": "contatore.jpg"}]},
                )
            if rng.random() < 0.85:
                self.route(t0 + timedelta(minutes=rng.uniform(0.2, 3)), assign=rng.random() < 0.6)
            self.checkpoint("opened")
            if rng.random() < 0.04:
                self.note(t0 + timedelta(minutes=rng.uniform(5, 60)))
        reply_at = office(rng, self.last + reply_delay(rng, channel))
        if not self.routed:
            # No rule matched: the agent triages the conversation by hand when picking it up.
            self.route(reply_at - timedelta(minutes=rng.uniform(2, 20)))
        if not self.assigned:
            self.assign(reply_at - timedelta(minutes=rng.uniform(1, 12)))
        self.checkpoint("assigned")
        replied = self.operator(channel, self.text(ex.reply), reply_at, first=True)
        if ex.asks:
            self.update(replied + timedelta(seconds=30), status=ConversationStatus.PENDING)
        self.checkpoint("replied")
        if self.stall == "waiting" and not ex.waits:
            # Stalled on the back office (or the distributor): put aside until they answer.
            self.update(
                self.last + timedelta(minutes=rng.uniform(2, 30)), status=ConversationStatus.SNOOZED
            )
            raise Cut
        hop = self.choose_hop()
        if hop == "home":
            self.home_visit(channel)
        elif hop == "call":
            self.call_back_in(channel)
        elif hop == "branch":
            self.branch_hop(channel)
        else:
            self.dialogue(channel)
        self.finish(channel)

    def choose_hop(self) -> str | None:
        roll = self.rng.random()
        if not self.hops:
            return None
        if self.topic.it.home and roll < 0.22:
            return "home"
        if reachable(self.person, "voice") and self.topic.it.calls and roll < 0.36:
            return "call"
        if self.topic.it.branch and roll < 0.42:
            return "branch"
        return None

    def dialogue(self, channel: str) -> None:
        rng = self.rng
        ex = self.exchange
        if ex.answer:
            at = awake(rng, self.last + customer_delay(rng, channel))
            meta = {}
            if ex.answer_attachment:
                kind = "image" if ex.answer_attachment.endswith(".jpg") else "document"
                meta = {"attachments": [{"type": kind, "name": ex.answer_attachment}]}
            self.customer(
                channel, self.customer_words(channel, self.text(ex.answer)), at, metadata=meta
            )
        if ex.closing:
            if ex.waits:
                self.update(
                    self.last + timedelta(minutes=rng.uniform(2, 40)),
                    status=ConversationStatus.SNOOZED,
                )
                self.checkpoint("waiting")
                done = at_day(
                    self.last.date() + timedelta(days=rng.randint(1, 5)), rng.uniform(9, 17.5)
                )
            else:
                done = office(rng, self.last + reply_delay(rng, channel))
            self.operator(channel, self.text(ex.closing), done)

    def finish(self, channel: str) -> None:
        rng = self.rng
        if channel != "letter" and self.answered_on == channel and rng.random() < 0.3:
            self.customer(
                channel,
                rng.choice(THANKS[self.language]),
                awake(rng, self.last + timedelta(minutes=rng.uniform(1, 90))),
            )
        self.resolve(self.last + timedelta(minutes=rng.uniform(2, 45)))

    def note(self, at: datetime) -> None:
        at = self.step(at)
        self.plan.add(at, Note(self.case, self.agent.email, self.text(self.rng.choice(NOTES))))

    def home_visit(self, channel: str) -> None:
        rng = self.rng
        visit = rng.choice(self.topic.it.home)
        scheduled_at = office(rng, self.last + timedelta(minutes=rng.uniform(20, 24 * 60)))
        days = rng.randint(1, 4)
        self.context["giorno"] = {1: "domani", 2: "dopodomani"}.get(days, f"tra {days} giorni")
        address = f"{self.person.address}, {self.person.cap} {self.person.city}"
        slot = self.context["fascia"]
        technician = self.context["tecnico"]
        self.operator(
            "home_visit",
            self.text(visit.scheduled),
            scheduled_at,
            raw=True,
            metadata={
                "type": "appuntamento",
                "address": address,
                "slot": slot,
                "technician": technician,
                "reason": visit.reason,
            },
        )
        self.update(self.last + timedelta(minutes=1), status=ConversationStatus.SNOOZED)
        self.checkpoint("waiting")
        start, end = (float(h.split(":")[0]) for h in slot.split("-"))
        visit_at = at_day(scheduled_at.date() + timedelta(days=days), rng.uniform(start, end - 0.5))
        self.operator(
            "home_visit",
            self.text(visit.report),
            visit_at,
            raw=True,
            signed=False,
            metadata={
                "type": "intervento",
                "address": address,
                "technician": technician,
                "reason": visit.reason,
                "outcome": visit.outcome,
                "duration_minutes": rng.randint(15, 70),
                "meter_reading_kwh": int(self.context["lettura"]),
            },
        )
        closing = visit.closing
        if self.language == "en":
            closing = "The technician has been: your case is closed. Thank you for your patience."
        self.operator(
            channel,
            self.text(closing),
            office(rng, self.last + timedelta(hours=rng.uniform(1, 20))),
        )

    def call_back_in(self, channel: str) -> None:
        """The customer picks up the phone after writing: same conversation, another channel."""
        rng = self.rng
        at = office(rng, self.last + timedelta(minutes=rng.uniform(90, 30 * 60)), 8.0, 19.8)
        summary = self.text(
            "{Il_cliente} chiama per la richiesta scritta via {canale}: verificato lo stato "
            "della pratica {pratica} e spiegati i prossimi passi."
        )
        self.call_record(summary, at)
        closing = self.exchange.closing
        if closing:
            body = RECAP[self.language] + self.text(closing)
            written_at = office(rng, self.last + timedelta(minutes=rng.uniform(10, 6 * 60)))
            self.operator(channel, body, written_at)

    def branch_hop(self, channel: str) -> None:
        rng = self.rng
        visit = rng.choice(self.topic.it.branch)
        at = at_day(
            self.last.date() + timedelta(days=rng.randint(1, 4)), customer_hour(rng, "branch_visit")
        )
        text = self.text(visit.text + " (Richiesta iniziata via {canale}.)")
        self.branch_record(visit.reason, visit.outcome, text, at)
        if self.exchange.closing and rng.random() < 0.5:
            self.operator(
                channel,
                self.text(self.exchange.closing),
                office(rng, self.last + timedelta(hours=rng.uniform(2, 26))),
            )

    def call_record(self, summary: str, at: datetime, *, staff: Staff | None = None) -> datetime:
        rng = self.rng
        staff = staff or self.agent
        return self.customer(
            "voice",
            summary,
            at,
            metadata={
                "duration_seconds": rng.randint(75, 900),
                "wait_seconds": rng.randint(5, 420),
                "agent": staff.name,
                "queue": self.topic.team,
                "ivr_path": [rng.choice("1234"), rng.choice("123")],
                "recording": f"rec-{rng.getrandbits(48):012x}",
            },
        )

    def branch_record(self, reason: str, outcome: str, text: str, at: datetime) -> datetime:
        rng = self.rng
        staff = branch_staff(self.person.area)
        name, address = BRANCHES[self.person.area]
        at = self.customer(
            "branch_visit",
            text,
            at,
            touchpoint=f"branch_visit:{self.person.area}",
            metadata={
                "branch": name,
                "address": address,
                "staff": staff.name,
                "reason": reason,
                "outcome": outcome,
                "ticket": f"{TICKET_PREFIX[self.person.area]}{rng.randint(1, 140):03d}",
                "wait_minutes": rng.randint(2, 45),
                "duration_minutes": rng.randint(6, 35),
            },
        )
        self.update(
            at + timedelta(minutes=1),
            operator=staff.email,
            team="sportelli",
            team_set=True,
            assignee=staff.email,
            assignee_set=True,
            priority=self.priority,
            labels=tuple(sorted({*self.labels, "sportello"})),
        )
        return at

    def call(self) -> None:
        rng = self.rng
        summary = self.text(rng.choice(self.topic.it.calls or (GENERIC_CALL,)))
        t0 = self.call_record(summary, self.t)
        # The agent who took the call files it: team and assignee at once.
        self.route(t0 + timedelta(minutes=rng.uniform(2, 15)), assign=True)
        self.checkpoint("opened")
        roll = rng.random()
        written = [
            c
            for c in ("whatsapp", "email", "sms")
            if self.person.uses(c) and reachable(self.person, c)
        ]
        if roll < 0.55:
            if written and rng.random() < 0.4:
                channel = written[0]
                text = self.text(CALL_RECAP[self.language])
                self.operator(
                    channel, text, self.last + timedelta(minutes=rng.uniform(2, 30)), first=True
                )
        elif roll < 0.8 and self.topic.it.home:
            self.home_visit(written[0] if written else "letter")
            self.finish_quietly()
            return
        elif roll < 0.9 and self.wording.letter_out:
            self.checkpoint("assigned")
            at = at_day(self.last.date() + timedelta(days=rng.randint(1, 3)), rng.uniform(10, 16))
            self.operator("letter", self.text(self.wording.letter_out), at)
        else:
            self.update(self.last + timedelta(minutes=1), status=ConversationStatus.PENDING)
            self.checkpoint("replied")
            at = office(rng, self.last + timedelta(hours=rng.uniform(20, 70)))
            self.operator(
                "voice",
                self.text(rng.choice(CALLBACKS)),
                at,
                raw=True,
                metadata={"duration_seconds": rng.randint(60, 420), "agent": self.agent.name},
            )
        self.finish_quietly()

    def finish_quietly(self) -> None:
        self.resolve(self.last + timedelta(minutes=self.rng.uniform(1, 30)))

    def branch(self) -> None:
        rng = self.rng
        visit = rng.choice(self.topic.it.branch)
        self.branch_record(visit.reason, visit.outcome, self.text(visit.text), self.t)
        self.checkpoint("opened")
        if rng.random() < 0.3:
            follow = "email" if reachable(self.person, "email") else "letter"
            body = self.wording.letter_out or self.exchange.closing or self.exchange.reply
            at = at_day(self.last.date() + timedelta(days=rng.randint(1, 4)), rng.uniform(9.5, 17))
            self.operator(follow, self.text(body), at)
        self.finish_quietly()

    def letter(self) -> None:
        rng = self.rng
        subject = self.text(rng.choice(self.wording.subjects))
        body = customer_letter(self.text(rng.choice(self.wording.letter)), subject, self.person)
        t0 = self.customer(
            "letter",
            body,
            self.t,
            subject=subject,
            metadata={
                "document": "lettera",
                "scan": f"scan-{rng.getrandbits(40):010x}.pdf",
                "pages": rng.randint(1, 3),
            },
        )
        self.route(t0 + timedelta(minutes=rng.uniform(5, 90)))
        self.checkpoint("opened")
        ack_channel = "email" if reachable(self.person, "email") else "letter"
        ack_at = at_day(t0.date() + timedelta(days=rng.randint(1, 3)), rng.uniform(9.5, 16.5))
        self.assign(ack_at - timedelta(minutes=rng.uniform(5, 60)))
        self.operator(ack_channel, self.text(LETTER_ACK), ack_at)
        self.update(self.last + timedelta(minutes=1), status=ConversationStatus.PENDING)
        self.checkpoint("replied")
        answer_at = at_day(
            self.last.date() + timedelta(days=rng.randint(3, 6)), rng.uniform(9.5, 16.5)
        )
        body_out = self.wording.letter_out or self.exchange.closing or self.exchange.reply
        self.operator("letter", self.text(body_out), answer_at)
        self.finish_quietly()

    def social(self, channel: str) -> None:
        rng = self.rng
        meta: dict[str, Any] = {"public": True}
        if channel == "x" and self.person.x_handle:
            meta["username"] = self.person.x_handle
        if channel == "facebook_comments":
            meta["post"] = rng.choice(
                (
                    "Nuova app Energia Chiara: scopri le novità",
                    "Chiara Verde 100%: energia rinnovabile per la tua casa",
                    "Avviso: lavori programmati sulla rete",
                )
            )
        t0 = self.customer(channel, self.opener(channel), self.t, metadata=meta)
        self.route(t0 + timedelta(minutes=rng.uniform(0.5, 5)), assign=rng.random() < 0.5)
        self.checkpoint("opened")
        public_at = office(rng, t0 + reply_delay(rng, channel), 8.0, 22.0)
        if not self.assigned:
            self.assign(public_at - timedelta(minutes=rng.uniform(1, 5)))
        private = None
        if channel == "x":
            private = "x"
        elif self.person.messenger_id:
            private = "messenger"
        elif reachable(self.person, "whatsapp") and self.person.uses("whatsapp"):
            private = "whatsapp"
        replies = SOCIAL_PUBLIC_REPLIES[self.language]
        public = rng.choice(replies) if private else SOCIAL_PUBLIC_ONLY[self.language]
        self.operator(channel, self.text(public), public_at, raw=True, metadata={"public": True})
        if private is None:
            self.finish_quietly()
            return
        private_meta = {"public": False} if private == "x" else {}
        at = awake(rng, self.last + timedelta(minutes=rng.uniform(4, 120)))
        self.customer(private, self.text(rng.choice(self.wording.chat)), at, metadata=private_meta)
        self.written(private, opened=at)
