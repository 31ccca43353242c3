"""Energia Chiara itself: its teams, the operators who work in Unisono and its touchpoints."""

from __future__ import annotations

from dataclasses import dataclass

from unisono.models import Role

DEMO_EMAIL = "demo@energiachiara.it"
DEMO_PASSWORD = "unisono-demo"  # noqa: S105 - the published password of the demo login
DEMO_URL = "http://127.0.0.1:8000/"
COMPANY = "Energia Chiara S.p.A."

TEAMS = (
    ("fatturazione", "Fatturazione e pagamenti"),
    ("guasti", "Guasti e pronto intervento"),
    ("commerciale", "Commerciale e contratti"),
    ("retention", "Retention e reclami"),
    ("sportelli", "Sportelli Milano, Bologna, Napoli"),
    ("digitale", "Assistenza digitale (app e sito)"),
)


@dataclass(frozen=True, slots=True)
class Staff:
    email: str
    name: str
    role: Role
    team: str | None = None
    # For branch staff: the area of the sportello they work at.
    area: str | None = None

    @property
    def given(self) -> str:
        return self.name.split()[0]


STAFF = (
    Staff(DEMO_EMAIL, "Elena Marchi (demo)", Role.ADMIN),
    Staff("roberto.galli@energiachiara.it", "Roberto Galli", Role.ADMIN),
    Staff("silvia.moretti@energiachiara.it", "Silvia Moretti", Role.SUPERVISOR, "fatturazione"),
    Staff("davide.colombo@energiachiara.it", "Davide Colombo", Role.SUPERVISOR, "guasti"),
    Staff("marco.fontana@energiachiara.it", "Marco Fontana", Role.SUPERVISOR, "retention"),
    Staff("giulia.ferri@energiachiara.it", "Giulia Ferri", Role.AGENT, "fatturazione"),
    Staff("sara.lombardi@energiachiara.it", "Sara Lombardi", Role.AGENT, "fatturazione"),
    Staff("nicola.barbieri@energiachiara.it", "Nicola Barbieri", Role.AGENT, "fatturazione"),
    Staff("matteo.gallo@energiachiara.it", "Matteo Gallo", Role.AGENT, "guasti"),
    Staff("federica.costa@energiachiara.it", "Federica Costa", Role.AGENT, "guasti"),
    Staff("alessia.mariani@energiachiara.it", "Alessia Mariani", Role.AGENT, "commerciale"),
    Staff("simone.rinaldi@energiachiara.it", "Simone Rinaldi", Role.AGENT, "commerciale"),
    Staff("valentina.caruso@energiachiara.it", "Valentina Caruso", Role.AGENT, "retention"),
    Staff("stefano.longo@energiachiara.it", "Stefano Longo", Role.AGENT, "retention"),
    Staff("martina.benedetti@energiachiara.it", "Martina Benedetti", Role.AGENT, "digitale"),
    Staff("tommaso.serra@energiachiara.it", "Tommaso Serra", Role.AGENT, "digitale"),
    Staff("paola.testa@energiachiara.it", "Paola Testa", Role.AGENT, "sportelli", "milano"),
    Staff("franco.bellini@energiachiara.it", "Franco Bellini", Role.AGENT, "sportelli", "bologna"),
    Staff("ciro.amato@energiachiara.it", "Ciro Amato", Role.AGENT, "sportelli", "napoli"),
    Staff("irene.vitale@energiachiara.it", "Irene Vitale", Role.DESIGNER),
    Staff("lorenzo.desantis@energiachiara.it", "Lorenzo De Santis", Role.COMPLIANCE),
)
STAFF_BY_EMAIL = {staff.email: staff for staff in STAFF}


def agents(team: str) -> tuple[Staff, ...]:
    """The agents of ``team`` (who answer customers day to day)."""
    return tuple(s for s in STAFF if s.team == team and s.role == Role.AGENT)


def supervisor(team: str) -> Staff:
    """The supervisor of ``team``, or the billing one for teams without their own."""
    for staff in STAFF:
        if staff.team == team and staff.role == Role.SUPERVISOR:
            return staff
    return STAFF_BY_EMAIL["silvia.moretti@energiachiara.it"]


def branch_staff(area: str) -> Staff:
    return next(s for s in STAFF if s.area == area)


@dataclass(frozen=True, slots=True)
class Touchpoint:
    key: str  # the channel kind, or branch_visit:<area> for the three sportelli
    kind: str
    name: str
    settings: tuple[tuple[str, str], ...]


BRANCHES = {
    "milano": ("Sportello Milano", "Corso Buenos Aires 45, 20124 Milano"),
    "bologna": ("Sportello Bologna", "Via dell'Indipendenza 28, 40121 Bologna"),
    "napoli": ("Sportello Napoli", "Via Toledo 156, 80134 Napoli"),
}

TOUCHPOINTS = (
    Touchpoint("email", "email", "Email assistenza", (("address", "assistenza@energiachiara.it"),)),
    Touchpoint("sms", "sms", "SMS", (("sender", "EnChiara"),)),
    Touchpoint("whatsapp", "whatsapp", "WhatsApp Business", (("number", "+39 02 8088 1234"),)),
    Touchpoint("messenger", "messenger", "Facebook Messenger", (("page", "Energia Chiara"),)),
    Touchpoint(
        "facebook_comments",
        "facebook_comments",
        "Pagina Facebook",
        (("page", "facebook.com/energiachiara"),),
    ),
    Touchpoint("x", "x", "X @EnergiaChiara", (("account", "@EnergiaChiara"),)),
    Touchpoint("webchat", "webchat", "Chat del sito", (("site", "https://www.energiachiara.it"),)),
    Touchpoint("app", "app", "App Energia Chiara", (("platforms", "iOS, Android"),)),
    Touchpoint("voice", "voice", "Numero verde 800 123 456", (("number", "800 123 456"),)),
    Touchpoint(
        "letter",
        "letter",
        "Posta cartacea",
        (("address", "Energia Chiara S.p.A., Casella Postale 1234, 20100 Milano"),),
    ),
    *(
        Touchpoint(f"branch_visit:{area}", "branch_visit", name, (("address", address),))
        for area, (name, address) in BRANCHES.items()
    ),
    Touchpoint("home_visit", "home_visit", "Interventi a domicilio", (("area", "MI, BO, NA"),)),
)
