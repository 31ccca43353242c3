"""The scripted stories of SCENARIOS.md, findable in the demo by name.

- Maria Rossi never repeats herself: WhatsApp, her son's email, a call, a home visit, a letter
  and a WhatsApp, all on one timeline and in one conversation.
- The same number, three channels: SMS from ``333 123 4567``, WhatsApp from ``+39 333 1234567``
  and a call from ``0039 3331234567`` make one customer with one open conversation.
- The storm in Milano est: dozens of customers write on X, Facebook, WhatsApp and the app in
  one evening; one outage notice each on their preferred channel, the restoration notice held
  back by quiet hours until 8 a.m., replies threaded into their conversations.
- Giovanni Esposito's payment reminder that was never sent (his bank transfer came first).
- Francesca Ricci, a customer worth keeping, announces on Facebook that she is leaving after
  three unanswered complaints: the conversation goes to retention with high priority.
- Customers who wrote from a second handle and became two customers: some merged (undo is one
  click away), some left for the demo's operator to merge.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from unisono.demo.calendar import REFERENCE_DAY
from unisono.demo.org import STAFF_BY_EMAIL, agents
from unisono.demo.people import MILANO_EAST, Person, Registry, ascii_fold, weighted
from unisono.demo.plan import (
    SOCIAL,
    Case,
    Flow,
    LinkIdentity,
    Merge,
    Message,
    Note,
    Plan,
    Update,
    at_day,
    external_id,
    handle,
    reachable,
)
from unisono.demo.routine import bill_notice
from unisono.demo.texts import TOPIC_BY_KEY
from unisono.models import Author, ConversationStatus, DeliveryStatus, Direction, Priority

GIULIA = "giulia.ferri@energiachiara.it"
SARA = "sara.lombardi@energiachiara.it"
NICOLA = "nicola.barbieri@energiachiara.it"
ALESSIA = "alessia.mariani@energiachiara.it"
FRANCO = "franco.bellini@energiachiara.it"
MARCO = "marco.fontana@energiachiara.it"

MARIA_KEY = "EC-0004812"
GIOVANNI_KEY = "EC-0017355"
FRANCESCA_KEY = "EC-0002291"
LUCA_EMAIL = "luca.rossi.bo@gmail.com"
SAME_NUMBER = "+393331234567"
SAME_NUMBER_FORMATS = ("333 123 4567", "+39 333 1234567", "0039 3331234567")


def day(days_before_end: int) -> date:
    return REFERENCE_DAY - timedelta(days=days_before_end)


def moment(days_before_end: int, hour: int, minute: int = 0) -> datetime:
    return at_day(day(days_before_end), hour + minute / 60)


def years_ago(years: float, extra_days: int = 0) -> date:
    return REFERENCE_DAY - timedelta(days=int(years * 365.25) + extra_days)


class Script:
    """A hand-written conversation: every step at a moment of our choosing."""

    def __init__(self, plan: Plan, rng: random.Random, person: Person | None, topic: str) -> None:
        self.plan = plan
        self.rng = rng
        self.person = person
        self.case: Case = plan.new_case(person, topic)

    def customer(
        self,
        at: datetime,
        channel: str,
        text: str,
        *,
        identity: tuple[str, str] | None = None,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        subject: str | None = None,
        enrichment: Mapping[str, Any] | None = None,
        touchpoint: str | None = None,
    ) -> None:
        kind, value = identity or self._handle(channel)
        meta = dict(metadata or {})
        if subject:
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
                customer_name=name if name is not None else self._name(),
                case=self.case,
                subject=subject,
                enrichment=enrichment,
            ),
        )

    def outbound(
        self,
        at: datetime,
        channel: str,
        text: str,
        *,
        operator: str | None,
        author: Author = Author.OPERATOR,
        identity: tuple[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        delivery: DeliveryStatus | None = DeliveryStatus.DELIVERED,
    ) -> None:
        kind, value = identity or self._handle(channel)
        self.plan.add(
            at,
            Message(
                channel=channel,
                identity_kind=kind,
                identity_value=value,
                direction=Direction.OUTBOUND,
                author=author,
                text=text,
                metadata=dict(metadata or {}),
                operator=operator,
                case=self.case,
                delivery=delivery,
            ),
        )

    def update(self, at: datetime, **changes: Any) -> None:
        self.plan.add(at, Update(case=self.case, **changes))

    def note(self, at: datetime, operator: str, text: str) -> None:
        self.plan.add(at, Note(self.case, operator, text))

    def _handle(self, channel: str) -> tuple[str, str]:
        if self.person is None:
            raise ValueError("a stranger's message needs an explicit identity")
        return handle(self.person, channel)

    def _name(self) -> str | None:
        return self.person.display_name if self.person else None


# --- the scripted customers ---------------------------------------------------------------------


def scripted_people(registry: Registry) -> tuple[Person, Person, Person]:
    """Maria Rossi, Giovanni Esposito and Francesca Ricci, registered so nobody shares their
    handles (and nobody random shares their names: the demo must find exactly them)."""
    maria = Person(
        key=MARIA_KEY,
        given="Maria",
        family="Rossi",
        gender="f",
        age=72,
        birth=years_ago(72, 140),
        city="Bologna",
        province="BO",
        cap="40123",
        address="Via Saragozza 112",
        area="bologna",
        district="",
        language="it",
        contract="luce",
        offer="Chiara Luce Fissa 12",
        pod="IT001E04812733",
        pdr=None,
        power_kw=3.0,
        spend=45.0,
        since=years_ago(23, 75),
        payment="bollettino",
        bill_channel="letter",
        vulnerable=True,
        marketing=False,
        segments=("vulnerable",),
        channels=(("branch_visit", 1.0), ("letter", 1.0), ("voice", 2.0), ("whatsapp", 2.0)),
        preferred_channel="letter",
        mobile="+393476655128",
        landline="+39051433812",
        extra_attributes={"contatto_familiare": "Luca Rossi (figlio)"},
    )
    giovanni = Person(
        key=GIOVANNI_KEY,
        given="Giovanni",
        family="Esposito",
        gender="m",
        age=54,
        birth=years_ago(54, 20),
        city="Napoli",
        province="NA",
        cap="80129",
        address="Via Alessandro Scarlatti 61",
        area="napoli",
        district="",
        language="it",
        contract="dual",
        offer="Chiara Dual Casa",
        pod="IT001E17355021",
        pdr="00881735502199",
        power_kw=4.5,
        spend=116.0,
        since=years_ago(6, 40),
        payment="bonifico",
        bill_channel="email",
        vulnerable=False,
        marketing=True,
        segments=(),
        channels=(("email", 3.0), ("voice", 1.0), ("whatsapp", 0.5)),
        preferred_channel="email",
        mobile="+393398812450",
        email="giovanni.esposito@libero.it",
    )
    francesca = Person(
        key=FRANCESCA_KEY,
        given="Francesca",
        family="Ricci",
        gender="f",
        age=47,
        birth=years_ago(47, 210),
        city="Milano",
        province="MI",
        cap="20146",
        address="Via Giacosa 27",
        area="milano",
        district="",
        language="it",
        contract="dual",
        offer="Chiara Dual Casa",
        pod="IT012E22910384",
        pdr="00922910384011",
        power_kw=6.0,
        spend=310.0,
        since=years_ago(9, 40),
        payment="domiciliazione",
        bill_channel="email",
        vulnerable=False,
        marketing=True,
        segments=("keep",),
        channels=(
            ("app", 2.0),
            ("email", 2.0),
            ("facebook_comments", 1.0),
            ("voice", 1.0),
            ("whatsapp", 1.0),
        ),
        preferred_channel="email",
        mobile="+393357790214",
        email="francesca.ricci@gmail.com",
        app_id="ecapp-0229104",
        facebook_id="100004829517733",
    )
    for person in (maria, giovanni, francesca):
        registry.codes.add(person.key)
        registry.names.add(person.full_name)
        for phone in (person.mobile, person.landline):
            if phone:
                registry.phones.add(phone)
        if person.email:
            registry.emails.add(person.email)
    registry.emails.add(LUCA_EMAIL)
    registry.phones.add(SAME_NUMBER)
    registry.names.update({"Luca Rossi", "Alessandro Greco"})
    return maria, giovanni, francesca


def scripted_bills(
    plan: Plan, rng: random.Random, person: Person, first: int, amounts: list[float]
) -> list[str]:
    """Bills every two months, the last ``first`` days before the end; returns their numbers."""
    numbers = []
    for index, amount in enumerate(amounts):
        days_before = first + 61 * (len(amounts) - 1 - index)
        number = f"FT{person.key[-7:]}{index:03d}"
        hour = 10 if person.bill_channel == "letter" else 6
        plan.add(moment(days_before, hour, 30), bill_notice(rng, person, amount, number))
        numbers.append(number)
    return numbers


# --- 1. Signora Rossi never repeats herself -------------------------------------------------------


def maria_rossi(plan: Plan, rng: random.Random, maria: Person) -> None:
    numbers = scripted_bills(plan, rng, maria, 15, [88.70, 92.40, 86.10, 90.30, 89.60, 412.37])
    wrong_bill = numbers[-1]

    # Months before, her son came with her to the Bologna branch: his email joined her profile.
    visit = Script(plan, rng, maria, "delega")
    at = moment(150, 10, 20)
    visit.customer(
        at,
        "branch_visit",
        "La cliente si presenta allo sportello con il figlio Luca, che d'ora in poi la aiuterà "
        "con le bollette. Registrata la delega al figlio; aggiunta la sua email come contatto "
        "familiare.",
        touchpoint="branch_visit:bologna",
        metadata={
            "branch": "Sportello Bologna",
            "address": "Via dell'Indipendenza 28, 40121 Bologna",
            "staff": "Franco Bellini",
            "reason": "delega familiare",
            "outcome": "delega registrata; email del figlio aggiunta al profilo",
            "ticket": "B017",
            "wait_minutes": 12,
            "duration_minutes": 20,
        },
    )
    visit.update(
        at + timedelta(minutes=2),
        operator=FRANCO,
        team="sportelli",
        team_set=True,
        assignee=FRANCO,
        assignee_set=True,
        labels=("cliente-vulnerabile", "delega", "sportello"),
    )
    plan.add(
        at + timedelta(minutes=15),
        LinkIdentity(
            maria, "email", LUCA_EMAIL, "Luca Rossi (figlio) – contatto familiare", FRANCO
        ),
    )
    visit.update(at + timedelta(minutes=20), operator=FRANCO, status=ConversationStatus.RESOLVED)

    call = Script(plan, rng, maria, "autolettura")
    at = moment(240, 9, 35)
    call.customer(
        at,
        "voice",
        "La cliente chiede come si legge il contatore elettronico: spiegato come scorrere le "
        "schermate con il pulsante; lettura dettata al telefono e registrata.",
        identity=("phone", maria.landline or ""),
        metadata={
            "duration_seconds": 388,
            "wait_seconds": 41,
            "agent": "Sara Lombardi",
            "queue": "fatturazione",
        },
    )
    call.update(
        at + timedelta(minutes=7),
        operator=SARA,
        team="fatturazione",
        team_set=True,
        assignee=SARA,
        assignee_set=True,
        labels=("autolettura", "cliente-vulnerabile"),
    )
    call.update(at + timedelta(minutes=8), operator=SARA, status=ConversationStatus.RESOLVED)

    # The week of the 412 € bill: Monday is eleven days before the end of the data.
    story = Script(plan, rng, maria, "bolletta")
    whatsapp = ("phone", "+39 347 6655128")
    mon = 11
    story.customer(
        moment(mon, 9, 10),
        "whatsapp",
        "Buongiorno, sono Maria Rossi. La bolletta è sbagliata: mi è arrivata di 412 euro, io "
        "pago sempre 90 euro. Sono sola in casa e non ho cambiato niente. Come faccio?",
        identity=whatsapp,
    )
    story.update(
        moment(mon, 9, 11),
        team="fatturazione",
        team_set=True,
        priority=Priority.HIGH,
        labels=("bolletta", "cliente-vulnerabile", "importo-anomalo"),
    )
    story.update(moment(mon, 9, 36), operator=GIULIA, assignee=GIULIA, assignee_set=True)
    story.outbound(
        moment(mon, 9, 40),
        "whatsapp",
        "Buongiorno signora Rossi, sono Giulia di Energia Chiara. Ho davanti la sua bolletta da "
        "412,37 €: è molto più alta delle precedenti e la verifichiamo subito. Per ora non la "
        "paghi, la ricontattiamo noi.",
        operator=GIULIA,
        identity=whatsapp,
        delivery=DeliveryStatus.READ,
    )
    story.note(
        moment(mon, 9, 45),
        GIULIA,
        "Cliente vulnerabile, 72 anni, vive sola. La bolletta usa una lettura stimata: il "
        "distributore non legge il contatore da otto mesi. Nessun sollecito finché la verifica "
        "non è chiusa.",
    )
    story.customer(
        moment(mon, 11, 30),
        "email",
        "Buongiorno,\n\nsono Luca Rossi, figlio di Maria Rossi (codice cliente EC-0004812). Mia "
        "madre ha ricevuto una bolletta di 412,37 € contro i circa 90 € abituali ed è molto "
        "preoccupata. Vive da sola e i suoi consumi non sono cambiati. Vi chiedo di verificare la "
        "lettura del contatore e di non inviarle solleciti nel frattempo.\n\nGrazie,\nLuca Rossi",
        identity=("email", LUCA_EMAIL),
        name="Luca Rossi",
        subject="Bolletta di mia madre Maria Rossi – codice cliente EC-0004812",
        metadata={"from": f"Luca Rossi <{LUCA_EMAIL}>"},
    )
    story.outbound(
        moment(mon, 12, 15),
        "email",
        "Gentile signor Rossi,\n\nabbiamo già preso in carico la segnalazione che sua madre ci "
        "ha inviato stamattina su WhatsApp: è tutto nella stessa pratica, non serve ripetere "
        "nulla. La bolletta risulta calcolata su una lettura stimata; stiamo verificando e nel "
        "frattempo non partirà alcun sollecito.\n\nCordiali saluti,\nGiulia Ferri\nServizio "
        "Clienti Energia Chiara",
        operator=GIULIA,
        identity=("email", LUCA_EMAIL),
        metadata={"subject": "Re: Bolletta di mia madre Maria Rossi – codice cliente EC-0004812"},
    )
    story.customer(
        moment(mon - 1, 10, 5),
        "voice",
        "Chiamata al numero verde. La cliente chiama per la bolletta da 412,37 €. L'operatrice "
        "aveva già davanti il messaggio WhatsApp, l'email del figlio e la bolletta: la signora "
        "non ha dovuto ripetere nulla. Spiegato che la bolletta si basa su una lettura stimata; "
        "proposto un sopralluogo per leggere il contatore e la cliente accetta.",
        identity=("phone", "3476655128"),
        metadata={
            "duration_seconds": 418,
            "wait_seconds": 35,
            "agent": "Sara Lombardi",
            "queue": "fatturazione",
            "ivr_path": ["2", "1"],
            "recording": "rec-4812a0b7c3d1",
        },
    )
    address = "Via Saragozza 112, 40123 Bologna"
    story.outbound(
        moment(mon - 2, 15, 0),
        "home_visit",
        "Appuntamento fissato: domani tra le 9:00 e le 12:00 il tecnico Mauro Pellegrini passerà "
        "in Via Saragozza 112 per leggere il contatore. Avrà il tesserino di riconoscimento "
        "Energia Chiara.",
        operator=GIULIA,
        delivery=None,
        metadata={
            "type": "appuntamento",
            "address": address,
            "slot": "9:00-12:00",
            "technician": "Mauro Pellegrini",
            "reason": "lettura del contatore per bolletta contestata",
        },
    )
    story.update(moment(mon - 2, 15, 1), operator=GIULIA, status=ConversationStatus.SNOOZED)
    story.outbound(
        moment(mon - 3, 10, 20),
        "home_visit",
        "Sopralluogo eseguito. Lettura reale del contatore: 18.452 kWh. La bolletta usava una "
        "lettura stimata di 19.690 kWh: il consumo reale è molto più basso. Contatore "
        "funzionante, sigilli integri. Avviata la rettifica della bolletta.",
        operator=None,
        delivery=None,
        metadata={
            "type": "intervento",
            "address": address,
            "technician": "Mauro Pellegrini",
            "reason": "lettura del contatore per bolletta contestata",
            "outcome": "lettura stimata superiore al reale; consumo effettivo più basso",
            "meter_reading_kwh": 18452,
            "estimated_reading_kwh": 19690,
            "duration_minutes": 20,
        },
    )
    corrected = f"FT{MARIA_KEY[-7:]}902"
    story.outbound(
        moment(mon - 4, 11, 0),
        "letter",
        "Gentile signora Rossi,\n\nle inviamo la bolletta rettificata n. "
        f"{corrected}, calcolata sulla lettura reale del contatore (18.452 kWh): il nuovo "
        f"importo è di 94,20 € e sostituisce la bolletta n. {wrong_bill} di 412,37 €, che è "
        "annullata. Non deve pagare nulla in più.\n\nCi scusiamo per il disagio.\n\nDistinti "
        "saluti,\nGiulia Ferri\nEnergia Chiara S.p.A. – Servizio Clienti",
        operator=GIULIA,
        delivery=DeliveryStatus.SENT,
        metadata={
            "document": "bolletta_rettificata",
            "number": corrected,
            "amount_eur": "94.20",
            "replaces": wrong_bill,
            "archive": f"archivio/bollette/{MARIA_KEY}/{corrected}.pdf",
            "pages": 2,
        },
    )
    story.outbound(
        moment(mon - 4, 11, 5),
        "whatsapp",
        "Buongiorno signora Rossi, le abbiamo spedito per lettera la bolletta corretta: 94,20 € "
        "invece di 412,37 €. Quella sbagliata è annullata, non deve pagarla. Ci scusiamo ancora "
        "per il disagio. Giulia",
        operator=GIULIA,
        identity=whatsapp,
        delivery=DeliveryStatus.READ,
    )
    story.outbound(
        moment(mon - 4, 16, 0),
        "whatsapp",
        "Energia Chiara: quanto è soddisfatta di come abbiamo gestito la sua richiesta? "
        "Risponda con un numero da 1 (per niente) a 5 (moltissimo).",
        operator=None,
        author=Author.SYSTEM,
        identity=whatsapp,
        metadata={"survey": "csat"},
        delivery=DeliveryStatus.READ,
    )
    story.customer(
        moment(mon - 4, 16, 12),
        "whatsapp",
        "5. Grazie alla signorina Giulia, gentilissima",
        identity=whatsapp,
        metadata={"survey": "csat", "score": 5},
    )
    # Resolved when the corrected bill went out; the survey answer arrived afterwards.
    story.update(
        moment(mon - 4, 16, 13),
        operator=GIULIA,
        status=ConversationStatus.RESOLVED,
        resolved_at=moment(mon - 4, 11, 6),
        csat=5,
    )
    plan.reserve(maria, moment(mon + 20, 0), moment(0, 23))
    plan.stories.append(
        "Maria Rossi (EC-0004812, Bologna): WhatsApp, email del figlio, chiamata, visita a "
        "domicilio, lettera, WhatsApp – un'unica conversazione"
    )


# --- 2. The same number, three channels ---------------------------------------------------------


def same_number(plan: Plan, rng: random.Random) -> None:
    story = Script(plan, rng, None, "subentro")
    sms, whatsapp, call = SAME_NUMBER_FORMATS
    story.customer(
        moment(1, 18, 40),
        "sms",
        "Buonasera, sono Alessandro Greco. Ho appena preso casa in Via Padova 88 a Milano e devo "
        "attivare la luce: come funziona il subentro?",
        identity=("phone", sms),
        name="",
    )
    story.update(
        moment(1, 18, 41),
        team="commerciale",
        team_set=True,
        labels=("attivazione", "nuovo-cliente", "subentro"),
    )
    story.customer(
        moment(0, 7, 55),
        "whatsapp",
        "Buongiorno, vi scrivo anche qui perché ieri sera ho mandato un SMS. Il POD del "
        "contatore è IT012E55431290, vi mando anche la foto.",
        identity=("phone", whatsapp),
        name="Alessandro Greco",
        metadata={"attachments": [{"type": "image", "name": "contatore.jpg"}]},
    )
    story.customer(
        moment(0, 8, 20),
        "voice",
        "Chiamata al numero verde: il signor Greco chiama per il subentro in Via Padova 88. "
        "L'operatrice vede già l'SMS di ieri sera e il WhatsApp con il POD: raccolti i dati "
        "catastali, invierà la proposta di contratto da firmare online.",
        identity=("phone", call),
        name="Alessandro Greco",
        metadata={
            "duration_seconds": 356,
            "wait_seconds": 22,
            "agent": "Alessia Mariani",
            "queue": "commerciale",
            "ivr_path": ["3"],
            "recording": "rec-55431290aa01",
        },
    )
    story.update(moment(0, 8, 27), operator=ALESSIA, assignee=ALESSIA, assignee_set=True)
    plan.stories.append(
        "Alessandro Greco: SMS da 333 123 4567, WhatsApp da +39 333 1234567, chiamata da "
        "0039 3331234567 – un cliente, una conversazione aperta"
    )


# --- 3. The storm over Milano est --------------------------------------------------------------

STORM_DAY = 20
OUTAGE_TEXTS = (
    "Siamo senza luce da mezz'ora in zona Lambrate, sapete quando torna?",
    "Blackout in {via}, tutto il palazzo al buio. Cosa succede?",
    "Ancora niente corrente a Città Studi, ho il frigo pieno!",
    "Temporale e poi buio totale. Anche i vicini sono senza luce.",
    "È saltata la luce in tutto il quartiere, avete notizie?",
    "Niente corrente in {via} da più di un'ora. Il numero verde è sempre occupato.",
)
OUTAGE_URGENT = (
    "Mia madre usa il concentratore di ossigeno e siamo senza corrente in {via}. Quando torna? "
    "È urgente!"
)
OUTAGE_REPLY_PUBLIC = (
    "Ciao {nome}, il temporale ha causato un guasto sulla rete del distributore che alimenta "
    "Lambrate, Città Studi e Ortica. Le squadre sono al lavoro: ti aggiorniamo appena abbiamo una "
    "stima."
)
OUTAGE_REPLY_PRIVATE = (
    "Buonasera, sono {operatore} di Energia Chiara. Il temporale ha causato un guasto sulla rete "
    "del distributore che alimenta la sua zona: le squadre sono già al lavoro. Le scriviamo "
    "appena la corrente torna."
)
OUTAGE_NOTICE = (
    "Energia Chiara: interruzione di corrente in zona Lambrate, Città Studi e Ortica per un "
    "guasto causato dal temporale. I tecnici del distributore sono al lavoro: la avviseremo al "
    "ripristino."
)
RESTORED_NOTICE = (
    "Energia Chiara: la fornitura nella sua zona è stata ripristinata stanotte alle 2:10. Ci "
    "scusiamo per il disagio. Se è ancora senza corrente risponda a questo messaggio."
)
RESTORED_REPLIES = (
    "Confermo, la luce è tornata stanotte. Grazie",
    "Tutto ok da noi, grazie dell'avviso.",
    "Finalmente! Grazie",
)
STILL_DARK = "Da noi ancora niente, {via} ancora al buio!"
STILL_DARK_ANSWER = (
    "Ci dispiace! Probabilmente al ritorno della corrente è scattato il limitatore del suo "
    "contatore: provi a tenere premuto il pulsante del contatore per qualche secondo. Se non si "
    "riaccende mandiamo subito un tecnico."
)
STILL_DARK_OK = "Era il contatore, adesso funziona. Grazie!"
NOTICE_CHANNELS = ("sms", "whatsapp", "app", "email")
X_STRANGERS = (
    ("@lambrate_life", "Blackout a Lambrate da mezz'ora, qualcuno sa qualcosa? @EnergiaChiara"),
    ("@giuliettaMi", "@EnergiaChiara via Porpora al buio, tempi di ripristino?"),
    ("@fede_cittastudi", "Anche in Città Studi niente luce. @EnergiaChiara ci siete?"),
    ("@marco_ortica", "Tutta l'Ortica al buio dopo il temporale @EnergiaChiara"),
    ("@ing_pacini", "@EnergiaChiara in via Pacini siamo senza corrente da un'ora"),
    ("@saraviaggia", "Senza luce e senza wifi, grazie temporale. @EnergiaChiara quando torna?"),
)


def notice_channel(person: Person) -> str | None:
    """The one channel a notice reaches ``person`` on: their preference, else a fallback."""
    if person.preferred_channel in NOTICE_CHANNELS and reachable(person, person.preferred_channel):
        return person.preferred_channel
    for channel in ("sms", "email"):
        if reachable(person, channel):
            return channel
    return None


def storm(plan: Plan, rng: random.Random, people: list[Person]) -> None:
    affected = [p for p in people if p.district == MILANO_EAST]
    on_shift = [STAFF_BY_EMAIL["davide.colombo@energiachiara.it"], *agents("guasti")]
    start = moment(STORM_DAY, 21, 20)
    writers = []
    for person in affected:
        plan.reserve(person, start - timedelta(days=1), start + timedelta(days=2))
        if rng.random() < 0.65:
            writers.append(person)
    scripts: dict[str, tuple[Script, str]] = {}
    for person in writers:
        options = [
            (channel, weight)
            for channel, weight in (
                ("x", 2.0),
                ("facebook_comments", 2.0),
                ("whatsapp", 2.0),
                ("app", 2.0),
                ("webchat", 0.5),
                ("voice", 0.8),
            )
            if person.uses(channel) and reachable(person, channel)
        ]
        if not options:
            options = [("voice", 1.0)] if reachable(person, "voice") else []
        if not options:
            continue
        channel = weighted(rng, options)
        script = Script(plan, rng, person, "guasto")
        at = start + timedelta(minutes=min(150.0, rng.expovariate(1 / 35)))
        street = person.address.rsplit(" ", 1)[0]
        urgent = person.vulnerable and rng.random() < 0.5
        text = (OUTAGE_URGENT if urgent else rng.choice(OUTAGE_TEXTS)).format(via=street)
        staff = rng.choice(on_shift)
        meta: dict[str, Any] = {"public": True} if channel in SOCIAL else {}
        if channel == "x" and person.x_handle:
            meta["username"] = person.x_handle
        if channel == "voice":
            text = (
                "Chiamata durante il temporale: "
                f"{'la cliente' if person.gender == 'f' else 'il cliente'} "
                "segnala mancanza di corrente in "
                f"{street}. Guasto sulla rete del distributore in Milano est; comunicato che le "
                "squadre sono al lavoro."
            )
            meta = {
                "duration_seconds": rng.randint(60, 240),
                "agent": staff.name,
                "queue": "guasti",
            }
        script.customer(at, channel, text, metadata=meta)
        labels = ["guasto", "temporale-milano"]
        if channel in SOCIAL:
            labels.append("social")
        if person.vulnerable:
            labels.append("cliente-vulnerabile")
        script.update(
            at + timedelta(minutes=0.5),
            team="guasti",
            team_set=True,
            priority=Priority.URGENT if urgent else Priority.HIGH,
            labels=tuple(sorted(labels)),
        )
        if channel != "voice":
            reply_at = at + timedelta(minutes=rng.uniform(4, 40))
            script.update(
                reply_at - timedelta(minutes=1),
                operator=staff.email,
                assignee=staff.email,
                assignee_set=True,
            )
            template = OUTAGE_REPLY_PUBLIC if channel in SOCIAL else OUTAGE_REPLY_PRIVATE
            script.outbound(
                reply_at,
                channel,
                template.format(nome=person.given, operatore=staff.given),
                operator=staff.email,
                metadata={"public": True} if channel in SOCIAL else {},
                delivery=DeliveryStatus.READ if channel != "email" else DeliveryStatus.DELIVERED,
            )
        else:
            script.update(
                at + timedelta(minutes=4),
                operator=staff.email,
                assignee=staff.email,
                assignee_set=True,
            )
        scripts[person.key] = (script, staff.email)

    # One notice per affected customer, on their own channel, before the 22:00 quiet hours...
    restored_at = moment(STORM_DAY - 1, 8, 0)
    for person in affected:
        notice = notice_channel(person)
        pair = scripts.get(person.key)
        at = restored_at + timedelta(minutes=rng.uniform(12, 120))
        if notice is not None:
            kind, value = handle(person, notice)
            plan.add(
                moment(STORM_DAY, 21, 50) + timedelta(seconds=rng.uniform(0, 300)),
                Message(
                    notice,
                    kind,
                    value,
                    Direction.OUTBOUND,
                    OUTAGE_NOTICE,
                    author=Author.SYSTEM,
                    metadata={"campaign": "guasto-milano-est", "kind": "avviso_guasto"},
                    delivery=DeliveryStatus.DELIVERED,
                ),
            )
            # ...and the restoration notice, ready at 02:10, held back by quiet hours until 8.
            plan.add(
                restored_at + timedelta(seconds=rng.uniform(0, 600)),
                Message(
                    notice,
                    kind,
                    value,
                    Direction.OUTBOUND,
                    RESTORED_NOTICE,
                    author=Author.SYSTEM,
                    metadata={
                        "campaign": "guasto-milano-est",
                        "kind": "avviso_ripristino",
                        "ready_at": "02:10",
                        "deferred_by": "quiet_hours",
                        "quiet_hours": "22:00-08:00",
                    },
                    delivery=DeliveryStatus.DELIVERED,
                ),
            )
            if pair is not None:
                script, staff_email = pair
                roll = rng.random()
                street = person.address.rsplit(" ", 1)[0]
                if roll < 0.08:
                    script.customer(
                        at, notice, STILL_DARK.format(via=street), identity=(kind, value)
                    )
                    script.outbound(
                        at + timedelta(minutes=9),
                        notice,
                        STILL_DARK_ANSWER,
                        operator=staff_email,
                        identity=(kind, value),
                    )
                    at += timedelta(minutes=rng.uniform(15, 40))
                    script.customer(at, notice, STILL_DARK_OK, identity=(kind, value))
                elif roll < 0.35:
                    script.customer(
                        at, notice, rng.choice(RESTORED_REPLIES), identity=(kind, value)
                    )
        if pair is not None:
            script, staff_email = pair
            script.update(
                at + timedelta(minutes=rng.uniform(20, 180)),
                operator=staff_email,
                status=ConversationStatus.RESOLVED,
            )

    for index, (username, text) in enumerate(X_STRANGERS):
        script = Script(plan, rng, None, "guasto")
        at = start + timedelta(minutes=10 + 17 * index)
        identity = ("x", f"1{rng.randrange(10**17):017d}")
        script.customer(
            at,
            "x",
            text,
            identity=identity,
            name=username,
            metadata={"public": True, "username": username},
        )
        script.update(
            at + timedelta(minutes=1),
            team="guasti",
            team_set=True,
            priority=Priority.HIGH,
            labels=("guasto", "social", "temporale-milano"),
        )
        staff = rng.choice(on_shift)
        script.outbound(
            at + timedelta(minutes=rng.uniform(5, 30)),
            "x",
            OUTAGE_REPLY_PUBLIC.format(nome=username),
            operator=staff.email,
            identity=identity,
            metadata={"public": True},
            delivery=DeliveryStatus.READ,
        )
        script.update(
            restored_at + timedelta(minutes=30 + index),
            operator=staff.email,
            status=ConversationStatus.RESOLVED,
        )
    plan.stories.append(
        f"Temporale a Milano est: {len(writers) + len(X_STRANGERS)} clienti scrivono in una sera "
        "(X, Facebook, WhatsApp, app); un avviso a testa sul canale preferito, il ripristino "
        "rinviato alle 8:00 per le ore di quiete (etichetta temporale-milano)"
    )


# --- 4. Giovanni Esposito's payment reminder that was never sent ---------------------------------


def giovanni_esposito(plan: Plan, rng: random.Random, giovanni: Person) -> None:
    amounts = [205.40, 131.90, 118.70, 247.10, 301.60, 231.80]
    numbers = scripted_bills(plan, rng, giovanni, 26, amounts)
    Flow(plan, rng, giovanni, TOPIC_BY_KEY["cambio_offerta"], day(130), channel="email").run()
    story = Script(plan, rng, giovanni, "sollecito")
    bill = numbers[-1]
    story.customer(
        moment(4, 9, 15),
        "email",
        "Buongiorno,\n\nvi informo che ieri ho pagato con bonifico la bolletta n. "
        f"{bill} di 231,80 €, scaduta da due giorni (TRN 0306909581234567): ho avuto un "
        "contrattempo con la banca. Vi chiedo di verificare l'accredito e di non inviarmi "
        "solleciti.\n\nCordiali saluti,\nGiovanni Esposito\nCodice cliente EC-0017355",
        subject=f"Pagamento bolletta {bill} – bonifico effettuato",
    )
    story.update(moment(4, 9, 16), team="fatturazione", team_set=True, labels=("pagamenti",))
    story.update(moment(4, 10, 30), operator=NICOLA, assignee=NICOLA, assignee_set=True)
    story.outbound(
        moment(4, 10, 42),
        "email",
        "Gentile signor Esposito,\n\nil suo bonifico è arrivato stamattina ed è registrato: la "
        f"bolletta n. {bill} risulta pagata. Il promemoria di pagamento che sarebbe partito "
        "domani è stato annullato, quindi non riceverà alcun sollecito.\n\nCordiali saluti,\n"
        "Nicola Barbieri\nServizio Clienti Energia Chiara",
        operator=NICOLA,
        metadata={"subject": f"Re: Pagamento bolletta {bill} – bonifico effettuato"},
    )
    story.note(
        moment(4, 10, 45),
        NICOLA,
        "Regola 'pagamento mancato → promemoria dopo 3 giorni salvo pagamento': il bonifico è "
        "arrivato al secondo giorno, promemoria annullato. Se fosse partito sarebbe andato per "
        "email (canale preferito), non per SMS, e non nella stessa settimana delle due offerte "
        "commerciali già ricevute (limite di frequenza tra marketing e fatturazione).",
    )
    story.update(moment(4, 11, 30), operator=NICOLA, status=ConversationStatus.RESOLVED)
    plan.reserve(giovanni, moment(140, 0), moment(0, 23))
    plan.stories.append(
        "Giovanni Esposito (EC-0017355, Napoli): preferisce l'email; il sollecito non è partito "
        "perché il bonifico è arrivato prima (nota nella conversazione)"
    )


# --- 5. Francesca Ricci, who is about to leave ------------------------------------------------


def francesca_ricci(plan: Plan, rng: random.Random, francesca: Person) -> None:
    scripted_bills(plan, rng, francesca, 33, [702.3, 655.8, 498.1, 540.6, 612.9, 689.4])
    first = Script(plan, rng, francesca, "reclamo")
    first.customer(
        moment(52, 20, 40),
        "email",
        "Buongiorno,\n\nsono cliente da nove anni e nell'ultima bolletta mi trovo addebitato due "
        "volte il canone della manutenzione caldaia (2 x 59,00 €). Vi chiedo di correggere "
        "l'errore e di rimborsare l'importo non dovuto.\n\nCordiali saluti,\nFrancesca Ricci",
        subject="Reclamo – addebito doppio in bolletta",
    )
    first.update(moment(52, 20, 41), team="fatturazione", team_set=True, labels=("reclamo",))
    first.update(moment(50, 15, 55), operator=SARA, assignee=SARA, assignee_set=True)
    first.note(moment(50, 15, 58), SARA, "Chiudo: risulta già gestito dal back office.")
    first.update(moment(50, 16, 0), operator=SARA, status=ConversationStatus.RESOLVED)

    second = Script(plan, rng, francesca, "reclamo")
    second.customer(
        moment(30, 13, 15),
        "app",
        "Vi ho scritto un mese fa per il doppio addebito della manutenzione caldaia e nessuno mi "
        "ha risposto. Nella nuova bolletta l'errore c'è ancora.",
        metadata={"app_version": "4.3.0", "platform": "ios"},
    )
    second.update(moment(30, 13, 16), team="fatturazione", team_set=True, labels=("reclamo",))

    third = Script(plan, rng, francesca, "reclamo")
    third.customer(
        moment(6, 19, 5),
        "email",
        "Buonasera,\n\nè la terza volta che vi scrivo per lo stesso errore (doppio addebito della "
        "manutenzione caldaia, 59,00 €) e non ho mai ricevuto una risposta. Se entro pochi giorni "
        "non avrò notizie cambierò fornitore, dopo nove anni.\n\nFrancesca Ricci",
        subject="Terzo reclamo senza risposta – valuto il cambio di fornitore",
    )
    third.update(moment(6, 19, 6), team="fatturazione", team_set=True, labels=("reclamo",))
    third.customer(
        moment(0, 7, 40),
        "facebook_comments",
        "Dopo tre reclami senza una risposta ho deciso: cambio fornitore. Nove anni da cliente "
        "Energia Chiara e non siete nemmeno capaci di rispondere a un'email. Sconsigliati.",
        metadata={"public": True, "post": "Chiara Verde 100%: energia rinnovabile per la tua casa"},
        enrichment={
            "language": "it",
            "sentiment": "negative",
            "sentiment_score": -0.87,
            "intent": "cancellation",
            "source": "demo",
        },
    )
    third.update(
        moment(0, 7, 41),
        team="retention",
        team_set=True,
        priority=Priority.HIGH,
        labels=("disdetta", "reclamo", "rischio-abbandono", "social"),
    )
    third.note(
        moment(0, 7, 42),
        MARCO,
        "Azione suggerita: offerta di retention (Chiara Dual Casa con sconto fedeltà del 15% per "
        "12 mesi), scuse per i tre reclami senza risposta e rimborso dei 59,00 € addebitati due "
        "volte. Perché: sentiment molto negativo, intento di disdetta, segmento keep (cliente da "
        "9 anni, luce e gas, circa 310 € al mese).",
    )
    plan.reserve(francesca, moment(60, 0), moment(0, 23))
    plan.stories.append(
        "Francesca Ricci (EC-0002291, Milano, segmento keep): tre reclami senza risposta, poi il "
        "commento su Facebook – team retention, priorità alta, azione suggerita in nota"
    )


# --- 6. One person, two customers --------------------------------------------------------------

DUPLICATE_TOPICS = (
    "autolettura",
    "bolletta",
    "cambio_offerta",
    "trasloco",
    "app_accesso",
    "sollecito",
)
DUPLICATE_KINDS = ("email", "phone", "facebook", "x")


def _shadow(
    rng: random.Random, registry: Registry, person: Person, kind: str
) -> tuple[Person, str, str, str]:
    """``person`` writing from a handle the CRM does not know: (shadow, channel, kind, value)."""
    if kind == "email":
        local = f"{ascii_fold(person.given)}.{ascii_fold(person.family)}.{rng.randrange(10, 99)}"
        value = f"{local}@{rng.choice(('gmail.com', 'outlook.it', 'yahoo.it'))}"
        registry.emails.add(value)
        return dataclasses.replace(person, email=value), "email", "email", value
    if kind == "phone":
        value = registry.mobile(rng)
        return dataclasses.replace(person, mobile=value), "whatsapp", "phone", value
    if kind == "facebook":
        value = registry.digits(rng, 15, "1000")
        shadow = dataclasses.replace(person, facebook_id=value, messenger_id=None, mobile=None)
        return shadow, "facebook_comments", "facebook", value
    value = registry.digits(rng, 18, "1")
    handle_name = (
        f"@{ascii_fold(person.given)}{ascii_fold(person.family)[:4]}{rng.randrange(10, 99)}"
    )
    return dataclasses.replace(person, x_id=value, x_handle=handle_name), "x", "x", value


def duplicates(
    plan: Plan, rng: random.Random, registry: Registry, people: list[Person], count: int = 14
) -> None:
    """Pairs of customers who are one person: the first half merged, the rest left to merge."""
    candidates = [
        p
        for p in people
        if p.language == "it" and p.company is None and p.district != MILANO_EAST and p.mobile
    ]
    chosen = rng.sample(candidates, count)
    for index, person in enumerate(chosen):
        merged = index < count // 2
        kind = DUPLICATE_KINDS[index % len(DUPLICATE_KINDS)]
        shadow, channel, identity_kind, value = _shadow(rng, registry, person, kind)
        topic = TOPIC_BY_KEY[rng.choice(DUPLICATE_TOPICS)]
        if channel in SOCIAL and not topic.it.social:
            topic = TOPIC_BY_KEY["bolletta"]
        days_before = rng.randint(60, 220) if merged else rng.randint(2, 25)
        start = day(days_before)
        # The shadow is a stranger to the CRM: it writes on one channel only, no hops.
        last, _ = Flow(plan, rng, shadow, topic, start, channel=channel, hops=False).run()
        shown = shadow.x_handle if identity_kind == "x" and shadow.x_handle else value
        label = f"{person.display_name} ({person.key}) ← {identity_kind} {shown}"
        if merged:
            operator = rng.choice(agents(topic.team)).email
            plan.add(
                last + timedelta(hours=rng.uniform(2, 48)),
                Merge(person, identity_kind, value, operator),
            )
            # Later the same handle writes again and lands straight on the merged customer.
            again = start + timedelta(days=rng.randint(15, 40))
            Flow(
                plan, rng, shadow, TOPIC_BY_KEY["autolettura"], again, channel=channel, hops=False
            ).run()
            plan.merged.append(label)
        else:
            plan.unmerged.append(label)
        plan.reserve(
            person,
            datetime.combine(start, datetime.min.time()) - timedelta(days=10),
            last + timedelta(days=50 if merged else 10),
        )


def plan_stories(
    plan: Plan,
    rng: random.Random,
    registry: Registry,
    scripted: tuple[Person, Person, Person],
    people: list[Person],
) -> None:
    maria, giovanni, francesca = scripted
    maria_rossi(plan, rng, maria)
    same_number(plan, rng)
    storm(plan, rng, people)
    giovanni_esposito(plan, rng, giovanni)
    francesca_ricci(plan, rng, francesca)
    duplicates(plan, rng, registry, people)
