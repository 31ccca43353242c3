"""Energia Chiara's customers: Italian names, places, contracts and the handles they write from.

Everything here is drawn from a ``random.Random`` handed in by the caller, so the same seed
always gives the same people. Names follow the age of the person (a woman of 80 is more often a
Giuseppina than an Aurora) and the area (Esposito in Napoli, Brambilla in Milano).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from unisono.demo.calendar import REFERENCE_DAY


def words(spaced: str, *whole: str) -> tuple[str, ...]:
    """The words of ``spaced``, then the names in ``whole`` that contain spaces (``De Luca``)."""
    return (*spaced.split(), *whole)


GIVEN_F_OLD = words(
    "Maria Anna Giuseppina Rosa Angela Giovanna Teresa Lucia Carmela Concetta Franca Luciana "
    "Carla Rita Graziella Assunta Immacolata Lina Bruna Silvana Adriana Elda Wanda Iolanda"
)
GIVEN_F_MID = words(
    "Laura Paola Roberta Daniela Cristina Barbara Monica Simona Elena Patrizia Antonella "
    "Raffaella Sabrina Stefania Manuela Francesca Silvia Claudia Alessandra Emanuela Lorena Nadia"
)
GIVEN_F_YOUNG = words(
    "Giulia Martina Sara Alessia Federica Valentina Elisa Ilaria Beatrice Giorgia Aurora Noemi "
    "Camilla Arianna Sofia Alice Marta Veronica Serena Greta"
)
GIVEN_M_OLD = words(
    "Giuseppe Giovanni Antonio Salvatore Vincenzo Franco Mario Luigi Bruno Sergio Renato Gennaro "
    "Pasquale Ciro Carlo Angelo Aldo Enzo Gianfranco Umberto Raffaele Ettore"
)
GIVEN_M_MID = words(
    "Roberto Massimo Stefano Paolo Fabio Maurizio Claudio Alberto Gianluca Fabrizio Marco Andrea "
    "Alessandro Daniele Cristian Emanuele Riccardo Nicola Giorgio Domenico Michele Massimiliano"
)
GIVEN_M_YOUNG = words(
    "Luca Matteo Lorenzo Davide Simone Federico Gabriele Tommaso Leonardo Edoardo Filippo Samuele "
    "Jacopo Pietro Mattia Nicolò Diego Alessio Manuel Giacomo"
)

SURNAMES_MILANO = words(
    "Colombo Brambilla Ferrari Bianchi Galli Fumagalli Villa Sala Cattaneo Longoni Mauri Frigerio "
    "Crippa Riva Bassi Pozzi Marchetti Monti Conti Sironi Ronchi Invernizzi Bonomi Gatti Corti "
    "Cazzaniga Vergani Meroni Radaelli Brivio"
)
SURNAMES_BOLOGNA = words(
    "Bergonzoni Mazzoni Guidi Zanetti Gamberini Bonfiglioli Tamburini Vannini Sarti Cavazza "
    "Monari Fabbri Malaguti Righi Zucchini Bernardi Nanni Lenzi Pedrini Zambonelli Montanari Neri "
    "Baldi Lolli Rizzoli Stanzani Tinti Landi"
)
SURNAMES_NAPOLI = words(
    "Esposito Russo Romano Caputo Capuano Iovine Cozzolino Improta Sorrentino Ruggiero Aiello "
    "Palumbo Coppola Ferrara Gargiulo Imparato Scognamiglio Annunziata Iodice Visone Formisano "
    "Cuomo Vitiello Carotenuto Auricchio",
    "De Luca",
    "Di Lorenzo",
    "D'Angelo",
    "De Rosa",
    "Del Prete",
)
SURNAMES_ITALY = words(
    "Rossi Ricci Marino Greco Bruno Gallo Costa Giordano Mancini Lombardo Barbieri Moretti "
    "Fontana Santoro Mariani Rinaldi Caruso Leone Longo Martinelli Serra Vitale Pellegrini "
    "Palmieri Fiore Rizzo Silvestri Morelli Ferraro Benedetti Bellini Farina Parisi Sanna Piras "
    "Grasso Messina Orlando Ruggeri Marchi Villa",
    "De Santis",
)

GIVEN_EN_F = words("Emily Sophie Hannah Charlotte Olivia Grace Rachel Kate Laura Megan")
GIVEN_EN_M = words("James Oliver Thomas Daniel Michael Ben George Patrick Samuel Henry")
SURNAMES_EN = words(
    "Walker Bennett Carter Hughes Murphy Taylor Clarke Evans Wright Miller Collins Turner Doyle"
)

BUSINESS_KINDS = (
    ("Bar", "Bar {family}"),
    ("Pizzeria", "Pizzeria da {given}"),
    ("Trattoria", "Trattoria {family}"),
    ("Panificio", "Panificio {family}"),
    ("Autofficina", "Autofficina {family} & Figli"),
    ("Parrucchiere", "Acconciature {given}"),
    ("Ferramenta", "Ferramenta {family} S.r.l."),
    ("Studio dentistico", "Studio Dentistico Dott. {family}"),
    ("Lavanderia", "Lavanderia {family}"),
    ("Macelleria", "Macelleria {family} S.n.c."),
    ("Tabaccheria", "Tabaccheria {family}"),
    ("Gelateria", "Gelateria {given}"),
)

MOBILE_PREFIXES = words(
    "320 324 327 328 329 330 331 333 334 335 336 338 339 340 342 345 346 347 348 349 350 351 "
    "366 368 370 371 377 380 388 389 391 392 393"
)
EMAIL_DOMAINS = (
    ("gmail.com", 35),
    ("libero.it", 15),
    ("hotmail.it", 8),
    ("yahoo.it", 6),
    ("outlook.it", 6),
    ("alice.it", 6),
    ("virgilio.it", 5),
    ("icloud.com", 5),
    ("tiscali.it", 3),
    ("fastwebnet.it", 3),
    ("tin.it", 2),
)
MILANO_EAST = "Milano est (Lambrate, Città Studi, Ortica)"


@dataclass(frozen=True, slots=True)
class Place:
    city: str
    province: str
    area: str
    caps: tuple[str, ...]
    streets: tuple[str, ...]
    landline_prefix: str
    weight: float
    district: str = ""


TOWN_STREETS = (
    "Via Roma",
    "Via Garibaldi",
    "Via Mazzini",
    "Via Matteotti",
    "Corso Italia",
    "Via Giuseppe Verdi",
    "Via Dante Alighieri",
    "Via XX Settembre",
    "Via Cavour",
    "Viale della Repubblica",
    "Via Antonio Gramsci",
    "Via Guglielmo Marconi",
)

PLACES = (
    Place(
        "Milano",
        "MI",
        "milano",
        ("20131", "20133", "20134"),
        (
            "Via Pacini",
            "Via Ponzio",
            "Via Teodosio",
            "Via Rombon",
            "Via Conte Rosso",
            "Via Bassini",
            "Via Porpora",
            "Via Mancinelli",
            "Via Canaletto",
            "Via Ortica",
        ),
        "02",
        14,
        MILANO_EAST,
    ),
    Place(
        "Milano",
        "MI",
        "milano",
        ("20124", "20125", "20127", "20135", "20141", "20146", "20155"),
        (
            "Via Padova",
            "Viale Monza",
            "Corso Buenos Aires",
            "Via Lorenteggio",
            "Via Ripamonti",
            "Via Giacosa",
            "Via dei Mille",
            "Via Washington",
            "Via Novara",
            "Viale Certosa",
            "Via Ornato",
            "Via Tertulliano",
        ),
        "02",
        13,
    ),
    Place("Sesto San Giovanni", "MI", "milano", ("20099",), TOWN_STREETS, "02", 4),
    Place("Monza", "MB", "milano", ("20900",), TOWN_STREETS, "039", 4),
    Place("Cinisello Balsamo", "MI", "milano", ("20092",), TOWN_STREETS, "02", 2),
    Place("Rho", "MI", "milano", ("20017",), TOWN_STREETS, "02", 2),
    Place("San Donato Milanese", "MI", "milano", ("20097",), TOWN_STREETS, "02", 1.5),
    Place(
        "Bologna",
        "BO",
        "bologna",
        ("40121", "40123", "40125", "40127", "40133", "40137", "40139"),
        (
            "Via Saragozza",
            "Via San Donato",
            "Via Massarenti",
            "Via Andrea Costa",
            "Via Emilia Levante",
            "Via Mazzini",
            "Via della Barca",
            "Via Ferrarese",
            "Via Zanardi",
            "Via Toscana",
            "Via Murri",
            "Via Stalingrado",
        ),
        "051",
        17,
    ),
    Place("Casalecchio di Reno", "BO", "bologna", ("40033",), TOWN_STREETS, "051", 3),
    Place("San Lazzaro di Savena", "BO", "bologna", ("40068",), TOWN_STREETS, "051", 3),
    Place("Imola", "BO", "bologna", ("40026",), TOWN_STREETS, "0542", 3),
    Place("Castel Maggiore", "BO", "bologna", ("40013",), TOWN_STREETS, "051", 2),
    Place(
        "Napoli",
        "NA",
        "napoli",
        ("80126", "80127", "80129", "80134", "80137", "80139", "80144"),
        (
            "Via Foria",
            "Corso Vittorio Emanuele",
            "Via Toledo",
            "Via Alessandro Manzoni",
            "Via Epomeo",
            "Via Francesco Cilea",
            "Via Posillipo",
            "Corso Secondigliano",
            "Via Arenaccia",
            "Via Alessandro Scarlatti",
            "Via Domenico Fontana",
            "Via Marina",
        ),
        "081",
        19,
    ),
    Place("Pozzuoli", "NA", "napoli", ("80078",), TOWN_STREETS, "081", 3),
    Place("Casoria", "NA", "napoli", ("80026",), TOWN_STREETS, "081", 3),
    Place("Torre del Greco", "NA", "napoli", ("80059",), TOWN_STREETS, "081", 3),
    Place("Portici", "NA", "napoli", ("80055",), TOWN_STREETS, "081", 2),
    Place("Caserta", "CE", "napoli", ("81100",), TOWN_STREETS, "0823", 2),
)

OFFERS = {
    "luce": ("Chiara Luce Fissa 12", "Chiara Luce Flex", "Chiara Verde 100%"),
    "gas": ("Chiara Gas Fisso 12", "Chiara Gas Flex"),
    "dual": ("Chiara Dual Casa", "Chiara Dual Verde"),
    "business": ("Chiara Business Luce", "Chiara Business Dual"),
}
CONTRACT_WORDS = {"luce": "luce", "gas": "gas", "dual": "luce e gas"}


@dataclass(frozen=True, slots=True)
class Person:
    """One customer of Energia Chiara as the CRM knows them, with the handles they use."""

    key: str  # the customer code, e.g. EC-0004812
    given: str
    family: str
    gender: str  # "f" or "m"
    age: int
    birth: date  # nominal
    city: str
    province: str
    cap: str
    address: str
    area: str
    district: str
    language: str
    contract: str  # luce, gas or dual
    offer: str
    pod: str | None
    pdr: str | None
    power_kw: float | None
    spend: float  # average monthly spend in euro
    since: date  # nominal
    payment: str
    bill_channel: str  # email, app or letter
    vulnerable: bool
    marketing: bool
    segments: tuple[str, ...]
    channels: tuple[tuple[str, float], ...]
    preferred_channel: str
    company: str | None = None
    vat_number: str | None = None
    mobile: str | None = None  # E.164
    landline: str | None = None  # E.164
    email: str | None = None
    app_id: str | None = None
    webchat_id: str | None = None
    messenger_id: str | None = None
    facebook_id: str | None = None
    x_id: str | None = None
    x_handle: str | None = None
    extra_attributes: dict[str, str] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return self.company or f"{self.given} {self.family}"

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def elderly(self) -> bool:
        return self.age >= 65

    def uses(self, channel: str) -> bool:
        return any(c == channel for c, _ in self.channels)


def ascii_fold(text: str) -> str:
    """``text`` lower-cased without accents, spaces or apostrophes (for emails and handles)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def weighted(
    rng: random.Random, options: tuple[tuple[str, float], ...] | list[tuple[str, float]]
) -> str:
    """One of ``options`` (value, weight) drawn by weight."""
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights, k=1)[0]


def e164_mobile(prefix: str, number: str) -> str:
    return f"+39{prefix}{number}"


def spaced_mobile(value: str) -> str:
    """``+393331234567`` as people write it: ``+39 333 1234567``."""
    return f"{value[:3]} {value[3:6]} {value[6:]}"


class Registry:
    """Handles already given out, so that no two people share a phone, email or code."""

    def __init__(self) -> None:
        self.codes: set[str] = set()
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.ids: set[str] = set()
        self.names: set[str] = set()

    def code(self, rng: random.Random) -> str:
        while True:
            value = f"EC-{rng.randrange(1000, 99999):07d}"
            if value not in self.codes:
                self.codes.add(value)
                return value

    def mobile(self, rng: random.Random) -> str:
        while True:
            value = e164_mobile(rng.choice(MOBILE_PREFIXES), f"{rng.randrange(10**7):07d}")
            if value not in self.phones:
                self.phones.add(value)
                return value

    def landline(self, rng: random.Random, prefix: str) -> str:
        digits = 10 - len(prefix)
        while True:
            value = f"+39{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}"
            if value not in self.phones:
                self.phones.add(value)
                return value

    def email(self, rng: random.Random, given: str, family: str, born: int) -> str:
        g, f = ascii_fold(given), ascii_fold(family)
        patterns = (
            f"{g}.{f}",
            f"{g}{f}",
            f"{g[0]}.{f}",
            f"{f}.{g}",
            f"{g}.{f}{born % 100:02d}",
            f"{g}{f}{rng.randrange(1, 99)}",
            f"{g[0]}{f}{born % 100:02d}",
        )
        domains = tuple((d, float(w)) for d, w in EMAIL_DOMAINS)
        while True:
            value = f"{rng.choice(patterns)}@{weighted(rng, domains)}"
            if value not in self.emails:
                self.emails.add(value)
                return value

    def digits(self, rng: random.Random, length: int, prefix: str = "") -> str:
        while True:
            value = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix)))
            if value not in self.ids:
                self.ids.add(value)
                return value


def _age(rng: random.Random) -> int:
    band = weighted(rng, (("young", 22), ("mid", 45), ("old", 21), ("very_old", 12)))
    low, high = {"young": (21, 34), "mid": (35, 59), "old": (60, 74), "very_old": (75, 93)}[band]
    return rng.randint(low, high)


def _given(rng: random.Random, gender: str, age: int) -> str:
    if gender == "f":
        pools = (GIVEN_F_OLD, GIVEN_F_MID, GIVEN_F_YOUNG)
    else:
        pools = (GIVEN_M_OLD, GIVEN_M_MID, GIVEN_M_YOUNG)
    index = 0 if age >= 62 else 1 if age >= 38 else 2
    # Names drift between generations: now and then take one from the neighbouring pool.
    if rng.random() < 0.2:
        index = min(2, max(0, index + rng.choice((-1, 1))))
    return rng.choice(pools[index])


def _family(rng: random.Random, area: str) -> str:
    local = {"milano": SURNAMES_MILANO, "bologna": SURNAMES_BOLOGNA, "napoli": SURNAMES_NAPOLI}
    return rng.choice(local[area] if rng.random() < 0.6 else SURNAMES_ITALY)


def _channels(rng: random.Random, age: int, business: bool, english: bool) -> dict[str, float]:
    """Which channels this person contacts Energia Chiara on, with how much they use each."""
    if business:
        weights = {"email": 3.0, "voice": 2.0, "webchat": 1.0, "whatsapp": 1.0, "app": 0.5}
        weights |= {"letter": 0.2, "branch_visit": 0.3, "sms": 0.2}
    elif age < 35:
        weights = {"whatsapp": 3.0, "app": 3.0, "webchat": 1.5, "email": 1.5, "messenger": 1.0}
        weights |= {"x": 0.8, "facebook_comments": 0.3, "voice": 1.0, "sms": 0.3}
        weights |= {"branch_visit": 0.1, "letter": 0.02}
    elif age < 60:
        weights = {"whatsapp": 3.0, "email": 2.5, "voice": 2.0, "app": 1.5, "webchat": 1.0}
        weights |= {"messenger": 0.6, "facebook_comments": 0.6, "x": 0.3, "sms": 0.4}
        weights |= {"branch_visit": 0.4, "letter": 0.1}
    elif age < 75:
        weights = {"voice": 3.0, "whatsapp": 2.0, "email": 1.0, "branch_visit": 1.0}
        weights |= {"letter": 0.4, "sms": 0.5, "facebook_comments": 0.5, "app": 0.3}
        weights |= {"webchat": 0.2, "messenger": 0.2}
    else:
        weights = {"voice": 3.0, "branch_visit": 1.5, "letter": 1.0, "whatsapp": 0.8, "sms": 0.2}
    if english:
        weights = {"email": 2.5, "whatsapp": 2.5, "app": 2.0, "webchat": 1.5, "voice": 0.8}
        weights |= {"x": 0.3, "branch_visit": 0.2}
    # Not everyone uses everything their generation might: drop each optional channel at times.
    optional = {"app": 0.5, "webchat": 0.5, "messenger": 0.6, "facebook_comments": 0.6, "x": 0.7}
    optional |= {"whatsapp": 0.15 if age < 70 else 0.5}
    return {c: w for c, w in weights.items() if rng.random() >= optional.get(c, 0.0)}


def make_person(
    rng: random.Random,
    registry: Registry,
    *,
    business: bool = False,
    english: bool = False,
) -> Person:
    """One random customer."""
    place = rng.choices(PLACES, weights=[p.weight for p in PLACES], k=1)[0]
    if english:
        place = PLACES[rng.choice((0, 1, 1, 7))]
    gender = rng.choice("fm")
    age = rng.randint(30, 64) if business else rng.randint(26, 52) if english else _age(rng)
    while True:
        if english:
            given = rng.choice(GIVEN_EN_F if gender == "f" else GIVEN_EN_M)
            family = rng.choice(SURNAMES_EN)
        else:
            given, family = _given(rng, gender, age), _family(rng, place.area)
        if f"{given} {family}" not in registry.names:
            break
    registry.names.add(f"{given} {family}")
    birth = REFERENCE_DAY - timedelta(days=age * 365 + rng.randrange(365))
    company = None
    vat = None
    if business:
        _, pattern = rng.choice(BUSINESS_KINDS)
        company = pattern.format(given=given, family=family)
        vat = registry.digits(rng, 11, "0")
    channels = _channels(rng, age, business, english)

    contract = weighted(rng, (("luce", 45), ("gas", 15), ("dual", 40)))
    if business:
        contract = rng.choice(("luce", "dual"))
        offer = OFFERS["business"][0 if contract == "luce" else 1]
    else:
        offer = rng.choice(OFFERS[contract])
    spend_range = {"luce": (32, 110), "gas": (28, 140), "dual": (75, 260)}[contract]
    spend = round(rng.uniform(*spend_range) * (rng.uniform(2.0, 4.5) if business else 1.0), 2)
    years = min(25.0, rng.expovariate(1 / 5.5))
    since = REFERENCE_DAY - timedelta(days=int(years * 365) + 30)
    pod = None
    pdr = None
    power = None
    if contract in ("luce", "dual"):
        distributor = "012" if place.area == "milano" else "001"
        pod = f"IT{distributor}E{registry.digits(rng, 8)}"
        power = (
            rng.choice((3.0, 3.0, 3.0, 4.5, 6.0)) if not business else rng.choice((6.0, 10.0, 15.0))
        )
    if contract in ("gas", "dual"):
        pdr = registry.digits(rng, 14, "0")

    mobile = registry.mobile(rng) if rng.random() < (0.97 if age < 80 else 0.7) else None
    landline = None
    if mobile is None or rng.random() < (0.15 if age < 60 else 0.5):
        landline = registry.landline(rng, place.landline_prefix)
    has_email = business or rng.random() < (0.95 if age < 60 else 0.6 if age < 75 else 0.15)
    email = None
    if has_email:
        if business and company:
            slug = ascii_fold(company.split(" S.")[0])[:24]
            email = f"amministrazione@{slug}.it"
            if email in registry.emails:
                email = registry.email(rng, given, family, birth.year)
            registry.emails.add(email)
        else:
            email = registry.email(rng, given, family, birth.year)
    if email is None:
        channels.pop("email", None)
    if mobile is None:
        for kind in ("whatsapp", "sms"):
            channels.pop(kind, None)
    if not channels:
        channels = {"voice": 1.0, "branch_visit": 0.5}

    def handle(kind: str) -> str | None:
        if kind not in channels:
            return None
        if kind == "app":
            return f"ecapp-{registry.digits(rng, 7)}"
        if kind == "webchat":
            return f"web-{registry.digits(rng, 10)}"
        if kind == "messenger":
            return registry.digits(rng, 16, rng.choice("23"))
        if kind == "facebook_comments":
            return registry.digits(rng, 15, "1000")
        return registry.digits(rng, 18, "1")

    app_id, webchat_id = handle("app"), handle("webchat")
    messenger_id, facebook_id, x_id = handle("messenger"), handle("facebook_comments"), handle("x")
    x_handle = None
    if x_id:
        x_handle = f"@{ascii_fold(given)}_{ascii_fold(family)}{rng.randrange(10, 99)}"

    vulnerable = not business and rng.random() < (
        0.45 if age >= 75 else 0.12 if age >= 65 else 0.03
    )
    payment = weighted(
        rng,
        (
            ("domiciliazione", 55),
            ("bollettino", 25 if age >= 65 else 10),
            ("bonifico", 10),
            ("carta", 15),
        ),
    )
    if email is None:
        bill_channel = "letter"
    elif app_id and rng.random() < 0.6:
        bill_channel = "app"
    else:
        bill_channel = "email" if rng.random() < (0.85 if age < 65 else 0.5) else "letter"

    segments = set()
    if vulnerable:
        segments.add("vulnerable")
        if rng.random() < 0.3:
            segments.add("bonus-sociale")
    elif not business and rng.random() < 0.03:
        segments.add("bonus-sociale")
    if business:
        segments.add("business")
    years_customer = (REFERENCE_DAY - since).days / 365
    if spend > (600 if business else 200) or (
        years_customer >= 8 and contract == "dual" and spend > 150
    ):
        segments.add("keep")
    if years_customer < 0.5:
        segments.add("nuovo-cliente")
    if "Verde" in offer:
        segments.add("green")

    ranked = sorted(channels.items(), key=lambda item: -item[1])
    preferred = ranked[0][0] if rng.random() < 0.7 or len(ranked) == 1 else ranked[1][0]
    if preferred == "facebook_comments" or preferred == "x":
        preferred = "messenger" if "messenger" in channels else ranked[0][0]
    return Person(
        key=registry.code(rng),
        given=given,
        family=family,
        gender=gender,
        age=age,
        birth=birth,
        city=place.city,
        province=place.province,
        cap=rng.choice(place.caps),
        address=f"{rng.choice(place.streets)} {rng.randint(1, 180)}",
        area=place.area,
        district=place.district,
        language="en" if english else "it",
        contract=contract,
        offer=offer,
        pod=pod,
        pdr=pdr,
        power_kw=power,
        spend=spend,
        since=since,
        payment=payment,
        bill_channel=bill_channel,
        vulnerable=vulnerable,
        marketing=rng.random() < 0.45,
        segments=tuple(sorted(segments)),
        channels=tuple(sorted(channels.items())),
        preferred_channel=preferred,
        company=company,
        vat_number=vat,
        mobile=mobile,
        landline=landline,
        email=email,
        app_id=app_id,
        webchat_id=webchat_id,
        messenger_id=messenger_id,
        facebook_id=facebook_id,
        x_id=x_id,
        x_handle=x_handle,
    )


def make_people(rng: random.Random, registry: Registry, count: int) -> list[Person]:
    """``count`` random customers: mostly private households, some businesses, a few expats."""
    people = []
    for _ in range(count):
        roll = rng.random()
        people.append(make_person(rng, registry, business=roll < 0.07, english=roll > 0.97))
    return people


def value_band(person: Person) -> str:
    if "keep" in person.segments:
        return "alto"
    return "medio" if person.spend > 90 else "basso"


def attributes(person: Person, real_day: Callable[[date], date]) -> dict[str, object]:
    """The custom attributes the CRM holds for ``person``; ``real_day`` maps nominal dates."""
    values: dict[str, object] = {
        "codice_cliente": person.key,
        "citta": person.city,
        "provincia": person.province,
        "indirizzo": f"{person.address}, {person.cap} {person.city}",
        "contratto": person.contract,
        "offerta": person.offer,
        "spesa_mensile_eur": person.spend,
        "cliente_dal": real_day(person.since).isoformat(),
        "data_nascita": real_day(person.birth).isoformat(),
        "metodo_pagamento": person.payment,
        "invio_bolletta": {"letter": "cartacea", "email": "email", "app": "app"}[
            person.bill_channel
        ],
        "consenso_marketing": person.marketing,
        "valore_cliente": value_band(person),
    }
    if person.pod:
        values["pod"] = person.pod
        values["potenza_kw"] = person.power_kw
    if person.pdr:
        values["pdr"] = person.pdr
    if person.company:
        values["ragione_sociale"] = person.company
        values["partita_iva"] = person.vat_number
        values["referente"] = person.full_name
    values.update(person.extra_attributes)
    return values
