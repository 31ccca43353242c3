"""What Energia Chiara's customers and operators write: topics, dialogues and their wording.

Each topic holds the openers a customer may write on each kind of channel and a few coherent
*exchanges* (the operator's answer, the customer's reply to it, the operator's closing), so a
conversation reads as one dialogue rather than a random pick of sentences. Templates use
``{placeholders}`` filled from ``TEXT_KEYS``; the tests render every template once.

Customer texts in chats are informal; operators use the formal "Lei", except in public social
replies, where brands use "tu". No text names a date or a weekday: the demo's calendar moves
with the day it is loaded, and what the messages say must not contradict when they were sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from unisono.models import Priority

# Every placeholder a template may use; a context must provide all of them.
TEXT_KEYS = frozenset(
    (
        *("nome", "cognome", "titolo", "Titolo", "o_a", "codice", "citta", "cap", "canale"),
        *("il_cliente", "Il_cliente", "al_cliente", "del_cliente", "azienda", "intestatario"),
        *("indirizzo", "nuovo_indirizzo", "importo", "solito", "nuovo_importo", "rimborso"),
        *("rate", "importo_rata", "pod", "pdr", "lettura", "lettura_gas", "pratica", "fattura"),
        *("offerta", "nuova_offerta", "contratto", "potenza", "nuova_potenza", "cro"),
        *("operatore", "firma", "tecnico", "sportello", "fascia", "giorno"),
    )
)


@dataclass(frozen=True, slots=True)
class Exchange:
    """The operator's answer, the customer's reply to it and the operator's closing words."""

    reply: str
    asks: bool = False  # the answer waits for something from the customer (status: pending)
    answer: str | None = None
    answer_attachment: str | None = None
    closing: str | None = None
    # The closing comes only after someone else's work (distributor, back office): snoozed.
    waits: bool = False


@dataclass(frozen=True, slots=True)
class BranchVisit:
    reason: str
    outcome: str
    text: str


@dataclass(frozen=True, slots=True)
class HomeVisit:
    reason: str
    scheduled: str
    outcome: str
    report: str
    # What the operator writes to the customer once the technician has been.
    closing: str


@dataclass(frozen=True, slots=True)
class Wording:
    """One topic in one language."""

    subjects: tuple[str, ...]
    chat: tuple[str, ...]
    exchanges: tuple[Exchange, ...]
    email: tuple[str, ...] = ()
    social: tuple[str, ...] = ()
    letter: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    branch: tuple[BranchVisit, ...] = ()
    home: tuple[HomeVisit, ...] = ()
    letter_out: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    team: str
    labels: tuple[str, ...]
    priority: Priority
    weight: float
    it: Wording
    en: Wording | None = None
    business_only: bool = False
    # Only customers who use the app run into its problems.
    app_only: bool = False
    # How much likelier than average vulnerable customers raise this topic.
    vulnerable_factor: float = 1.0


PHOTO = "contatore.jpg"
DOCUMENTS = "documenti.pdf"
RECEIPT = "ricevuta-bonifico.pdf"

TOPICS: tuple[Topic, ...] = (
    Topic(
        "bolletta",
        "fatturazione",
        ("bolletta", "importo-anomalo"),
        Priority.NORMAL,
        14,
        Wording(
            subjects=(
                "Bolletta troppo alta",
                "Importo bolletta anomalo – codice cliente {codice}",
                "Richiesta verifica ultima bolletta",
            ),
            chat=(
                "Buongiorno, mi è arrivata una bolletta di {importo}, di solito pago circa "
                "{solito}. Com'è possibile?",
                "Salve, l'ultima bolletta è quasi il triplo del solito ({importo}). Potete "
                "controllare? Codice cliente {codice}",
                "Ho appena aperto la bolletta: {importo}!! Non ho cambiato niente in casa, ci "
                "sarà un errore",
                "buonasera, bolletta da {importo} invece dei soliti {solito}... chi mi spiega "
                "cosa è successo?",
                "Vorrei capire perché l'ultima bolletta è così alta: {importo}. Siamo in due in "
                "casa e di solito spendiamo {solito}.",
            ),
            email=(
                "vi scrivo perché l'ultima bolletta riporta un importo di {importo}, mentre "
                "normalmente pago intorno a {solito}. In casa non è cambiato nulla. Vi chiedo di "
                "verificare i consumi fatturati e, se c'è un errore, di emettere una bolletta "
                "corretta.",
                "ho ricevuto una bolletta di {importo} che non mi torna affatto: le precedenti "
                "erano tutte intorno a {solito}. Vorrei sapere se i consumi sono stati stimati o "
                "se si tratta di letture reali. Resto in attesa di un riscontro.",
                "la bolletta appena emessa (n. {fattura}) è di {importo}, del tutto fuori scala "
                "rispetto ai miei consumi abituali. Potete verificare la lettura del contatore?",
            ),
            social=(
                "Bolletta da {importo} per un bilocale. Ma siete seri? Al numero verde c'è "
                "sempre la fila.",
                "Mi è arrivata una bolletta tre volte più alta del solito. Qualcuno di Energia "
                "Chiara mi può rispondere?",
            ),
            letter=(
                "Con la presente contesto la bolletta n. {fattura} di {importo}, di molto "
                "superiore ai consumi abituali (circa {solito} a bolletta). Chiedo la verifica "
                "della lettura del contatore e la sospensione del pagamento fino all'esito. "
                "Allego copia della bolletta.",
            ),
            calls=(
                "Chiamata al numero verde: {il_cliente} segnala una bolletta di {importo} contro "
                "i soliti {solito}. La fattura risulta basata su una lettura stimata; spiegato "
                "come inviare l'autolettura e aperta richiesta di ricalcolo (pratica {pratica}).",
                "{Il_cliente} chiama per la bolletta di {importo}, molto più alta del solito. "
                "Verificati i consumi: c'è un conguaglio dopo la lettura reale del distributore. "
                "Proposta la rateizzazione dell'importo.",
                "Chiamata: {il_cliente} contesta l'importo dell'ultima bolletta ({importo}). "
                "Aperta verifica sulla lettura del contatore con il distributore; promessa "
                "risposta entro 5 giorni lavorativi.",
            ),
            exchanges=(
                Exchange(
                    "Ho verificato la sua bolletta: l'importo dipende da una lettura stimata del "
                    "contatore, più alta dei consumi reali. Può inviarci una foto del contatore "
                    "con la lettura di oggi? Così ricalcoliamo subito la bolletta.",
                    asks=True,
                    answer="Ecco la foto del contatore: la lettura è {lettura}.",
                    answer_attachment=PHOTO,
                    closing="Grazie! Abbiamo ricalcolato la bolletta con la lettura reale: il "
                    "nuovo importo è {nuovo_importo}. La bolletta corretta sarà nell'area "
                    "clienti entro pochi giorni e quella precedente è annullata.",
                ),
                Exchange(
                    "Mi dispiace per il disagio. Ho aperto una verifica (pratica {pratica}); nel "
                    "frattempo non deve pagare la bolletta contestata.",
                    answer="Va bene, grazie. Aspetto vostre notizie allora.",
                    closing="La verifica è conclusa: la lettura era stimata, abbiamo annullato "
                    "la bolletta e ne abbiamo emessa una nuova di {nuovo_importo}. Ci scusiamo "
                    "per il disagio.",
                    waits=True,
                ),
                Exchange(
                    "Dal controllo risulta un conguaglio: per alcuni mesi il distributore non ha "
                    "trasmesso letture reali e le bollette precedenti erano basate su consumi "
                    "stimati più bassi. Se preferisce, possiamo dividere l'importo in rate senza "
                    "interessi.",
                    asks=True,
                    answer="Capisco. Sì, preferisco pagare in {rate} rate.",
                    closing="Fatto: ho attivato la rateizzazione in {rate} rate da "
                    "{importo_rata}. Riceverà il piano di pagamento via email; la prima rata "
                    "scade con la prossima bolletta.",
                ),
            ),
            branch=(
                BranchVisit(
                    "contestazione bolletta",
                    "autolettura acquisita, ricalcolo avviato",
                    "{Il_cliente} si presenta allo sportello con la bolletta di {importo}. "
                    "Verificato lo storico dei consumi: l'ultima lettura era stimata. Acquisita "
                    "l'autolettura ({lettura} kWh) e avviato il ricalcolo (pratica {pratica}).",
                ),
            ),
            home=(
                HomeVisit(
                    "verifica lettura contatore",
                    "Abbiamo fissato l'appuntamento con il tecnico per la verifica del "
                    "contatore: {giorno}, fascia {fascia}. Il tecnico avrà il tesserino di "
                    "riconoscimento Energia Chiara.",
                    "lettura stimata superiore al consumo reale; rettifica avviata",
                    "Sopralluogo eseguito: lettura reale {lettura} kWh, inferiore alla stima "
                    "usata in bolletta. Contatore funzionante e sigilli integri. Avviata la "
                    "rettifica della bolletta.",
                    "Il tecnico ha letto il contatore: il consumo reale è più basso della stima. "
                    "Abbiamo annullato la bolletta e ne abbiamo emessa una nuova di "
                    "{nuovo_importo}. Ci scusiamo per il disagio.",
                ),
            ),
        ),
        en=Wording(
            subjects=("Bill much higher than usual",),
            chat=(
                "Hi, I just got a bill for {importo} but I usually pay around {solito}. Can you "
                "check it?",
                "Hello, my latest bill is almost three times the usual amount. Nothing changed "
                "at home. What happened?",
            ),
            email=(
                "my latest bill (no. {fattura}) is {importo}, while I normally pay about "
                "{solito}. Could you please check whether the meter reading was estimated?",
            ),
            exchanges=(
                Exchange(
                    "I checked your bill: it was based on an estimated meter reading, higher "
                    "than your real consumption. Could you send us a photo of your meter with "
                    "today's reading? We'll recalculate the bill right away.",
                    asks=True,
                    answer="Here is the photo, the meter shows {lettura}.",
                    answer_attachment=PHOTO,
                    closing="Thank you! We recalculated the bill with the real reading: the new "
                    "amount is {nuovo_importo}. The corrected bill will be in your online "
                    "account within a few days.",
                ),
            ),
        ),
        vulnerable_factor=1.5,
    ),
    Topic(
        "conguaglio",
        "fatturazione",
        ("bolletta", "conguaglio"),
        Priority.NORMAL,
        8,
        Wording(
            subjects=("Conguaglio in bolletta", "Chiarimenti sul conguaglio"),
            chat=(
                "Buongiorno, in bolletta c'è una voce 'conguaglio' di {importo}. Cosa significa?",
                "Salve, mi avete addebitato un conguaglio di {importo} per consumi di mesi fa. "
                "Perché adesso?",
                "Ciao, non capisco il conguaglio nell'ultima bolletta. Ho sempre pagato tutto.",
            ),
            email=(
                "nell'ultima bolletta compare un conguaglio di {importo} relativo ai mesi "
                "precedenti. Vorrei capire su quali letture è stato calcolato e perché arriva "
                "solo ora.",
                "vi chiedo il dettaglio del ricalcolo indicato come conguaglio nella bolletta "
                "n. {fattura}. Non mi risulta di aver consumato più del solito.",
            ),
            social=(
                "Conguaglio di {importo} arrivato dal nulla. Grazie Energia Chiara, proprio "
                "quello che serviva.",
            ),
            calls=(
                "{Il_cliente} chiede spiegazioni sul conguaglio di {importo}. Spiegato che il "
                "distributore ha inviato la lettura reale dopo mesi di stime; inviato per email "
                "il dettaglio dei consumi ricalcolati.",
                "Chiamata sul conguaglio: {il_cliente} non contesta i consumi ma chiede di "
                "pagare a rate. Attivata la rateizzazione in {rate} rate.",
            ),
            exchanges=(
                Exchange(
                    "Il conguaglio è la differenza tra i consumi stimati nelle bollette "
                    "precedenti e quelli reali comunicati dal distributore con l'ultima lettura. "
                    "Le ho inviato il dettaglio mese per mese: se qualcosa non le torna, ci "
                    "mandi una foto del contatore e lo verifichiamo.",
                    asks=True,
                    answer="Ho visto il dettaglio, ma la lettura che avete usato è più alta di "
                    "quella del mio contatore: oggi segna {lettura}.",
                    answer_attachment=PHOTO,
                    closing="Aveva ragione: la lettura del distributore era errata. Abbiamo "
                    "rifatto il calcolo con la sua lettura e il conguaglio scende a "
                    "{nuovo_importo}. Ci scusiamo per il disagio.",
                    waits=True,
                ),
                Exchange(
                    "Il conguaglio riguarda i consumi reali rilevati dal distributore, più alti "
                    "delle stime usate negli ultimi mesi. Se le è più comodo, possiamo dividere "
                    "l'importo in rate senza interessi.",
                    asks=True,
                    answer="Ok, allora facciamo {rate} rate, grazie.",
                    closing="Fatto: l'importo di {importo} è diviso in {rate} rate da "
                    "{importo_rata}. Trova il piano nell'area clienti.",
                ),
                Exchange(
                    "Le consiglio di comunicarci l'autolettura ogni mese dall'app o via "
                    "WhatsApp: così le bollette seguono i consumi reali e i conguagli diventano "
                    "piccoli.",
                    answer="Grazie della spiegazione, d'ora in poi la mando ogni mese.",
                    closing="Perfetto. Le abbiamo attivato anche il promemoria mensile per "
                    "l'autolettura.",
                ),
            ),
            home=(
                HomeVisit(
                    "verifica contatore dopo conguaglio contestato",
                    "Per verificare il contatore abbiamo fissato un appuntamento con il tecnico "
                    "{giorno}, fascia {fascia}.",
                    "contatore regolare, lettura confermata",
                    "Verifica del contatore eseguita: apparecchio regolare, lettura {lettura} "
                    "kWh coerente con quella del distributore. Spiegato {al_cliente} il calcolo "
                    "del conguaglio.",
                    "Il tecnico ha verificato il contatore: funziona correttamente e la lettura "
                    "usata per il conguaglio è giusta. Se le è più comodo, possiamo dividere "
                    "l'importo in rate senza interessi.",
                ),
            ),
        ),
    ),
    Topic(
        "autolettura",
        "fatturazione",
        ("autolettura", "contatore"),
        Priority.LOW,
        8,
        Wording(
            subjects=("Autolettura contatore", "Invio autolettura – {codice}"),
            chat=(
                "Buongiorno, vi mando l'autolettura: {lettura}. Codice cliente {codice}",
                "Ciao, ecco la foto del contatore del gas, segna {lettura_gas}.",
                "Lettura contatore luce di oggi: {lettura}. Grazie",
            ),
            email=(
                "vi comunico l'autolettura del contatore di oggi: {lettura} kWh. Vi allego la "
                "foto del display.",
                "come richiesto nel promemoria, invio la lettura del contatore gas: "
                "{lettura_gas} metri cubi.",
            ),
            calls=(
                "{Il_cliente} comunica l'autolettura ({lettura} kWh) al telefono perché non usa "
                "l'app. Lettura registrata.",
                "Chiamata: {il_cliente} chiede come leggere il contatore elettronico. Spiegato "
                "come scorrere le schermate con il pulsante; lettura dettata e registrata.",
            ),
            exchanges=(
                Exchange(
                    "Grazie, abbiamo registrato la sua autolettura: sarà usata nella prossima "
                    "bolletta."
                ),
                Exchange(
                    "Grazie! La lettura risulta più bassa dell'ultima registrata: può "
                    "ricontrollare le cifre? A volte si legge per errore una fascia oraria "
                    "invece del totale.",
                    asks=True,
                    answer="Ho ricontrollato: il totale è proprio {lettura}.",
                    closing="Grazie della conferma: era un nostro errore di trascrizione. "
                    "Lettura registrata correttamente.",
                ),
            ),
        ),
        en=Wording(
            subjects=("Meter reading",),
            chat=("Hi, here is my meter reading: {lettura}. Customer code {codice}",),
            email=("please find my meter reading for today: {lettura} kWh. Photo attached.",),
            exchanges=(
                Exchange(
                    "Thank you, we have recorded your reading: it will be used for your next bill."
                ),
            ),
        ),
    ),
    Topic(
        "autolettura_app",
        "digitale",
        ("app", "autolettura"),
        Priority.LOW,
        2,
        Wording(
            subjects=("Autolettura dall'app non funziona",),
            chat=(
                "Salve, dall'app non riesco a inserire l'autolettura, mi dà errore. La lettura "
                "è {lettura}.",
                "L'app mi dice 'lettura non valida' ma il contatore segna proprio {lettura}.",
            ),
            email=(
                "da due giorni provo a inserire l'autolettura dall'app ma ricevo sempre un "
                "messaggio di errore. Vi comunico qui la lettura: {lettura} kWh.",
            ),
            exchanges=(
                Exchange(
                    "Ci scusiamo, l'app ha avuto un problema con l'invio delle letture, ora "
                    "risolto. Intanto ho registrato io la sua lettura.",
                    answer="Gentilissimi, grazie.",
                ),
            ),
        ),
        app_only=True,
    ),
    Topic(
        "rateizzazione",
        "fatturazione",
        ("rateizzazione", "pagamenti"),
        Priority.NORMAL,
        6,
        Wording(
            subjects=("Richiesta di rateizzazione", "Pagamento a rate bolletta {fattura}"),
            chat=(
                "Buongiorno, questo mese non riesco a pagare tutta la bolletta di {importo}. "
                "Posso farla a rate?",
                "Salve, è possibile rateizzare l'ultima bolletta? È molto alta e ho avuto spese "
                "impreviste.",
                "Ciao, vorrei sapere se posso pagare in {rate} rate il conguaglio.",
            ),
            email=(
                "a causa di un periodo difficile vi chiedo la possibilità di pagare la bolletta "
                "n. {fattura} di {importo} in più rate mensili.",
                "con la presente chiedo la rateizzazione dell'importo di {importo}, come "
                "previsto per le bollette superiori al doppio della media.",
            ),
            letter=(
                "Chiedo di poter pagare a rate la bolletta n. {fattura} di {importo}. Sono in "
                "pensione e non riesco a saldarla in un'unica soluzione. Ringrazio per la "
                "comprensione.",
            ),
            calls=(
                "{Il_cliente} chiede di rateizzare la bolletta di {importo}. Verificati i "
                "requisiti: attivato il piano in {rate} rate da {importo_rata}, senza interessi.",
                "Chiamata: richiesta di rateizzazione. {Il_cliente} ha già un piano attivo; "
                "concordato di spostare la scadenza della prossima rata di 15 giorni.",
            ),
            exchanges=(
                Exchange(
                    "Certo: l'importo può essere diviso in {rate} rate mensili da "
                    "{importo_rata}, senza interessi. Mi conferma che va bene?",
                    asks=True,
                    answer="Sì, va benissimo, grazie.",
                    closing="Piano di rateizzazione attivato: riceverà i bollettini delle rate "
                    "per posta e li trova anche nell'area clienti.",
                ),
                Exchange(
                    "Per attivare la rateizzazione mi serve una sua conferma scritta: può "
                    "rispondere a questo messaggio con 'accetto' e il numero di rate preferito "
                    "(da 3 a 10)?",
                    asks=True,
                    answer="Accetto, {rate} rate.",
                    closing="Grazie, fatto: {rate} rate da {importo_rata}. La prima scade tra "
                    "20 giorni.",
                ),
                Exchange(
                    "La bolletta rientra nei casi in cui la rateizzazione è prevista: le ho "
                    "inviato il piano in {rate} rate. Se preferisce un numero diverso di rate me "
                    "lo dica."
                ),
            ),
            branch=(
                BranchVisit(
                    "richiesta rateizzazione",
                    "piano di rateizzazione firmato",
                    "{Il_cliente} chiede allo sportello di pagare a rate la bolletta di "
                    "{importo}. Firmato il piano in {rate} rate da {importo_rata}; consegnati i "
                    "bollettini.",
                ),
            ),
            letter_out="le confermiamo il piano di rateizzazione della bolletta n. {fattura}: "
            "{rate} rate mensili da {importo_rata}, senza interessi. In allegato trova i "
            "bollettini di pagamento.",
        ),
        vulnerable_factor=2.0,
    ),
    Topic(
        "sollecito",
        "fatturazione",
        ("pagamenti", "sollecito"),
        Priority.NORMAL,
        5,
        Wording(
            subjects=("Pagamento già effettuato", "Sollecito non dovuto"),
            chat=(
                "Buongiorno, mi è arrivato un sollecito ma la bolletta l'ho pagata il giorno "
                "della scadenza. Vi mando la ricevuta?",
                "Mi dite se risulta pagata la bolletta {fattura}? Ho fatto il bonifico cinque "
                "giorni fa e oggi mi è arrivato un sollecito.",
            ),
            email=(
                "ho ricevuto un sollecito di pagamento per la bolletta n. {fattura}, che però ho "
                "pagato regolarmente con bonifico (TRN {cro}). Vi chiedo di verificare e "
                "annullare il sollecito.",
            ),
            calls=(
                "{Il_cliente} segnala un sollecito per una bolletta già pagata. Verificato il "
                "pagamento (arrivato in ritardo dalla banca): sollecito annullato.",
            ),
            exchanges=(
                Exchange(
                    "Sì, ci invii pure la ricevuta del pagamento e verifichiamo subito con "
                    "l'ufficio incassi.",
                    asks=True,
                    answer="Ecco la ricevuta del bonifico (TRN {cro}).",
                    answer_attachment=RECEIPT,
                    closing="Grazie: il pagamento risulta registrato, il sollecito è annullato e "
                    "non le sarà addebitato nulla.",
                ),
                Exchange(
                    "Ho controllato: il pagamento della bolletta {fattura} è arrivato ieri ed è "
                    "registrato correttamente. Il sollecito è partito prima dell'accredito, può "
                    "ignorarlo."
                ),
            ),
            branch=(
                BranchVisit(
                    "verifica pagamenti",
                    "pagamento verificato",
                    "{Il_cliente} porta la ricevuta di pagamento della bolletta {fattura} dopo "
                    "aver ricevuto un sollecito. Pagamento trovato e abbinato; sollecito "
                    "annullato.",
                ),
            ),
        ),
        en=Wording(
            subjects=("Payment reminder for a paid bill",),
            chat=(
                "Hi, I got a payment reminder but I paid the bill on the due date. Shall I send "
                "you the receipt?",
            ),
            exchanges=(
                Exchange(
                    "Yes, please send us the payment receipt and we'll check with our payments "
                    "office right away.",
                    asks=True,
                    answer="Here is the bank transfer receipt (TRN {cro}).",
                    answer_attachment=RECEIPT,
                    closing="Thank you: the payment is registered and the reminder is "
                    "cancelled. Nothing else to pay.",
                ),
            ),
        ),
    ),
    Topic(
        "domiciliazione",
        "fatturazione",
        ("domiciliazione", "pagamenti"),
        Priority.LOW,
        3,
        Wording(
            subjects=("Attivazione domiciliazione bancaria", "Cambio IBAN per l'addebito"),
            chat=(
                "Salve, vorrei attivare l'addebito diretto sul conto corrente. Come faccio?",
                "Ciao, ho cambiato banca: devo rifare la domiciliazione con il nuovo IBAN?",
            ),
            email=(
                "desidero attivare la domiciliazione bancaria delle bollette sul mio nuovo "
                "conto. Vi prego di indicarmi la procedura.",
            ),
            calls=(
                "Chiamata: {il_cliente} vuole attivare la domiciliazione. Inviato il link per il "
                "mandato SEPA.",
            ),
            exchanges=(
                Exchange(
                    "Può attivare la domiciliazione dall'area clienti, sezione Pagamenti, "
                    "inserendo l'IBAN: l'attivazione richiede circa 30 giorni. Fino ad allora "
                    "continui a pagare con il bollettino.",
                    answer="Fatto dall'app, grazie.",
                    closing="Vediamo la richiesta: la domiciliazione sarà attiva dalla prossima "
                    "bolletta.",
                ),
                Exchange(
                    "Le ho inviato via email il link per firmare online il mandato SEPA con il "
                    "nuovo IBAN. Appena firmato, l'addebito passa sul nuovo conto.",
                    asks=True,
                    answer="Firmato, grazie.",
                    closing="Ricevuto: dalla prossima bolletta l'addebito sarà sul nuovo conto.",
                ),
            ),
        ),
    ),
    Topic(
        "guasto",
        "guasti",
        ("guasto",),
        Priority.HIGH,
        8,
        Wording(
            subjects=("Guasto – mancanza di corrente", "Senza luce da stamattina"),
            chat=(
                "Buongiorno, siamo senza corrente da stamattina in {indirizzo}. È un guasto?",
                "Salve, mi è saltata la luce e il contatore non riparte. Cosa devo fare?",
                "Buonasera, blackout in tutto il palazzo, sapete quando torna la luce?",
                "La luce va e viene da ieri sera, ho paura che si rompano gli elettrodomestici.",
            ),
            email=(
                "vi segnalo che da questa mattina l'abitazione in {indirizzo}, {citta} è senza "
                "energia elettrica e il contatore risulta spento. Vi chiedo di intervenire al "
                "più presto.",
            ),
            social=(
                "Senza corrente da ore a {citta}, numero verde sempre occupato. Qualcuno ci dice "
                "qualcosa?",
                "Ennesimo blackout in zona. Energia Chiara, sapete quando torna la luce?",
            ),
            calls=(
                "Chiamata per mancanza di corrente in {indirizzo}. Verificato con il "
                "distributore: guasto sulla linea di quartiere, ripristino previsto entro 3 "
                "ore. Informato {il_cliente}.",
                "{Il_cliente} è senza luce. Guidato al riarmo del contatore (limitatore scattato "
                "per sovraccarico): fornitura ripristinata durante la telefonata.",
                "Chiamata urgente: {il_cliente} segnala odore di bruciato vicino al contatore. "
                "Indicato di non toccare nulla e inoltrata la segnalazione al pronto intervento "
                "del distributore.",
            ),
            exchanges=(
                Exchange(
                    "Ci dispiace! Abbiamo verificato con il distributore: c'è un guasto sulla "
                    "linea che alimenta la sua zona e le squadre sono già al lavoro. Il "
                    "ripristino è previsto entro poche ore.",
                    answer="La luce è tornata adesso, grazie.",
                    closing="Bene, grazie a lei per la pazienza.",
                ),
                Exchange(
                    "Probabilmente è scattato il limitatore del contatore per troppi "
                    "elettrodomestici accesi insieme. Provi a spegnerne qualcuno e a tenere "
                    "premuto il pulsante del contatore per qualche secondo: si è riacceso?",
                    asks=True,
                    answer="Sì! Era la lavatrice insieme al forno. Risolto, grazie.",
                    closing="Ottimo. Se succede spesso possiamo valutare un aumento di potenza "
                    "da {potenza} a {nuova_potenza} kW.",
                ),
                Exchange(
                    "Ho aperto una segnalazione al distributore (pratica {pratica}). Se il "
                    "problema riguarda solo il suo appartamento manderemo un tecnico: le "
                    "scriviamo per l'appuntamento.",
                    closing="Il guasto è stato riparato e la fornitura è regolare. Per qualsiasi "
                    "cosa siamo qui.",
                    waits=True,
                ),
            ),
            home=(
                HomeVisit(
                    "guasto alla fornitura",
                    "Il tecnico del pronto intervento passerà {giorno}, fascia {fascia}, per "
                    "verificare il guasto.",
                    "guasto risolto",
                    "Intervento eseguito: sostituito il limitatore difettoso del contatore. "
                    "Fornitura ripristinata e verificata con {il_cliente}.",
                    "Il tecnico ha sostituito il componente guasto: la fornitura è regolare. Ci "
                    "scusiamo per il disagio.",
                ),
            ),
        ),
        en=Wording(
            subjects=("Power cut",),
            chat=(
                "Hi, we've had no power since this morning at {indirizzo}. Is there an outage?",
                "The power keeps going off and on since last night. Should I worry?",
            ),
            exchanges=(
                Exchange(
                    "Sorry about that! We checked with the grid operator: there is a fault on "
                    "the line serving your area and the crews are already working on it. Power "
                    "should be back within a few hours.",
                    answer="Power is back now, thanks.",
                    closing="Great, thank you for your patience.",
                ),
            ),
        ),
    ),
    Topic(
        "voltura",
        "commerciale",
        ("voltura", "contratto"),
        Priority.NORMAL,
        5,
        Wording(
            subjects=("Richiesta voltura", "Voltura utenza"),
            chat=(
                "Buongiorno, devo fare la voltura del contratto luce a mio nome, l'intestatario "
                "era mio padre. Che documenti servono?",
                "Salve, sono in affitto e il contratto è ancora intestato al vecchio inquilino, "
                "{intestatario}. Come faccio la voltura?",
                "Ciao, vorrei intestare a me le utenze di casa, ora sono a nome di mia moglie.",
            ),
            email=(
                "vi scrivo per richiedere la voltura delle utenze {contratto} dell'immobile in "
                "{indirizzo}, attualmente intestate a {intestatario}. Vi chiedo di indicarmi la "
                "documentazione necessaria.",
            ),
            letter=(
                "Chiedo la voltura del contratto di fornitura {contratto} in {indirizzo}, "
                "{citta}, a seguito del decesso dell'intestatario {intestatario}. Allego il "
                "certificato e il documento d'identità.",
            ),
            calls=(
                "{Il_cliente} chiede informazioni sulla voltura. Spiegati documenti e tempi "
                "(circa 5 giorni lavorativi); inviato il modulo via email.",
                "Chiamata: voltura per successione. Raccolti i dati; in attesa della "
                "dichiarazione sostitutiva da parte {del_cliente}.",
            ),
            exchanges=(
                Exchange(
                    "Per la voltura servono il documento d'identità, il codice fiscale, la "
                    "lettura del contatore del giorno e il titolo di possesso dell'immobile. "
                    "Può caricarli nell'area clienti o inviarli qui.",
                    asks=True,
                    answer="Ecco i documenti e la lettura di oggi: {lettura}.",
                    answer_attachment=DOCUMENTS,
                    closing="Voltura completata (pratica {pratica}): dalla prossima bolletta il "
                    "contratto è a suo nome. Riceverà la conferma anche via email.",
                    waits=True,
                ),
                Exchange(
                    "Le ho inviato il modulo di voltura precompilato: lo firmi e ce lo rimandi "
                    "con una copia del documento d'identità.",
                    asks=True,
                    answer="Modulo firmato, ve lo allego.",
                    answer_attachment=DOCUMENTS,
                    closing="Ricevuto, grazie. Voltura completata: dalla prossima bolletta il "
                    "contratto è a suo nome.",
                    waits=True,
                ),
            ),
            branch=(
                BranchVisit(
                    "voltura contratto",
                    "voltura avviata",
                    "{Il_cliente} porta allo sportello i documenti per la voltura dell'utenza "
                    "intestata a {intestatario}. Verificati documento e titolo di possesso, "
                    "acquisita la lettura ({lettura} kWh). Pratica {pratica} avviata.",
                ),
            ),
            letter_out="le confermiamo che la voltura del contratto di fornitura {contratto} in "
            "{indirizzo} è stata completata (pratica {pratica}). Dalla prossima bolletta il "
            "contratto risulta a suo nome.",
        ),
    ),
    Topic(
        "subentro",
        "commerciale",
        ("subentro", "attivazione"),
        Priority.NORMAL,
        4,
        Wording(
            subjects=("Attivazione fornitura nuova casa", "Richiesta subentro"),
            chat=(
                "Buongiorno, ho comprato casa in {nuovo_indirizzo} e il contatore è "
                "disattivato. Come faccio ad attivare la luce?",
                "Salve, devo fare un subentro per la luce, il precedente proprietario ha chiuso "
                "il contratto. Quanto tempo ci vuole?",
                "Ciao, nell'appartamento nuovo il gas è chiuso. Potete riattivarlo voi?",
            ),
            email=(
                "ho acquistato un immobile in {nuovo_indirizzo} con il contatore della luce "
                "disattivato. Vorrei attivare la fornitura con Energia Chiara tramite subentro. "
                "Vi chiedo costi e tempi.",
            ),
            calls=(
                "Chiamata per subentro in {nuovo_indirizzo}. Raccolti POD e dati catastali; "
                "attivazione richiesta al distributore, prevista in 2-5 giorni lavorativi.",
            ),
            exchanges=(
                Exchange(
                    "Per il subentro ci servono il codice POD o PDR (lo trova sul contatore), "
                    "i dati catastali e un documento d'identità. Appena li riceviamo chiediamo "
                    "l'attivazione al distributore.",
                    asks=True,
                    answer="Ecco tutto: il POD è {pod}, vi allego documento e visura.",
                    answer_attachment=DOCUMENTS,
                    closing="Il distributore ha riattivato il contatore: la fornitura è attiva. "
                    "Le diamo il benvenuto in Energia Chiara!",
                    waits=True,
                ),
                Exchange(
                    "Il subentro richiede in genere da 2 a 5 giorni lavorativi. Le ho inviato il "
                    "contratto da firmare online: appena firmato, procediamo.",
                    asks=True,
                    answer="Firmato adesso.",
                    closing="Perfetto, la fornitura è attiva. Le diamo il benvenuto in Energia "
                    "Chiara!",
                    waits=True,
                ),
            ),
            home=(
                HomeVisit(
                    "attivazione contatore",
                    "Il tecnico passerà {giorno}, fascia {fascia}, per attivare il contatore: "
                    "serve che qualcuno sia in casa.",
                    "contatore attivato",
                    "Contatore attivato e sigillato; lettura iniziale {lettura} kWh. Verificato "
                    "il funzionamento con {il_cliente}.",
                    "Il contatore è attivo e la fornitura è a suo nome. Le diamo il benvenuto in "
                    "Energia Chiara!",
                ),
            ),
        ),
        en=Wording(
            subjects=("Activating electricity in my new flat",),
            chat=(
                "Hi, I just rented a flat at {nuovo_indirizzo} and the electricity meter is "
                "switched off. How do I get it activated?",
            ),
            email=(
                "I have just moved into {nuovo_indirizzo}, where the electricity supply is "
                "disconnected. I would like to activate it with Energia Chiara. What do you "
                "need from me?",
            ),
            exchanges=(
                Exchange(
                    "For the activation we need the POD code (printed on the meter), the "
                    "cadastral data of the flat and an ID document. As soon as we have them we "
                    "ask the grid operator to switch the meter on.",
                    asks=True,
                    answer="Here you go: the POD is {pod}, ID and rental contract attached.",
                    answer_attachment=DOCUMENTS,
                    closing="The grid operator has switched your meter on: your supply is "
                    "active. Welcome to Energia Chiara!",
                    waits=True,
                ),
            ),
        ),
    ),
    Topic(
        "cambio_offerta",
        "commerciale",
        ("cambio-offerta",),
        Priority.LOW,
        6,
        Wording(
            subjects=("Cambio offerta", "Informazioni su {nuova_offerta}"),
            chat=(
                "Buongiorno, ho visto l'offerta {nuova_offerta}: posso passarci mantenendo il "
                "contratto attuale?",
                "Salve, la mia offerta {offerta} scade a breve. Cosa mi proponete?",
                "Ciao, conviene passare al prezzo fisso adesso? Ho {offerta}.",
            ),
            email=(
                "sono cliente con l'offerta {offerta} e vorrei valutare il passaggio a "
                "{nuova_offerta}. Potete inviarmi un confronto dei costi sui miei consumi?",
            ),
            social=("Ma la {nuova_offerta} vale anche per chi è già cliente o solo per i nuovi?",),
            calls=(
                "{Il_cliente} chiede di passare da {offerta} a {nuova_offerta}. Fatto il "
                "confronto sui consumi dell'ultimo anno; cambio offerta registrato con consenso "
                "vocale.",
            ),
            exchanges=(
                Exchange(
                    "Certo, anche i clienti già attivi possono passare a {nuova_offerta}. Sui "
                    "suoi consumi dell'ultimo anno risparmierebbe circa il 9%. Vuole che le "
                    "invii la proposta da firmare?",
                    asks=True,
                    answer="Sì, mandatemela pure.",
                    closing="Proposta firmata, grazie: {nuova_offerta} sarà attiva dal prossimo "
                    "mese.",
                ),
                Exchange(
                    "Le ho inviato via email il confronto tra {offerta} e {nuova_offerta} "
                    "calcolato sui suoi consumi. Se decide di cambiare basta rispondere a questo "
                    "messaggio.",
                    answer="Ci penso e vi faccio sapere, grazie.",
                ),
            ),
        ),
        en=Wording(
            subjects=("Switching offer",),
            chat=("Hi, can existing customers switch to {nuova_offerta}?",),
            exchanges=(
                Exchange(
                    "Yes, existing customers can switch to {nuova_offerta} too. On your "
                    "consumption over the last year you would save about 9%. Shall I send you "
                    "the offer to sign?",
                    asks=True,
                    answer="Yes please.",
                    closing="Offer signed, thank you: {nuova_offerta} will be active from next "
                    "month.",
                ),
            ),
        ),
    ),
    Topic(
        "trasloco",
        "commerciale",
        ("trasloco", "contratto"),
        Priority.NORMAL,
        5,
        Wording(
            subjects=("Trasloco – trasferimento utenze", "Cambio indirizzo fornitura"),
            chat=(
                "Buongiorno, a fine mese mi trasferisco in {nuovo_indirizzo}. Posso portare il "
                "contratto nella casa nuova?",
                "Salve, sto traslocando: come faccio a chiudere la luce nella vecchia casa e "
                "attivarla nella nuova?",
                "Ciao, cambio casa il mese prossimo, mi dite cosa devo fare per luce e gas?",
            ),
            email=(
                "vi informo che a breve lascerò l'abitazione di {indirizzo} per trasferirmi in "
                "{nuovo_indirizzo}. Vorrei mantenere Energia Chiara anche nella nuova casa: come "
                "posso procedere?",
            ),
            calls=(
                "Chiamata per trasloco: {il_cliente} lascia {indirizzo} e va in "
                "{nuovo_indirizzo}. Avviate la chiusura della vecchia fornitura e l'attivazione "
                "nella nuova, con la stessa offerta.",
            ),
            exchanges=(
                Exchange(
                    "Certo, ci pensiamo noi: chiudiamo la fornitura in {indirizzo} il giorno del "
                    "trasloco e attiviamo la nuova casa con la stessa offerta. Mi servono la "
                    "data del trasloco e il POD del nuovo contatore.",
                    asks=True,
                    answer="Il trasloco è a fine mese, il POD è {pod}.",
                    closing="Tutto pronto (pratica {pratica}): riceverà l'ultima bolletta della "
                    "vecchia casa e la prima della nuova all'indirizzo aggiornato.",
                    waits=True,
                ),
                Exchange(
                    "Per il trasloco può usare l'area clienti, sezione 'Cambio casa': in pochi "
                    "passi chiude la vecchia fornitura e attiva la nuova. Se preferisce lo "
                    "facciamo noi al telefono.",
                    answer="Fatto dall'area clienti, grazie!",
                    closing="Vediamo la richiesta, è tutto corretto. Buon trasloco!",
                ),
            ),
            branch=(
                BranchVisit(
                    "trasloco",
                    "pratica di trasloco avviata",
                    "{Il_cliente} comunica il trasloco in {nuovo_indirizzo}. Chiusa la "
                    "fornitura nella vecchia casa dalla data indicata e avviato il subentro "
                    "nella nuova (pratica {pratica}).",
                ),
            ),
        ),
        en=Wording(
            subjects=("Moving house",),
            chat=(
                "Hi, I'm moving to {nuovo_indirizzo} at the end of the month. Can I take my "
                "contract with me?",
            ),
            email=(
                "I will soon be moving from {indirizzo} to {nuovo_indirizzo} and would like to "
                "keep Energia Chiara in my new home. What do I need to do?",
            ),
            exchanges=(
                Exchange(
                    "Of course, we'll take care of it: we close the supply at {indirizzo} on "
                    "moving day and activate your new home with the same offer. I just need the "
                    "moving date and the POD code of the new meter.",
                    asks=True,
                    answer="Moving day is at the end of the month, the POD is {pod}.",
                    closing="All set (case {pratica}): you'll receive the final bill for the old "
                    "flat and the first one for the new home at your updated address.",
                    waits=True,
                ),
            ),
        ),
    ),
    Topic(
        "reclamo",
        "retention",
        ("reclamo",),
        Priority.HIGH,
        3.5,
        Wording(
            subjects=("Reclamo", "Reclamo formale – codice cliente {codice}"),
            chat=(
                "Vi ho già scritto due volte e nessuno mi ha risposto. Voglio parlare con un "
                "responsabile.",
                "Buongiorno, è la terza volta che chiamo per lo stesso problema e nessuno lo "
                "risolve. È una vergogna.",
            ),
            email=(
                "presento reclamo formale perché dopo due mesi non ho ancora ricevuto risposta "
                "alla mia richiesta di rettifica della bolletta n. {fattura}. Chiedo una "
                "risposta scritta entro i termini previsti dall'ARERA.",
            ),
            social=(
                "Servizio clienti inesistente: tre settimane per una risposta. Sconsiglio "
                "Energia Chiara a tutti.",
                "Energia Chiara, quando pensate di rispondere ai reclami? Sto ancora aspettando.",
            ),
            letter=(
                "Con la presente presento reclamo scritto per la mancata risposta alle mie "
                "precedenti richieste relative alla bolletta n. {fattura}. Chiedo una risposta "
                "motivata entro 30 giorni e l'indennizzo automatico previsto.",
            ),
            calls=(
                "Chiamata di reclamo: {il_cliente} lamenta la mancata risposta a una richiesta "
                "precedente. Registrato il reclamo (pratica {pratica}) e passato al team "
                "retention.",
            ),
            exchanges=(
                Exchange(
                    "Ci scusiamo davvero: la sua richiesta non è stata gestita come doveva. Ho "
                    "preso in carico personalmente la pratica ({pratica}) e le rispondo entro 48 "
                    "ore.",
                    answer="Va bene, aspetto. Spero sia la volta buona.",
                    closing="Come promesso: la rettifica è stata fatta e le abbiamo riconosciuto "
                    "un indennizzo di 25 € nella prossima bolletta. Ci scusiamo ancora per il "
                    "disagio.",
                ),
            ),
            branch=(
                BranchVisit(
                    "reclamo",
                    "reclamo registrato",
                    "{Il_cliente} si presenta allo sportello molto contrariat{o_a} per una "
                    "richiesta rimasta senza risposta. Registrato il reclamo scritto (pratica "
                    "{pratica}) e segnalato al team retention.",
                ),
            ),
            letter_out="con riferimento al suo reclamo (pratica {pratica}), le comunichiamo che "
            "la bolletta n. {fattura} è stata ricalcolata e che le verrà riconosciuto "
            "l'indennizzo automatico previsto dalla regolazione ARERA. Ci scusiamo per il "
            "ritardo nella risposta.",
        ),
    ),
    Topic(
        "reclamo_tecnico",
        "retention",
        ("appuntamento-mancato", "reclamo"),
        Priority.HIGH,
        1.5,
        Wording(
            subjects=("Appuntamento con il tecnico non rispettato",),
            chat=(
                "Il tecnico doveva venire ieri e non si è presentato nessuno. Ho preso un giorno "
                "di ferie per niente.",
            ),
            email=(
                "sono molto insoddisfatto del servizio: l'appuntamento con il tecnico è stato "
                "annullato due volte senza preavviso. Chiedo un indennizzo per il disagio.",
            ),
            exchanges=(
                Exchange(
                    "Ha ragione e ci scusiamo. Ho fissato un nuovo appuntamento con priorità e "
                    "le riconosceremo l'indennizzo previsto per l'appuntamento mancato.",
                    answer="Almeno questa volta avvisatemi se non viene.",
                    closing="Il tecnico è passato e il lavoro è concluso. L'indennizzo sarà in "
                    "bolletta. Grazie per la pazienza.",
                    waits=True,
                ),
            ),
        ),
    ),
    Topic(
        "disdetta",
        "retention",
        ("disdetta", "rischio-abbandono"),
        Priority.HIGH,
        3,
        Wording(
            subjects=("Disdetta contratto", "Recesso dal contratto"),
            chat=(
                "Buongiorno, voglio disdire il contratto. Ho trovato un'offerta più conveniente.",
                "Salve, come faccio a recedere? Passo a un altro fornitore.",
                "Ciao, mi hanno proposto un'offerta migliore, voi cosa mi offrite per restare?",
            ),
            email=(
                "vi comunico la volontà di recedere dal contratto di fornitura {contratto} "
                "(codice cliente {codice}) per passare ad altro fornitore.",
            ),
            social=("Con queste bollette passo a un altro fornitore. Addio Energia Chiara.",),
            letter=(
                "Con la presente comunico il recesso dal contratto di fornitura {contratto} "
                "relativo all'immobile in {indirizzo}, {citta}.",
            ),
            calls=(
                "{Il_cliente} chiama per disdire: ha ricevuto un'offerta concorrente. Proposta "
                "{nuova_offerta} con sconto fedeltà; {il_cliente} accetta di restare.",
                "Chiamata di recesso: {il_cliente} ha già firmato con un altro fornitore. "
                "Spiegato che non serve disdetta: il nuovo fornitore gestisce il cambio.",
            ),
            exchanges=(
                Exchange(
                    "Ci dispiace! Prima che decida: sui suoi consumi {nuova_offerta} con lo "
                    "sconto fedeltà del 10% per 12 mesi le farebbe risparmiare più dell'offerta "
                    "che ha ricevuto. Vuole che le mandi il confronto?",
                    asks=True,
                    answer="Ok, se è così resto. Mandatemi la proposta.",
                    closing="Proposta inviata e firmata: {nuova_offerta} con sconto fedeltà è "
                    "attiva dal prossimo mese. Grazie per la fiducia!",
                ),
                Exchange(
                    "Ci dispiace vederla andare. Non deve fare nulla: il nuovo fornitore "
                    "comunica il cambio e noi le invieremo la bolletta di chiusura. Se cambia "
                    "idea siamo qui."
                ),
            ),
        ),
    ),
    Topic(
        "app_accesso",
        "digitale",
        ("app", "area-clienti"),
        Priority.LOW,
        3,
        Wording(
            subjects=("Problema accesso area clienti", "Non riesco a entrare nell'app"),
            chat=(
                "Non riesco più a entrare nell'app, dice password errata ma l'ho appena cambiata.",
                "Buongiorno, l'email per il cambio password non arriva.",
            ),
            email=(
                "non riesco più ad accedere all'area clienti: la password non viene accettata e "
                "l'email per reimpostarla non arriva.",
            ),
            calls=(
                "{Il_cliente} non riesce ad accedere all'area clienti. Reimpostata la password e "
                "verificato l'accesso durante la chiamata.",
            ),
            exchanges=(
                Exchange(
                    "Ho reimpostato le sue credenziali: le è arrivata un'email con il link per "
                    "scegliere una nuova password (controlli anche lo spam).",
                    asks=True,
                    answer="Arrivata, adesso entro. Grazie!",
                ),
            ),
        ),
        en=Wording(
            subjects=("Cannot log in",),
            chat=(
                "I can't log into the app any more, it says wrong password but I just changed it.",
                "The password reset email never arrives.",
            ),
            exchanges=(
                Exchange(
                    "I have reset your credentials: you should have an email with a link to "
                    "choose a new password (please check your spam folder too).",
                    asks=True,
                    answer="Got it, I'm in now. Thanks!",
                ),
            ),
        ),
        app_only=True,
    ),
    Topic(
        "app_errore",
        "digitale",
        ("app", "malfunzionamento"),
        Priority.LOW,
        2,
        Wording(
            subjects=("L'app si chiude", "Area clienti: pagina bianca"),
            chat=(
                "L'app si chiude da sola quando apro la sezione consumi.",
                "Buongiorno, dopo l'ultimo aggiornamento l'app resta bianca dopo il login.",
            ),
            email=(
                "da alcuni giorni non riesco ad usare l'area clienti: dopo il login la pagina "
                "resta bianca. Ho provato con due browser diversi.",
            ),
            social=(
                "L'app di Energia Chiara non funziona da giorni. Qualcuno ha lo stesso problema?",
            ),
            exchanges=(
                Exchange(
                    "Grazie della segnalazione: era un problema noto, risolto con l'ultimo "
                    "aggiornamento. Dall'app basta aggiornarla dallo store; dal sito, ricarichi "
                    "la pagina svuotando la cache.",
                    asks=True,
                    answer="Fatto, ora funziona.",
                    closing="Perfetto, grazie per la pazienza.",
                ),
            ),
        ),
        app_only=True,
    ),
    Topic(
        "app_bollette",
        "digitale",
        ("app", "bolletta"),
        Priority.LOW,
        1,
        Wording(
            subjects=("Non vedo le bollette nell'app",),
            chat=(
                "Ciao, nell'app non vedo più le bollette degli ultimi mesi. È un problema vostro?",
            ),
            exchanges=(
                Exchange(
                    "Le bollette ci sono: l'app mostra di default gli ultimi 3 mesi. Tocchi "
                    "'Filtra' e scelga 'Tutte' per vedere lo storico.",
                    answer="Ah ecco, non l'avevo visto. Grazie.",
                ),
            ),
        ),
        app_only=True,
    ),
    Topic(
        "bonus_sociale",
        "fatturazione",
        ("bonus-sociale",),
        Priority.NORMAL,
        1.5,
        Wording(
            subjects=("Bonus sociale", "Informazioni bonus bollette"),
            chat=(
                "Buongiorno, ho l'ISEE basso, ho diritto al bonus sulla bolletta? Come lo chiedo?",
            ),
            email=(
                "vorrei sapere se il bonus sociale per disagio economico viene applicato "
                "automaticamente sulle mie bollette, avendo presentato la DSU per l'ISEE.",
            ),
            calls=(
                "{Il_cliente} chiede del bonus sociale. Spiegato che è automatico con ISEE sotto "
                "soglia dopo la DSU; verificato che l'INPS non ha ancora trasmesso i dati.",
            ),
            exchanges=(
                Exchange(
                    "Il bonus sociale si ottiene automaticamente: basta presentare la DSU per "
                    "l'ISEE e, se il valore è sotto la soglia, l'INPS ci comunica il diritto al "
                    "bonus. Non deve fare domanda a noi.",
                    answer="Ho presentato la DSU il mese scorso, allora aspetto.",
                    closing="Ci è arrivata la comunicazione: il bonus sarà applicato dalla "
                    "prossima bolletta, con gli arretrati.",
                    waits=True,
                ),
            ),
            branch=(
                BranchVisit(
                    "informazioni bonus sociale",
                    "spiegata la procedura; nessun documento da consegnare",
                    "{Il_cliente} chiede come ottenere il bonus sociale. Spiegato che basta la "
                    "DSU per l'ISEE presso un CAF; consegnato il volantino informativo.",
                ),
            ),
        ),
        vulnerable_factor=6.0,
    ),
    Topic(
        "bonus_scaduto",
        "fatturazione",
        ("bonus-sociale",),
        Priority.NORMAL,
        0.5,
        Wording(
            subjects=("Bonus sociale non più in bolletta",),
            chat=("Salve, il bonus sociale non compare più in bolletta. Perché?",),
            calls=(
                "{Il_cliente} chiede perché il bonus sociale non è più in bolletta: ISEE "
                "scaduto. Spiegato che rinnovando la DSU il bonus riparte con gli arretrati.",
            ),
            exchanges=(
                Exchange(
                    "Il bonus si interrompe alla scadenza dell'ISEE: se rinnova la DSU viene "
                    "riattivato automaticamente, con gli arretrati.",
                    answer="Grazie, allora vado al CAF per rinnovarla.",
                ),
            ),
        ),
        vulnerable_factor=6.0,
    ),
    Topic(
        "sdi",
        "fatturazione",
        ("business", "fattura-elettronica"),
        Priority.NORMAL,
        2,
        Wording(
            subjects=("Fattura elettronica non ricevuta",),
            chat=(
                "Buongiorno, per {azienda} non abbiamo ricevuto la fattura elettronica di questo "
                "mese nel cassetto fiscale.",
            ),
            email=(
                "scrivo per conto di {azienda}: la fattura elettronica n. {fattura} non risulta "
                "recapitata tramite SDI. Vi chiediamo di verificare il codice destinatario e di "
                "reinviarla.",
            ),
            calls=(
                "Chiamata da {azienda}: fattura elettronica scartata dallo SDI per codice "
                "destinatario errato. Corretto il codice e rinviata la fattura.",
            ),
            exchanges=(
                Exchange(
                    "Abbiamo verificato: la fattura era stata scartata per un codice "
                    "destinatario errato. L'abbiamo corretto e la fattura è stata reinviata "
                    "oggi.",
                    answer="Ricevuta, grazie.",
                ),
            ),
        ),
        business_only=True,
    ),
    Topic(
        "sdi_codice",
        "fatturazione",
        ("business", "fattura-elettronica"),
        Priority.LOW,
        1,
        Wording(
            subjects=("Aggiornamento codice SDI",),
            chat=(
                "Salve, dobbiamo aggiornare il codice SDI per le fatture della nostra attività.",
            ),
            email=(
                "vi chiediamo di aggiornare la PEC e il codice destinatario SDI per la "
                "fatturazione elettronica della nostra utenza.",
            ),
            exchanges=(
                Exchange(
                    "Ci invii pure il nuovo codice destinatario (7 caratteri) o la PEC e lo "
                    "aggiorniamo subito.",
                    asks=True,
                    answer="Il nuovo codice è M5UXCR1.",
                    closing="Aggiornato: dalla prossima fattura useremo il nuovo codice.",
                ),
            ),
        ),
        business_only=True,
    ),
    Topic(
        "fotovoltaico",
        "commerciale",
        ("offerte", "fotovoltaico"),
        Priority.LOW,
        2.5,
        Wording(
            subjects=("Informazioni fotovoltaico", "Preventivo impianto fotovoltaico"),
            chat=(
                "Buongiorno, fate anche impianti fotovoltaici? Vorrei un preventivo.",
                "Salve, mi interessa il fotovoltaico con la batteria. Fate voi il sopralluogo?",
            ),
            email=(
                "sarei interessato a installare un impianto fotovoltaico con accumulo "
                "nell'abitazione di {indirizzo}. Vorrei essere ricontattato per un sopralluogo "
                "e un preventivo.",
            ),
            social=("Avete offerte per chi vuole mettere i pannelli solari?",),
            calls=(
                "{Il_cliente} chiede informazioni su fotovoltaico e accumulo. Fissato "
                "appuntamento con un consulente per il sopralluogo.",
            ),
            exchanges=(
                Exchange(
                    "Sì: con Chiara Sole installiamo impianti fotovoltaici con accumulo chiavi "
                    "in mano. Un consulente può passare per un sopralluogo gratuito: quando le "
                    "farebbe comodo?",
                    asks=True,
                    answer="Va bene un pomeriggio della prossima settimana.",
                    closing="Appuntamento fissato: il consulente la chiamerà il giorno prima per "
                    "conferma.",
                ),
            ),
        ),
    ),
    Topic(
        "offerta_verde",
        "commerciale",
        ("offerte", "green"),
        Priority.LOW,
        1.5,
        Wording(
            subjects=("Offerta 100% rinnovabile",),
            chat=(
                "Ciao, avete offerte con energia 100% rinnovabile?",
                "Buongiorno, quanto costa passare a Chiara Verde?",
            ),
            exchanges=(
                Exchange(
                    "Certo: l'offerta Chiara Verde 100% usa solo energia da fonti rinnovabili "
                    "certificate. Le ho inviato i dettagli e il confronto con {offerta} via "
                    "email.",
                    answer="Grazie, li guardo.",
                ),
            ),
        ),
    ),
    Topic(
        "rimborso",
        "fatturazione",
        ("pagamenti", "rimborso"),
        Priority.NORMAL,
        1.2,
        Wording(
            subjects=("Richiesta rimborso doppio pagamento",),
            chat=(
                "Buongiorno, ho pagato due volte la stessa bolletta per errore. Come posso avere "
                "indietro i soldi?",
            ),
            email=(
                "per errore ho pagato due volte la bolletta n. {fattura} (una volta con la "
                "domiciliazione e una con il bollettino). Chiedo il rimborso di {importo} sul "
                "mio conto corrente.",
            ),
            calls=(
                "{Il_cliente} segnala un doppio pagamento. Verificato: rimborso di {importo} "
                "disposto con bonifico entro 15 giorni.",
            ),
            exchanges=(
                Exchange(
                    "Ho verificato il doppio pagamento. Possiamo rimborsarlo con bonifico oppure "
                    "lasciarlo come credito sulla prossima bolletta: cosa preferisce?",
                    asks=True,
                    answer="Preferisco il bonifico, sul conto della domiciliazione.",
                    closing="Rimborso di {importo} disposto: lo vedrà sul conto entro 15 giorni "
                    "lavorativi.",
                ),
            ),
            letter_out="le comunichiamo che il rimborso di {importo} per il doppio pagamento "
            "della bolletta n. {fattura} è stato disposto con bonifico.",
        ),
    ),
    Topic(
        "rimborso_credito",
        "fatturazione",
        ("pagamenti", "rimborso"),
        Priority.NORMAL,
        0.8,
        Wording(
            subjects=("Rimborso credito dopo la chiusura",),
            chat=(
                "Salve, dopo la chiusura del vecchio contratto mi spetta un rimborso di "
                "{rimborso}. Quando arriva?",
            ),
            letter=(
                "Chiedo il rimborso del credito di {rimborso} risultante dalla bolletta di "
                "chiusura del contratto, da accreditare sul conto corrente già indicato per la "
                "domiciliazione.",
            ),
            exchanges=(
                Exchange(
                    "Il rimborso di {rimborso} è stato disposto ieri e arriverà entro pochi "
                    "giorni lavorativi."
                ),
            ),
            letter_out="le comunichiamo che il rimborso di {rimborso} è stato disposto con "
            "bonifico sul conto corrente indicato.",
        ),
    ),
)

TOPIC_BY_KEY = {topic.key: topic for topic in TOPICS}

SOCIAL_PUBLIC_REPLIES = {
    "it": (
        "Ciao {nome}, grazie per averci scritto! Ti rispondiamo in privato: lì possiamo vedere i "
        "dati del tuo contratto.",
        "Ciao {nome}, ti abbiamo scritto in privato per aiutarti.",
        "Ciao {nome}, ci pensiamo noi: ti scriviamo in privato.",
    ),
    "en": ("Hi {nome}, thanks for reaching out! We've sent you a private message.",),
}
# When we cannot write to the person privately: where to find us instead.
SOCIAL_PUBLIC_ONLY = {
    "it": "Ciao {nome}, scrivici su WhatsApp al +39 02 8088 1234 o chiamaci all'800 123 456 con "
    "il codice cliente a portata di mano: ti aiutiamo subito.",
    "en": "Hi {nome}, message us on WhatsApp at +39 02 8088 1234 or call 800 123 456 with your "
    "customer code at hand: we'll help you right away.",
}
THANKS = {
    "it": (
        "Grazie mille!",
        "Perfetto, grazie.",
        "Ok grazie, gentilissimi.",
        "Grazie per la pazienza.",
        "Benissimo, grazie dell'aiuto.",
    ),
    "en": ("Thanks a lot!", "Great, thank you."),
}
# For a topic without call summaries of its own, should a customer phone about it.
GENERIC_CALL = (
    "Chiamata al numero verde: {il_cliente} chiede assistenza su una pratica (riferimento "
    "{pratica}). Annotata la richiesta e spiegati i passi successivi."
)
CALLBACKS = (
    "Richiamata di cortesia: confermato {al_cliente} che la richiesta è stata completata "
    "(pratica {pratica}).",
    "Richiamata {al_cliente} come promesso: pratica {pratica} completata, nessun'altra azione "
    "richiesta.",
)
# After a call, the agent confirms in writing; ``CALL_RECAP`` when nothing more is to be said.
RECAP = {
    "it": "Come d'accordo al telefono, le confermo quanto ci siamo detti. ",
    "en": "As agreed on the phone, here is a summary. ",
}
CALL_RECAP = {
    "it": "Come d'accordo al telefono, le invio il riepilogo della pratica {pratica}: trova "
    "tutti i dettagli nell'area clienti. Per qualsiasi dubbio può rispondere a questo messaggio.",
    "en": "As agreed on the phone, here is the summary of case {pratica}: you will find every "
    "detail in your online account. Reply to this message with any question.",
}
LETTER_ACK = (
    "abbiamo ricevuto la sua comunicazione e l'abbiamo registrata con il numero di pratica "
    "{pratica}. Le daremo una risposta scritta motivata entro 30 giorni, come previsto dalla "
    "regolazione ARERA."
)
NOTES = (
    "Cliente molto contrariat{o_a}: gestire con priorità e richiamare se non risponde.",
    "Verificato con il back office: la pratica {pratica} è in lavorazione.",
    "Attenzione: stesso problema già segnalato qualche mese fa, vedere lo storico.",
    "Preferisce essere contattat{o_a} al mattino.",
)
TECHNICIANS = {
    "milano": ("Gianni Riva", "Walter Brambilla"),
    "bologna": ("Mauro Pellegrini", "Enrico Guidi"),
    "napoli": ("Salvatore Capuano", "Pasquale Iovine"),
}
