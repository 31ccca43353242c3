"""Rendering user-authored templates: a bounded Jinja2 sandbox with Babel formatting per locale.

Templates are written by operators and fed customer data, so both are untrusted. They run in
:class:`StudioEnvironment`, an ``ImmutableSandboxedEnvironment`` (no private attributes, no
mutation of lists and dicts, no ``namespace``) with ``StrictUndefined`` (a misspelt variable
is an error, never an empty string), autoescaping for HTML fields only, and bounds that make
hostile or careless templates fail fast with a clear error instead of taking the worker down:

- every ``for`` loop and every call (macros, methods, filters by name) spends from a budget of
  steps per field, and the field's wall time is capped;
- ``range()`` is limited; ``*``, ``**``, ``%``, ``+``, ``~`` and the growing string methods and
  filters refuse to build strings beyond the field limit;
- everything written, including into ``{% set %}`` captures, macros and ``{% filter %}``
  blocks, is counted (the code generator wraps each output), and a field's text is capped.

Numbers, money and dates are formatted for the customer's locale by filters (``money``,
``number``, ``decimal``, ``percent``, ``date``, ``datetime``, ``time``) compiled once per
locale from Babel's CLDR patterns: Babel's own ``format_currency`` costs ~40 µs a call, too
slow for a campaign, so common patterns are applied with Python's formatting and checked
against Babel by the tests. Compiled templates are cached by source (LRU); shared content
blocks are included by name (``{% include "footer" %}``), in the form of the field (HTML
fields include a block's ``html``, text fields its ``text``).
"""

from __future__ import annotations

import contextvars
import copy
import json
import re
import threading
import time as _time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import (
    NumberPattern,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)
from jinja2 import (
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    nodes,
    pass_environment,
    pass_eval_context,
)
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.filters import FILTERS
from jinja2.nodes import EvalContext
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import concat
from markupsafe import escape

from unisono.errors import Invalid
from unisono.studio.data import Money
from unisono.studio.email_html import inline_css_recorded, text_from_html
from unisono.studio.sms import sms_info
from unisono.studio.spec import VARIANT_FIELDS, RenderedVariant, VariantKind

MAX_FIELD_OUTPUT = 256 * 1024  # characters of one rendered field
MAX_WRITTEN = 4 * MAX_FIELD_OUTPUT  # characters written while rendering it, captures included
MAX_STRING = MAX_FIELD_OUTPUT  # the longest string an operator or method may build
MAX_STEPS = 100_000  # loop iterations and calls per field
MAX_SECONDS = 2.0  # wall time per field
MAX_RANGE = 10_000
MAX_FORMAT_WIDTH = 1_000
TEMPLATE_CACHE_SIZE = 4096
DEFAULT_TIMEZONE = "Europe/Rome"
DATE_FORMATS = ("short", "medium", "long", "full")

# Money patterns where the product's house style differs from CLDR: Italian bills write the
# euro sign first (``€ 1.234,56``), CLDR puts it after the amount.
MONEY_PATTERNS: Mapping[str, str] = {"it": "¤\xa0#,##0.00"}
# Spaces Babel puts in formatted values that are outside the GSM 7-bit alphabet: one would
# turn a whole SMS into UCS-2 (and halve its length), so text fields get plain spaces.
_WIDE_SPACES = str.maketrans({"\xa0": " ", "\u202f": " ", "\u2009": " "})


class RenderError(Invalid):
    """A template could not be rendered: syntax, unknown variable, a forbidden or unbounded
    operation. ``field`` and ``line`` say where (``line`` in the field's source, or in the
    block named by ``block``)."""

    code = "render_error"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        line: int | None = None,
        block: str | None = None,
        reason: str = "error",
    ) -> None:
        where = [f"field {field}"] if field else []
        if block:
            where.append(f"block {block}")
        if line:
            where.append(f"line {line}")
        super().__init__(
            f"{', '.join(where)}: {detail}" if where else detail,
            field=field,
            line=line,
            block=block,
            reason=reason,
        )
        self.field = field
        self.line = line
        self.block = block
        self.reason = reason


class LimitExceeded(SecurityError):
    """A bound was hit (steps, time, size): the template would run too long or write too much."""


# --- the per-render state ---------------------------------------------------------------------


@dataclass(slots=True)
class _Budget:
    blocks: Mapping[str, Mapping[str, str]]
    zone: tzinfo
    steps: int = 0
    written: int = 0
    # What was written, in order, as (is an expression's value, text), when asked for.
    pieces: list[tuple[bool, str]] | None = None
    deadline: float = 0.0  # set by reset(), before each field

    def reset(self) -> None:
        """A fresh allowance for the next field."""
        self.steps = self.written = 0
        self.deadline = _time.monotonic() + MAX_SECONDS

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise LimitExceeded(
                f"the template runs too long (more than {MAX_STEPS:,} loop iterations and "
                "calls); loops over large ranges or recursive macros are not allowed"
            )
        if not self.steps & 1023 and _time.monotonic() > self.deadline:
            raise LimitExceeded(f"the template ran for more than {MAX_SECONDS:g} seconds")


_STATE: contextvars.ContextVar[_Budget] = contextvars.ContextVar("studio_render_budget")


def _budget() -> _Budget:
    try:
        return _STATE.get()
    except LookupError:
        raise SecurityError("templates render only through unisono.studio.render") from None


def _written_too_much() -> LimitExceeded:
    return LimitExceeded(
        f"the template writes more than {MAX_WRITTEN:,} characters (loops of copies?)"
    )


def _too_long(length: int) -> LimitExceeded:
    return LimitExceeded(
        f"the template builds a text of {length:,} characters (at most {MAX_STRING:,})"
    )


# --- number and date formatting ------------------------------------------------------------------


class _NumberFormat:
    """A CLDR number pattern for one locale, applied without Babel's per-call overhead when it
    is a plain grouped pattern (the case for every locale we serve); Babel otherwise."""

    def __init__(self, pattern: NumberPattern, locale: Locale, plain_spaces: bool) -> None:
        self.pattern = pattern
        self.locale = locale
        self.locale_id = str(locale)
        self.plain_spaces = plain_spaces
        self.decimal = get_decimal_symbol(locale)
        self.group = get_group_symbol(locale)
        self.prefix = pattern.prefix
        self.suffix = pattern.suffix
        self.scale = pattern.scale
        self.fast = (
            pattern.grouping == (3, 3)
            and not pattern.exp_prec
            and "@" not in pattern.pattern
            and "'" not in pattern.pattern
            and pattern.int_prec[0] <= 1
        )
        group, decimal = self.group, self.decimal
        if plain_spaces:
            group = group.translate(_WIDE_SPACES)
        self._translate = (
            None if (group, decimal) == (",", ".") else str.maketrans({",": group, ".": decimal})
        )
        self._affix_cache: dict[str | None, tuple[tuple[str, str], tuple[str, str]]] = {}
        self._patterns: dict[tuple[int, int], NumberPattern] = {}

    def _affixes(self, currency: str | None) -> tuple[tuple[str, str], tuple[str, str]]:
        affixes = self._affix_cache.get(currency)
        if affixes is None:
            symbol = _currency_symbol(currency, self.locale_id) if currency else ""

            def fill(text: str) -> str:
                if currency:
                    text = text.replace("¤¤", currency).replace("¤", symbol)
                return text.translate(_WIDE_SPACES) if self.plain_spaces else text

            affixes = (
                (fill(self.prefix[0]), fill(self.suffix[0])),
                (fill(self.prefix[1]), fill(self.suffix[1])),
            )
            self._affix_cache[currency] = affixes
        return affixes

    def _babel(self, value: Decimal, frac: tuple[int, int], currency: str | None) -> str:
        pattern = self._patterns.get(frac)
        if pattern is None:
            pattern = copy.copy(self.pattern)
            pattern.frac_prec = frac
            self._patterns[frac] = pattern
        text = str(pattern.apply(value, self.locale, currency=currency, currency_digits=False))
        return text.translate(_WIDE_SPACES) if self.plain_spaces else text

    def __call__(self, value: Decimal, frac: tuple[int, int], currency: str | None = None) -> str:
        if not self.fast:
            return self._babel(value, frac, currency)
        if self.scale:
            value = value.scaleb(self.scale)
        low, high = frac
        rounded = abs(value).quantize(_QUANTUM[high], rounding=ROUND_HALF_EVEN)
        number = f"{rounded:,f}"
        if high > low:
            whole, _, fraction = number.partition(".")
            fraction = fraction.rstrip("0")
            if len(fraction) < low:
                fraction += "0" * (low - len(fraction))
            number = f"{whole}.{fraction}" if fraction else whole
        if self._translate is not None:
            number = number.translate(self._translate)
        prefix, suffix = self._affixes(currency)[value.is_signed()]
        return f"{prefix}{number}{suffix}"


_QUANTUM = [Decimal(1).scaleb(-digits) for digits in range(11)]


@lru_cache(maxsize=512)
def _currency_symbol(currency: str, locale: str) -> str:
    return str(get_currency_symbol(currency, locale))


@lru_cache(maxsize=64)
def _currency_digits(currency: str) -> int:
    return int(get_currency_precision(currency))


def _to_decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{what}: true/false is not a number")
    if isinstance(value, (int, float, str)):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"{what}: {value!r} is not a number") from None
        if number.is_finite():
            return number
    raise ValueError(f"{what}: {value!r} is not a number")


class Formats:
    """The formatting filters of one locale (``plain_spaces`` for SMS)."""

    def __init__(self, locale: Locale, plain_spaces: bool) -> None:
        self.locale = locale
        self.plain_spaces = plain_spaces
        money = MONEY_PATTERNS.get(str(locale)) or MONEY_PATTERNS.get(locale.language)
        money_pattern = parse_pattern(money) if money else locale.currency_formats["standard"]
        self._money = _NumberFormat(money_pattern, locale, plain_spaces)
        self._number = _NumberFormat(locale.decimal_formats[None], locale, plain_spaces)
        self._percent = _NumberFormat(locale.percent_formats[None], locale, plain_spaces)
        self._dates: dict[tuple[Any, ...], str] = {}

    def money(self, value: Any, currency: str | None = None) -> str:
        """``{{ invoice.amount|money }}``: € 1.234,56 (it), €1,234.56 (en)."""
        if isinstance(value, Money):
            amount, code = value.amount, currency or value.currency
        elif isinstance(value, Mapping) and "amount" in value:
            amount = _to_decimal(value["amount"], "money")
            code = currency or str(value.get("currency") or "EUR")
        else:
            amount, code = _to_decimal(value, "money"), currency or "EUR"
        code = code.upper()
        digits = _currency_digits(code)
        return self._money(amount, (digits, digits), code)

    def number(self, value: Any) -> str:
        """``{{ n|number }}``: grouped, up to 3 decimals (1.234,5 in it)."""
        return self._number(_to_decimal(value, "number"), (0, 3))

    def decimal(self, value: Any, digits: int = 2) -> str:
        """``{{ x|decimal(1) }}``: grouped, exactly ``digits`` decimals."""
        digits = _small(digits, "decimal digits")
        return self._number(_to_decimal(value, "decimal"), (digits, digits))

    def percent(self, value: Any, digits: int = 0) -> str:
        """``{{ 0.125|percent(1) }}``: 12,5% (the value is a fraction)."""
        digits = _small(digits, "percent digits")
        return self._percent(_to_decimal(value, "percent"), (0, digits))

    def _cached(self, key: tuple[Any, ...], make: Callable[[], str]) -> str:
        # Campaigns repeat the same dates (a due date, a send day): format each once.
        text = self._dates.get(key)
        if text is None:
            text = make()
            if self.plain_spaces:
                text = text.translate(_WIDE_SPACES)
            if len(self._dates) > 4096:
                self._dates.clear()
            self._dates[key] = text
        return text

    def date(self, value: Any, format: str = "medium", tz: str | None = None) -> str:
        """``{{ due|date }}``, ``date('short'|'medium'|'long'|'full')`` or a CLDR pattern.

        A moment (an aware datetime) is the day it is in the customer's time zone (or ``tz``):
        23:30 UTC on the 7th of April is the 8th in Rome.
        """
        day = _as_date(value, lambda: _zone(tz) if tz else _budget().zone)
        pattern = _date_pattern(format)
        return self._cached(("d", day, pattern), lambda: format_date(day, pattern, self.locale))

    def datetime(self, value: Any, format: str = "medium", tz: str | None = None) -> str:
        """``{{ at|datetime('short') }}`` in the customer's time zone (or ``tz``)."""
        moment = _as_datetime(value)
        zone = _zone(tz) if tz else _budget().zone
        pattern = _date_pattern(format)
        return self._cached(
            ("dt", moment, pattern, str(zone)),
            lambda: format_datetime(moment, pattern, tzinfo=zone, locale=self.locale),
        )

    def time(self, value: Any, format: str = "short", tz: str | None = None) -> str:
        """``{{ at|time }}``: the time of day in the customer's time zone (or ``tz``)."""
        zone = _zone(tz) if tz else _budget().zone
        moment: datetime | time = value if isinstance(value, time) else _as_datetime(value)
        pattern = _date_pattern(format)
        return self._cached(
            ("t", moment, pattern, str(zone)),
            lambda: format_time(moment, pattern, tzinfo=zone, locale=self.locale),
        )


def _small(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError(f"{what} must be a whole number from 0 to 10")
    return value


def _date_pattern(format: str) -> str:
    if not isinstance(format, str) or not format or len(format) > 64:
        raise ValueError(f"a date format is one of {', '.join(DATE_FORMATS)} or a CLDR pattern")
    return format


def _as_date(value: Any, zone: Callable[[], tzinfo]) -> date:
    """The day of ``value``; ``zone`` (asked only for a moment with an offset) says where."""
    if isinstance(value, datetime):
        return value.astimezone(zone()).date() if value.tzinfo is not None else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) > 10:
                return _as_date(_as_datetime(text), zone)
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"date: {value!r} is not a date")


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    raise ValueError(f"datetime: {value!r} is not a date and time")


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


# --- the bounded sandbox ----------------------------------------------------------------------


def _check_width(value: Any) -> None:
    if isinstance(value, int) and value > MAX_STRING:
        raise _too_long(value)


def _center(value: Any, width: int = 80) -> str:
    _check_width(width)
    return str(FILTERS["center"](value, width))


def _indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    text = str(value)
    pad = len(width) if isinstance(width, str) else width
    _check_width(pad)
    if pad * (text.count("\n") + 1) + len(text) > MAX_STRING:
        raise _too_long(pad * (text.count("\n") + 1) + len(text))
    return str(FILTERS["indent"](value, width, first, blank))


@pass_environment
def _wordwrap(
    env: Any,
    value: Any,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    if wrapstring is not None and len(wrapstring) > 10:
        raise LimitExceeded("wordwrap's wrapstring is at most 10 characters")
    wrap = FILTERS["wordwrap"]
    return str(wrap(env, value, width, break_long_words, wrapstring, break_on_hyphens))


def _check_replace(text: str, old: str, new: str, count: int | None) -> None:
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    length = len(text) + hits * (len(new) - len(old))
    if length > MAX_STRING:
        raise _too_long(length)


@pass_eval_context
def _replace(
    eval_ctx: EvalContext, value: Any, old: Any, new: Any, count: int | None = None
) -> str:
    _check_replace(str(value), str(old), str(new), count)
    return str(FILTERS["replace"](eval_ctx, value, old, new, count))


def _check_join(items: list[Any], separator: str) -> None:
    _budget().step(len(items))
    length = sum(len(str(item)) for item in items) + max(len(items) - 1, 0) * len(separator)
    if length > MAX_STRING:
        raise _too_long(length)


@pass_eval_context
def _join(
    eval_ctx: EvalContext, value: Iterable[Any], d: str = "", attribute: str | int | None = None
) -> str:
    items = list(value)
    _check_join(items, str(d))
    return str(FILTERS["join"](eval_ctx, items, d, attribute))


# Jinja's filters that stay as they are: none can grow a text beyond a multiple of its input.
_PLAIN_FILTERS = (
    "abs", "attr", "batch", "capitalize", "count", "d", "default", "dictsort", "e", "escape",
    "filesizeformat", "first", "float", "forceescape", "groupby", "int", "items", "last",
    "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "reverse", "round",
    "select", "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "tojson",
    "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount", "xmlattr",
)  # fmt: skip
# Left out on purpose: ``safe`` (would let data through unescaped), ``format`` (widths),
# ``pprint`` (internals), ``random`` (a message must be reproducible).

_GROWING_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})
_FORMAT_SPEC = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class _StudioCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every write and every ``~`` going through the budget."""

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return f"environment.written({super()._output_const_repr(group)})"

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile:
            self.write("environment.emit(context.eval_ctx.autoescape, ")
        elif frame.eval_ctx.autoescape:
            self.write("environment.emit(True, ")
        else:
            self.write("environment.emit(False, ")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write(")")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 - Jinja's visitor name
        markup = (
            "context.eval_ctx.autoescape"
            if frame.eval_ctx.volatile
            else (str(bool(frame.eval_ctx.autoescape)))
        )
        self.write(f"environment.checked_concat({markup}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class StudioEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox of one locale and one kind of field (HTML, text, or SMS text)."""

    code_generator_class = _StudioCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, locale: Locale, *, html: bool, plain_spaces: bool = False) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=html,
            trim_blocks=True,
            lstrip_blocks=True,
            cache_size=0,
            auto_reload=False,
        )
        self.block_format = "html" if html else "text"
        self.formats = Formats(locale, plain_spaces)
        self.globals.clear()
        self.globals["range"] = self._range
        self.filters.clear()
        self.filters.update({name: FILTERS[name] for name in _PLAIN_FILTERS})
        self.filters.update(
            center=_center,
            indent=_indent,
            wordwrap=_wordwrap,
            replace=_replace,
            join=_join,
            money=self.formats.money,
            number=self.formats.number,
            decimal=self.formats.decimal,
            percent=self.formats.percent,
            date=self.formats.date,
            datetime=self.formats.datetime,
            time=self.formats.time,
        )
        # functools' LRU: in C, thread-safe, and it never caches an exception (syntax errors).
        self._compiled = lru_cache(maxsize=TEMPLATE_CACHE_SIZE)(self._compile_template)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # str.format and format_map take field widths (``{:>999999999}``): a memory bomb, and
        # ``~`` with the filters does all a message needs.
        if getattr(value, "__name__", None) in ("format", "format_map") and isinstance(
            getattr(value, "__self__", None), str
        ):

            def refused(*args: Any, **kwargs: Any) -> str:
                raise SecurityError("str.format is not available in templates: use ~ and filters")

            return refused
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Template data is JSON: ``invoice.items`` means the data's "items", not dict.items,
        # and looking the key up first spares an AttributeError on every dotted name.
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    # -- guards called by compiled templates -----------------------------------------------

    @staticmethod
    def _range(*args: int) -> Iterator[int]:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise LimitExceeded(f"range() gives at most {MAX_RANGE:,} numbers")
        return iter(numbers)

    @staticmethod
    def loop_guard(iterable: Iterable[Any]) -> Iterator[Any]:
        """Wraps every ``for`` loop's iterable: each iteration spends a step."""
        budget = _budget()
        for item in iterable:
            budget.step()
            yield item

    @staticmethod
    def written(text: str) -> str:
        """Counts a piece of output against the budget (called for every piece written)."""
        budget = _STATE.get()
        budget.written += len(text)
        if budget.written > MAX_WRITTEN:
            raise _written_too_much()
        if budget.pieces is not None:
            budget.pieces.append((False, text))
        return text

    @staticmethod
    def emit(autoescape: bool, value: Any) -> str:
        """An expression's output: escaped (HTML) or as text, None as nothing, counted."""
        if value is None:
            return ""  # an optional variable left empty reads as nothing, never "None"
        text: str = escape(value) if autoescape else str(value)
        budget = _STATE.get()
        budget.written += len(text)
        if budget.written > MAX_WRITTEN:
            raise _written_too_much()
        if budget.pieces is not None:
            budget.pieces.append((True, text))
        return text

    @staticmethod
    def checked_concat(markup: bool, parts: tuple[Any, ...]) -> str:
        length = 0
        for part in parts:
            length += len(part) if isinstance(part, str) else len(str(part))
            if length > MAX_STRING:
                raise _too_long(length)
        return str(markup_join(parts) if markup else str_join(parts))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, (str, list, tuple)) and isinstance(times, int)
                if sized and len(seq) * times > MAX_STRING:
                    raise _too_long(len(seq) * times)
        elif operator == "**":
            integers = isinstance(left, int) and isinstance(right, int)
            if integers and abs(left) > 1 and right * abs(left).bit_length() > 4096:
                raise LimitExceeded("the power is too large")
        elif operator == "%" and isinstance(left, str):
            for width, precision in _FORMAT_SPEC.findall(left):
                for number in (width, precision):
                    if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                        raise LimitExceeded("a %-format width is too large")
        elif operator == "+":
            sequences = isinstance(left, (str, list, tuple)) and isinstance(
                right, (str, list, tuple)
            )
            if sequences and len(left) + len(right) > MAX_STRING:
                raise _too_long(len(left) + len(right))
        result = super().call_binop(context, operator, left, right)
        if operator == "%" and isinstance(result, str) and len(result) > MAX_STRING:
            raise _too_long(len(result))
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _budget().step()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            name = getattr(__obj, "__name__", "")
            if name in _GROWING_METHODS and args:
                _check_width(args[0])
            elif name == "expandtabs":
                size = args[0] if args else kwargs.get("tabsize", 8)
                if isinstance(size, int) and size * len(owner) > MAX_STRING:
                    raise _too_long(size * len(owner))
            elif name == "replace" and len(args) >= 2:
                count = args[2] if len(args) > 2 else kwargs.get("count")
                _check_replace(owner, str(args[0]), str(args[1]), count)
            elif name == "join" and args:
                items = list(args[0])
                _check_join(items, owner)
                return owner.join(items)
        return super().call(__context, __obj, *args, **kwargs)

    # -- parsing, compiling, blocks ----------------------------------------------------------

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for node in tree.find_all((nodes.ScopedEvalContextModifier, nodes.EvalContextModifier)):
            raise TemplateSyntaxError(
                "{% autoescape %} is not available in templates", node.lineno, name, filename
            )
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("loop_guard"),
                [loop.iter],
                [],
                None,
                None,
                lineno=loop.lineno,
            )
        return tree

    def compiled(self, source: str, filename: str = "<template>") -> Template:
        """``source`` compiled once (LRU by source text); syntax errors raise."""
        return self._compiled(source, filename)

    def _compile_template(self, source: str, filename: str) -> Template:
        code = self.compile(source, None, filename)
        return self.template_class.from_code(self, code, self.make_globals(None), None)

    def _load_template(
        self,
        name: str,
        globals: MutableMapping[str, Any] | None,
    ) -> Template:
        block = _budget().blocks.get(name)
        source = block.get(self.block_format) if block else None
        if source is None:
            if block:
                raise TemplateNotFound(f"{name} (it has no {self.block_format} form)")
            raise TemplateNotFound(name)
        return self.compiled(source, f"<block {name}>")


@lru_cache(maxsize=32)
def _locale(code: str) -> Locale:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise Invalid(f"unknown locale {code!r}") from None


_ENVS: dict[tuple[str, str], StudioEnvironment] = {}
_ENVS_LOCK = threading.Lock()


def environment(locale: str, mode: str) -> StudioEnvironment:
    """The shared environment of ``locale`` for ``mode`` ``html`` or ``text`` (``sms`` is
    text). Text fields get plain spaces where Babel writes no-break ones: in an SMS one would
    force UCS-2, and elsewhere they are invisible surprises in copied text."""
    html = mode == "html"
    key = (locale, "html" if html else "text")
    env = _ENVS.get(key)
    if env is None:
        with _ENVS_LOCK:
            env = _ENVS.get(key)
            if env is None:
                env = StudioEnvironment(_locale(locale), html=html, plain_spaces=not html)
                _ENVS[key] = env
    return env


# --- rendering ---------------------------------------------------------------------------------


def _where(exc: BaseException) -> tuple[int | None, str | None]:
    """The template line (and block) an exception was raised at, from the traceback."""
    line: int | None = None
    block: str | None = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None:
            line = template.get_corresponding_lineno(tb.tb_lineno)
            name = template.filename or ""
            block = name[7:-1] if name.startswith("<block ") else None
        tb = tb.tb_next
    return line, block


def _explain(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, UndefinedError):
        return f"unknown variable or attribute: {exc.message}", "undefined"
    if isinstance(exc, LimitExceeded):
        return str(exc), "limit"
    if isinstance(exc, SecurityError):
        return f"not allowed: {exc}", "security"
    if isinstance(exc, TemplateNotFound):
        return f"unknown block {exc.name}", "block"
    if isinstance(exc, RecursionError):
        return "the template calls itself too deeply", "limit"
    if isinstance(exc, MemoryError):
        return "the template needs too much memory", "limit"
    return f"{type(exc).__name__}: {exc}", "error"


def _render(
    env: StudioEnvironment,
    source: str,
    data: Mapping[str, Any],
    field_name: str,
    budget: _Budget,
) -> str:
    token = _STATE.set(budget)
    try:
        try:
            template = env.compiled(source)
        except TemplateSyntaxError as exc:
            raise RenderError(
                f"syntax error: {exc.message}",
                field=field_name,
                line=exc.lineno,
                reason="syntax",
            ) from None
        try:
            # Every piece written is counted as it is made (``written``/``emit``), so the
            # join cannot grow beyond MAX_WRITTEN; the field itself is held to less.
            text = concat(template.root_render_func(template.new_context(dict(data))))
            if len(text) > MAX_FIELD_OUTPUT:
                raise LimitExceeded(f"the text is longer than {MAX_FIELD_OUTPUT // 1024} KB")
            return text
        except TemplateSyntaxError as exc:  # in an included block
            raise RenderError(
                f"syntax error: {exc.message}",
                field=field_name,
                line=exc.lineno,
                block=(exc.filename or "")[7:-1] or None,
                reason="syntax",
            ) from None
        except RenderError:
            raise
        except Exception as exc:  # noqa: BLE001 - user templates can raise anything; all is reported
            line, block = _where(exc)
            message, reason = _explain(exc)
            raise RenderError(
                message, field=field_name, line=line, block=block, reason=reason
            ) from None
    finally:
        _STATE.reset(token)


def _budget_for(blocks: Mapping[str, Mapping[str, str]] | None, timezone: str | None) -> _Budget:
    try:
        zone = _zone(timezone or DEFAULT_TIMEZONE)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    budget = _Budget(blocks=blocks or {}, zone=zone)
    budget.reset()
    return budget


def render_text(
    source: str,
    data: Mapping[str, Any],
    locale: str,
    *,
    html: bool,
    blocks: Mapping[str, Mapping[str, str]] | None = None,
    timezone: str | None = None,
    field: str = "text",
) -> str:
    """One source rendered with ``data`` (HTML-escaped when ``html``)."""
    env = environment(locale, "html" if html else "text")
    return _render(env, source, data, field, _budget_for(blocks, timezone))


def json_field(value: Any, field_name: str, expected: type) -> Any:
    """A WhatsApp JSON field (stored as JSON, or as its text) as ``expected``."""
    if value is None or value == "":
        return expected()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise RenderError(f"not valid JSON: {exc}", field=field_name, reason="json") from None
    if not isinstance(value, expected):
        raise RenderError(
            f"must be a JSON {'object' if expected is dict else 'list'}",
            field=field_name,
            reason="json",
        )
    return value


_META_PARAMETER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def whatsapp_body(body: str, values: Mapping[str, str]) -> str:
    """Meta's template body with its ``{{name}}`` parameters replaced (for previews)."""
    return _META_PARAMETER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def render_variant(
    kind: VariantKind,
    locale: str,
    sources: Mapping[str, Any],
    data: Mapping[str, Any],
    blocks: Mapping[str, Mapping[str, str]] | None = None,
    *,
    max_sms_segments: int | None = None,
    timezone: str | None = None,
) -> RenderedVariant:
    """A variant rendered for one customer (``data`` as :func:`unisono.studio.data.coerce`
    gives it) in ``locale``; ``blocks`` maps block name -> {"html"|"text": source} for the
    locale. Raises :class:`RenderError` naming the field and line; an SMS longer than
    ``max_sms_segments`` parts is an error too (the send-time check per recipient)."""
    kind = kind if isinstance(kind, VariantKind) else VariantKind(kind)
    budget = _budget_for(blocks, timezone)
    fields: dict[str, str] = {}
    extra: dict[str, Any] = {}

    def text(name: str, mode: str = "text") -> str:
        source = sources.get(name)
        if not source:
            return ""
        if not isinstance(source, str):
            raise RenderError("must be text", field=name, reason="type")
        budget.reset()
        return _render(environment(locale, mode), source, data, name, budget)

    if kind is VariantKind.EMAIL:
        fields["subject"] = " ".join(text("subject").split())
        budget.pieces = []
        html = text("html", "html")
        fields["html"] = inline_css_recorded(html, budget.pieces)
        budget.pieces = None
        fields["text"] = text("text")
        extra["text_generated"] = not fields["text"].strip()
        if extra["text_generated"]:
            fields["text"] = text_from_html(fields["html"])
    elif kind is VariantKind.SMS:
        fields["text"] = text("text", "sms")
        info = sms_info(fields["text"])
        extra.update(
            encoding=info.encoding.value,
            segments=info.segments,
            units=info.units,
            per_segment=info.per_segment,
            chars_outside=list(info.chars_outside),
        )
        if max_sms_segments is not None and info.segments > max_sms_segments:
            raise RenderError(
                f"the SMS takes {info.segments} parts ({info.encoding.value}), more than the "
                f"{max_sms_segments} allowed",
                field="text",
                reason="sms_too_long",
            )
    elif kind is VariantKind.WHATSAPP:
        for name in ("template_name", "category"):
            fields[name] = str(sources.get(name) or "")
        parameters = json_field(sources.get("parameters"), "parameters", dict)
        values: dict[str, str] = {}
        for name, source in parameters.items():
            if not isinstance(source, str):
                raise RenderError(f"parameter {name} must be text", field="parameters")
            budget.reset()
            values[str(name)] = _render(
                environment(locale, "text"), source, data, f"parameters.{name}", budget
            )
        body = sources.get("body") or ""
        fields["body"] = whatsapp_body(str(body), values)
        fields["text"] = text("text")
        extra["parameters"] = values
        extra["buttons"] = json_field(sources.get("buttons"), "buttons", list)
    else:
        mode = "html" if kind is VariantKind.LETTER else "text"
        for name in VARIANT_FIELDS[kind]:
            fields[name] = text(name, mode if name == "html" else "text")
    return RenderedVariant(kind=kind, locale=locale, fields=fields, extra=extra)


__all__ = [
    "MAX_FIELD_OUTPUT",
    "Formats",
    "RenderError",
    "StudioEnvironment",
    "environment",
    "render_text",
    "render_variant",
    "whatsapp_body",
]
