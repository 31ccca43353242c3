"""A small, realistic Energia Chiara inbox for the browser tests and the console screenshots.

Everything goes through the service functions, the way channels and operators create it, with
times relative to now so waiting times look like a working morning.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.config import get_settings
from unisono.customers.access import access_customer
from unisono.customers.profile import do_update_profile
from unisono.identity.normalize import normalize_handle
from unisono.identity.resolve import do_add_identity
from unisono.inbox.conversations import ConversationChanges, do_update_conversation
from unisono.inbox.ingest import NewInteraction, do_ingest_interaction
from unisono.models import (
    Author,
    Conversation,
    ConversationStatus,
    Direction,
    Interaction,
    Operator,
    Priority,
)
from unisono.security.actor import SYSTEM, Actor
from unisono.security.operators import do_create_operator

OPERATOR_EMAIL = "giulia.marchetti@energiachiara.it"
OPERATOR_PASSWORD = "sportello-bologna-2026"


@dataclass
class Sample:
    operator: Operator
    # Customer name -> the conversation of their latest interaction.
    conversations: dict[str, uuid.UUID] = field(default_factory=dict)
    customers: dict[str, uuid.UUID] = field(default_factory=dict)


class _Builder:
    def __init__(self, session: Session, actor: Actor, now: datetime) -> None:
        self.session = session
        self.actor = actor
        self.now = now
        self.sample_ids: dict[str, tuple[uuid.UUID, uuid.UUID | None]] = {}
        self._n = 0

    def add(
        self,
        who: str,
        channel: str,
        kind: str,
        value: str,
        direction: Direction,
        text: str,
        ago: timedelta,
        *,
        author: Author | None = None,
        **metadata: Any,
    ) -> Interaction:
        self._n += 1
        interaction, _ = do_ingest_interaction(
            self.session,
            SYSTEM,
            NewInteraction(
                channel=channel,
                identity_kind=kind,
                identity_value=value,
                direction=direction,
                text=text,
                occurred_at=self.now - ago,
                external_id=f"sample-{channel}-{self._n}",
                customer_name=who,
                metadata=metadata,
                author=author,
            ),
        )
        self.sample_ids[who] = (interaction.customer_id, interaction.conversation_id)
        return interaction

    def profile(self, interaction: Interaction, **changes: Any) -> None:
        customer = access_customer(self.session, self.actor, interaction.customer_id)
        do_update_profile(self.session, self.actor, customer, changes)

    def identity(self, interaction: Interaction, kind: str, value: str, label: str) -> None:
        customer = access_customer(self.session, self.actor, interaction.customer_id)
        handle = normalize_handle(kind, value, region=get_settings().default_region)
        do_add_identity(self.session, customer, handle, raw_value=value, label=label)

    def case(self, interaction: Interaction, **changes: Any) -> None:
        assert interaction.conversation_id is not None
        conversation = self.session.get_one(Conversation, interaction.conversation_id)
        do_update_conversation(
            self.session, self.actor, conversation, ConversationChanges(**changes)
        )


def load_sample(session: Session, *, now: datetime | None = None) -> Sample:
    """Create the operator and a dozen conversations; commits."""
    operator = do_create_operator(
        session,
        OPERATOR_EMAIL,
        name="Giulia Marchetti",
        role="agent",
        password=OPERATOR_PASSWORD,
    )
    actor = Actor(operator=operator, via="sample")
    b = _Builder(session, actor, now or utcnow())
    h, m, d = (lambda n: timedelta(hours=n)), (lambda n: timedelta(minutes=n)), timedelta
    IN, OUT = Direction.INBOUND, Direction.OUTBOUND  # noqa: N806 - read like the data

    # 1. Maria Rossi never repeats herself: letter, WhatsApp, her son's email, a call, a visit.
    maria = "Maria Rossi"
    first = b.add(
        maria,
        "letter",
        "phone",
        "333 123 4567",
        OUT,
        "Bolletta luce gennaio-febbraio: importo 412,00 €, scadenza 20 marzo.",
        d(days=9),
        reference="FT-2026-0412883",
    )
    b.profile(
        first,
        vulnerable=True,
        preferred_channel="letter",
        language="it",
        segments=["over 70", "bolletta cartacea", "Bologna"],
    )
    b.identity(first, "email", "luca.rossi@example.it", "figlio Luca")
    b.add(
        maria,
        "whatsapp",
        "phone",
        "+39 333 1234567",
        IN,
        "Buongiorno, la bolletta è sbagliata: 412 euro invece dei soliti 90. Come è possibile?",
        d(days=2, hours=5),
    )
    b.add(
        maria,
        "email",
        "email",
        "luca.rossi@example.it",
        IN,
        "Buongiorno, scrivo per mia madre Maria Rossi (cliente 4471-2290). La bolletta di "
        "gennaio-febbraio è di 412 € contro i 90 € abituali: potete verificare la lettura?\n\n"
        "Grazie, Luca Rossi",
        d(days=2, hours=2),
        subject="Bolletta di mia madre, Maria Rossi",
    )
    b.add(
        maria,
        "voice",
        "phone",
        "0039 3331234567",
        IN,
        "Telefonata al numero verde: la cliente chiede spiegazioni sulla bolletta. La lettura "
        "di febbraio risulta stimata; proposta la verifica del contatore a domicilio.",
        d(days=1, hours=4),
        duration_seconds=312,
        outcome="Verifica contatore proposta",
    )
    b.add(
        maria,
        "home_visit",
        "phone",
        "333 123 4567",
        OUT,
        "Appuntamento per la lettura del contatore: oggi tra le 10:00 e le 12:00.",
        d(days=1, hours=3),
        author=Author.OPERATOR,
    )
    b.add(
        maria,
        "home_visit",
        "phone",
        "333 123 4567",
        IN,
        "Lettura reale 18.204 kWh, inferiore alla stimata (19.870 kWh). Contatore funzionante.",
        h(2),
        outcome="Lettura stimata, consumo reale inferiore",
        technician="Marco Ferri",
    )
    maria_wa = b.add(
        maria,
        "whatsapp",
        "phone",
        "333 123 4567",
        IN,
        "Il tecnico è passato stamattina. Adesso la bolletta la correggete?",
        m(38),
    )
    b.case(maria_wa, priority=Priority.HIGH, labels=["bollette", "lettura stimata"])

    # 2. One number, three channels: one person, one conversation.
    giorgio = "Giorgio Ferrari"
    b.add(giorgio, "sms", "phone", "347 555 0192", IN, "Quando arriva il tecnico per il gas?", h(5))
    b.add(
        giorgio,
        "whatsapp",
        "phone",
        "+39 347 5550192",
        IN,
        "Vi scrivo anche qui: sono a casa fino alle 13, il tecnico del gas può passare?",
        h(3),
    )
    giorgio_call = b.add(
        giorgio,
        "voice",
        "phone",
        "0039 3475550192",
        IN,
        "Il cliente richiama per l'appuntamento dell'allaccio gas.",
        h(
            1,
        ),
        duration_seconds=148,
    )
    b.case(giorgio_call, priority=Priority.NORMAL)

    # 3. The outage in Milano: X, Facebook, the app, WhatsApp within minutes.
    outage = [
        (
            "Chiara Colombo",
            "x",
            "x",
            "1029384756",
            "@EnergiaChiara siamo senza luce in zona Città Studi da mezz'ora, quando torna?",
            m(34),
        ),
        (
            "Davide Greco",
            "facebook_comments",
            "facebook",
            "fb-88213",
            "Anche in via Pacini niente corrente. Ho un congelatore pieno, ci sono tempi?",
            m(31),
        ),
        (
            "Elena Marino",
            "app",
            "app",
            "app-55120",
            "Segnalo interruzione di corrente in viale Romagna 14, Milano.",
            m(27),
        ),
        (
            "Paolo Ricci",
            "whatsapp",
            "phone",
            "340 777 1234",
            "Buonasera, mio padre usa un concentratore di ossigeno e siamo senza luce. Aiuto!",
            m(22),
        ),
    ]
    for who, channel, kind, value, text, ago in outage:
        item = b.add(who, channel, kind, value, IN, text, ago)
        b.case(item, labels=["guasto Milano"])
        if who == "Paolo Ricci":
            b.case(item, priority=Priority.URGENT)
            b.profile(item, vulnerable=True, segments=["supporto vitale"])

    # 4. The customer who leaves: a public complaint, high value.
    francesca = "Francesca Ricci"
    fr = b.add(
        francesca,
        "facebook_comments",
        "facebook",
        "fb-10457",
        IN,
        "Terzo reclamo in due mesi e nessuna risposta. A fine mese passo a un altro fornitore.",
        h(4),
    )
    b.profile(fr, segments=["alto valore", "dual fuel", "cliente da 9 anni"], language="it")
    b.case(fr, priority=Priority.HIGH, labels=["rischio abbandono"])

    # 5. A question answered: nobody is waiting.
    laura = "Laura Conti"
    b.add(laura, "webchat", "webchat", "wc-7731", IN, "Come attivo la bolletta digitale?", h(6))
    b.add(
        laura,
        "webchat",
        "webchat",
        "wc-7731",
        OUT,
        "Può attivarla dall'area clienti, sezione Bollette > Ricevi via email. Serve altro?",
        h(
            5,
        )
        + m(50),
        author=Author.OPERATOR,
    )

    # 6. Pending: waiting for the customer's documents after a branch visit.
    giovanni = "Giovanni Esposito"
    gv = b.add(
        giovanni,
        "branch_visit",
        "phone",
        "081 555 2040",
        IN,
        "Il cliente chiede la voltura del contratto gas dopo il trasloco.",
        d(days=1, hours=6),
        branch="Sportello Napoli Centro",
        outcome="Mancano i documenti d'identità del nuovo intestatario",
    )
    b.identity(gv, "email", "g.esposito@example.it", "personale")
    b.add(
        giovanni,
        "email",
        "email",
        "g.esposito@example.it",
        IN,
        "Vi invio il documento del nuovo intestatario in allegato.",
        h(20),
    )
    b.case(gv, status=ConversationStatus.PENDING)

    # 7. Snoozed and resolved cases, for the other tabs.
    sofia = b.add(
        "Sofia Lombardi",
        "email",
        "email",
        "sofia.lombardi@example.it",
        IN,
        "Vorrei rateizzare la bolletta del gas di gennaio.",
        d(days=3),
    )
    b.case(sofia, status=ConversationStatus.SNOOZED)
    marco = b.add(
        "Marco Gallo",
        "sms",
        "phone",
        "328 444 9911",
        IN,
        "Grazie, la lettura è stata registrata.",
        d(days=4),
    )
    b.case(marco, status=ConversationStatus.RESOLVED)
    session.commit()

    sample = Sample(operator=operator)
    for who, (customer_id, conversation_id) in b.sample_ids.items():
        sample.customers[who] = customer_id
        if conversation_id is not None:
            sample.conversations[who] = conversation_id
    return sample
