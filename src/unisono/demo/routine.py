"""The ordinary year at Energia Chiara: bills, reminders, campaigns and everyday conversations.

Contacts grow over the year (more channels were connected to Unisono month after month) and
are densest in the last two weeks, so the inbox has a realistic backlog when the demo opens:
conversations that started in the last days may stall where "now" finds them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from unisono.demo.calendar import DAYS, FIRST_DAY, REFERENCE_DAY
from unisono.demo.people import Person, weighted
from unisono.demo.plan import Flow, Notice, Plan, at_day, euro, handle, reachable
from unisono.demo.texts import TOPICS, Topic
from unisono.models import DeliveryStatus

BILL_PERIOD_DAYS = 61
# Later days weigh more: Unisono took on one channel after another during the year.
DAY_WEIGHTS = [0.55 + 0.9 * (i / (DAYS - 1)) for i in range(DAYS)]
RECENT_DAYS = 14


def bill_amount(rng: random.Random, person: Person, day: date) -> float:
    """A two-month bill: heating makes gas dearer in winter."""
    season = 1.0
    if person.contract in ("gas", "dual"):
        season = 1.55 if day.month in (11, 12, 1, 2) else 1.15 if day.month in (3, 10) else 0.8
    return round(person.spend * 2 * season * rng.uniform(0.85, 1.12), 2)


def bill_notice(
    rng: random.Random, person: Person, amount: float, number: str, *, channel: str | None = None
) -> Notice:
    """The bill of ``amount`` as it reaches ``person``: by email, in the app or on paper."""
    channel = channel or person.bill_channel
    money = euro(amount, person.language)
    en = person.language == "en"
    if person.payment == "domiciliazione":
        pay = (
            "It will be debited to your bank account on the due date."
            if en
            else "L'importo sarà addebitato sul suo conto corrente alla scadenza."
        )
    else:
        pay = (
            "You can pay it in the app, with a PagoPA slip or by bank transfer."
            if en
            else "Può pagarla nell'app, con bollettino PagoPA o con bonifico."
        )
    meta: dict[str, object] = {
        "document": "bolletta",
        "number": number,
        "amount_eur": f"{amount:.2f}",
        "due_in_days": 20,
        "archive": f"archivio/bollette/{person.key}/{number}.pdf",
    }
    if channel == "email":
        subject = f"Your Energia Chiara bill {number}" if en else f"La tua bolletta {number}"
        text = (
            f"Dear {person.given},\n\nyour bill no. {number} for {money} is available in your "
            f"online account and attached to this email. Due in 20 days. {pay}\n\nEnergia Chiara"
            if en
            else f"Gentile {person.given},\n\nè disponibile la bolletta n. {number} di {money} "
            f"per la fornitura in {person.address}. Scadenza: tra 20 giorni. {pay}\nLa trova in "
            "allegato e nell'area clienti.\n\nEnergia Chiara"
        )
        meta["subject"] = subject
    elif channel == "app":
        text = (
            f"New bill available: {money}, due in 20 days. Tap to view it."
            if en
            else f"Nuova bolletta disponibile: {money}, scadenza tra 20 giorni. Tocca per vederla."
        )
    else:
        channel = "letter"
        text = (
            f"Bolletta n. {number} – fornitura in {person.address}, {person.cap} {person.city}. "
            f"Importo da pagare: {money}. Scadenza: 20 giorni dall'emissione. {pay}"
        )
        meta["pages"] = 2
    kind, value = handle(person, channel)
    delivery = DeliveryStatus.SENT if channel == "letter" else DeliveryStatus.DELIVERED
    if channel == "app":
        delivery = DeliveryStatus.READ if rng.random() < 0.6 else DeliveryStatus.DELIVERED
    error = None
    if channel == "email" and rng.random() < 0.015:
        delivery, error = DeliveryStatus.FAILED, "552 5.2.2 Mailbox full"
    return Notice(person, channel, kind, value, text, meta, delivery, error)


def bill_number(rng: random.Random) -> str:
    return f"FT{rng.randrange(10**9):09d}"


def plan_bills(plan: Plan, rng: random.Random, person: Person) -> list[date]:
    """Every bill of the year for ``person``; returns the days a reminder followed a bill."""
    reminders: list[date] = []
    late_payer = person.payment != "domiciliazione" and rng.random() < 0.12
    day = FIRST_DAY + timedelta(days=rng.randrange(BILL_PERIOD_DAYS))
    bills: list[tuple[date, float, str]] = []
    while day <= REFERENCE_DAY:
        amount = bill_amount(rng, person, day)
        number = bill_number(rng)
        hour = 10.0 if person.bill_channel == "letter" else rng.uniform(6.0, 7.0)
        plan.add(at_day(day, hour), bill_notice(rng, person, amount, number))
        bills.append((day, amount, number))
        day += timedelta(days=BILL_PERIOD_DAYS)
    if late_payer and len(bills) > 2:
        day, amount, number = rng.choice(bills[:-1])
        remind_day = day + timedelta(days=30)
        channel = next(c for c in ("sms", "email", "letter") if reachable(person, c))
        money = euro(amount, person.language)
        text = (
            f"Energia Chiara: we have not yet received payment of bill {number} ({money}), due 10 "
            "days ago. If you have already paid, please ignore this message."
            if person.language == "en"
            else f"Energia Chiara: non risulta ancora il pagamento della bolletta {number} di "
            f"{money}, scaduta da 10 giorni. Se ha già pagato ignori questo messaggio."
        )
        kind, value = handle(person, channel)
        if plan.add(
            at_day(remind_day, 10.0),
            Notice(
                person,
                channel,
                kind,
                value,
                text,
                {"document": "sollecito", "bill": number, "amount_eur": f"{amount:.2f}"},
                DeliveryStatus.DELIVERED,
            ),
        ):
            reminders.append(remind_day)
    return reminders


def choose_topic(rng: random.Random, person: Person) -> Topic:
    options = []
    for topic in TOPICS:
        if topic.business_only and "business" not in person.segments:
            continue
        if topic.app_only and not person.app_id:
            continue
        if person.language == "en" and topic.en is None:
            continue
        weight = topic.weight * (topic.vulnerable_factor if person.vulnerable else 1.0)
        if topic.business_only:
            weight *= 4
        options.append((topic.key, weight))
    key = weighted(rng, options)
    return next(t for t in TOPICS if t.key == key)


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth) from ``rng``; the standard library has none."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@dataclass(frozen=True, slots=True)
class Start:
    day: date
    topic: str | None = None


def plan_year(plan: Plan, rng: random.Random, person: Person, reminders: list[date]) -> None:
    """The conversations ``person`` has with Energia Chiara over the year, one after another."""
    mean = 1.15 + (0.5 if person.elderly else 0) + (0.5 if "business" in person.segments else 0)
    mean += 0.3 if person.vulnerable else 0
    days = rng.choices(range(DAYS), weights=DAY_WEIGHTS, k=poisson(rng, mean))
    starts = [Start(FIRST_DAY + timedelta(days=d)) for d in days]
    for day in reminders:
        if rng.random() < 0.5:
            topic = "rateizzazione" if rng.random() < 0.3 else "sollecito"
            starts.append(Start(day + timedelta(days=rng.randint(0, 2)), topic))
    if rng.random() < 0.16:
        starts.append(Start(REFERENCE_DAY - timedelta(days=rng.randrange(RECENT_DAYS))))
    starts.sort(key=lambda s: s.day)
    free_from = datetime.combine(FIRST_DAY, datetime.min.time())
    for start in starts:
        day = start.day
        if day <= free_from.date():
            day = free_from.date() + timedelta(days=rng.randint(1, 4))
        if day > REFERENCE_DAY:
            break
        window_start = datetime.combine(day, datetime.min.time())
        # A story's conversation must not be threaded into a routine one, or the other way.
        if not plan.is_free(
            person, window_start - timedelta(days=9), window_start + timedelta(days=10)
        ):
            continue
        chosen = (
            next(t for t in TOPICS if t.key == start.topic)
            if start.topic
            else choose_topic(rng, person)
        )
        recent = (REFERENCE_DAY - day).days <= 12
        stalls = rng.random() < (0.45 if recent else 0.008)
        flow = Flow(plan, rng, person, chosen, day, stalls=stalls, old=not recent)
        last, resolved = flow.run()
        # An unresolved conversation keeps taking messages for a week: leave it room.
        free_from = last + timedelta(days=1 if resolved else 9)


CAMPAIGNS = (
    (
        210,
        9.5,
        "email",
        "chiara-verde",
        "Chiara Verde: la tua energia 100% rinnovabile",
        "Ciao {nome},\n\ncon Chiara Verde la tua casa usa solo energia da fonti rinnovabili "
        "certificate, allo stesso prezzo della tua offerta attuale per i primi 12 mesi. La attivi "
        "dall'area clienti in due minuti.\n\nEnergia Chiara\n\nNon vuoi più ricevere offerte? "
        "Gestisci i consensi nell'area clienti.",
        "Hi {nome},\n\nwith Chiara Verde your home runs on certified renewable energy only, at "
        "the price of your current offer for the first 12 months. Switch in two minutes from "
        "your online account.\n\nEnergia Chiara",
    ),
    (
        95,
        18.0,
        "app",
        "app-autolettura-foto",
        None,
        "Novità nell'app: ora puoi inviare l'autolettura con una foto del contatore. Provala!",
        "New in the app: send your meter reading with a photo of the meter. Try it now!",
    ),
    (
        12,
        10.0,
        "email",
        "chiara-sole",
        "Chiara Sole: fotovoltaico con sopralluogo gratuito",
        "Ciao {nome},\n\nproduci la tua energia con Chiara Sole: impianto fotovoltaico con "
        "accumulo chiavi in mano, sopralluogo gratuito e rate a tasso zero.\n\nEnergia Chiara\n\n"
        "Non vuoi più ricevere offerte? Gestisci i consensi nell'area clienti.",
        "Hi {nome},\n\nmake your own energy with Chiara Sole: turnkey solar panels with storage, "
        "free survey and interest-free instalments.\n\nEnergia Chiara",
    ),
    (
        9,
        10.0,
        "email",
        "caldaia-sicura",
        "Caldaia Sicura: la manutenzione a 5 € al mese",
        "Ciao {nome},\n\ncon Caldaia Sicura la manutenzione annuale della caldaia e il pronto "
        "intervento costano 5 € al mese, direttamente in bolletta.\n\nEnergia Chiara\n\nNon vuoi "
        "più ricevere offerte? Gestisci i consensi nell'area clienti.",
        "Hi {nome},\n\nwith Caldaia Sicura your yearly boiler service and emergency call-outs "
        "cost €5 a month, right on your bill.\n\nEnergia Chiara",
    ),
)


def plan_campaigns(plan: Plan, rng: random.Random, people: list[Person]) -> None:
    """Marketing emails to those who consented; a service push to every app user."""
    for days_before, hour, channel, key, subject, text_it, text_en in CAMPAIGNS:
        day = REFERENCE_DAY - timedelta(days=days_before)
        for person in people:
            marketing = channel == "email"
            if marketing and not (person.marketing and person.email):
                continue
            if channel == "app" and not person.app_id:
                continue
            if person.since > day:
                continue
            text = (text_en if person.language == "en" else text_it).format(nome=person.given)
            meta: dict[str, object] = {
                "campaign": key,
                "purpose": "advertise" if marketing else "inform",
            }
            if subject:
                meta["subject"] = subject
            delivery = DeliveryStatus.DELIVERED
            error = None
            roll = rng.random()
            if marketing and roll < 0.03:
                delivery, error = DeliveryStatus.FAILED, "550 5.1.1 User unknown"
            elif channel == "app" and roll < 0.5:
                delivery = DeliveryStatus.READ
            kind, value = handle(person, channel)
            at = at_day(day, hour) + timedelta(seconds=rng.uniform(0, 1800))
            plan.add(at, Notice(person, channel, kind, value, text, meta, delivery, error))


def plan_routine(plan: Plan, rng: random.Random, people: list[Person]) -> None:
    """Bills and conversations for ``people``; campaigns for everyone in the plan."""
    for person in people:
        reminders = plan_bills(plan, rng, person)
        plan_year(plan, rng, person, reminders)
    plan_campaigns(plan, rng, plan.people)
