"""The data a template sees for a real customer: the profile mapped onto the template's schema.

A template declares its variables (``customer.first_name``, ``invoice.amount``...); this module
finds a value for each one, in this order:

1. ``data`` given with the request (an API caller or a campaign supplies what the CRM knows
   and the profile does not, such as an invoice);
2. the customer's profile, for a variable under ``customer.`` (or ``cliente.``):
   ``first_name``/``given_name``/``nome``, ``last_name``/``family_name``/``cognome``,
   ``display_name``/``name``, ``language``, ``email`` and ``phone`` (the best identity of the
   kind: verified first, then the newest), ``id``; any other key is read from the customer's
   custom attributes, under its English or Italian name (``address``/``indirizzo``,
   ``customer_code``/``codice_cliente``, ``contract``/``contratto``...);
3. the custom attributes under the variable's whole dotted name (``contract.code`` as
   ``{"contract": {"code": ...}}`` or ``{"contract.code": ...}``);
4. only in previews, the schema's sample, and the variable is marked as such. At send time a
   required variable nothing supplies is an error: a customer never gets a sample's value.

Values are then typed by :func:`unisono.studio.data.coerce`. A customer's value that does not
fit its type (a date written "31/12/2020") falls back to the sample in a preview, with the
reason; at send time it refuses the send.

Nothing here reads the database or writes audit events: callers load the customer through
:func:`unisono.customers.access.access_customer` (or a conversation they accessed), which audits.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from unisono.errors import Invalid
from unisono.models import Customer, Identity, Template
from unisono.studio.data import DEFAULT_SAMPLES, as_spec, coerce
from unisono.studio.letter_layout import Address
from unisono.studio.spec import DEFAULT_LOCALE, VariableSpec, VarType

CUSTOMER_PREFIXES = ("customer", "cliente")

# Profile fields by the names templates may use for them.
PROFILE_FIELDS: Mapping[str, str] = {
    "first_name": "given_name",
    "given_name": "given_name",
    "nome": "given_name",
    "last_name": "family_name",
    "family_name": "family_name",
    "cognome": "family_name",
    "display_name": "display_name",
    "name": "display_name",
    "full_name": "display_name",
    "nome_completo": "display_name",
    "language": "language",
    "lingua": "language",
    "email": "email",
    "phone": "phone",
    "mobile": "phone",
    "telefono": "phone",
    "cellulare": "phone",
    "id": "id",
}

# Custom attributes a CRM holds under English or Italian names (as the demo's import does); a
# template may ask for either, the first key present wins.
ATTRIBUTE_ALIASES: tuple[tuple[str, ...], ...] = (
    ("customer_code", "code", "codice_cliente", "codice"),
    ("address", "indirizzo"),
    ("city", "citta", "città"),
    ("province", "provincia"),
    ("contract", "contratto"),
    ("offer", "offerta"),
    ("customer_since", "cliente_dal"),
    ("monthly_spend", "monthly_spend_eur", "spesa_mensile", "spesa_mensile_eur"),
    ("payment_method", "metodo_pagamento"),
    ("company", "company_name", "ragione_sociale"),
    ("vat_number", "partita_iva"),
    ("birth_date", "data_nascita"),
)
_ALIASES: Mapping[str, tuple[str, ...]] = {
    key: group for group in ATTRIBUTE_ALIASES for key in group
}
_MISSING = object()


class Source(enum.StrEnum):
    """Where a variable's value came from."""

    DATA = "data"  # given with the request
    CUSTOMER = "customer"  # the customer's profile or attributes
    SAMPLE = "sample"  # the schema's sample: previews only
    NONE = "none"  # an optional variable nothing supplies (renders as None)


@dataclass(frozen=True, slots=True)
class TemplateData:
    """Typed values for a render (``values``), and where each declared variable's came from.

    ``problems`` maps a variable to why the customer's value was not used (previews only: a send
    refuses instead).
    """

    values: dict[str, Any]
    sources: Mapping[str, Source]
    problems: Mapping[str, str] = field(default_factory=dict)

    @property
    def from_sample(self) -> list[str]:
        """The variables shown with a sample value instead of the customer's."""
        return [name for name, source in self.sources.items() if source is Source.SAMPLE]


def _lookup(raw: Mapping[str, Any], name: str) -> Any:
    """``name`` in ``raw``, flat (``{"a.b": 1}``) or nested (``{"a": {"b": 1}}``)."""
    if name in raw:
        return raw[name]
    node: Any = raw
    for part in name.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def best_identity(identities: Iterable[Identity], kind: str) -> Identity | None:
    """The identity of ``kind`` to use: verified first, then the newest."""
    found = [i for i in identities if i.kind == kind]
    if not found:
        return None
    return max(found, key=lambda i: (i.verified, i.created_at))


def _profile_value(customer: Customer, field_name: str) -> Any:
    if field_name in ("email", "phone"):
        identity = best_identity(customer.identities, field_name)
        return identity.value if identity else _MISSING
    if field_name == "id":
        return str(customer.id)
    value = getattr(customer, field_name)
    return value if value not in (None, "") else _MISSING


def _attribute(attributes: Mapping[str, Any], key: str) -> Any:
    value = _lookup(attributes, key)
    if value is not _MISSING:
        return value
    for alias in _ALIASES.get(key, ()):
        if alias != key and (value := _lookup(attributes, alias)) is not _MISSING:
            return value
    return _MISSING


def customer_value(customer: Customer, name: str) -> Any:
    """What ``customer`` supplies for the variable ``name``; ``MISSING`` when nothing."""
    attributes: Mapping[str, Any] = customer.attributes or {}
    prefix, _, rest = name.partition(".")
    if prefix in CUSTOMER_PREFIXES and rest:
        if rest in PROFILE_FIELDS:
            value = _profile_value(customer, PROFILE_FIELDS[rest])
            if value is not _MISSING:
                return value
        value = _attribute(attributes, rest)
        if value is not _MISSING:
            return value
    value = _lookup(attributes, name)
    return value if value is not None else _MISSING


def is_missing(value: Any) -> bool:
    return value is _MISSING or value is None


def _as_raw(spec: VariableSpec, value: Any) -> Any:
    """A customer's stored value in the shape :func:`coerce` reads for ``spec``'s type."""
    if spec.type is VarType.MONEY and isinstance(value, (int, float, Decimal, str)):
        # CRMs keep amounts as plain numbers (``spesa_mensile_eur: 94.5``): euros.
        return {"amount": str(value), "currency": "EUR"}
    if spec.type is VarType.STR and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _sample(spec: VariableSpec) -> Any:
    return spec.sample if spec.sample is not None else DEFAULT_SAMPLES[spec.type]


def _problem_of(spec: VariableSpec, value: Any) -> str | None:
    try:
        coerce([spec], {spec.name: value})
    except Invalid as exc:
        problems = exc.extra.get("problems") or [exc.detail]
        return str(problems[0])
    return None


def template_data(
    schema: Sequence[VariableSpec | Mapping[str, Any]],
    *,
    customer: Customer | None = None,
    data: Mapping[str, Any] | None = None,
    preview: bool,
) -> TemplateData:
    """The values a template renders with for ``customer`` and/or ``data`` (see the module).

    ``preview``: samples fill what is missing or unusable, marked :attr:`Source.SAMPLE`.
    Otherwise a required variable with no value, or a value of the wrong type, is ``Invalid``
    (reason ``missing_data``, ``problems`` listing each, ``missing`` naming their variables).
    A bad value in ``data`` is always ``Invalid``: the caller sent it.
    """
    if data is not None and not isinstance(data, Mapping):
        raise Invalid("the data must be a JSON object")
    specs = [as_spec(item) for item in schema]
    raw: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    problems: dict[str, str] = {}
    refused: list[str] = []
    lacking: list[str] = []  # the variables behind ``refused``, named for the operator
    for spec in specs:
        given = _lookup(data, spec.name) if data is not None else _MISSING
        if not is_missing(given):
            if (problem := _problem_of(spec, given)) is not None:
                raise Invalid(
                    f"the data does not match the template's schema: {problem}",
                    problems=[problem],
                )
            raw[spec.name], sources[spec.name] = given, Source.DATA
            continue
        value = customer_value(customer, spec.name) if customer is not None else _MISSING
        if not is_missing(value):
            value = _as_raw(spec, value)
            problem = _problem_of(spec, value)
            if problem is None:
                raw[spec.name], sources[spec.name] = value, Source.CUSTOMER
                continue
            if not preview:
                refused.append(f"{problem} (the customer's value)")
                lacking.append(spec.name)
                continue
            problems[spec.name] = problem
        if preview:
            raw[spec.name], sources[spec.name] = _sample(spec), Source.SAMPLE
        elif spec.required:
            refused.append(f"{spec.name}: missing")
            lacking.append(spec.name)
        else:
            sources[spec.name] = Source.NONE
    if refused:
        shown = "; ".join(refused[:5])
        more = f" (and {len(refused) - 5} more)" if len(refused) > 5 else ""
        raise Invalid(
            f"the template needs data the customer's profile does not have: {shown}{more}",
            reason="missing_data",
            problems=refused,
            missing=lacking,
        )
    return TemplateData(values=coerce(specs, raw), sources=sources, problems=problems)


def send_locale(template: Template, customer: Customer | None) -> str:
    """The locale to write to ``customer`` in: their language if the template has it, else the
    template's first locale (the default one)."""
    locales = list(template.locales) or [DEFAULT_LOCALE]
    language = (customer.language or "").strip().lower().replace("_", "-") if customer else ""
    for candidate in (language, language.split("-")[0]):
        if candidate and candidate in locales:
            return candidate
    return locales[0]


# A placeholder recipient for letters previewed with sample data.
SAMPLE_ADDRESS = Address("Maria Rossi", ("Via dell'Esempio 1", "40121 Bologna BO"))


def _address_lines(text: Any) -> tuple[str, ...]:
    if isinstance(text, str):
        return tuple(part.strip() for part in text.replace("\n", ",").split(",") if part.strip())
    if isinstance(text, Sequence):
        return tuple(str(part).strip() for part in text if str(part).strip())
    return ()


def letter_address(customer: Customer | None, *, preview: bool) -> Address:
    """The recipient printed in the envelope's window: the customer's name and postal address
    (the ``address``/``indirizzo`` attribute, its parts separated by commas or new lines).

    Previews without a customer, or of a customer with no address, show a placeholder;
    a send without an address is ``Invalid``.
    """
    if customer is None:
        if preview:
            return SAMPLE_ADDRESS
        raise Invalid("a letter needs a recipient")
    name = customer.display_name or " ".join(
        part for part in (customer.given_name, customer.family_name) if part
    )
    lines = _address_lines(_attribute(customer.attributes or {}, "address"))
    if not lines or not name.strip():
        if preview:
            return Address(name.strip() or SAMPLE_ADDRESS.name, lines or SAMPLE_ADDRESS.lines)
        raise Invalid(
            "the customer has no postal address (the address attribute): a letter cannot go",
            reason="no_address",
        )
    return Address(name, lines)


def letter_reference(customer: Customer | None) -> str:
    """What the letter quotes as "Rif.": the customer code, if the CRM gave one."""
    if customer is None:
        return ""
    code = _attribute(customer.attributes or {}, "customer_code")
    return str(code)[:80] if not is_missing(code) and "\n" not in str(code) else ""
