"""A template's data: raw JSON checked against its schema and turned into the values it renders.

Raw data comes from an API call, a campaign's audience query or a schema's samples. Each
declared variable is looked up by its dotted name, either nested (``{"invoice": {"amount":
...}}``) or flat (``{"invoice.amount": ...}``), and converted to its type: ``money`` becomes a
:class:`Money`, ``date`` a :class:`datetime.date`, ``datetime`` an aware
:class:`datetime.datetime`, ``decimal`` a :class:`~decimal.Decimal`. The result is nested by
the dotted names, so templates write ``{{ invoice.amount|money }}``. Undeclared keys are
dropped: a template sees only what its schema promises. Every problem is reported at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import get_currency_precision, list_currencies

from unisono.errors import Invalid
from unisono.studio.spec import VariableSpec, VarType

_CURRENCIES = frozenset(list_currencies())
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency (ISO 4217 code)."""

    amount: Decimal
    currency: str = "EUR"

    def __str__(self) -> str:
        # Shown when a template forgets the ``money`` filter: still unambiguous.
        digits = get_currency_precision(self.currency)
        return f"{self.amount:.{digits}f} {self.currency}"


# Samples used when a schema gives none, so a preview always renders (the linter says so).
DEFAULT_SAMPLES: Mapping[VarType, Any] = {
    VarType.STR: "Maria",
    VarType.INT: 1,
    VarType.DECIMAL: "1.5",
    VarType.MONEY: {"amount": "100.00", "currency": "EUR"},
    VarType.DATE: "2026-01-15",
    VarType.DATETIME: "2026-01-15T10:30:00+01:00",
    VarType.BOOL: True,
    VarType.URL: "https://example.com/",
    VarType.LIST: [],
}


class _Problem(ValueError):
    pass


def _money(value: Any) -> Money:
    if isinstance(value, Money):
        return value
    if not isinstance(value, Mapping):
        raise _Problem('a money value is {"amount": "412.30", "currency": "EUR"}')
    currency = value.get("currency", "EUR")
    if currency not in _CURRENCIES:
        if not isinstance(currency, str) or currency.upper() not in _CURRENCIES:
            raise _Problem(f"unknown currency {currency!r}")
        currency = currency.upper()
    return Money(_decimal(value.get("amount")), currency)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Problem(f"{value!r} is not a finite number")
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise _Problem('a number is expected (as a string such as "412.30")')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Problem(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise _Problem(f"{value!r} is not a finite number")
    return number


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Problem("an integer is expected, not true/false")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) < 40:
        return int(value)
    raise _Problem(f"{value!r} is not an integer")


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        raise _Problem("a date is expected, not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Problem(f"{value!r} is not a date (YYYY-MM-DD)")


def _datetime(value: Any) -> datetime:
    parsed: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise _Problem(f"{value!r} is not a date and time (ISO 8601)")
    if parsed.tzinfo is None:
        raise _Problem(f"{value!r} has no UTC offset (write e.g. 2026-12-01T10:00:00+01:00)")
    return parsed


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    raise _Problem(f"a text is expected, not {type(value).__name__}")


def _url(value: Any) -> str:
    text = _str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _Problem(f"{text!r} is not an http(s) address")
    return text


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _Problem("true or false is expected")


def _list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    raise _Problem("a list is expected")


CONVERTERS = {
    VarType.STR: _str,
    VarType.INT: _int,
    VarType.DECIMAL: _decimal,
    VarType.MONEY: _money,
    VarType.DATE: _date,
    VarType.DATETIME: _datetime,
    VarType.BOOL: _bool,
    VarType.URL: _url,
    VarType.LIST: _list,
}


def as_spec(item: VariableSpec | Mapping[str, Any]) -> VariableSpec:
    """A schema entry as a :class:`VariableSpec` (the stored JSON shape is accepted too)."""
    if isinstance(item, VariableSpec):
        return item
    try:
        return VariableSpec(
            name=str(item["name"]),
            type=VarType(item["type"]),
            sample=item.get("sample"),
            required=bool(item.get("required", True)),
            description=str(item.get("description") or ""),
        )
    except (KeyError, ValueError) as exc:
        raise Invalid(f"a schema entry is not a variable: {exc}") from None


def _lookup(raw: Mapping[str, Any], name: str, parts: tuple[str, ...]) -> Any:
    if name in raw:
        return raw[name]
    node: Any = raw
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    parents: tuple[str, ...]
    leaf: str
    convert: Any
    required: bool


@lru_cache(maxsize=256)
def _plan(signature: tuple[tuple[str, VarType, bool], ...]) -> tuple[_Entry, ...]:
    """A schema's variables ready to apply: checked once per schema, not once per customer."""
    entries = []
    values: set[str] = set()
    for name, kind, required in signature:
        *parents, leaf = name.split(".")
        entries.append(_Entry(name, tuple(parents), leaf, CONVERTERS[kind], required))
        values.add(name)
    for name in values:
        prefix = name.split(".")
        for depth in range(1, len(prefix)):
            parent = ".".join(prefix[:depth])
            if parent in values:
                raise Invalid(f"{name!r} is declared inside {parent!r}, which is a value itself")
    return tuple(entries)


def coerce(
    schema: Iterable[VariableSpec | Mapping[str, Any]], raw: Mapping[str, Any]
) -> dict[str, Any]:
    """The values of ``raw`` for each declared variable, typed and nested by dotted name.

    A missing optional variable is None (``{% if x %}`` works); a missing required one, or a
    value of the wrong shape, is an :class:`Invalid` listing every problem.
    """
    if not isinstance(raw, Mapping):
        raise Invalid("the data must be a JSON object")
    specs = [as_spec(item) for item in schema]
    plan = _plan(tuple((spec.name, spec.type, spec.required) for spec in specs))
    result: dict[str, Any] = {}
    problems: list[str] = []
    for entry in plan:
        value = _lookup(raw, entry.name, (*entry.parents, entry.leaf))
        if value is _MISSING or value is None:
            if entry.required:
                problems.append(f"{entry.name}: missing")
                continue
            value = None
        else:
            try:
                value = entry.convert(value)
            except _Problem as exc:
                problems.append(f"{entry.name}: {exc}")
                continue
        node = result
        for part in entry.parents:
            node = node.setdefault(part, {})
        node[entry.leaf] = value
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise Invalid(
            f"the data does not match the template's schema: {shown}{more}", problems=problems
        )
    return result


def sample_data(schema: Iterable[VariableSpec | Mapping[str, Any]]) -> dict[str, Any]:
    """The schema's samples as data (a default per type where a variable has none)."""
    specs = [as_spec(item) for item in schema]
    raw = {
        spec.name: spec.sample if spec.sample is not None else DEFAULT_SAMPLES[spec.type]
        for spec in specs
    }
    return coerce(specs, raw)
