"""Energia Chiara's communication studio: shared content blocks and its Italian templates.

What an Italian energy supplier sends, each with every channel variant (email, SMS, WhatsApp,
push, in-app, letter, call script) in Italian and English, a data schema with realistic
samples, and the company's blocks included by name:

- blocks: the email's brand header and footer, the legal notice (registered office, VAT
  number) and the signature of the customer service;
- templates: payment reminder, bill ready, technician's appointment, outage notice and
  restoration notice (the storm of scenario 3), a new offer (advertising: unsubscribe link and
  STOP instruction), welcome.

``seed_templates`` loads what is missing through the studio's own services, as the company's
designer (Irene Vitale) writes and submits and its compliance officer (Lorenzo De Santis)
approves with a comment. Two templates show the workflow under way: the payment reminder has
a second version in draft (the diff against the approved one), the new offer a second version
waiting for compliance. With a demo calendar, the history is dated before the data begins (the
blocks and templates existed when the first bills went out) and the revisions in the last days.

Text conventions: formal register ("Gentile", "lei", "la invitiamo"); SMS in the GSM 7-bit
alphabet within ``sms_segments`` parts (``€`` takes two septets, ``È`` is not in the alphabet:
sentences start otherwise); links https on energiachiara.it; WhatsApp bodies with Meta's named
parameters, never starting or ending on a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from unisono.demo.calendar import DemoCalendar, nominal
from unisono.demo.org import DEMO_PASSWORD, STAFF_BY_EMAIL
from unisono.demo.stories import MARIA_KEY
from unisono.models import (
    ContentBlock,
    Customer,
    Operator,
    StudioEvent,
    Template,
    VersionStatus,
)
from unisono.security.actor import Actor
from unisono.security.operators import do_create_operator
from unisono.studio import blocks as block_service
from unisono.studio import templates as template_service
from unisono.studio.letter_layout import LetterSender
from unisono.studio.spec import Purpose, VariantKind

DESIGNER_EMAIL = "irene.vitale@energiachiara.it"
COMPLIANCE_EMAIL = "lorenzo.desantis@energiachiara.it"
DOMAIN = "energiachiara.it"
SITE = "https://www.energiachiara.it"
LOCALES = ("it", "en")
KINDS = tuple(kind.value for kind in VariantKind)

Variants = dict[str, dict[str, dict[str, Any]]]

# The page frame of the demo's letters: the same company data as the legal_notice block.
LETTER_SENDER = LetterSender(
    name="Energia Chiara S.p.A.",
    address_lines=("Via Fabio Filzi 27", "20124 Milano"),
    vat_number="08745320153",
    legal_text=(
        "Energia Chiara S.p.A. – Sede legale: Via Fabio Filzi 27, 20124 Milano – Capitale sociale "
        "€ 50.000.000 i.v. – Registro delle Imprese di Milano Monza Brianza Lodi, C.F. e P.IVA "
        "08745320153 – REA MI-2045871"
    ),
    place="Milano",
    contact_lines=("Numero verde 800 123 456", "www.energiachiara.it"),
)


@dataclass(frozen=True, slots=True)
class BlockDef:
    name: str
    description: str
    content: Mapping[str, Mapping[str, str]]  # locale -> {"html": ..., "text": ...}
    approval: str


@dataclass(frozen=True, slots=True)
class Revision:
    """A second version: what changes from the first, and how far it has gone."""

    changes: Variants  # kind -> locale -> field -> new source (fields not named stay)
    status: VersionStatus  # DRAFT or IN_REVIEW
    days_before_end: int
    schema: tuple[Mapping[str, Any], ...] | None = None


@dataclass(frozen=True, slots=True)
class TemplateDef:
    name: str
    purpose: Purpose
    description: str
    schema: tuple[Mapping[str, Any], ...]
    variants: Variants
    approval: str  # compliance's comment
    # The most SMS parts the text takes with the sample data (GSM-7).
    sms_segments: int = 2
    revision: Revision | None = None
    kinds: tuple[str, ...] = field(default=KINDS)
    locales: tuple[str, ...] = field(default=LOCALES)

    def revised_variants(self) -> Variants:
        """The variants of the second version (the first's with the revision's changes)."""
        result = {k: {loc: dict(f) for loc, f in by.items()} for k, by in self.variants.items()}
        for kind, by_locale in (self.revision.changes if self.revision else {}).items():
            for locale, fields in by_locale.items():
                result[kind][locale].update(fields)
        return result


def _var(name: str, type_: str, sample: Any, description: str, required: bool = True) -> Any:
    return {
        "name": name,
        "type": type_,
        "sample": sample,
        "required": required,
        "description": description,
    }


def _email_html(body: str) -> str:
    return (
        '{% include "email_header" %}\n'
        + body.strip()
        + ('\n{% include "signature" %}\n{% include "email_footer" %}')
    )


def _email_text(body: str) -> str:
    # trim_blocks eats the line break after each include: hence three before the footer.
    return body.strip() + '\n\n{% include "signature" %}\n\n\n{% include "email_footer" %}'


# --- shared blocks -------------------------------------------------------------------------

_EMAIL_STYLE = """<style>
body { margin: 0; padding: 0; background-color: #f2f4f6; }
.wrap { max-width: 600px; margin: 0 auto; background-color: #ffffff;
  font-family: Arial, Helvetica, sans-serif; color: #1f2a37; }
.brand { background-color: #0b6e4f; padding: 20px 28px; }
.brand-name { color: #ffffff; font-size: 22px; font-weight: bold; text-decoration: none; }
.brand-tag { color: #d4efe4; font-size: 13px; margin-top: 2px; }
.content { padding: 28px; font-size: 15px; line-height: 1.5; }
.facts { border-collapse: collapse; width: 100%; margin: 16px 0; }
.facts th { text-align: left; font-weight: normal; color: #5b6573; padding: 7px 0;
  border-bottom: 1px solid #e3e7eb; }
.facts td { text-align: right; font-weight: bold; padding: 7px 0;
  border-bottom: 1px solid #e3e7eb; }
.action { margin: 22px 0; }
.button { display: inline-block; background-color: #0b6e4f; color: #ffffff;
  padding: 12px 22px; border-radius: 4px; text-decoration: none; font-weight: bold; }
.highlight { background-color: #eef8f3; border-left: 4px solid #0b6e4f; padding: 12px 16px; }
.note { color: #5b6573; font-size: 13px; }
.signature { margin-top: 24px; }
.footer { background-color: #eef1f4; padding: 20px 28px; color: #5b6573; font-size: 12px;
  line-height: 1.5; }
.footer a { color: #0b6e4f; }
.legal { color: #7a838f; font-size: 11px; }
</style>"""


def _email_header(lang: str, tagline: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Energia Chiara</title>\n{_EMAIL_STYLE}\n</head>\n<body>\n"
        '<div class="wrap">\n'
        f'<div class="brand"><a class="brand-name" href="{SITE}/">Energia Chiara</a>'
        f'<div class="brand-tag">{tagline}</div></div>\n'
        '<div class="content">'
    )


BLOCKS: tuple[BlockDef, ...] = (
    BlockDef(
        name="legal_notice",
        description="Dati societari obbligatori (art. 2250 c.c.): sede, capitale, registro, P.IVA.",
        content={
            "it": {
                "html": (
                    '<p class="legal">Energia Chiara S.p.A. – Sede legale: Via Fabio Filzi 27, '
                    "20124 Milano – Capitale sociale € 50.000.000 i.v. – Registro delle Imprese "
                    "di Milano Monza Brianza Lodi, C.F. e P.IVA 08745320153 – REA MI-2045871</p>"
                ),
                "text": (
                    "Energia Chiara S.p.A. – Sede legale: Via Fabio Filzi 27, 20124 Milano – "
                    "Capitale sociale € 50.000.000 i.v. – Registro delle Imprese di Milano Monza "
                    "Brianza Lodi, C.F. e P.IVA 08745320153 – REA MI-2045871"
                ),
            },
            "en": {
                "html": (
                    '<p class="legal">Energia Chiara S.p.A. – Registered office: Via Fabio Filzi '
                    "27, 20124 Milano, Italy – Share capital €50,000,000 fully paid – Milano "
                    "Monza Brianza Lodi Companies Register, tax code and VAT no. 08745320153 – "
                    "REA MI-2045871</p>"
                ),
                "text": (
                    "Energia Chiara S.p.A. – Registered office: Via Fabio Filzi 27, 20124 "
                    "Milano, Italy – Share capital €50,000,000 fully paid – Milano Monza Brianza "
                    "Lodi Companies Register, tax code and VAT no. 08745320153 – REA MI-2045871"
                ),
            },
        },
        approval="Dati societari verificati con la visura camerale aggiornata.",
    ),
    BlockDef(
        name="signature",
        description="Firma del Servizio Clienti, per email, lettere e WhatsApp.",
        content={
            "it": {
                "html": (
                    '<p class="signature">Cordiali saluti,<br>'
                    "Il Servizio Clienti di Energia Chiara</p>"
                ),
                "text": "Cordiali saluti,\nIl Servizio Clienti di Energia Chiara",
            },
            "en": {
                "html": '<p class="signature">Kind regards,<br>Energia Chiara Customer Service</p>',
                "text": "Kind regards,\nEnergia Chiara Customer Service",
            },
        },
        approval="Firma conforme alle linee guida del marchio.",
    ),
    BlockDef(
        name="email_header",
        description=(
            "Apertura delle email: documento, foglio di stile del marchio e testata con il logo "
            "testuale. Va sempre chiusa da email_footer."
        ),
        content={
            "it": {
                "html": _email_header("it", "Luce e gas, con chiarezza"),
                "text": "Energia Chiara – Luce e gas, con chiarezza",
            },
            "en": {
                "html": _email_header("en", "Electricity and gas, made clear"),
                "text": "Energia Chiara – Electricity and gas, made clear",
            },
        },
        approval="Colori e testata conformi al manuale del marchio; contrasti verificati (AA).",
    ),
    BlockDef(
        name="email_footer",
        description=(
            "Chiusura delle email: contatti del Servizio Clienti, informativa privacy e note "
            "legali (include legal_notice)."
        ),
        content={
            "it": {
                "html": (
                    '</div>\n<div class="footer">\n'
                    "<p>Servizio Clienti: numero verde 800 123 456, gratuito da rete fissa e "
                    "mobile, dal lunedì al venerdì dalle 8 alle 20 e il sabato dalle 8 alle 14. "
                    f'Area clienti e app: <a href="{SITE}/area-clienti">'
                    "energiachiara.it/area-clienti</a>.</p>\n"
                    "<p>Può rispondere direttamente a questa email: il suo messaggio arriva al "
                    f'nostro Servizio Clienti. <a href="{SITE}/privacy">Informativa privacy</a>'
                    "</p>\n"
                    '{% include "legal_notice" %}\n</div>\n</div>\n</body>\n</html>'
                ),
                "text": (
                    "--\nServizio Clienti: numero verde 800 123 456, gratuito da rete fissa e "
                    "mobile, dal lunedì al venerdì dalle 8 alle 20 e il sabato dalle 8 alle 14.\n"
                    f"Area clienti e app: {SITE}/area-clienti\n"
                    "Può rispondere direttamente a questa email: il suo messaggio arriva al "
                    "nostro Servizio Clienti.\n"
                    f"Informativa privacy: {SITE}/privacy\n\n"
                    '{% include "legal_notice" %}'
                ),
            },
            "en": {
                "html": (
                    '</div>\n<div class="footer">\n'
                    "<p>Customer Service: freephone 800 123 456 (from Italian landlines and "
                    "mobiles), Monday to Friday 8 a.m. to 8 p.m., Saturday 8 a.m. to 2 p.m. "
                    f'Online account and app: <a href="{SITE}/area-clienti">'
                    "energiachiara.it/area-clienti</a>.</p>\n"
                    "<p>You can reply to this email: your message goes straight to our "
                    f'Customer Service. <a href="{SITE}/privacy">Privacy notice</a></p>\n'
                    '{% include "legal_notice" %}\n</div>\n</div>\n</body>\n</html>'
                ),
                "text": (
                    "--\nCustomer Service: freephone 800 123 456 (from Italian landlines and "
                    "mobiles), Monday to Friday 8 a.m. to 8 p.m., Saturday 8 a.m. to 2 p.m.\n"
                    f"Online account and app: {SITE}/area-clienti\n"
                    "You can reply to this email: your message goes straight to our Customer "
                    "Service.\n"
                    f"Privacy notice: {SITE}/privacy\n\n"
                    '{% include "legal_notice" %}'
                ),
            },
        },
        approval=(
            "Contatti e orari verificati; informativa privacy collegata alla versione in vigore."
        ),
    ),
)


# --- shared schema entries ---------------------------------------------------------------------

FIRST_NAME = _var("customer.first_name", "str", "Maria", "Nome del cliente")
LAST_NAME = _var("customer.last_name", "str", "Rossi", "Cognome del cliente")
CUSTOMER_CODE = _var("customer.code", "str", "EC-0004812", "Codice cliente")
INVOICE_NUMBER = _var("invoice.number", "str", "FT0004812005", "Numero della bolletta")
INVOICE_AMOUNT = _var(
    "invoice.amount",
    "money",
    {"amount": "412.37", "currency": "EUR"},
    "Importo totale da pagare",
)
INVOICE_DUE = _var("invoice.due_date", "date", "2026-03-16", "Data di scadenza della bolletta")
POD = _var(
    "supply.pod", "str", "IT001E48213375", "POD della fornitura di luce (se c'è)", required=False
)
PDR = _var(
    "supply.pdr", "str", "00880412736590", "PDR della fornitura di gas (se c'è)", required=False
)


# --- 1. payment reminder -----------------------------------------------------------------------

_REMINDER_HTML_IT = """
<p>Gentile {{ customer.first_name }} {{ customer.last_name }},</p>
<p>dalle nostre verifiche non risulta ancora pagata la bolletta indicata qui sotto, scaduta il {{ invoice.due_date|date('long') }}.</p>
<table class="facts">
<tr><th>Bolletta n.</th><td>{{ invoice.number }}</td></tr>
<tr><th>Importo da pagare</th><td>{{ invoice.amount|money }}</td></tr>
<tr><th>Scaduta il</th><td>{{ invoice.due_date|date('long') }}</td></tr>
<tr><th>Codice cliente</th><td>{{ customer.code }}</td></tr>
</table>
<p>La invitiamo a effettuare il pagamento entro il {{ reminder.pay_by|date('long') }}. Può pagare in pochi minuti online, con carta di pagamento o PagoPA.</p>
<p class="action"><a class="button" href="{{ links.pay }}">Paghi la bolletta</a></p>
<p>Se ha già pagato, non tenga conto di questo messaggio: un pagamento può richiedere alcuni giorni per essere registrato.</p>
<p class="note">Se in questo periodo ha difficoltà a pagare, ci contatti: possiamo valutare insieme una rateizzazione dell'importo.</p>
"""  # noqa: E501

_REMINDER_TEXT_IT = """
Gentile {{ customer.first_name }} {{ customer.last_name }},

dalle nostre verifiche non risulta ancora pagata la bolletta n. {{ invoice.number }} di {{ invoice.amount|money }}, scaduta il {{ invoice.due_date|date('long') }} (codice cliente {{ customer.code }}).

La invitiamo a effettuare il pagamento entro il {{ reminder.pay_by|date('long') }}. Può pagare in pochi minuti online, con carta di pagamento o PagoPA:
{{ links.pay }}

Se ha già pagato, non tenga conto di questo messaggio: un pagamento può richiedere alcuni giorni per essere registrato.

Se in questo periodo ha difficoltà a pagare, ci contatti: possiamo valutare insieme una rateizzazione dell'importo.
"""  # noqa: E501

_REMINDER_HTML_EN = """
<p>Dear {{ customer.first_name }} {{ customer.last_name }},</p>
<p>according to our records, the bill below, which was due on {{ invoice.due_date|date('long') }}, has not been paid yet.</p>
<table class="facts">
<tr><th>Bill no.</th><td>{{ invoice.number }}</td></tr>
<tr><th>Amount due</th><td>{{ invoice.amount|money }}</td></tr>
<tr><th>Due date</th><td>{{ invoice.due_date|date('long') }}</td></tr>
<tr><th>Customer code</th><td>{{ customer.code }}</td></tr>
</table>
<p>Please pay it by {{ reminder.pay_by|date('long') }}. It only takes a few minutes online, by card or with PagoPA.</p>
<p class="action"><a class="button" href="{{ links.pay }}">Pay your bill</a></p>
<p>If you have already paid, please disregard this message: a payment can take a few days to reach us.</p>
<p class="note">If you are finding it hard to pay at the moment, please get in touch: we can look at spreading the amount over instalments.</p>
"""  # noqa: E501

_REMINDER_TEXT_EN = """
Dear {{ customer.first_name }} {{ customer.last_name }},

according to our records, bill no. {{ invoice.number }} for {{ invoice.amount|money }}, which was due on {{ invoice.due_date|date('long') }}, has not been paid yet (customer code {{ customer.code }}).

Please pay it by {{ reminder.pay_by|date('long') }}. It only takes a few minutes online, by card or with PagoPA:
{{ links.pay }}

If you have already paid, please disregard this message: a payment can take a few days to reach us.

If you are finding it hard to pay at the moment, please get in touch: we can look at spreading the amount over instalments.
"""  # noqa: E501

_REMINDER_LETTER_IT = """
<p><strong>Oggetto: sollecito di pagamento della bolletta n. {{ invoice.number }}</strong></p>
<p>Gentile {{ customer.first_name }} {{ customer.last_name }},</p>
<p>dalle nostre verifiche la bolletta n. {{ invoice.number }} di {{ invoice.amount|money }}, scaduta il {{ invoice.due_date|date('long') }} e intestata al codice cliente {{ customer.code }}, non risulta ancora pagata.</p>
<p>La invitiamo a effettuare il pagamento entro il {{ reminder.pay_by|date('long') }} in uno dei modi seguenti:</p>
<ul>
<li>online, con carta di pagamento o PagoPA, dall'area clienti o dall'app Energia Chiara: {{ links.pay }}</li>
<li>con l'avviso PagoPA stampato sulla bolletta, presso banche, uffici postali, tabaccherie e punti vendita abilitati.</li>
</ul>
<p>Se ha già effettuato il pagamento, la preghiamo di non tenere conto di questa comunicazione.</p>
<p>Se sta attraversando un momento di difficoltà, ci chiami al numero verde 800 123 456: possiamo valutare insieme una rateizzazione dell'importo.</p>
{% include "signature" %}
"""  # noqa: E501

_REMINDER_LETTER_EN = """
<p><strong>Re: payment reminder for bill no. {{ invoice.number }}</strong></p>
<p>Dear {{ customer.first_name }} {{ customer.last_name }},</p>
<p>according to our records, bill no. {{ invoice.number }} for {{ invoice.amount|money }}, which was due on {{ invoice.due_date|date('long') }} (customer code {{ customer.code }}), has not been paid yet.</p>
<p>Please pay it by {{ reminder.pay_by|date('long') }} in one of the following ways:</p>
<ul>
<li>online, by card or with PagoPA, in your online account or the Energia Chiara app: {{ links.pay }}</li>
<li>with the PagoPA notice printed on the bill, at banks, post offices, tobacconists and other authorised outlets.</li>
</ul>
<p>If you have already paid, please disregard this letter.</p>
<p>If you are going through a difficult time, please call us free on 800 123 456: we can look at spreading the amount over instalments.</p>
{% include "signature" %}
"""  # noqa: E501

_REMINDER_SCRIPT_IT = """
[Prima di parlare della bolletta, verifichi l'identità: nome, cognome e codice cliente {{ customer.code }}. Non lasci importi in segreteria: chieda solo di essere richiamato al numero verde 800 123 456.]

Buongiorno, sono [nome] del Servizio Clienti di Energia Chiara. Parlo con {{ customer.first_name }} {{ customer.last_name }}?

La chiamo per la bolletta n. {{ invoice.number }} di {{ invoice.amount|money }}, scaduta il {{ invoice.due_date|date('long') }}, che dai nostri sistemi non risulta ancora pagata.

- Se ha già pagato: chieda la data e il modo del pagamento, lo annoti sulla conversazione e ringrazi. Non insista.
- Se non ha ancora pagato: ricordi che può pagare entro il {{ reminder.pay_by|date('long') }} online ({{ links.pay }}) o con l'avviso PagoPA della bolletta.
- Se ha difficoltà a pagare: proponga una rateizzazione e passi la richiesta al team Fatturazione e pagamenti.

Chiusura: La ringrazio per la disponibilità. Buona giornata.
"""  # noqa: E501

_REMINDER_SCRIPT_EN = """
[Before talking about the bill, verify the customer's identity: first name, surname and customer code {{ customer.code }}. Never leave amounts on voicemail: only ask them to call back on 800 123 456.]

Good morning, this is [name] from Energia Chiara Customer Service. Am I speaking with {{ customer.first_name }} {{ customer.last_name }}?

I'm calling about bill no. {{ invoice.number }} for {{ invoice.amount|money }}, which was due on {{ invoice.due_date|date('long') }} and which our records show as not yet paid.

- If they have already paid: ask when and how, note it on the conversation and thank them. Do not insist.
- If they have not paid yet: remind them they can pay by {{ reminder.pay_by|date('long') }} online ({{ links.pay }}) or with the PagoPA notice on the bill.
- If they are struggling to pay: offer an instalment plan and pass the request to the Billing and payments team.

Closing: Thank you for your time. Have a good day.
"""  # noqa: E501

PAYMENT_REMINDER = TemplateDef(
    name="Sollecito di pagamento",
    purpose=Purpose.PAYMENT_REMINDER,
    description=(
        "Primo sollecito, gentile, per una bolletta scaduta e non pagata: inviato dalla regola "
        "'pagamento mancato' dopo 3 giorni, annullato se il pagamento arriva prima."
    ),
    schema=(
        FIRST_NAME,
        LAST_NAME,
        CUSTOMER_CODE,
        INVOICE_NUMBER,
        INVOICE_AMOUNT,
        INVOICE_DUE,
        _var("reminder.pay_by", "date", "2026-03-31", "Nuovo termine di pagamento richiesto"),
        _var("links.pay", "url", f"{SITE}/paga", "Pagina di pagamento online"),
    ),
    variants={
        "email": {
            "it": {
                "subject": "Sollecito di pagamento – bolletta n. {{ invoice.number }}",
                "html": _email_html(_REMINDER_HTML_IT),
                "text": _email_text(_REMINDER_TEXT_IT),
            },
            "en": {
                "subject": "Payment reminder – bill no. {{ invoice.number }}",
                "html": _email_html(_REMINDER_HTML_EN),
                "text": _email_text(_REMINDER_TEXT_EN),
            },
        },
        "sms": {
            "it": {
                "text": (
                    "Energia Chiara: gentile cliente, non risulta ancora pagata la bolletta n. "
                    "{{ invoice.number }} di {{ invoice.amount|money }} scaduta il "
                    "{{ invoice.due_date|date('dd/MM/yyyy') }}. Può pagarla qui: {{ links.pay }} "
                    "Se ha già pagato, non consideri questo SMS."
                )
            },
            "en": {
                "text": (
                    "Energia Chiara: bill no. {{ invoice.number }} for "
                    "{{ invoice.amount|money }}, due on {{ invoice.due_date|date('medium') }}, "
                    "has not been paid yet. You can pay it here: {{ links.pay }} If you have "
                    "already paid, please ignore this SMS."
                )
            },
        },
        "whatsapp": {
            "it": {
                "template_name": "sollecito_pagamento",
                "category": "UTILITY",
                "body": (
                    "Gentile {{first_name}}, non risulta ancora pagata la bolletta n. "
                    "{{invoice_number}} di {{amount}}, scaduta il {{due_date}}.\n\n"
                    "La invitiamo a pagarla entro il {{pay_by}}: può farlo in pochi minuti con il "
                    "pulsante qui sotto.\n\n"
                    "Se ha già pagato, non tenga conto di questo messaggio."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "invoice_number": "{{ invoice.number }}",
                    "amount": "{{ invoice.amount|money }}",
                    "due_date": "{{ invoice.due_date|date('long') }}",
                    "pay_by": "{{ reminder.pay_by|date('long') }}",
                },
                "buttons": [
                    {"type": "URL", "text": "Paga ora", "url": f"{SITE}/paga"},
                    {"type": "QUICK_REPLY", "text": "Ho già pagato"},
                ],
                "text": (
                    "Gentile {{ customer.first_name }}, le ricordiamo che la bolletta n. "
                    "{{ invoice.number }} di {{ invoice.amount|money }}, scaduta il "
                    "{{ invoice.due_date|date('long') }}, non risulta ancora pagata. Può pagarla "
                    "entro il {{ reminder.pay_by|date('long') }} qui: {{ links.pay }}\n\n"
                    "Se ha già pagato, non tenga conto di questo messaggio.\n\n"
                    '{% include "signature" %}'
                ),
            },
            "en": {
                "template_name": "sollecito_pagamento",
                "category": "UTILITY",
                "body": (
                    "Dear {{first_name}}, bill no. {{invoice_number}} for {{amount}}, which was "
                    "due on {{due_date}}, has not been paid yet.\n\n"
                    "Please pay it by {{pay_by}}: it only takes a few minutes with the button "
                    "below.\n\n"
                    "If you have already paid, please disregard this message."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "invoice_number": "{{ invoice.number }}",
                    "amount": "{{ invoice.amount|money }}",
                    "due_date": "{{ invoice.due_date|date('long') }}",
                    "pay_by": "{{ reminder.pay_by|date('long') }}",
                },
                "buttons": [
                    {"type": "URL", "text": "Pay now", "url": f"{SITE}/paga"},
                    {"type": "QUICK_REPLY", "text": "I have already paid"},
                ],
                "text": (
                    "Dear {{ customer.first_name }}, this is a reminder that bill no. "
                    "{{ invoice.number }} for {{ invoice.amount|money }}, due on "
                    "{{ invoice.due_date|date('long') }}, has not been paid yet. You can pay it "
                    "by {{ reminder.pay_by|date('long') }} here: {{ links.pay }}\n\n"
                    "If you have already paid, please disregard this message.\n\n"
                    '{% include "signature" %}'
                ),
            },
        },
        "push": {
            "it": {
                "title": "Bolletta da pagare",
                "body": (
                    "La bolletta n. {{ invoice.number }} di {{ invoice.amount|money }} è scaduta "
                    "il {{ invoice.due_date|date('long') }}. Tocchi qui per pagarla nell'app."
                ),
                "deep_link": f"{SITE}/app/bollette/{{{{ invoice.number }}}}",
            },
            "en": {
                "title": "Bill to pay",
                "body": (
                    "Bill no. {{ invoice.number }} for {{ invoice.amount|money }} was due on "
                    "{{ invoice.due_date|date('long') }}. Tap here to pay it in the app."
                ),
                "deep_link": f"{SITE}/app/bollette/{{{{ invoice.number }}}}",
            },
        },
        "in_app": {
            "it": {
                "title": "Una bolletta risulta non pagata",
                "body": (
                    "La bolletta n. {{ invoice.number }} di {{ invoice.amount|money }} è scaduta "
                    "il {{ invoice.due_date|date('long') }} e non risulta ancora pagata. Può "
                    "pagarla subito da questa pagina, con carta o PagoPA, entro il "
                    "{{ reminder.pay_by|date('long') }}. Se ha già pagato, non deve fare nulla: "
                    "il pagamento comparirà qui entro pochi giorni."
                ),
            },
            "en": {
                "title": "A bill is still unpaid",
                "body": (
                    "Bill no. {{ invoice.number }} for {{ invoice.amount|money }} was due on "
                    "{{ invoice.due_date|date('long') }} and has not been paid yet. You can pay "
                    "it right here, by card or with PagoPA, by "
                    "{{ reminder.pay_by|date('long') }}. If you have already paid, there is "
                    "nothing to do: the payment will show here within a few days."
                ),
            },
        },
        "letter": {
            "it": {"html": _REMINDER_LETTER_IT.strip()},
            "en": {"html": _REMINDER_LETTER_EN.strip()},
        },
        "call_script": {
            "it": {"text": _REMINDER_SCRIPT_IT.strip()},
            "en": {"text": _REMINDER_SCRIPT_EN.strip()},
        },
    },
    approval=(
        "Tono corretto per un primo sollecito: nessuna minaccia di sospensione, rateizzazione "
        "proposta, invito a ignorarlo se già pagato. Approvato."
    ),
    revision=Revision(
        changes={
            "sms": {
                "it": {
                    "text": (
                        "Energia Chiara: gentile cliente, non risulta ancora pagata la bolletta "
                        "n. {{ invoice.number }} di {{ invoice.amount|money }} scaduta il "
                        "{{ invoice.due_date|date('dd/MM/yyyy') }}. Paghi qui: {{ links.pay }} "
                        "Difficoltà a pagare? Chiami l'800 123 456 per una rateizzazione."
                    )
                },
                "en": {
                    "text": (
                        "Energia Chiara: bill no. {{ invoice.number }} for "
                        "{{ invoice.amount|money }}, due on "
                        "{{ invoice.due_date|date('medium') }}, has not been paid yet. Pay here: "
                        "{{ links.pay }} Struggling to pay? Call 800 123 456 about instalments."
                    )
                },
            },
            "whatsapp": {
                "it": {
                    "buttons": [
                        {"type": "URL", "text": "Paga ora", "url": f"{SITE}/paga"},
                        {"type": "QUICK_REPLY", "text": "Ho già pagato"},
                        {"type": "QUICK_REPLY", "text": "Vorrei rateizzare"},
                    ]
                },
                "en": {
                    "buttons": [
                        {"type": "URL", "text": "Pay now", "url": f"{SITE}/paga"},
                        {"type": "QUICK_REPLY", "text": "I have already paid"},
                        {"type": "QUICK_REPLY", "text": "Pay in instalments"},
                    ]
                },
            },
        },
        status=VersionStatus.DRAFT,
        days_before_end=3,
    ),
)


# --- 2. bill ready -------------------------------------------------------------------------------

_SUPPLIES_IT = (
    "{% if supply.pod %}<tr><th>Luce – POD</th><td>{{ supply.pod }}</td></tr>{% endif %}\n"
    "{% if supply.pdr %}<tr><th>Gas – PDR</th><td>{{ supply.pdr }}</td></tr>{% endif %}\n"
)
_SUPPLIES_EN = (
    "{% if supply.pod %}<tr><th>Electricity – POD</th><td>{{ supply.pod }}</td></tr>"
    "{% endif %}\n"
    "{% if supply.pdr %}<tr><th>Gas – PDR</th><td>{{ supply.pdr }}</td></tr>{% endif %}\n"
)

_BILL_HTML_IT = (
    """
<p>Gentile {{ customer.first_name }} {{ customer.last_name }},</p>
<p>la sua nuova bolletta è disponibile nell'area clienti e nell'app Energia Chiara.</p>
<table class="facts">
<tr><th>Bolletta n.</th><td>{{ invoice.number }}</td></tr>
<tr><th>Periodo</th><td>{{ invoice.period_start|date('long') }} – {{ invoice.period_end|date('long') }}</td></tr>
<tr><th>Importo</th><td>{{ invoice.amount|money }}</td></tr>
<tr><th>Scadenza</th><td>{{ invoice.due_date|date('long') }}</td></tr>
"""  # noqa: E501
    + _SUPPLIES_IT
    + """</table>
{% if invoice.direct_debit %}
<p>L'importo sarà addebitato sul suo conto corrente alla scadenza: non deve fare nulla.</p>
{% else %}
<p>Può pagarla entro la scadenza online, con carta di pagamento o PagoPA, oppure con l'avviso PagoPA stampato sulla bolletta presso banche, uffici postali e tabaccherie.</p>
{% endif %}
<p class="action"><a class="button" href="{{ links.bill }}">Vedi la bolletta</a></p>
<p class="note">Vuole capire meglio i suoi consumi? Nell'area clienti trova il confronto con le bollette precedenti e la guida alla lettura della bolletta.</p>
"""  # noqa: E501
)

_BILL_HTML_EN = (
    """
<p>Dear {{ customer.first_name }} {{ customer.last_name }},</p>
<p>your new bill is ready in your online account and in the Energia Chiara app.</p>
<table class="facts">
<tr><th>Bill no.</th><td>{{ invoice.number }}</td></tr>
<tr><th>Period</th><td>{{ invoice.period_start|date('long') }} – {{ invoice.period_end|date('long') }}</td></tr>
<tr><th>Amount</th><td>{{ invoice.amount|money }}</td></tr>
<tr><th>Due date</th><td>{{ invoice.due_date|date('long') }}</td></tr>
"""  # noqa: E501
    + _SUPPLIES_EN
    + """</table>
{% if invoice.direct_debit %}
<p>The amount will be debited to your bank account on the due date: there is nothing you need to do.</p>
{% else %}
<p>You can pay it by the due date online, by card or with PagoPA, or with the PagoPA notice printed on the bill at banks, post offices and tobacconists.</p>
{% endif %}
<p class="action"><a class="button" href="{{ links.bill }}">View your bill</a></p>
<p class="note">Want to understand your usage better? Your online account compares it with your previous bills and explains every line of the bill.</p>
"""  # noqa: E501
)

_BILL_TEXT_IT = """
Gentile {{ customer.first_name }} {{ customer.last_name }},

la sua nuova bolletta è disponibile nell'area clienti e nell'app Energia Chiara.

Bolletta n.: {{ invoice.number }}
Periodo: {{ invoice.period_start|date('long') }} – {{ invoice.period_end|date('long') }}
Importo: {{ invoice.amount|money }}
Scadenza: {{ invoice.due_date|date('long') }}
{% if supply.pod %}
Luce – POD: {{ supply.pod }}
{% endif %}
{% if supply.pdr %}
Gas – PDR: {{ supply.pdr }}
{% endif %}

{% if invoice.direct_debit %}
L'importo sarà addebitato sul suo conto corrente alla scadenza: non deve fare nulla.
{% else %}
Può pagarla entro la scadenza online, con carta di pagamento o PagoPA, oppure con l'avviso PagoPA stampato sulla bolletta presso banche, uffici postali e tabaccherie.
{% endif %}

Vedi la bolletta: {{ links.bill }}
"""  # noqa: E501

_BILL_TEXT_EN = """
Dear {{ customer.first_name }} {{ customer.last_name }},

your new bill is ready in your online account and in the Energia Chiara app.

Bill no.: {{ invoice.number }}
Period: {{ invoice.period_start|date('long') }} – {{ invoice.period_end|date('long') }}
Amount: {{ invoice.amount|money }}
Due date: {{ invoice.due_date|date('long') }}
{% if supply.pod %}
Electricity – POD: {{ supply.pod }}
{% endif %}
{% if supply.pdr %}
Gas – PDR: {{ supply.pdr }}
{% endif %}

{% if invoice.direct_debit %}
The amount will be debited to your bank account on the due date: there is nothing you need to do.
{% else %}
You can pay it by the due date online, by card or with PagoPA, or with the PagoPA notice printed on the bill at banks, post offices and tobacconists.
{% endif %}

View your bill: {{ links.bill }}
"""  # noqa: E501

_BILL_LETTER_IT = """
<p><strong>Oggetto: la sua bolletta n. {{ invoice.number }}</strong></p>
<p>Gentile {{ customer.first_name }} {{ customer.last_name }},</p>
<p>le inviamo la bolletta n. {{ invoice.number }} relativa al periodo dal {{ invoice.period_start|date('long') }} al {{ invoice.period_end|date('long') }}, per un importo di {{ invoice.amount|money }} con scadenza il {{ invoice.due_date|date('long') }}.</p>
{% if supply.pod or supply.pdr %}
<p>Forniture: {% if supply.pod %}luce, POD {{ supply.pod }}{% endif %}{% if supply.pod and supply.pdr %}; {% endif %}{% if supply.pdr %}gas, PDR {{ supply.pdr }}{% endif %}.</p>
{% endif %}
{% if invoice.direct_debit %}
<p>L'importo sarà addebitato sul suo conto corrente alla scadenza: non deve fare nulla.</p>
{% else %}
<p>Può pagarla entro la scadenza con l'avviso PagoPA allegato, presso banche, uffici postali, tabaccherie e punti vendita abilitati, oppure online dall'area clienti: {{ links.bill }}</p>
{% endif %}
<p>Per qualsiasi chiarimento sugli importi o sui consumi può chiamare il numero verde 800 123 456 o rivolgersi ai nostri sportelli di Milano, Bologna e Napoli.</p>
{% include "signature" %}
"""  # noqa: E501

_BILL_LETTER_EN = """
<p><strong>Re: your bill no. {{ invoice.number }}</strong></p>
<p>Dear {{ customer.first_name }} {{ customer.last_name }},</p>
<p>please find enclosed bill no. {{ invoice.number }} for the period from {{ invoice.period_start|date('long') }} to {{ invoice.period_end|date('long') }}, for {{ invoice.amount|money }}, due on {{ invoice.due_date|date('long') }}.</p>
{% if supply.pod or supply.pdr %}
<p>Supplies: {% if supply.pod %}electricity, POD {{ supply.pod }}{% endif %}{% if supply.pod and supply.pdr %}; {% endif %}{% if supply.pdr %}gas, PDR {{ supply.pdr }}{% endif %}.</p>
{% endif %}
{% if invoice.direct_debit %}
<p>The amount will be debited to your bank account on the due date: there is nothing you need to do.</p>
{% else %}
<p>You can pay it by the due date with the enclosed PagoPA notice at banks, post offices, tobacconists and other authorised outlets, or online in your account: {{ links.bill }}</p>
{% endif %}
<p>For any question about the amounts or your usage, call us free on 800 123 456 or visit our branches in Milano, Bologna and Napoli.</p>
{% include "signature" %}
"""  # noqa: E501

_BILL_SCRIPT_IT = """
[Da usare quando il cliente chiama per la bolletta appena emessa. Verifichi l'identità: nome, cognome e codice cliente {{ customer.code }}.]

Vedo la bolletta n. {{ invoice.number }} del periodo dal {{ invoice.period_start|date('long') }} al {{ invoice.period_end|date('long') }}: l'importo è di {{ invoice.amount|money }} e scade il {{ invoice.due_date|date('long') }}.
{% if invoice.direct_debit %}
L'importo sarà addebitato sul suo conto alla scadenza: non deve fare nulla.
{% else %}
Può pagarla online dall'area clienti, con carta o PagoPA, o con l'avviso PagoPA della bolletta.
{% endif %}

- Se chiede una copia: la trova in ogni momento nell'area clienti ({{ links.bill }}); altrimenti la inviamo per email.
- Se l'importo le sembra anomalo: confronti i consumi con le bollette precedenti sulla scheda cliente; se la lettura è stimata, chieda l'autolettura del contatore o proponga la visita di un tecnico.
{% if supply.pod %}
- Fornitura luce: POD {{ supply.pod }}.
{% endif %}
{% if supply.pdr %}
- Fornitura gas: PDR {{ supply.pdr }}.
{% endif %}

Chiusura: Posso aiutarla in altro? Grazie per aver chiamato Energia Chiara.
"""  # noqa: E501

_BILL_SCRIPT_EN = """
[Use when the customer calls about the bill just issued. Verify their identity: first name, surname and customer code {{ customer.code }}.]

I can see bill no. {{ invoice.number }} for the period from {{ invoice.period_start|date('long') }} to {{ invoice.period_end|date('long') }}: the amount is {{ invoice.amount|money }}, due on {{ invoice.due_date|date('long') }}.
{% if invoice.direct_debit %}
It will be debited to your bank account on the due date: there is nothing you need to do.
{% else %}
You can pay it online in your account, by card or with PagoPA, or with the PagoPA notice on the bill.
{% endif %}

- If they ask for a copy: it is always in the online account ({{ links.bill }}); otherwise we email it.
- If the amount looks unusual: compare the usage with previous bills on the customer card; if the reading was estimated, ask for a meter self-reading or offer a technician's visit.
{% if supply.pod %}
- Electricity supply: POD {{ supply.pod }}.
{% endif %}
{% if supply.pdr %}
- Gas supply: PDR {{ supply.pdr }}.
{% endif %}

Closing: Is there anything else I can help you with? Thank you for calling Energia Chiara.
"""  # noqa: E501

BILL_READY = TemplateDef(
    name="Bolletta disponibile",
    purpose=Purpose.INFORM,
    description=(
        "Avviso di emissione della bolletta, sul canale scelto dal cliente per le bollette "
        "(la lettera accompagna la bolletta cartacea)."
    ),
    schema=(
        FIRST_NAME,
        LAST_NAME,
        CUSTOMER_CODE,
        INVOICE_NUMBER,
        _var(
            "invoice.amount",
            "money",
            {"amount": "89.60", "currency": "EUR"},
            "Importo totale della bolletta",
        ),
        _var("invoice.due_date", "date", "2026-04-20", "Data di scadenza"),
        _var("invoice.period_start", "date", "2026-01-01", "Inizio del periodo fatturato"),
        _var("invoice.period_end", "date", "2026-02-28", "Fine del periodo fatturato"),
        _var(
            "invoice.direct_debit",
            "bool",
            False,
            "Vero se la bolletta è domiciliata sul conto corrente (addebito SDD)",
        ),
        POD,
        PDR,
        _var("links.bill", "url", f"{SITE}/area-clienti/bollette", "La bolletta nell'area clienti"),
    ),
    variants={
        "email": {
            "it": {
                "subject": "La sua bolletta n. {{ invoice.number }} è disponibile",
                "html": _email_html(_BILL_HTML_IT),
                "text": _email_text(_BILL_TEXT_IT),
            },
            "en": {
                "subject": "Your bill no. {{ invoice.number }} is ready",
                "html": _email_html(_BILL_HTML_EN),
                "text": _email_text(_BILL_TEXT_EN),
            },
        },
        "sms": {
            "it": {
                "text": (
                    "Energia Chiara: la bolletta n. {{ invoice.number }} di "
                    "{{ invoice.amount|money }} è disponibile nell'area clienti. "
                    "{% if invoice.direct_debit %}Sarà addebitata sul conto il "
                    "{% else %}Scadenza: {% endif %}"
                    "{{ invoice.due_date|date('dd/MM/yyyy') }}. {{ links.bill }}"
                )
            },
            "en": {
                "text": (
                    "Energia Chiara: bill no. {{ invoice.number }} for "
                    "{{ invoice.amount|money }} is ready in your online account. "
                    "{% if invoice.direct_debit %}It will be debited on "
                    "{% else %}Due on {% endif %}"
                    "{{ invoice.due_date|date('medium') }}. {{ links.bill }}"
                )
            },
        },
        "whatsapp": {
            "it": {
                "template_name": "bolletta_disponibile",
                "category": "UTILITY",
                "body": (
                    "Gentile {{first_name}}, la bolletta n. {{invoice_number}} di {{amount}} è "
                    "disponibile. La scadenza è il {{due_date}}.\n\n"
                    "Può vederla e scaricarla dall'area clienti con il pulsante qui sotto."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "invoice_number": "{{ invoice.number }}",
                    "amount": "{{ invoice.amount|money }}",
                    "due_date": "{{ invoice.due_date|date('long') }}",
                },
                "buttons": [
                    {"type": "URL", "text": "Vedi la bolletta", "url": f"{SITE}/area-clienti"},
                ],
                "text": (
                    "Gentile {{ customer.first_name }}, la bolletta n. {{ invoice.number }} di "
                    "{{ invoice.amount|money }} è disponibile nell'area clienti: "
                    "{{ links.bill }}\n\n"
                    "{% if invoice.direct_debit %}Sarà addebitata sul suo conto il "
                    "{{ invoice.due_date|date('long') }}: non deve fare nulla."
                    "{% else %}Scade il {{ invoice.due_date|date('long') }}: può pagarla "
                    "online con carta o PagoPA.{% endif %}\n\n"
                    '{% include "signature" %}'
                ),
            },
            "en": {
                "template_name": "bolletta_disponibile",
                "category": "UTILITY",
                "body": (
                    "Dear {{first_name}}, your bill no. {{invoice_number}} for {{amount}} is "
                    "ready. It is due on {{due_date}}.\n\n"
                    "You can view and download it in your online account with the button below."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "invoice_number": "{{ invoice.number }}",
                    "amount": "{{ invoice.amount|money }}",
                    "due_date": "{{ invoice.due_date|date('long') }}",
                },
                "buttons": [
                    {"type": "URL", "text": "View your bill", "url": f"{SITE}/area-clienti"},
                ],
                "text": (
                    "Dear {{ customer.first_name }}, your bill no. {{ invoice.number }} for "
                    "{{ invoice.amount|money }} is ready in your online account: "
                    "{{ links.bill }}\n\n"
                    "{% if invoice.direct_debit %}It will be debited to your account on "
                    "{{ invoice.due_date|date('long') }}: there is nothing you need to do."
                    "{% else %}It is due on {{ invoice.due_date|date('long') }}: you can pay it "
                    "online by card or with PagoPA.{% endif %}\n\n"
                    '{% include "signature" %}'
                ),
            },
        },
        "push": {
            "it": {
                "title": "La nuova bolletta è disponibile",
                "body": (
                    "Bolletta n. {{ invoice.number }}: {{ invoice.amount|money }}, scadenza "
                    "{{ invoice.due_date|date('long') }}. Tocchi qui per vederla."
                ),
                "deep_link": f"{SITE}/app/bollette/{{{{ invoice.number }}}}",
            },
            "en": {
                "title": "Your new bill is ready",
                "body": (
                    "Bill no. {{ invoice.number }}: {{ invoice.amount|money }}, due on "
                    "{{ invoice.due_date|date('long') }}. Tap here to view it."
                ),
                "deep_link": f"{SITE}/app/bollette/{{{{ invoice.number }}}}",
            },
        },
        "in_app": {
            "it": {
                "title": "Nuova bolletta: {{ invoice.amount|money }}",
                "body": (
                    "La bolletta n. {{ invoice.number }} del periodo dal "
                    "{{ invoice.period_start|date('long') }} al "
                    "{{ invoice.period_end|date('long') }} è disponibile. "
                    "{% if invoice.direct_debit %}Sarà addebitata sul suo conto il "
                    "{{ invoice.due_date|date('long') }}.{% else %}Può pagarla da qui entro il "
                    "{{ invoice.due_date|date('long') }}.{% endif %}"
                ),
            },
            "en": {
                "title": "New bill: {{ invoice.amount|money }}",
                "body": (
                    "Bill no. {{ invoice.number }} for the period from "
                    "{{ invoice.period_start|date('long') }} to "
                    "{{ invoice.period_end|date('long') }} is ready. "
                    "{% if invoice.direct_debit %}It will be debited to your account on "
                    "{{ invoice.due_date|date('long') }}.{% else %}You can pay it from here by "
                    "{{ invoice.due_date|date('long') }}.{% endif %}"
                ),
            },
        },
        "letter": {
            "it": {"html": _BILL_LETTER_IT.strip()},
            "en": {"html": _BILL_LETTER_EN.strip()},
        },
        "call_script": {
            "it": {"text": _BILL_SCRIPT_IT.strip()},
            "en": {"text": _BILL_SCRIPT_EN.strip()},
        },
    },
    approval="Informazioni obbligatorie presenti (periodo, importo, scadenza, POD/PDR). Approvato.",
)


# --- 3. technician's appointment ---------------------------------------------------------------

_VISIT_WHEN_IT = (
    "{{ appointment.start|datetime('EEEE d MMMM y') }}, tra le {{ appointment.start|time }} "
    "e le {{ appointment.end|time }}"
)
_VISIT_WHEN_EN = (
    "{{ appointment.start|datetime('EEEE, MMMM d, y') }}, between "
    "{{ appointment.start|time }} and {{ appointment.end|time }}"
)

_VISIT_HTML_IT = f"""
<p>Gentile {{{{ customer.first_name }}}} {{{{ customer.last_name }}}},</p>
<p>le confermiamo l'appuntamento con il nostro tecnico.</p>
<div class="highlight">
<p><strong>{_VISIT_WHEN_IT}</strong><br>
{{{{ appointment.address }}}}<br>
Riferimento: {{{{ appointment.reference }}}}{{% if supply.pod %}} – POD {{{{ supply.pod }}}}{{% endif %}}</p>
</div>
<p>Per l'intervento serve che sia presente una persona maggiorenne e che il contatore sia raggiungibile.</p>
<p>Il tecnico ha sempre con sé un tesserino di riconoscimento di Energia Chiara e non le chiederà mai denaro né documenti.</p>
<p class="action"><a class="button" href="{{{{ links.manage }}}}">Sposta o annulla</a></p>
<p class="note">Se l'orario non le va più bene, può spostarlo fino al giorno prima dell'appuntamento.</p>
"""  # noqa: E501

_VISIT_HTML_EN = f"""
<p>Dear {{{{ customer.first_name }}}} {{{{ customer.last_name }}}},</p>
<p>we confirm your appointment with our technician.</p>
<div class="highlight">
<p><strong>{_VISIT_WHEN_EN}</strong><br>
{{{{ appointment.address }}}}<br>
Reference: {{{{ appointment.reference }}}}{{% if supply.pod %}} – POD {{{{ supply.pod }}}}{{% endif %}}</p>
</div>
<p>An adult needs to be at home during the visit, and the meter must be accessible.</p>
<p>The technician always carries an Energia Chiara ID badge and will never ask you for money or documents.</p>
<p class="action"><a class="button" href="{{{{ links.manage }}}}">Change or cancel</a></p>
<p class="note">If the time no longer suits you, you can change it up to the day before the appointment.</p>
"""  # noqa: E501

_VISIT_TEXT_IT = f"""
Gentile {{{{ customer.first_name }}}} {{{{ customer.last_name }}}},

le confermiamo l'appuntamento con il nostro tecnico:

{_VISIT_WHEN_IT}
{{{{ appointment.address }}}}
Riferimento: {{{{ appointment.reference }}}}{{% if supply.pod %}} – POD {{{{ supply.pod }}}}{{% endif %}}


Per l'intervento serve che sia presente una persona maggiorenne e che il contatore sia raggiungibile.

Il tecnico ha sempre con sé un tesserino di riconoscimento di Energia Chiara e non le chiederà mai denaro né documenti.

Se l'orario non le va più bene, può spostarlo o annullarlo fino al giorno prima: {{{{ links.manage }}}}
"""  # noqa: E501

_VISIT_TEXT_EN = f"""
Dear {{{{ customer.first_name }}}} {{{{ customer.last_name }}}},

we confirm your appointment with our technician:

{_VISIT_WHEN_EN}
{{{{ appointment.address }}}}
Reference: {{{{ appointment.reference }}}}{{% if supply.pod %}} – POD {{{{ supply.pod }}}}{{% endif %}}


An adult needs to be at home during the visit, and the meter must be accessible.

The technician always carries an Energia Chiara ID badge and will never ask you for money or documents.

If the time no longer suits you, you can change or cancel it up to the day before: {{{{ links.manage }}}}
"""  # noqa: E501

_VISIT_LETTER_IT = f"""
<p><strong>Oggetto: conferma dell'appuntamento con il tecnico – rif. {{{{ appointment.reference }}}}</strong></p>
<p>Gentile {{{{ customer.first_name }}}} {{{{ customer.last_name }}}},</p>
<p>le confermiamo che il nostro tecnico verrà {_VISIT_WHEN_IT}, all'indirizzo {{{{ appointment.address }}}}{{% if supply.pod %}} (fornitura con POD {{{{ supply.pod }}}}){{% endif %}}.</p>
<p>Per l'intervento serve che sia presente una persona maggiorenne e che il contatore sia raggiungibile. Il tecnico ha sempre con sé un tesserino di riconoscimento di Energia Chiara e non le chiederà mai denaro né documenti.</p>
<p>Se l'orario non le va più bene, può spostare o annullare l'appuntamento fino al giorno prima chiamando il numero verde 800 123 456 oppure online: {{{{ links.manage }}}}</p>
{{% include "signature" %}}
"""  # noqa: E501

_VISIT_LETTER_EN = f"""
<p><strong>Re: your appointment with our technician – ref. {{{{ appointment.reference }}}}</strong></p>
<p>Dear {{{{ customer.first_name }}}} {{{{ customer.last_name }}}},</p>
<p>we confirm that our technician will visit you on {_VISIT_WHEN_EN}, at {{{{ appointment.address }}}}{{% if supply.pod %}} (supply POD {{{{ supply.pod }}}}){{% endif %}}.</p>
<p>An adult needs to be at home during the visit, and the meter must be accessible. The technician always carries an Energia Chiara ID badge and will never ask you for money or documents.</p>
<p>If the time no longer suits you, you can change or cancel the appointment up to the day before by calling us free on 800 123 456 or online: {{{{ links.manage }}}}</p>
{{% include "signature" %}}
"""  # noqa: E501

_VISIT_SCRIPT_IT = f"""
[Chiamata di conferma il giorno prima dell'appuntamento. Verifichi di parlare con {{{{ customer.first_name }}}} {{{{ customer.last_name }}}} o con una persona di famiglia maggiorenne.]

Buongiorno, sono [nome] di Energia Chiara. La chiamo per confermare l'appuntamento con il nostro tecnico: {_VISIT_WHEN_IT}, in {{{{ appointment.address }}}}.

- Chieda conferma che a quell'ora ci sarà una persona maggiorenne e che il contatore sarà raggiungibile.
- Ricordi che il tecnico ha un tesserino di Energia Chiara e non chiede mai denaro né documenti.
- Se il cliente vuole spostare l'appuntamento: proponga una nuova fascia dal calendario degli interventi o indichi {{{{ links.manage }}}}.
- Annoti l'esito sulla conversazione (riferimento {{{{ appointment.reference }}}}{{% if supply.pod %}}, POD {{{{ supply.pod }}}}{{% endif %}}).

Chiusura: Grazie, a domani. Buona giornata.
"""  # noqa: E501

_VISIT_SCRIPT_EN = f"""
[Confirmation call the day before the appointment. Check that you are speaking with {{{{ customer.first_name }}}} {{{{ customer.last_name }}}} or an adult member of the household.]

Good morning, this is [name] from Energia Chiara. I'm calling to confirm your appointment with our technician: {_VISIT_WHEN_EN}, at {{{{ appointment.address }}}}.

- Ask them to confirm that an adult will be at home at that time and that the meter will be accessible.
- Remind them that the technician carries an Energia Chiara ID badge and never asks for money or documents.
- If the customer wants to change the appointment: offer a new slot from the visits calendar or point them to {{{{ links.manage }}}}.
- Note the outcome on the conversation (reference {{{{ appointment.reference }}}}{{% if supply.pod %}}, POD {{{{ supply.pod }}}}{{% endif %}}).

Closing: Thank you, see you tomorrow. Have a good day.
"""  # noqa: E501

APPOINTMENT = TemplateDef(
    name="Conferma appuntamento tecnico",
    purpose=Purpose.SERVICE,
    description=(
        "Conferma della visita di un tecnico a domicilio (lettura o verifica del contatore, "
        "intervento): giorno, fascia oraria, indirizzo, come spostarla."
    ),
    schema=(
        FIRST_NAME,
        LAST_NAME,
        _var(
            "appointment.start",
            "datetime",
            "2026-04-08T08:00:00+02:00",
            "Inizio della fascia oraria dell'appuntamento",
        ),
        _var(
            "appointment.end",
            "datetime",
            "2026-04-08T12:00:00+02:00",
            "Fine della fascia oraria dell'appuntamento",
        ),
        _var(
            "appointment.address",
            "str",
            "Via Saragozza 112, Bologna",
            "Indirizzo dell'intervento",
        ),
        _var("appointment.reference", "str", "APP-2026-01873", "Riferimento dell'intervento"),
        POD,
        _var(
            "links.manage",
            "url",
            f"{SITE}/appuntamenti",
            "Pagina per spostare o annullare l'appuntamento",
        ),
    ),
    variants={
        "email": {
            "it": {
                "subject": (
                    "Appuntamento con il tecnico confermato: "
                    "{{ appointment.start|datetime('EEEE d MMMM') }}"
                ),
                "html": _email_html(_VISIT_HTML_IT),
                "text": _email_text(_VISIT_TEXT_IT),
            },
            "en": {
                "subject": (
                    "Your technician's appointment is confirmed: "
                    "{{ appointment.start|datetime('EEEE, MMMM d') }}"
                ),
                "html": _email_html(_VISIT_HTML_EN),
                "text": _email_text(_VISIT_TEXT_EN),
            },
        },
        "sms": {
            "it": {
                "text": (
                    "Energia Chiara: confermato l'appuntamento con il tecnico "
                    "{{ appointment.start|datetime('EEEE d/M') }} tra le "
                    "{{ appointment.start|time }} e le {{ appointment.end|time }} in "
                    "{{ appointment.address }}. Il tecnico non chiede mai denaro. Per spostarlo: "
                    "{{ links.manage }}"
                )
            },
            "en": {
                "text": (
                    "Energia Chiara: your technician's appointment is confirmed for "
                    "{{ appointment.start|datetime('EEE, MMM d') }} between "
                    "{{ appointment.start|time }} and {{ appointment.end|time }} at "
                    "{{ appointment.address }}. Our technicians never ask for money. To change "
                    "it: {{ links.manage }}"
                )
            },
        },
        "whatsapp": {
            "it": {
                "template_name": "conferma_appuntamento",
                "category": "UTILITY",
                "body": (
                    "Gentile {{first_name}}, le confermiamo l'appuntamento con il nostro tecnico "
                    "{{day}}, tra le {{from}} e le {{to}}, in {{address}}.\n\n"
                    "Serve la presenza di una persona maggiorenne e il contatore deve essere "
                    "raggiungibile. Il tecnico ha un tesserino di Energia Chiara e non chiede mai "
                    "denaro.\n\n"
                    "Se l'orario non le va bene, può spostarlo con il pulsante qui sotto."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "day": "{{ appointment.start|datetime('EEEE d MMMM') }}",
                    "from": "{{ appointment.start|time }}",
                    "to": "{{ appointment.end|time }}",
                    "address": "{{ appointment.address }}",
                },
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Confermo"},
                    {"type": "URL", "text": "Sposta l'appuntamento", "url": f"{SITE}/appuntamenti"},
                ],
                "text": (
                    "Gentile {{ customer.first_name }}, le confermiamo l'appuntamento con il "
                    f"nostro tecnico {_VISIT_WHEN_IT}, in {{{{ appointment.address }}}} "
                    "(rif. {{ appointment.reference }}).\n\n"
                    "Serve la presenza di una persona maggiorenne e il contatore deve essere "
                    "raggiungibile. Per spostarlo: {{ links.manage }}\n\n"
                    '{% include "signature" %}'
                ),
            },
            "en": {
                "template_name": "conferma_appuntamento",
                "category": "UTILITY",
                "body": (
                    "Dear {{first_name}}, we confirm your appointment with our technician on "
                    "{{day}}, between {{from}} and {{to}}, at {{address}}.\n\n"
                    "An adult needs to be at home and the meter must be accessible. The "
                    "technician carries an Energia Chiara ID badge and never asks for money.\n\n"
                    "If the time does not suit you, you can change it with the button below."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "day": "{{ appointment.start|datetime('EEEE, MMMM d') }}",
                    "from": "{{ appointment.start|time }}",
                    "to": "{{ appointment.end|time }}",
                    "address": "{{ appointment.address }}",
                },
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "I confirm"},
                    {"type": "URL", "text": "Change appointment", "url": f"{SITE}/appuntamenti"},
                ],
                "text": (
                    "Dear {{ customer.first_name }}, we confirm your appointment with our "
                    f"technician on {_VISIT_WHEN_EN}, at {{{{ appointment.address }}}} "
                    "(ref. {{ appointment.reference }}).\n\n"
                    "An adult needs to be at home and the meter must be accessible. To change "
                    "it: {{ links.manage }}\n\n"
                    '{% include "signature" %}'
                ),
            },
        },
        "push": {
            "it": {
                "title": "Appuntamento con il tecnico confermato",
                "body": (
                    "{{ appointment.start|datetime('EEEE d MMMM') }}, tra le "
                    "{{ appointment.start|time }} e le {{ appointment.end|time }}, in "
                    "{{ appointment.address }}."
                ),
                "deep_link": f"{SITE}/app/appuntamenti/{{{{ appointment.reference }}}}",
            },
            "en": {
                "title": "Technician's appointment confirmed",
                "body": (
                    "{{ appointment.start|datetime('EEEE, MMMM d') }}, between "
                    "{{ appointment.start|time }} and {{ appointment.end|time }}, at "
                    "{{ appointment.address }}."
                ),
                "deep_link": f"{SITE}/app/appuntamenti/{{{{ appointment.reference }}}}",
            },
        },
        "in_app": {
            "it": {
                "title": "Il tecnico verrà {{ appointment.start|datetime('EEEE d MMMM') }}",
                "body": (
                    "Appuntamento confermato tra le {{ appointment.start|time }} e le "
                    "{{ appointment.end|time }} in {{ appointment.address }} (rif. "
                    "{{ appointment.reference }}). Serve la presenza di una persona maggiorenne. "
                    "Può spostarlo da qui fino al giorno prima."
                ),
            },
            "en": {
                "title": "Our technician is coming on "
                "{{ appointment.start|datetime('EEEE, MMMM d') }}",
                "body": (
                    "Appointment confirmed between {{ appointment.start|time }} and "
                    "{{ appointment.end|time }} at {{ appointment.address }} (ref. "
                    "{{ appointment.reference }}). An adult needs to be at home. You can change "
                    "it from here up to the day before."
                ),
            },
        },
        "letter": {
            "it": {"html": _VISIT_LETTER_IT.strip()},
            "en": {"html": _VISIT_LETTER_EN.strip()},
        },
        "call_script": {
            "it": {"text": _VISIT_SCRIPT_IT.strip()},
            "en": {"text": _VISIT_SCRIPT_EN.strip()},
        },
    },
    approval="Avviso antitruffa presente in ogni canale. Approvato.",
)


# --- 4. outage notice (scenario 3) -----------------------------------------------------------

_OUTAGE_HTML_IT = """
<p>Gentile {{ customer.first_name }} {{ customer.last_name }},</p>
<p>la informiamo che dalle {{ outage.started_at|time }} di {{ outage.started_at|datetime('EEEE d MMMM') }} la fornitura di energia elettrica è interrotta nella zona <strong>{{ outage.area }}</strong>, per un guasto sulla rete del distributore locale.</p>
<div class="highlight">
<p>I tecnici del distributore sono al lavoro. Il ripristino è previsto <strong>entro le {{ outage.restore_by|time }} di {{ outage.restore_by|datetime('EEEE d MMMM') }}</strong>.</p>
</div>
<p>Non serve che ci segnali il guasto: le scriveremo appena la corrente sarà tornata. Segua gli aggiornamenti sulla pagina dei guasti.</p>
<p class="action"><a class="button" href="{{ links.status }}">Stato del guasto</a></p>
<p class="note">Per la sicurezza: non si avvicini a cavi o impianti danneggiati. Se in casa usa apparecchi medici alimentati a corrente, ci chiami subito al numero verde 800 123 456.</p>
"""  # noqa: E501

_OUTAGE_HTML_EN = """
<p>Dear {{ customer.first_name }} {{ customer.last_name }},</p>
<p>since {{ outage.started_at|time }} on {{ outage.started_at|datetime('EEEE, MMMM d') }} the electricity supply has been interrupted in <strong>{{ outage.area }}</strong>, because of a fault on the local distributor's network.</p>
<div class="highlight">
<p>The distributor's engineers are working on it. Power is expected back <strong>by {{ outage.restore_by|time }} on {{ outage.restore_by|datetime('EEEE, MMMM d') }}</strong>.</p>
</div>
<p>There is no need to report the fault: we will write to you as soon as power is back. Follow the updates on our outages page.</p>
<p class="action"><a class="button" href="{{ links.status }}">Outage status</a></p>
<p class="note">For your safety, stay away from damaged cables or equipment. If you use powered medical equipment at home, call us straight away on 800 123 456.</p>
"""  # noqa: E501

_OUTAGE_TEXT_IT = """
Gentile {{ customer.first_name }} {{ customer.last_name }},

la informiamo che dalle {{ outage.started_at|time }} di {{ outage.started_at|datetime('EEEE d MMMM') }} la fornitura di energia elettrica è interrotta nella zona {{ outage.area }}, per un guasto sulla rete del distributore locale.

I tecnici del distributore sono al lavoro. Il ripristino è previsto entro le {{ outage.restore_by|time }} di {{ outage.restore_by|datetime('EEEE d MMMM') }}.

Non serve che ci segnali il guasto: le scriveremo appena la corrente sarà tornata. Aggiornamenti: {{ links.status }}

Per la sicurezza: non si avvicini a cavi o impianti danneggiati. Se in casa usa apparecchi medici alimentati a corrente, ci chiami subito al numero verde 800 123 456.
"""  # noqa: E501

_OUTAGE_TEXT_EN = """
Dear {{ customer.first_name }} {{ customer.last_name }},

since {{ outage.started_at|time }} on {{ outage.started_at|datetime('EEEE, MMMM d') }} the electricity supply has been interrupted in {{ outage.area }}, because of a fault on the local distributor's network.

The distributor's engineers are working on it. Power is expected back by {{ outage.restore_by|time }} on {{ outage.restore_by|datetime('EEEE, MMMM d') }}.

There is no need to report the fault: we will write to you as soon as power is back. Updates: {{ links.status }}

For your safety, stay away from damaged cables or equipment. If you use powered medical equipment at home, call us straight away on 800 123 456.
"""  # noqa: E501

_OUTAGE_LETTER_IT = """
<p><strong>Oggetto: interruzione della fornitura di energia elettrica nella zona {{ outage.area }}</strong></p>
<p>Gentile {{ customer.first_name }} {{ customer.last_name }},</p>
<p>le confermiamo che {{ outage.started_at|datetime('EEEE d MMMM y') }}, dalle {{ outage.started_at|time }}, la fornitura di energia elettrica è stata interrotta nella zona {{ outage.area }} per un guasto sulla rete del distributore locale. Il ripristino era previsto entro le {{ outage.restore_by|time }} di {{ outage.restore_by|datetime('EEEE d MMMM') }}.</p>
<p>Ci scusiamo per il disagio. Se l'interruzione le ha causato un danno, può presentare una richiesta di indennizzo secondo le regole dell'ARERA: trova le istruzioni su {{ links.status }} o può chiedere aiuto al numero verde 800 123 456.</p>
{% include "signature" %}
"""  # noqa: E501

_OUTAGE_LETTER_EN = """
<p><strong>Re: interruption of the electricity supply in {{ outage.area }}</strong></p>
<p>Dear {{ customer.first_name }} {{ customer.last_name }},</p>
<p>we confirm that on {{ outage.started_at|datetime('EEEE, MMMM d, y') }}, from {{ outage.started_at|time }}, the electricity supply was interrupted in {{ outage.area }} because of a fault on the local distributor's network. Power was expected back by {{ outage.restore_by|time }} on {{ outage.restore_by|datetime('EEEE, MMMM d') }}.</p>
<p>We apologise for the inconvenience. If the interruption caused you any damage, you can claim compensation under the rules of ARERA, the energy regulator: see {{ links.status }} for how, or call us free on 800 123 456 for help.</p>
{% include "signature" %}
"""  # noqa: E501

_OUTAGE_SCRIPT_IT = """
[Per le chiamate dei clienti della zona {{ outage.area }} durante il guasto. Non serve aprire una segnalazione per ogni chiamata: il guasto è già noto al distributore.]

Buongiorno, sono [nome] di Energia Chiara. Sì, {{ customer.first_name }}, siamo al corrente dell'interruzione nella zona {{ outage.area }}, iniziata alle {{ outage.started_at|time }}: è un guasto sulla rete del distributore locale e i tecnici sono già al lavoro.

Il ripristino è previsto entro le {{ outage.restore_by|time }} di {{ outage.restore_by|datetime('EEEE d MMMM') }}. Le invieremo un messaggio appena la corrente sarà tornata; gli aggiornamenti sono anche su {{ links.status }}.

- Se il cliente usa apparecchi medici alimentati a corrente o segnala una situazione di pericolo: passi subito la chiamata al supervisore del team Guasti.
- Se vede cavi a terra o scintille: gli dica di non avvicinarsi e di chiamare il pronto intervento del distributore.
- Se la corrente è già tornata nella via ma non in casa: faccia controllare il contatore (tenere premuto il pulsante per qualche secondo) e l'interruttore generale.

Chiusura: Ci scusiamo per il disagio. Grazie per la pazienza.
"""  # noqa: E501

_OUTAGE_SCRIPT_EN = """
[For calls from customers in {{ outage.area }} during the outage. There is no need to open a fault report for every call: the distributor already knows about it.]

Hello, this is [name] from Energia Chiara. Yes, {{ customer.first_name }}, we are aware of the power cut in {{ outage.area }}, which started at {{ outage.started_at|time }}: it is a fault on the local distributor's network and their engineers are already working on it.

Power is expected back by {{ outage.restore_by|time }} on {{ outage.restore_by|datetime('EEEE, MMMM d') }}. We will send you a message as soon as it is back; updates are also on {{ links.status }}.

- If the customer uses powered medical equipment or reports a dangerous situation: pass the call to the Outages team supervisor at once.
- If they see cables on the ground or sparks: tell them to keep away and call the distributor's emergency service.
- If power is back in the street but not in their home: have them check the meter (hold its button for a few seconds) and the main switch.

Closing: We apologise for the inconvenience. Thank you for your patience.
"""  # noqa: E501

OUTAGE_NOTICE = TemplateDef(
    name="Avviso di interruzione della fornitura",
    purpose=Purpose.INFORM,
    description=(
        "Avviso proattivo di guasto ai clienti della zona colpita, uno per cliente sul canale "
        "preferito; il messaggio di ripristino è il modello 'Fornitura ripristinata'."
    ),
    schema=(
        FIRST_NAME,
        LAST_NAME,
        _var("outage.area", "str", "Lambrate, Città Studi e Ortica", "Zona interessata"),
        _var(
            "outage.started_at",
            "datetime",
            "2026-03-11T21:20:00+01:00",
            "Inizio dell'interruzione",
        ),
        _var(
            "outage.restore_by",
            "datetime",
            "2026-03-12T06:00:00+01:00",
            "Ripristino previsto entro",
        ),
        _var("links.status", "url", f"{SITE}/guasti", "Pagina degli aggiornamenti sui guasti"),
    ),
    variants={
        "email": {
            "it": {
                "subject": "Interruzione di corrente nella zona {{ outage.area }}",
                "html": _email_html(_OUTAGE_HTML_IT),
                "text": _email_text(_OUTAGE_TEXT_IT),
            },
            "en": {
                "subject": "Power cut in {{ outage.area }}",
                "html": _email_html(_OUTAGE_HTML_EN),
                "text": _email_text(_OUTAGE_TEXT_EN),
            },
        },
        "sms": {
            "it": {
                "text": (
                    "Energia Chiara: interruzione di corrente in zona {{ outage.area }} per un "
                    "guasto sulla rete del distributore. Ripristino previsto entro le "
                    "{{ outage.restore_by|time }} del "
                    "{{ outage.restore_by|date('dd/MM') }}. La avviseremo al ripristino. "
                    "Aggiornamenti: {{ links.status }}"
                )
            },
            "en": {
                "text": (
                    "Energia Chiara: power cut in {{ outage.area }} due to a fault on the "
                    "distributor's network. Power expected back by "
                    "{{ outage.restore_by|time }} on {{ outage.restore_by|datetime('MMM d') }}. "
                    "We will let you know when it is back. Updates: {{ links.status }}"
                )
            },
        },
        "whatsapp": {
            "it": {
                "template_name": "avviso_guasto",
                "category": "UTILITY",
                "body": (
                    "Gentile {{first_name}}, la fornitura di energia elettrica è interrotta "
                    "nella zona {{area}} per un guasto sulla rete del distributore locale.\n\n"
                    "I tecnici sono al lavoro e il ripristino è previsto entro le {{restore_time}} "
                    "di {{restore_day}}. Le scriveremo appena la corrente sarà tornata.\n\n"
                    "Se in casa usa apparecchi medici alimentati a corrente, ci chiami subito "
                    "all'800 123 456."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "area": "{{ outage.area }}",
                    "restore_time": "{{ outage.restore_by|time }}",
                    "restore_day": "{{ outage.restore_by|datetime('EEEE d MMMM') }}",
                },
                "buttons": [
                    {"type": "URL", "text": "Stato del guasto", "url": f"{SITE}/guasti"},
                ],
                "text": (
                    "Gentile {{ customer.first_name }}, dalle {{ outage.started_at|time }} la "
                    "fornitura di energia elettrica è interrotta nella zona {{ outage.area }} per "
                    "un guasto sulla rete del distributore locale. Il ripristino è previsto entro "
                    "le {{ outage.restore_by|time }} di "
                    "{{ outage.restore_by|datetime('EEEE d MMMM') }}: le scriveremo appena la "
                    "corrente sarà tornata. Aggiornamenti: {{ links.status }}\n\n"
                    '{% include "signature" %}'
                ),
            },
            "en": {
                "template_name": "avviso_guasto",
                "category": "UTILITY",
                "body": (
                    "Dear {{first_name}}, the electricity supply is interrupted in {{area}} "
                    "because of a fault on the local distributor's network.\n\n"
                    "Engineers are working on it and power is expected back by {{restore_time}} "
                    "on {{restore_day}}. We will write to you as soon as it is back.\n\n"
                    "If you use powered medical equipment at home, call us straight away on "
                    "800 123 456."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "area": "{{ outage.area }}",
                    "restore_time": "{{ outage.restore_by|time }}",
                    "restore_day": "{{ outage.restore_by|datetime('EEEE, MMMM d') }}",
                },
                "buttons": [
                    {"type": "URL", "text": "Outage status", "url": f"{SITE}/guasti"},
                ],
                "text": (
                    "Dear {{ customer.first_name }}, since {{ outage.started_at|time }} the "
                    "electricity supply has been interrupted in {{ outage.area }} because of a "
                    "fault on the local distributor's network. Power is expected back by "
                    "{{ outage.restore_by|time }} on "
                    "{{ outage.restore_by|datetime('EEEE, MMMM d') }}: we will write to you as "
                    "soon as it is back. Updates: {{ links.status }}\n\n"
                    '{% include "signature" %}'
                ),
            },
        },
        "push": {
            "it": {
                "title": "Corrente interrotta nella sua zona",
                "body": (
                    "Guasto in zona {{ outage.area }}: ripristino previsto entro le "
                    "{{ outage.restore_by|time }}. La avviseremo quando la corrente torna."
                ),
                "deep_link": f"{SITE}/app/guasti",
            },
            "en": {
                "title": "Power cut in your area",
                "body": (
                    "Fault in {{ outage.area }}: power expected back by "
                    "{{ outage.restore_by|time }}. We will let you know when it is back."
                ),
                "deep_link": f"{SITE}/app/guasti",
            },
        },
        "in_app": {
            "it": {
                "title": "Interruzione di corrente in corso",
                "body": (
                    "Dalle {{ outage.started_at|time }} la corrente è interrotta nella zona "
                    "{{ outage.area }} per un guasto sulla rete del distributore locale. Il "
                    "ripristino è previsto entro le {{ outage.restore_by|time }} di "
                    "{{ outage.restore_by|datetime('EEEE d MMMM') }}. Non serve segnalarlo: la "
                    "avviseremo noi."
                ),
            },
            "en": {
                "title": "Power cut in progress",
                "body": (
                    "Since {{ outage.started_at|time }} power has been cut in {{ outage.area }} "
                    "because of a fault on the local distributor's network. It is expected back "
                    "by {{ outage.restore_by|time }} on "
                    "{{ outage.restore_by|datetime('EEEE, MMMM d') }}. No need to report it: we "
                    "will let you know."
                ),
            },
        },
        "letter": {
            "it": {"html": _OUTAGE_LETTER_IT.strip()},
            "en": {"html": _OUTAGE_LETTER_EN.strip()},
        },
        "call_script": {
            "it": {"text": _OUTAGE_SCRIPT_IT.strip()},
            "en": {"text": _OUTAGE_SCRIPT_EN.strip()},
        },
    },
    approval=(
        "Nessuna promessa oltre la stima del distributore; indicazioni di sicurezza e clienti "
        "con apparecchi medici presenti. Approvato."
    ),
)


# --- 5. restoration notice (scenario 3) ------------------------------------------------------

_RESTORED_HTML_IT = """
<p>Gentile {{ customer.first_name }} {{ customer.last_name }},</p>
<p>la fornitura di energia elettrica nella zona <strong>{{ outage.area }}</strong> è stata ripristinata alle {{ outage.restored_at|time }} di {{ outage.restored_at|datetime('EEEE d MMMM') }}. Ci scusiamo per il disagio.</p>
<p>Se in casa è ancora senza corrente, controlli il contatore: tenga premuto il pulsante per qualche secondo e verifichi che l'interruttore generale sia alzato. Se la corrente non torna, risponda a questo messaggio e le mandiamo un tecnico.</p>
<p class="action"><a class="button" href="{{ links.status }}">Cosa fare se è ancora al buio</a></p>
"""  # noqa: E501

_RESTORED_HTML_EN = """
<p>Dear {{ customer.first_name }} {{ customer.last_name }},</p>
<p>the electricity supply in <strong>{{ outage.area }}</strong> was restored at {{ outage.restored_at|time }} on {{ outage.restored_at|datetime('EEEE, MMMM d') }}. We apologise for the inconvenience.</p>
<p>If you still have no power at home, please check your meter: hold its button down for a few seconds and make sure the main switch is up. If power does not come back, reply to this message and we will send a technician.</p>
<p class="action"><a class="button" href="{{ links.status }}">Still no power?</a></p>
"""  # noqa: E501

_RESTORED_TEXT_IT = """
Gentile {{ customer.first_name }} {{ customer.last_name }},

la fornitura di energia elettrica nella zona {{ outage.area }} è stata ripristinata alle {{ outage.restored_at|time }} di {{ outage.restored_at|datetime('EEEE d MMMM') }}. Ci scusiamo per il disagio.

Se in casa è ancora senza corrente, controlli il contatore: tenga premuto il pulsante per qualche secondo e verifichi che l'interruttore generale sia alzato. Se la corrente non torna, risponda a questo messaggio e le mandiamo un tecnico.

Cosa fare se è ancora al buio: {{ links.status }}
"""  # noqa: E501

_RESTORED_TEXT_EN = """
Dear {{ customer.first_name }} {{ customer.last_name }},

the electricity supply in {{ outage.area }} was restored at {{ outage.restored_at|time }} on {{ outage.restored_at|datetime('EEEE, MMMM d') }}. We apologise for the inconvenience.

If you still have no power at home, please check your meter: hold its button down for a few seconds and make sure the main switch is up. If power does not come back, reply to this message and we will send a technician.

Still no power? {{ links.status }}
"""  # noqa: E501

RESTORED_NOTICE = TemplateDef(
    name="Fornitura ripristinata",
    purpose=Purpose.INFORM,
    description=(
        "Avviso di ripristino dopo un guasto, ai clienti che hanno ricevuto l'avviso di "
        "interruzione; di notte attende la fine delle ore di silenzio."
    ),
    schema=(
        FIRST_NAME,
        LAST_NAME,
        _var("outage.area", "str", "Lambrate, Città Studi e Ortica", "Zona interessata"),
        _var(
            "outage.restored_at",
            "datetime",
            "2026-03-12T02:10:00+01:00",
            "Ora del ripristino",
        ),
        _var(
            "links.status",
            "url",
            f"{SITE}/guasti/ancora-senza-corrente",
            "Cosa fare se si è ancora senza corrente",
        ),
    ),
    variants={
        "email": {
            "it": {
                "subject": "Corrente ripristinata nella zona {{ outage.area }}",
                "html": _email_html(_RESTORED_HTML_IT),
                "text": _email_text(_RESTORED_TEXT_IT),
            },
            "en": {
                "subject": "Power restored in {{ outage.area }}",
                "html": _email_html(_RESTORED_HTML_EN),
                "text": _email_text(_RESTORED_TEXT_EN),
            },
        },
        "sms": {
            "it": {
                "text": (
                    "Energia Chiara: la fornitura in zona {{ outage.area }} è stata ripristinata "
                    "alle {{ outage.restored_at|time }}. Ci scusiamo per il disagio. Se è ancora "
                    "senza corrente, controlli il contatore e risponda a questo SMS."
                )
            },
            "en": {
                "text": (
                    "Energia Chiara: power in {{ outage.area }} was restored at "
                    "{{ outage.restored_at|time }}. We apologise for the inconvenience. If you "
                    "still have no power, check your meter and reply to this SMS."
                )
            },
        },
        "whatsapp": {
            "it": {
                "template_name": "fornitura_ripristinata",
                "category": "UTILITY",
                "body": (
                    "Gentile {{first_name}}, la fornitura di energia elettrica nella zona {{area}} "
                    "è stata ripristinata alle {{restored_time}}. Ci scusiamo per il disagio.\n\n"
                    "Se è ancora senza corrente, tenga premuto per qualche secondo il pulsante "
                    "del contatore e ci risponda qui."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "area": "{{ outage.area }}",
                    "restored_time": "{{ outage.restored_at|time }}",
                },
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Tutto a posto"},
                    {"type": "QUICK_REPLY", "text": "Sono ancora al buio"},
                ],
                "text": (
                    "Gentile {{ customer.first_name }}, la fornitura nella zona "
                    "{{ outage.area }} è stata ripristinata alle {{ outage.restored_at|time }}. "
                    "Ci scusiamo per il disagio. Se è ancora senza corrente, controlli il "
                    "contatore e ci risponda qui: {{ links.status }}\n\n"
                    '{% include "signature" %}'
                ),
            },
            "en": {
                "template_name": "fornitura_ripristinata",
                "category": "UTILITY",
                "body": (
                    "Dear {{first_name}}, the electricity supply in {{area}} was restored at "
                    "{{restored_time}}. We apologise for the inconvenience.\n\n"
                    "If you still have no power, hold your meter's button down for a few "
                    "seconds and reply here."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "area": "{{ outage.area }}",
                    "restored_time": "{{ outage.restored_at|time }}",
                },
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "All fine"},
                    {"type": "QUICK_REPLY", "text": "Still no power"},
                ],
                "text": (
                    "Dear {{ customer.first_name }}, power in {{ outage.area }} was restored at "
                    "{{ outage.restored_at|time }}. We apologise for the inconvenience. If you "
                    "still have no power, check your meter and reply here: {{ links.status }}\n\n"
                    '{% include "signature" %}'
                ),
            },
        },
        "push": {
            "it": {
                "title": "Corrente ripristinata",
                "body": (
                    "La fornitura in zona {{ outage.area }} è tornata alle "
                    "{{ outage.restored_at|time }}. Ancora al buio? Tocchi qui."
                ),
                "deep_link": f"{SITE}/app/guasti",
            },
            "en": {
                "title": "Power restored",
                "body": (
                    "Power in {{ outage.area }} came back at {{ outage.restored_at|time }}. "
                    "Still no power? Tap here."
                ),
                "deep_link": f"{SITE}/app/guasti",
            },
        },
        "in_app": {
            "it": {
                "title": "La corrente è tornata",
                "body": (
                    "La fornitura nella zona {{ outage.area }} è stata ripristinata alle "
                    "{{ outage.restored_at|time }} di "
                    "{{ outage.restored_at|datetime('EEEE d MMMM') }}. Se è ancora senza "
                    "corrente, controlli il contatore o ci scriva da qui."
                ),
            },
            "en": {
                "title": "Power is back",
                "body": (
                    "Power in {{ outage.area }} was restored at {{ outage.restored_at|time }} "
                    "on {{ outage.restored_at|datetime('EEEE, MMMM d') }}. If you still have no "
                    "power, check your meter or message us from here."
                ),
            },
        },
        "letter": {
            "it": {
                "html": (
                    "<p><strong>Oggetto: ripristino della fornitura nella zona "
                    "{{ outage.area }}</strong></p>\n"
                    "<p>Gentile {{ customer.first_name }} {{ customer.last_name }},</p>\n"
                    "<p>le confermiamo che la fornitura di energia elettrica nella zona "
                    "{{ outage.area }} è stata ripristinata alle {{ outage.restored_at|time }} di "
                    "{{ outage.restored_at|datetime('EEEE d MMMM y') }}. Ci scusiamo per il "
                    "disagio.</p>\n"
                    "<p>Se l'interruzione le ha causato un danno, può presentare una richiesta di "
                    "indennizzo secondo le regole dell'ARERA: trova le istruzioni su "
                    "{{ links.status }} o può chiedere aiuto al numero verde 800 123 456.</p>\n"
                    '{% include "signature" %}'
                )
            },
            "en": {
                "html": (
                    "<p><strong>Re: electricity supply restored in {{ outage.area }}</strong></p>\n"
                    "<p>Dear {{ customer.first_name }} {{ customer.last_name }},</p>\n"
                    "<p>we confirm that the electricity supply in {{ outage.area }} was restored "
                    "at {{ outage.restored_at|time }} on "
                    "{{ outage.restored_at|datetime('EEEE, MMMM d, y') }}. We apologise for the "
                    "inconvenience.</p>\n"
                    "<p>If the interruption caused you any damage, you can claim compensation "
                    "under the rules of ARERA, the energy regulator: see {{ links.status }} for "
                    "how, or call us free on 800 123 456 for help.</p>\n"
                    '{% include "signature" %}'
                )
            },
        },
        "call_script": {
            "it": {
                "text": (
                    "[Per i clienti della zona {{ outage.area }} che chiamano dopo il ripristino "
                    "delle {{ outage.restored_at|time }}.]\n\n"
                    "Buongiorno {{ customer.first_name }} {{ customer.last_name }}, sono [nome] "
                    "di Energia Chiara. La corrente nella sua zona è tornata alle "
                    "{{ outage.restored_at|time }}; ci scusiamo per il disagio.\n\n"
                    "- Se in casa è ancora al buio: faccia tenere premuto il pulsante del "
                    "contatore per qualche secondo e controllare l'interruttore generale.\n"
                    "- Se non si riaccende: prenoti la visita di un tecnico con priorità alta.\n"
                    "- Se chiede un indennizzo per danni: indichi {{ links.status }} e apra una "
                    "richiesta per il team Guasti.\n\n"
                    "Chiusura: Grazie per la pazienza. Buona giornata."
                )
            },
            "en": {
                "text": (
                    "[For customers in {{ outage.area }} calling after power came back at "
                    "{{ outage.restored_at|time }}.]\n\n"
                    "Hello {{ customer.first_name }} {{ customer.last_name }}, this is [name] "
                    "from Energia Chiara. Power in your area came back at "
                    "{{ outage.restored_at|time }}; we apologise for the inconvenience.\n\n"
                    "- If their home is still without power: have them hold the meter's button "
                    "for a few seconds and check the main switch.\n"
                    "- If it does not come back: book a technician's visit with high priority.\n"
                    "- If they ask for compensation for damage: point them to {{ links.status }} "
                    "and open a request for the Outages team.\n\n"
                    "Closing: Thank you for your patience. Have a good day."
                )
            },
        },
    },
    sms_segments=2,
    approval="Approvato: coerente con l'avviso di interruzione, invita a rispondere se al buio.",
)


# --- 6. new offer (advertising) ----------------------------------------------------------------

_OFFER_PRICE_IT = "{{ offer.price_kwh|decimal(4) }} €/kWh"
_OFFER_PRICE_EN = "€{{ offer.price_kwh|decimal(4) }}/kWh"

_OFFER_HTML_IT = f"""
<p>Gentile {{{{ customer.first_name }}}},</p>
<p>con <strong>{{{{ offer.name }}}}</strong> il prezzo dell'energia resta fermo a <strong>{_OFFER_PRICE_IT}</strong> per {{{{ offer.fixed_months }}}} mesi, con energia da fonti rinnovabili certificata da Garanzia d'Origine.</p>
<ul>
<li>Prezzo bloccato per {{{{ offer.fixed_months }}}} mesi, senza sorprese in bolletta</li>
<li>Nessun costo di attivazione: il passaggio è gratuito e senza interruzioni</li>
<li>Bolletta digitale e gestione della fornitura dall'app</li>
</ul>
<p>L'offerta è sottoscrivibile entro il {{{{ offer.valid_until|date('long') }}}}.</p>
<p class="action"><a class="button" href="{{{{ links.offer }}}}">Scopra l'offerta</a></p>
<p class="note">Prezzo della componente energia, IVA e imposte escluse. Condizioni economiche complete e scheda sintetica su <a href="{{{{ links.offer }}}}">energiachiara.it</a>.</p>
<p class="note">Riceve questa email perché ha acconsentito a ricevere offerte commerciali da Energia Chiara. Se non desidera riceverne altre, può <a href="{{{{ links.unsubscribe }}}}">cancellare l'iscrizione</a> in qualsiasi momento.</p>
"""  # noqa: E501

_OFFER_HTML_EN = f"""
<p>Dear {{{{ customer.first_name }}}},</p>
<p>with <strong>{{{{ offer.name }}}}</strong> your energy price stays fixed at <strong>{_OFFER_PRICE_EN}</strong> for {{{{ offer.fixed_months }}}} months, with renewable energy certified by Guarantees of Origin.</p>
<ul>
<li>A price fixed for {{{{ offer.fixed_months }}}} months: no surprises on your bill</li>
<li>No activation fee: switching is free, with no interruption of supply</li>
<li>Digital bills and your supply managed from the app</li>
</ul>
<p>You can sign up until {{{{ offer.valid_until|date('long') }}}}.</p>
<p class="action"><a class="button" href="{{{{ links.offer }}}}">Discover the offer</a></p>
<p class="note">Price of the energy component, excluding VAT and taxes. Full terms and summary sheet on <a href="{{{{ links.offer }}}}">energiachiara.it</a>.</p>
<p class="note">You are receiving this email because you agreed to receive offers from Energia Chiara. If you no longer wish to receive them, you can <a href="{{{{ links.unsubscribe }}}}">unsubscribe</a> at any time.</p>
"""  # noqa: E501

_OFFER_TEXT_IT = f"""
Gentile {{{{ customer.first_name }}}},

con {{{{ offer.name }}}} il prezzo dell'energia resta fermo a {_OFFER_PRICE_IT} per {{{{ offer.fixed_months }}}} mesi, con energia da fonti rinnovabili certificata da Garanzia d'Origine.

- Prezzo bloccato per {{{{ offer.fixed_months }}}} mesi, senza sorprese in bolletta
- Nessun costo di attivazione: il passaggio è gratuito e senza interruzioni
- Bolletta digitale e gestione della fornitura dall'app

L'offerta è sottoscrivibile entro il {{{{ offer.valid_until|date('long') }}}}: {{{{ links.offer }}}}

Prezzo della componente energia, IVA e imposte escluse. Condizioni economiche complete e scheda sintetica sul nostro sito.

Riceve questa email perché ha acconsentito a ricevere offerte commerciali da Energia Chiara. Per cancellare l'iscrizione: {{{{ links.unsubscribe }}}}
"""  # noqa: E501

_OFFER_TEXT_EN = f"""
Dear {{{{ customer.first_name }}}},

with {{{{ offer.name }}}} your energy price stays fixed at {_OFFER_PRICE_EN} for {{{{ offer.fixed_months }}}} months, with renewable energy certified by Guarantees of Origin.

- A price fixed for {{{{ offer.fixed_months }}}} months: no surprises on your bill
- No activation fee: switching is free, with no interruption of supply
- Digital bills and your supply managed from the app

You can sign up until {{{{ offer.valid_until|date('long') }}}}: {{{{ links.offer }}}}

Price of the energy component, excluding VAT and taxes. Full terms and summary sheet on our website.

You are receiving this email because you agreed to receive offers from Energia Chiara. To unsubscribe: {{{{ links.unsubscribe }}}}
"""  # noqa: E501

_OFFER_LETTER_IT = f"""
<p><strong>Oggetto: {{{{ offer.name }}}}, il prezzo dell'energia bloccato per {{{{ offer.fixed_months }}}} mesi</strong></p>
<p>Gentile {{{{ customer.first_name }}}} {{{{ customer.last_name }}}},</p>
<p>abbiamo pensato a lei per la nostra nuova offerta <strong>{{{{ offer.name }}}}</strong>: il prezzo della componente energia resta fermo a {_OFFER_PRICE_IT} per {{{{ offer.fixed_months }}}} mesi, con energia da fonti rinnovabili certificata da Garanzia d'Origine e nessun costo di attivazione.</p>
<p>Può aderire entro il {{{{ offer.valid_until|date('long') }}}} online ({{{{ links.offer }}}}), chiamando il numero verde 800 123 456 o presso i nostri sportelli di Milano, Bologna e Napoli.</p>
<p>Prezzo IVA e imposte escluse. Le condizioni economiche complete e la scheda sintetica sono disponibili sul nostro sito e presso gli sportelli.</p>
<p>Riceve questa comunicazione perché ha acconsentito a ricevere offerte commerciali da Energia Chiara. Se non desidera riceverne altre, può comunicarcelo in qualsiasi momento al numero verde o online: {{{{ links.unsubscribe }}}}</p>
{{% include "signature" %}}
"""  # noqa: E501

_OFFER_LETTER_EN = f"""
<p><strong>Re: {{{{ offer.name }}}}, your energy price fixed for {{{{ offer.fixed_months }}}} months</strong></p>
<p>Dear {{{{ customer.first_name }}}} {{{{ customer.last_name }}}},</p>
<p>we thought of you for our new offer <strong>{{{{ offer.name }}}}</strong>: the price of the energy component stays fixed at {_OFFER_PRICE_EN} for {{{{ offer.fixed_months }}}} months, with renewable energy certified by Guarantees of Origin and no activation fee.</p>
<p>You can sign up until {{{{ offer.valid_until|date('long') }}}} online ({{{{ links.offer }}}}), by calling us free on 800 123 456 or at our branches in Milano, Bologna and Napoli.</p>
<p>Prices exclude VAT and taxes. The full terms and the summary sheet are available on our website and at our branches.</p>
<p>You are receiving this letter because you agreed to receive offers from Energia Chiara. If you no longer wish to receive them, tell us at any time by phone or online: {{{{ links.unsubscribe }}}}</p>
{{% include "signature" %}}
"""  # noqa: E501

_OFFER_SCRIPT_IT = f"""
[Chiamata commerciale: solo a clienti con consenso al telemarketing registrato e non iscritti al Registro pubblico delle opposizioni. Si presenti subito e dica lo scopo della chiamata.]

Buongiorno, sono [nome] e la chiamo per conto di Energia Chiara, il suo fornitore di luce e gas, per presentarle una nuova offerta. Ha qualche minuto?

- Se no: chieda quando richiamare, oppure se preferisce non essere più contattato per offerte (in quel caso registri l'opposizione sulla scheda cliente).
- Se sì: con {{{{ offer.name }}}} il prezzo della componente energia resta fermo a {_OFFER_PRICE_IT} per {{{{ offer.fixed_months }}}} mesi, IVA e imposte escluse, con energia rinnovabile e nessun costo di attivazione. Si può aderire entro il {{{{ offer.valid_until|date('long') }}}}.
- Non concluda il contratto al telefono senza aver letto la scheda sintetica e ricordato il diritto di ripensamento di 14 giorni. Il dettaglio è su {{{{ links.offer }}}}.

Chiusura: Le ricordo che può opporsi in qualsiasi momento alle comunicazioni commerciali, anche online ({{{{ links.unsubscribe }}}}). Grazie per il suo tempo, {{{{ customer.first_name }}}} {{{{ customer.last_name }}}}.
"""  # noqa: E501

_OFFER_SCRIPT_EN = f"""
[Sales call: only to customers with a recorded consent to telemarketing who are not on the public opt-out register. Introduce yourself at once and say why you are calling.]

Good morning, this is [name], calling on behalf of Energia Chiara, your electricity and gas supplier, about a new offer. Do you have a few minutes?

- If not: ask when to call back, or whether they would rather not be contacted about offers again (if so, record the objection on the customer card).
- If so: with {{{{ offer.name }}}} the price of the energy component stays fixed at {_OFFER_PRICE_EN} for {{{{ offer.fixed_months }}}} months, excluding VAT and taxes, with renewable energy and no activation fee. Sign-up is open until {{{{ offer.valid_until|date('long') }}}}.
- Do not close the contract on the phone without reading the summary sheet and mentioning the 14-day cooling-off period. Details are on {{{{ links.offer }}}}.

Closing: Remember that you can object to marketing at any time, also online ({{{{ links.unsubscribe }}}}). Thank you for your time, {{{{ customer.first_name }}}} {{{{ customer.last_name }}}}.
"""  # noqa: E501

NEW_OFFER = TemplateDef(
    name="Nuova offerta",
    purpose=Purpose.ADVERTISE,
    description=(
        "Proposta commerciale di un'offerta a prezzo fisso, solo ai clienti con consenso al "
        "marketing sul canale; rispetta il limite di frequenza delle comunicazioni commerciali."
    ),
    schema=(
        FIRST_NAME,
        LAST_NAME,
        _var("offer.name", "str", "Chiara Verde 100%", "Nome commerciale dell'offerta"),
        _var(
            "offer.price_kwh",
            "decimal",
            "0.1190",
            "Prezzo della componente energia in €/kWh, IVA e imposte escluse",
        ),
        _var("offer.fixed_months", "int", 12, "Mesi di prezzo bloccato"),
        _var("offer.valid_until", "date", "2026-04-30", "Ultimo giorno per aderire"),
        _var("links.offer", "url", f"{SITE}/offerte/chiara-verde", "Pagina dell'offerta"),
        _var(
            "links.unsubscribe",
            "url",
            f"{SITE}/preferenze/disiscrizione",
            "Pagina per non ricevere più offerte",
        ),
    ),
    variants={
        "email": {
            "it": {
                "subject": (
                    "{{ customer.first_name }}, il prezzo della luce bloccato per "
                    "{{ offer.fixed_months }} mesi"
                ),
                "html": _email_html(_OFFER_HTML_IT),
                "text": _email_text(_OFFER_TEXT_IT),
            },
            "en": {
                "subject": (
                    "{{ customer.first_name }}, your electricity price fixed for "
                    "{{ offer.fixed_months }} months"
                ),
                "html": _email_html(_OFFER_HTML_EN),
                "text": _email_text(_OFFER_TEXT_EN),
            },
        },
        "sms": {
            "it": {
                "text": (
                    "Energia Chiara: con {{ offer.name }} il prezzo dell'energia è bloccato a "
                    f"{_OFFER_PRICE_IT} per {{{{ offer.fixed_months }}}} mesi, senza costi di "
                    "attivazione. Scopra di più entro il "
                    "{{ offer.valid_until|date('dd/MM') }}: {{ links.offer }} "
                    "Per non ricevere più offerte risponda STOP"
                )
            },
            "en": {
                "text": (
                    "Energia Chiara: with {{ offer.name }} your energy price is fixed at "
                    f"{_OFFER_PRICE_EN} for {{{{ offer.fixed_months }}}} months, no activation "
                    "fee. Find out more by {{ offer.valid_until|date('MMM d') }}: "
                    "{{ links.offer }} Reply STOP to opt out of offers"
                )
            },
        },
        "whatsapp": {
            "it": {
                "template_name": "nuova_offerta",
                "category": "MARKETING",
                "body": (
                    "Gentile {{first_name}}, con {{offer_name}} il prezzo dell'energia resta "
                    "fermo a {{price}} per {{months}} mesi, con energia rinnovabile e nessun "
                    "costo di attivazione.\n\n"
                    "Può aderire entro il {{valid_until}}. Prezzo IVA e imposte escluse.\n\n"
                    "Per non ricevere più offerte su WhatsApp, risponda STOP."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "offer_name": "{{ offer.name }}",
                    "price": _OFFER_PRICE_IT,
                    "months": "{{ offer.fixed_months }}",
                    "valid_until": "{{ offer.valid_until|date('long') }}",
                },
                "buttons": [
                    {"type": "URL", "text": "Scopri l'offerta", "url": f"{SITE}/offerte"},
                    {"type": "QUICK_REPLY", "text": "Stop offerte"},
                ],
                "text": (
                    "Gentile {{ customer.first_name }}, con {{ offer.name }} il prezzo "
                    f"dell'energia resta fermo a {_OFFER_PRICE_IT} per "
                    "{{ offer.fixed_months }} mesi (IVA e imposte escluse), senza costi di "
                    "attivazione. Può aderire entro il {{ offer.valid_until|date('long') }}: "
                    "{{ links.offer }}\n\n"
                    "Per non ricevere più offerte su WhatsApp, risponda STOP."
                ),
            },
            "en": {
                "template_name": "nuova_offerta",
                "category": "MARKETING",
                "body": (
                    "Dear {{first_name}}, with {{offer_name}} your energy price stays fixed at "
                    "{{price}} for {{months}} months, with renewable energy and no activation "
                    "fee.\n\n"
                    "You can sign up until {{valid_until}}. Prices exclude VAT and taxes.\n\n"
                    "Reply STOP to receive no more offers on WhatsApp."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "offer_name": "{{ offer.name }}",
                    "price": _OFFER_PRICE_EN,
                    "months": "{{ offer.fixed_months }}",
                    "valid_until": "{{ offer.valid_until|date('long') }}",
                },
                "buttons": [
                    {"type": "URL", "text": "Discover the offer", "url": f"{SITE}/offerte"},
                    {"type": "QUICK_REPLY", "text": "Stop offers"},
                ],
                "text": (
                    "Dear {{ customer.first_name }}, with {{ offer.name }} your energy price "
                    f"stays fixed at {_OFFER_PRICE_EN} for {{{{ offer.fixed_months }}}} months "
                    "(excluding VAT and taxes), with no activation fee. You can sign up until "
                    "{{ offer.valid_until|date('long') }}: {{ links.offer }}\n\n"
                    "Reply STOP to receive no more offers on WhatsApp."
                ),
            },
        },
        "push": {
            "it": {
                "title": "{{ offer.name }}: prezzo bloccato",
                "body": (
                    f"L'energia a {_OFFER_PRICE_IT} per {{{{ offer.fixed_months }}}} mesi, "
                    "senza costi di attivazione. Offerta valida fino al "
                    "{{ offer.valid_until|date('long') }}."
                ),
                "deep_link": f"{SITE}/app/offerte",
            },
            "en": {
                "title": "{{ offer.name }}: a fixed price",
                "body": (
                    f"Energy at {_OFFER_PRICE_EN} for {{{{ offer.fixed_months }}}} months, no "
                    "activation fee. Offer open until {{ offer.valid_until|date('long') }}."
                ),
                "deep_link": f"{SITE}/app/offerte",
            },
        },
        "in_app": {
            "it": {
                "title": "Nuova offerta per lei: {{ offer.name }}",
                "body": (
                    f"Prezzo dell'energia bloccato a {_OFFER_PRICE_IT} per "
                    "{{ offer.fixed_months }} mesi, IVA e imposte escluse, con energia "
                    "rinnovabile e nessun costo di attivazione. Può aderire da qui entro il "
                    "{{ offer.valid_until|date('long') }}. Le preferenze sulle offerte si "
                    "cambiano nel profilo."
                ),
            },
            "en": {
                "title": "A new offer for you: {{ offer.name }}",
                "body": (
                    f"Energy price fixed at {_OFFER_PRICE_EN} for {{{{ offer.fixed_months }}}} "
                    "months, excluding VAT and taxes, with renewable energy and no activation "
                    "fee. Sign up from here until {{ offer.valid_until|date('long') }}. You can "
                    "change your offer preferences in your profile."
                ),
            },
        },
        "letter": {
            "it": {"html": _OFFER_LETTER_IT.strip()},
            "en": {"html": _OFFER_LETTER_EN.strip()},
        },
        "call_script": {
            "it": {"text": _OFFER_SCRIPT_IT.strip()},
            "en": {"text": _OFFER_SCRIPT_EN.strip()},
        },
    },
    approval=(
        "Prezzo con IVA e imposte escluse dichiarato, link di disiscrizione e istruzione STOP "
        "presenti, diritto di ripensamento nel copione. Approvato per i clienti con consenso."
    ),
    revision=Revision(
        changes={
            "email": {
                "it": {
                    "subject": (
                        "{{ customer.first_name }}, fino al "
                        "{{ offer.valid_until|date('d MMMM') }} prezzo bloccato per "
                        "{{ offer.fixed_months }} mesi"
                    )
                },
                "en": {
                    "subject": (
                        "{{ customer.first_name }}, until "
                        "{{ offer.valid_until|date('MMMM d') }}: a price fixed for "
                        "{{ offer.fixed_months }} months"
                    )
                },
            },
            "sms": {
                "it": {
                    "text": (
                        "Energia Chiara: fino al {{ offer.valid_until|date('dd/MM') }} "
                        f"{{{{ offer.name }}}} blocca l'energia a {_OFFER_PRICE_IT} per "
                        "{{ offer.fixed_months }} mesi, attivazione gratuita: "
                        "{{ links.offer }} Per non ricevere più offerte risponda STOP"
                    )
                },
                "en": {
                    "text": (
                        "Energia Chiara: until {{ offer.valid_until|date('MMM d') }}, "
                        f"{{{{ offer.name }}}} fixes your energy at {_OFFER_PRICE_EN} for "
                        "{{ offer.fixed_months }} months, free activation: {{ links.offer }} "
                        "Reply STOP to opt out of offers"
                    )
                },
            },
        },
        schema=(
            FIRST_NAME,
            LAST_NAME,
            _var("offer.name", "str", "Chiara Verde 100%", "Nome commerciale dell'offerta"),
            _var(
                "offer.price_kwh",
                "decimal",
                "0.1090",
                "Prezzo della componente energia in €/kWh, IVA e imposte escluse",
            ),
            _var("offer.fixed_months", "int", 24, "Mesi di prezzo bloccato"),
            _var("offer.valid_until", "date", "2026-05-31", "Ultimo giorno per aderire"),
            _var("links.offer", "url", f"{SITE}/offerte/chiara-verde", "Pagina dell'offerta"),
            _var(
                "links.unsubscribe",
                "url",
                f"{SITE}/preferenze/disiscrizione",
                "Pagina per non ricevere più offerte",
            ),
        ),
        status=VersionStatus.IN_REVIEW,
        days_before_end=1,
    ),
)


# --- 7. welcome --------------------------------------------------------------------------------

_WELCOME_HTML_IT = (
    """
<p>Gentile {{ customer.first_name }} {{ customer.last_name }},</p>
<p>le diamo il benvenuto in Energia Chiara e la ringraziamo per averci scelto. Il suo contratto <strong>{{ contract.offer }}</strong> è attivo: la fornitura con noi inizia il {{ contract.start_date|date('long') }}, senza alcuna interruzione del servizio.</p>
<table class="facts">
<tr><th>Codice cliente</th><td>{{ customer.code }}</td></tr>
<tr><th>Offerta</th><td>{{ contract.offer }}</td></tr>
<tr><th>Inizio fornitura</th><td>{{ contract.start_date|date('long') }}</td></tr>
"""  # noqa: E501
    + _SUPPLIES_IT
    + """</table>
<p>Con l'app e l'area clienti può vedere le bollette e i consumi, comunicare l'autolettura, domiciliare i pagamenti e scriverci quando vuole.</p>
<p class="action"><a class="button" href="{{ links.account }}">Entri nell'area clienti</a></p>
<p class="note">Se ha concluso il contratto a distanza o fuori dai nostri locali, può ripensarci entro 14 giorni dalla conclusione, senza alcun costo.</p>
"""  # noqa: E501
)

_WELCOME_HTML_EN = (
    """
<p>Dear {{ customer.first_name }} {{ customer.last_name }},</p>
<p>welcome to Energia Chiara, and thank you for choosing us. Your <strong>{{ contract.offer }}</strong> contract is active: your supply with us starts on {{ contract.start_date|date('long') }}, with no interruption of service.</p>
<table class="facts">
<tr><th>Customer code</th><td>{{ customer.code }}</td></tr>
<tr><th>Offer</th><td>{{ contract.offer }}</td></tr>
<tr><th>Supply starts</th><td>{{ contract.start_date|date('long') }}</td></tr>
"""  # noqa: E501
    + _SUPPLIES_EN
    + """</table>
<p>With the app and your online account you can see your bills and usage, send meter readings, set up direct debit and write to us whenever you like.</p>
<p class="action"><a class="button" href="{{ links.account }}">Go to your account</a></p>
<p class="note">If you signed the contract remotely or away from our premises, you can change your mind within 14 days of signing, at no cost.</p>
"""  # noqa: E501
)

_WELCOME_TEXT_IT = """
Gentile {{ customer.first_name }} {{ customer.last_name }},

le diamo il benvenuto in Energia Chiara e la ringraziamo per averci scelto. Il suo contratto {{ contract.offer }} è attivo: la fornitura con noi inizia il {{ contract.start_date|date('long') }}, senza alcuna interruzione del servizio.

Codice cliente: {{ customer.code }}
Offerta: {{ contract.offer }}
Inizio fornitura: {{ contract.start_date|date('long') }}
{% if supply.pod %}
Luce – POD: {{ supply.pod }}
{% endif %}
{% if supply.pdr %}
Gas – PDR: {{ supply.pdr }}
{% endif %}

Con l'app e l'area clienti può vedere le bollette e i consumi, comunicare l'autolettura, domiciliare i pagamenti e scriverci quando vuole: {{ links.account }}

Se ha concluso il contratto a distanza o fuori dai nostri locali, può ripensarci entro 14 giorni dalla conclusione, senza alcun costo.
"""  # noqa: E501

_WELCOME_TEXT_EN = """
Dear {{ customer.first_name }} {{ customer.last_name }},

welcome to Energia Chiara, and thank you for choosing us. Your {{ contract.offer }} contract is active: your supply with us starts on {{ contract.start_date|date('long') }}, with no interruption of service.

Customer code: {{ customer.code }}
Offer: {{ contract.offer }}
Supply starts: {{ contract.start_date|date('long') }}
{% if supply.pod %}
Electricity – POD: {{ supply.pod }}
{% endif %}
{% if supply.pdr %}
Gas – PDR: {{ supply.pdr }}
{% endif %}

With the app and your online account you can see your bills and usage, send meter readings, set up direct debit and write to us whenever you like: {{ links.account }}

If you signed the contract remotely or away from our premises, you can change your mind within 14 days of signing, at no cost.
"""  # noqa: E501

_WELCOME_LETTER_IT = """
<p><strong>Oggetto: benvenuto in Energia Chiara – codice cliente {{ customer.code }}</strong></p>
<p>Gentile {{ customer.first_name }} {{ customer.last_name }},</p>
<p>grazie per aver scelto Energia Chiara. Le confermiamo l'attivazione del contratto <strong>{{ contract.offer }}</strong>: la fornitura con noi inizia il {{ contract.start_date|date('long') }}, senza alcuna interruzione del servizio e senza interventi sul contatore.</p>
{% if supply.pod or supply.pdr %}
<p>Forniture: {% if supply.pod %}luce, POD {{ supply.pod }}{% endif %}{% if supply.pod and supply.pdr %}; {% endif %}{% if supply.pdr %}gas, PDR {{ supply.pdr }}{% endif %}.</p>
{% endif %}
<p>Riceverà la prima bolletta dopo circa due mesi. Nell'area clienti e nell'app ({{ links.account }}) può vedere bollette e consumi, comunicare l'autolettura e domiciliare i pagamenti.</p>
<p>Se ha concluso il contratto a distanza o fuori dai nostri locali, può esercitare il diritto di ripensamento entro 14 giorni dalla conclusione, senza alcun costo, chiamando il numero verde 800 123 456 o scrivendoci.</p>
<p>Siamo a sua disposizione al numero verde 800 123 456 e presso i nostri sportelli di Milano, Bologna e Napoli.</p>
{% include "signature" %}
"""  # noqa: E501

_WELCOME_LETTER_EN = """
<p><strong>Re: welcome to Energia Chiara – customer code {{ customer.code }}</strong></p>
<p>Dear {{ customer.first_name }} {{ customer.last_name }},</p>
<p>thank you for choosing Energia Chiara. We confirm that your <strong>{{ contract.offer }}</strong> contract is active: your supply with us starts on {{ contract.start_date|date('long') }}, with no interruption of service and no work on your meter.</p>
{% if supply.pod or supply.pdr %}
<p>Supplies: {% if supply.pod %}electricity, POD {{ supply.pod }}{% endif %}{% if supply.pod and supply.pdr %}; {% endif %}{% if supply.pdr %}gas, PDR {{ supply.pdr }}{% endif %}.</p>
{% endif %}
<p>Your first bill will arrive in about two months. In your online account and the app ({{ links.account }}) you can see your bills and usage, send meter readings and set up direct debit.</p>
<p>If you signed the contract remotely or away from our premises, you can withdraw within 14 days of signing, at no cost, by calling us free on 800 123 456 or writing to us.</p>
<p>We are here to help on 800 123 456 and at our branches in Milano, Bologna and Napoli.</p>
{% include "signature" %}
"""  # noqa: E501

_WELCOME_SCRIPT_IT = """
[Chiamata di benvenuto nei primi giorni del contratto. Verifichi di parlare con {{ customer.first_name }} {{ customer.last_name }}, titolare del contratto.]

Buongiorno, sono [nome] del Servizio Clienti di Energia Chiara. La chiamo per darle il benvenuto e per verificare che sia tutto in ordine con il suo nuovo contratto {{ contract.offer }}.

- Confermi la data di inizio della fornitura: {{ contract.start_date|date('long') }}.
- Confermi i codici delle forniture{% if supply.pod %}: luce POD {{ supply.pod }}{% endif %}{% if supply.pdr %}; gas PDR {{ supply.pdr }}{% endif %}.
- Ricordi il codice cliente {{ customer.code }} e l'area clienti ({{ links.account }}); proponga la domiciliazione e la bolletta digitale.
- Ricordi il diritto di ripensamento entro 14 giorni, se il contratto è stato concluso a distanza o fuori dai nostri locali.

Chiusura: Grazie ancora per averci scelto. Per qualsiasi domanda ci trova al numero verde 800 123 456.
"""  # noqa: E501

_WELCOME_SCRIPT_EN = """
[Welcome call in the first days of the contract. Check that you are speaking with {{ customer.first_name }} {{ customer.last_name }}, the contract holder.]

Good morning, this is [name] from Energia Chiara Customer Service. I'm calling to welcome you and to check that everything is in order with your new {{ contract.offer }} contract.

- Confirm the supply start date: {{ contract.start_date|date('long') }}.
- Confirm the supply codes{% if supply.pod %}: electricity POD {{ supply.pod }}{% endif %}{% if supply.pdr %}; gas PDR {{ supply.pdr }}{% endif %}.
- Give the customer code {{ customer.code }} and the online account ({{ links.account }}); offer direct debit and digital bills.
- Mention the 14-day cooling-off period, if the contract was signed remotely or away from our premises.

Closing: Welcome to Energia Chiara. For any question, we are on 800 123 456.
"""  # noqa: E501

WELCOME = TemplateDef(
    name="Benvenuto",
    purpose=Purpose.SERVICE,
    description=(
        "Benvenuto ai nuovi clienti all'attivazione del contratto: offerta, inizio fornitura, "
        "codici POD/PDR, area clienti e diritto di ripensamento."
    ),
    schema=(
        FIRST_NAME,
        LAST_NAME,
        _var("customer.code", "str", "EC-0009317", "Codice cliente"),
        _var("contract.offer", "str", "Chiara Dual Casa", "Offerta sottoscritta"),
        _var("contract.start_date", "date", "2026-05-01", "Inizio della fornitura"),
        POD,
        PDR,
        _var("links.account", "url", f"{SITE}/area-clienti", "Area clienti"),
    ),
    variants={
        "email": {
            "it": {
                "subject": "{{ customer.first_name }}, le diamo il benvenuto in Energia Chiara",
                "html": _email_html(_WELCOME_HTML_IT),
                "text": _email_text(_WELCOME_TEXT_IT),
            },
            "en": {
                "subject": "Welcome to Energia Chiara, {{ customer.first_name }}",
                "html": _email_html(_WELCOME_HTML_EN),
                "text": _email_text(_WELCOME_TEXT_EN),
            },
        },
        "sms": {
            "it": {
                "text": (
                    "Energia Chiara: le diamo il benvenuto! Il contratto {{ contract.offer }} "
                    "è attivo, la fornitura inizia il "
                    "{{ contract.start_date|date('dd/MM/yyyy') }}. Codice cliente "
                    "{{ customer.code }}. Bollette e consumi nell'app: "
                    "{{ links.account }}"
                )
            },
            "en": {
                "text": (
                    "Energia Chiara: welcome! Your {{ contract.offer }} contract is active and "
                    "your supply starts on {{ contract.start_date|date('medium') }}. Customer "
                    "code {{ customer.code }}. Bills and usage in the app: {{ links.account }}"
                )
            },
        },
        "whatsapp": {
            "it": {
                "template_name": "benvenuto",
                "category": "UTILITY",
                "body": (
                    "Gentile {{first_name}}, le diamo il benvenuto in Energia Chiara! Il suo "
                    "contratto {{offer}} è attivo e la fornitura inizia il {{start_date}}.\n\n"
                    "Il suo codice cliente è {{customer_code}}. Su questo numero può scriverci "
                    "quando vuole per bollette, letture e assistenza."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "offer": "{{ contract.offer }}",
                    "start_date": "{{ contract.start_date|date('long') }}",
                    "customer_code": "{{ customer.code }}",
                },
                "buttons": [
                    {"type": "URL", "text": "Area clienti", "url": f"{SITE}/area-clienti"},
                ],
                "text": (
                    "Gentile {{ customer.first_name }}, le diamo il benvenuto in Energia "
                    "Chiara! Il suo contratto {{ contract.offer }} è attivo e la fornitura "
                    "inizia il {{ contract.start_date|date('long') }}. Codice cliente: "
                    "{{ customer.code }}. Bollette e consumi: {{ links.account }}\n\n"
                    '{% include "signature" %}'
                ),
            },
            "en": {
                "template_name": "benvenuto",
                "category": "UTILITY",
                "body": (
                    "Dear {{first_name}}, welcome to Energia Chiara! Your {{offer}} contract is "
                    "active and your supply starts on {{start_date}}.\n\n"
                    "Your customer code is {{customer_code}}. You can message us on this number "
                    "at any time about bills, readings and support."
                ),
                "parameters": {
                    "first_name": "{{ customer.first_name }}",
                    "offer": "{{ contract.offer }}",
                    "start_date": "{{ contract.start_date|date('long') }}",
                    "customer_code": "{{ customer.code }}",
                },
                "buttons": [
                    {"type": "URL", "text": "Your account", "url": f"{SITE}/area-clienti"},
                ],
                "text": (
                    "Dear {{ customer.first_name }}, welcome to Energia Chiara! Your "
                    "{{ contract.offer }} contract is active and your supply starts on "
                    "{{ contract.start_date|date('long') }}. Customer code: "
                    "{{ customer.code }}. Bills and usage: {{ links.account }}\n\n"
                    '{% include "signature" %}'
                ),
            },
        },
        "push": {
            "it": {
                "title": "Il suo contratto è attivo",
                "body": (
                    "Il contratto {{ contract.offer }} è attivo: la fornitura inizia il "
                    "{{ contract.start_date|date('long') }}. Qui trova bollette e consumi."
                ),
                "deep_link": f"{SITE}/app/home",
            },
            "en": {
                "title": "Your contract is active",
                "body": (
                    "Your {{ contract.offer }} contract is active: your supply starts on "
                    "{{ contract.start_date|date('long') }}. Your bills and usage are here."
                ),
                "deep_link": f"{SITE}/app/home",
            },
        },
        "in_app": {
            "it": {
                "title": "{{ customer.first_name }}, le diamo il benvenuto",
                "body": (
                    "Il contratto {{ contract.offer }} è attivo e la fornitura inizia il "
                    "{{ contract.start_date|date('long') }}. Da qui può vedere bollette e "
                    "consumi, comunicare l'autolettura, domiciliare i pagamenti e scriverci. "
                    "Codice cliente: {{ customer.code }}."
                ),
            },
            "en": {
                "title": "Welcome, {{ customer.first_name }}",
                "body": (
                    "Your {{ contract.offer }} contract is active and your supply starts on "
                    "{{ contract.start_date|date('long') }}. From here you can see bills and "
                    "usage, send meter readings, set up direct debit and message us. Customer "
                    "code: {{ customer.code }}."
                ),
            },
        },
        "letter": {
            "it": {"html": _WELCOME_LETTER_IT.strip()},
            "en": {"html": _WELCOME_LETTER_EN.strip()},
        },
        "call_script": {
            "it": {"text": _WELCOME_SCRIPT_IT.strip()},
            "en": {"text": _WELCOME_SCRIPT_EN.strip()},
        },
    },
    approval="Diritto di ripensamento indicato correttamente. Approvato.",
)

TEMPLATES: tuple[TemplateDef, ...] = (
    PAYMENT_REMINDER,
    BILL_READY,
    APPOINTMENT,
    OUTAGE_NOTICE,
    RESTORED_NOTICE,
    NEW_OFFER,
    WELCOME,
)


# --- seeding ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StudioSeed:
    """What ``seed_templates`` created (zero and zero when everything was there already)."""

    blocks: int
    templates: int


class _History:
    """The nominal moments of the studio steps, written over the services' "now" at the end."""

    def __init__(self, calendar: DemoCalendar | None) -> None:
        self.calendar = calendar
        self.steps: list[tuple[Any, int, str, datetime]] = []
        self.versions: list[tuple[Any, dict[str, datetime]]] = []
        self.parents: list[tuple[Any, datetime, datetime]] = []

    def at(self, days_before_end: float, hour: int, minute: int = 0) -> datetime | None:
        if self.calendar is None:
            return None
        return self.calendar.at(nominal(days_before_end, hour, minute))

    def step(self, subject_id: Any, version: int, action: str, when: datetime | None) -> None:
        if when is not None:
            self.steps.append((subject_id, version, action, when))

    def version(self, row: Any, **moments: datetime | None) -> None:
        known = {name: when for name, when in moments.items() if when is not None}
        if known:
            self.versions.append((row, known))

    def parent(self, row: Any, created: datetime | None, updated: datetime | None) -> None:
        if created is not None and updated is not None:
            self.parents.append((row, created, updated))

    def apply(self, session: Session) -> None:
        session.flush()
        for subject_id, version, action, when in self.steps:
            session.execute(
                update(StudioEvent)
                .where(
                    StudioEvent.subject_id == subject_id,
                    StudioEvent.version == version,
                    StudioEvent.action == action,
                )
                .values(created_at=when)
                .execution_options(synchronize_session=False)
            )
        for row, moments in self.versions:
            for name, when in moments.items():
                setattr(row, name, when)
            row.updated_at = max(moments.values())
        for row, created, updated in self.parents:
            row.created_at = created
            row.updated_at = updated
        session.flush()


def _operator(session: Session, email: str) -> Operator:
    """The demo's operator with ``email``, created if missing (a database with only the studio)."""
    operator = session.scalar(select(Operator).where(Operator.email == email))
    if operator is None:
        staff = STAFF_BY_EMAIL[email]
        operator = do_create_operator(
            session, email, name=staff.name, role=staff.role, password=DEMO_PASSWORD
        )
    return operator


def seed_templates(session: Session, *, calendar: DemoCalendar | None = None) -> StudioSeed:
    """Create the demo's blocks and templates that do not exist yet, through the studio's
    services; what exists (by name) is left as it is, so seeding twice changes nothing.

    With ``calendar`` the history is dated on the demo's calendar (before the data begins; the
    revisions in its last days); without it, everything is dated now. The caller commits.
    """
    designer = Actor(operator=_operator(session, DESIGNER_EMAIL), via="demo")
    compliance = Actor(operator=_operator(session, COMPLIANCE_EMAIL), via="demo")
    history = _History(calendar)
    existing_blocks = set(session.scalars(select(ContentBlock.name)))
    existing_templates = set(session.scalars(select(Template.name)))
    blocks_made = templates_made = 0

    # The blocks first: submitting a template lints it against the approved blocks.
    for index, block in enumerate(BLOCKS):
        if block.name in existing_blocks:
            continue
        created = history.at(400, 10, 5 * index)
        submitted = history.at(400, 16, 5 * index)
        approved = history.at(399, 11, 5 * index)
        version = block_service.do_create_block(
            session,
            designer,
            name=block.name,
            description=block.description,
            content=block.content,
        )
        block_id = version.block_id
        block_service.do_submit_block_version(session, designer, block_id, 1)
        block_service.do_approve_block_version(session, compliance, block_id, 1, block.approval)
        history.step(block_id, 1, "created", created)
        history.step(block_id, 1, "submitted", submitted)
        history.step(block_id, 1, "approved", approved)
        history.version(version, created_at=created, submitted_at=submitted, reviewed_at=approved)
        history.parent(version.block, created, approved)
        blocks_made += 1

    for index, definition in enumerate(TEMPLATES):
        if definition.name in existing_templates:
            continue
        day = 396 - 2 * index
        created = history.at(day, 9, 30)
        submitted = history.at(day, 17, 10)
        approved = history.at(day - 1, 10, 40)
        first = template_service.do_create_template(
            session,
            designer,
            name=definition.name,
            purpose=definition.purpose.value,
            variant_kinds=definition.kinds,
            locales=definition.locales,
            description=definition.description,
            schema=definition.schema,
            variants=definition.variants,
        )
        template_id = first.template_id
        template_service.do_submit_version(session, designer, template_id, 1)
        template_service.do_approve_version(
            session, compliance, template_id, 1, definition.approval
        )
        history.step(template_id, 1, "created", created)
        history.step(template_id, 1, "submitted", submitted)
        history.step(template_id, 1, "approved", approved)
        history.version(first, created_at=created, submitted_at=submitted, reviewed_at=approved)
        last = approved
        if definition.revision is not None:
            last = _revise(session, designer, history, definition, template_id)
        history.parent(first.template, created, last)
        templates_made += 1

    history.apply(session)
    _give_maria_her_data(session)
    return StudioSeed(blocks=blocks_made, templates=templates_made)


def _give_maria_her_data(session: Session) -> None:
    """What the CRM knows of Maria Rossi beyond her profile (her bill, her supply, her links),
    so the composer renders the templates for her: the samples are her story's figures.

    Kept as flat dotted attributes (``invoice.amount``), which the studio reads under the
    variable's whole name; keys already there are left alone.
    """
    maria = next(
        (
            c
            for c in session.scalars(select(Customer).where(Customer.display_name == "Maria Rossi"))
            if (c.attributes or {}).get("codice_cliente") == MARIA_KEY
        ),
        None,
    )
    if maria is None:
        return
    attributes = dict(maria.attributes or {})
    for definition in TEMPLATES:
        for variable in definition.schema:
            name = str(variable["name"])
            if not name.startswith("customer.") and name not in attributes:
                attributes[name] = variable["sample"]
    if attributes != maria.attributes:
        maria.attributes = attributes


def _revise(
    session: Session, designer: Actor, history: _History, definition: TemplateDef, template_id: Any
) -> datetime | None:
    """Version 2 of ``definition``: a draft under way, or submitted and waiting for review."""
    revision = definition.revision
    assert revision is not None
    days = revision.days_before_end
    created = history.at(days, 11, 15)
    edited = history.at(days, 11, 50)
    second = template_service.do_new_version(session, designer, template_id)
    template_service.do_edit_version(
        session,
        designer,
        template_id,
        second.number,
        schema=revision.schema,
        variants=definition.revised_variants(),
    )
    history.step(template_id, second.number, "version_created", created)
    history.step(template_id, second.number, "edited", edited)
    if revision.status is VersionStatus.IN_REVIEW:
        submitted = history.at(days, 16, 30)
        template_service.do_submit_version(session, designer, template_id, second.number)
        history.step(template_id, second.number, "submitted", submitted)
        history.version(second, created_at=created, submitted_at=submitted)
        return submitted
    history.version(second, created_at=created, updated_at=edited)
    return edited


__all__ = [
    "BLOCKS",
    "COMPLIANCE_EMAIL",
    "DESIGNER_EMAIL",
    "DOMAIN",
    "LETTER_SENDER",
    "TEMPLATES",
    "BlockDef",
    "Revision",
    "StudioSeed",
    "TemplateDef",
    "seed_templates",
]
