"""Checking what designers write: a template's attributes, its data schema, its variants, a block.

Everything here is pure (no database): each ``check_*`` returns the normalised value or raises
``Invalid`` listing every problem found (``problems`` in the error), so a designer fixes them
all in one go.

Shapes (JSON as stored and as the API carries it):

- data schema: ``[{"name": "invoice.amount", "type": "money", "sample": {...},
  "required": true, "description": ""}, ...]``; names are dotted identifiers, unique, and a
  name is never both a value and the parent of another (``customer`` and ``customer.name``);
  a sample, when given, passes the same checks as real data (``unisono.studio.data``).
- variants: ``{variant kind: {locale: {field: value}}}``; kinds and locales among the
  template's, fields among ``VARIANT_FIELDS``. Values are Jinja2 source strings, except the
  WhatsApp ``parameters`` (a JSON object, parameter name -> Jinja2 source) and ``buttons`` (a
  JSON list of ``{"type": "QUICK_REPLY"|"URL", "text": ..., "url": ...}``), kept as JSON.
- block content: ``{locale: {"html": source, "text": source}}``.

A draft may be incomplete; ``missing_for_review`` and ``block_missing_for_review`` say which
fields a version still lacks before review (the linter reports missing variants and locales
and checks the sources themselves).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from unisono.errors import Invalid
from unisono.studio.data import coerce
from unisono.studio.spec import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    VARIANT_FIELDS,
    LintFinding,
    Purpose,
    Severity,
    VariableSpec,
    VariantKind,
    VarType,
)

MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_VARIABLES = 200
MAX_VARIABLE_NAME = 100
MAX_SOURCE = 100_000
MAX_SAMPLE_JSON = 20_000
MAX_CONTENT_JSON = 1_000_000
MAX_BUTTONS = 10
MAX_PARAMETERS = 50

VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
BLOCK_NAME = re.compile(r"[a-z][a-z0-9_-]{0,63}")
WHATSAPP_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")
WHATSAPP_PARAMETER = re.compile(r"[a-z_][a-z0-9_]{0,59}")
WHATSAPP_CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
WHATSAPP_BUTTON_TYPES = ("QUICK_REPLY", "URL")
BLOCK_FORMATS = ("html", "text")
# Fields a variant needs before review (WhatsApp: a template message or a free-form text).
REQUIRED_FIELDS: Mapping[VariantKind, tuple[str, ...]] = {
    VariantKind.EMAIL: ("subject", "html"),
    VariantKind.SMS: ("text",),
    VariantKind.WHATSAPP: (),
    VariantKind.PUSH: ("title", "body"),
    VariantKind.IN_APP: ("title", "body"),
    VariantKind.LETTER: ("html",),
    VariantKind.CALL_SCRIPT: ("text",),
}
JSON_FIELDS = {(VariantKind.WHATSAPP, "parameters"), (VariantKind.WHATSAPP, "buttons")}


def N_(message: str) -> str:  # noqa: N802 - the name message extractors look for
    return message


def canonical_json(value: Any) -> str:
    """One spelling of ``value`` as JSON: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def _raise(problems: list[str]) -> None:
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise Invalid(shown + more, problems=problems)


# --- template attributes ---------------------------------------------------------------------


def check_name(name: str, what: str = "template") -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise Invalid(f"the {what} needs a name")
    if len(cleaned) > MAX_NAME:
        raise Invalid(f"the {what} name is longer than {MAX_NAME} characters")
    return cleaned


def check_block_name(name: str) -> str:
    if not BLOCK_NAME.fullmatch(name):
        raise Invalid(
            "a block name is 1 to 64 lower-case letters, digits, '_' or '-', starting with a "
            'letter (it is written in templates as {% include "name" %})'
        )
    return name


def check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"the description is longer than {MAX_DESCRIPTION} characters")
    return description.strip()


def check_purpose(purpose: str) -> Purpose:
    try:
        return Purpose(purpose)
    except ValueError as exc:
        raise Invalid(f"'{purpose}' is not a purpose; use one of {', '.join(Purpose)}") from exc


def check_variant_kinds(kinds: Iterable[str]) -> list[str]:
    """The kinds, each once, in the given order; at least one."""
    result: list[str] = []
    for kind in kinds:
        if kind not in VARIANT_FIELDS:
            raise Invalid(f"'{kind}' is not a variant kind; use {', '.join(VariantKind)}")
        if kind in result:
            raise Invalid(f"the variant kind '{kind}' is listed twice")
        result.append(str(VariantKind(kind)))
    if not result:
        raise Invalid("a template supports at least one variant kind")
    return result


def check_locales(locales: Iterable[str]) -> list[str]:
    """The locales, each once, the default locale (Italian) first and required."""
    seen: list[str] = []
    for locale in locales:
        if locale not in SUPPORTED_LOCALES:
            raise Invalid(
                f"'{locale}' is not a supported locale; use {', '.join(SUPPORTED_LOCALES)}"
            )
        if locale in seen:
            raise Invalid(f"the locale '{locale}' is listed twice")
        seen.append(locale)
    if DEFAULT_LOCALE not in seen:
        raise Invalid(f"every template has a '{DEFAULT_LOCALE}' variant: add '{DEFAULT_LOCALE}'")
    return [DEFAULT_LOCALE] + [loc for loc in seen if loc != DEFAULT_LOCALE]


# --- data schema -----------------------------------------------------------------------------


def _sample_problem(spec: VariableSpec) -> str | None:
    """Why the sample of ``spec`` is not data of its type, or None: the rules of real data."""
    try:
        coerce([VariableSpec(spec.name, spec.type)], {spec.name: spec.sample})
    except Invalid as exc:
        problems = exc.extra.get("problems") or [exc.detail]
        return str(problems[0]).removeprefix(f"{spec.name}: ")
    return None


def check_schema(raw: Sequence[Mapping[str, Any]]) -> list[VariableSpec]:
    """The declared variables of a data schema; Invalid listing every problem."""
    problems: list[str] = []
    specs: list[VariableSpec] = []
    if len(raw) > MAX_VARIABLES:
        raise Invalid(f"a schema declares at most {MAX_VARIABLES} variables")
    for index, item in enumerate(raw):
        where = f"schema[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where} is not an object")
            continue
        unknown = set(item) - {"name", "type", "sample", "required", "description"}
        if unknown:
            problems.append(f"{where} has unknown keys: {', '.join(sorted(map(str, unknown)))}")
        name = item.get("name")
        if not isinstance(name, str) or not VARIABLE_NAME.fullmatch(name):
            problems.append(f"{where}: the name must be a dotted identifier like invoice.amount")
            continue
        where = f"variable {name}"
        if len(name) > MAX_VARIABLE_NAME:
            problems.append(f"{where}: the name is longer than {MAX_VARIABLE_NAME} characters")
        try:
            var_type = VarType(str(item.get("type")))
        except ValueError:
            problems.append(f"{where}: the type must be one of {', '.join(VarType)}")
            continue
        sample = item.get("sample")
        if sample is not None:
            if len(canonical_json(sample)) > MAX_SAMPLE_JSON:
                problems.append(f"{where}: the sample is larger than {MAX_SAMPLE_JSON} characters")
            elif (why := _sample_problem(VariableSpec(name, var_type, sample))) is not None:
                problems.append(f"{where}: the sample is wrong: {why}")
        required = item.get("required", True)
        if not isinstance(required, bool):
            problems.append(f"{where}: required is true or false")
            required = True
        description = item.get("description", "")
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            problems.append(f"{where}: the description is text of at most {MAX_DESCRIPTION}")
            description = ""
        specs.append(VariableSpec(name, var_type, sample, required, description))
    names = [s.name for s in specs]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"variable {name} is declared twice")
    declared = set(names)
    for spec in specs:
        parts = spec.name.split(".")
        for end in range(1, len(parts)):
            parent = ".".join(parts[:end])
            if parent in declared:
                problems.append(
                    f"variable {parent} cannot be both a value and the parent of {spec.name}"
                )
    _raise(problems)
    return specs


def dump_schema(specs: Iterable[VariableSpec]) -> list[dict[str, Any]]:
    """Variables as stored (JSON objects)."""
    return [
        {
            "name": s.name,
            "type": s.type.value,
            "sample": s.sample,
            "required": s.required,
            "description": s.description,
        }
        for s in specs
    ]


# --- variants --------------------------------------------------------------------------------


def _check_whatsapp_json(name: str, value: Any, where: str, problems: list[str]) -> None:
    if name == "parameters":
        if not isinstance(value, Mapping):
            problems.append(f"{where}: parameters is an object of parameter name to text")
            return
        if len(value) > MAX_PARAMETERS:
            problems.append(f"{where}: at most {MAX_PARAMETERS} parameters")
        for key, source in value.items():
            if not WHATSAPP_PARAMETER.fullmatch(str(key)):
                problems.append(
                    f"{where}: the parameter name '{key}' must be lower-case letters, digits "
                    "and '_' (as Meta requires)"
                )
            if not isinstance(source, str) or len(source) > MAX_SOURCE:
                problems.append(f"{where}: the parameter '{key}' is text")
        return
    if not isinstance(value, list):
        problems.append(f"{where}: buttons is a list of objects")
        return
    if len(value) > MAX_BUTTONS:
        problems.append(f"{where}: at most {MAX_BUTTONS} buttons")
    for index, button in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(button, Mapping):
            problems.append(f"{here} is not an object")
            continue
        if set(button) - {"type", "text", "url"}:
            problems.append(f"{here}: a button has only type, text and url")
        if button.get("type") not in WHATSAPP_BUTTON_TYPES:
            problems.append(f"{here}: type is {' or '.join(WHATSAPP_BUTTON_TYPES)}")
        if not isinstance(button.get("text"), str) or not button.get("text"):
            problems.append(f"{here}: a button needs its text")
        if button.get("type") == "URL" and not isinstance(button.get("url"), str):
            problems.append(f"{here}: a URL button needs its url")


def _check_text_field(kind: VariantKind, name: str, value: str, where: str) -> str | None:
    if len(value) > MAX_SOURCE:
        return f"{where} is longer than {MAX_SOURCE} characters"
    if kind is VariantKind.WHATSAPP and value:
        if name == "category" and value not in WHATSAPP_CATEGORIES:
            return f"{where} is one of {', '.join(WHATSAPP_CATEGORIES)}"
        if name == "template_name" and not WHATSAPP_TEMPLATE_NAME.fullmatch(value):
            return f"{where} is lower-case letters, digits and '_' (as registered with Meta)"
    return None


def check_variants(
    variants: Mapping[str, Any], kinds: Sequence[str], locales: Sequence[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """``variants`` checked against the template's kinds and locales and ``VARIANT_FIELDS``."""
    problems: list[str] = []
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for kind_name, per_locale in variants.items():
        if kind_name not in VARIANT_FIELDS:
            problems.append(f"'{kind_name}' is not a variant kind")
            continue
        kind = VariantKind(kind_name)
        if kind_name not in kinds:
            problems.append(f"the template does not support {kind_name}: add it to the template")
            continue
        if not isinstance(per_locale, Mapping):
            problems.append(f"{kind_name} is an object of locale to fields")
            continue
        for locale, fields in per_locale.items():
            where = f"{kind_name}.{locale}"
            if locale not in locales:
                problems.append(
                    f"{where}: the template's locales are {', '.join(locales)}, not '{locale}'"
                )
                continue
            if not isinstance(fields, Mapping):
                problems.append(f"{where} is an object of field to text")
                continue
            checked: dict[str, Any] = {}
            for name, value in fields.items():
                here = f"{where}.{name}"
                if name not in VARIANT_FIELDS[kind]:
                    problems.append(
                        f"{here}: {kind_name} has the fields {', '.join(VARIANT_FIELDS[kind])}"
                    )
                elif (kind, name) in JSON_FIELDS:
                    _check_whatsapp_json(name, value, here, problems)
                    checked[name] = value
                elif not isinstance(value, str):
                    problems.append(f"{here} is text")
                elif (why := _check_text_field(kind, name, value, here)) is not None:
                    problems.append(why)
                else:
                    checked[name] = value
            result.setdefault(kind_name, {})[locale] = checked
    if not problems and len(canonical_json(result)) > MAX_CONTENT_JSON:
        problems.append(f"the variants are larger than {MAX_CONTENT_JSON} characters")
    _raise(problems)
    return result


def _filled(value: Any) -> bool:
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def missing_for_review(
    variants: Mapping[str, Any], kinds: Sequence[str], locales: Sequence[str]
) -> list[LintFinding]:
    """The empty fields a variant needs before review (a missing variant or locale is the
    linter's ``missing_variant`` / ``missing_locale``)."""
    findings: list[LintFinding] = []
    for kind_name in kinds:
        kind = VariantKind(kind_name)
        for locale in locales:
            fields = variants.get(kind_name, {}).get(locale)
            if not fields:
                continue
            needed = list(REQUIRED_FIELDS[kind])
            if kind is VariantKind.WHATSAPP and (
                _filled(fields.get("template_name")) or not _filled(fields.get("text"))
            ):
                # A template message (name, category, body) or a free-form text, or both.
                needed = ["template_name", "category", "body"]
            findings.extend(
                LintFinding(
                    code="field_empty",
                    severity=Severity.ERROR,
                    message=N_(
                        "The field %(field)s of the %(variant)s variant in %(locale)s is empty."
                    ),
                    params={"field": name, "variant": kind_name, "locale": locale},
                    variant=kind,
                    locale=locale,
                    field=name,
                )
                for name in needed
                if not _filled(fields.get(name))
            )
    return findings


# --- content blocks --------------------------------------------------------------------------


def check_block_content(content: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """A block's content: per supported locale, an ``html`` and a ``text`` source."""
    problems: list[str] = []
    result: dict[str, dict[str, str]] = {}
    for locale, formats in content.items():
        if locale not in SUPPORTED_LOCALES:
            problems.append(
                f"'{locale}' is not a supported locale ({', '.join(SUPPORTED_LOCALES)})"
            )
            continue
        if not isinstance(formats, Mapping):
            problems.append(f"{locale} is an object with html and text")
            continue
        checked: dict[str, str] = {}
        for name, source in formats.items():
            if name not in BLOCK_FORMATS:
                problems.append(f"{locale}.{name}: a block has only html and text")
            elif not isinstance(source, str) or len(source) > MAX_SOURCE:
                problems.append(f"{locale}.{name} is text of at most {MAX_SOURCE} characters")
            else:
                checked[name] = source
        result[locale] = checked
    _raise(problems)
    return result


def block_missing_for_review(content: Mapping[str, Any]) -> list[LintFinding]:
    """What a block version still lacks: the default locale, both formats of every locale."""
    findings: list[LintFinding] = []
    if DEFAULT_LOCALE not in content:
        findings.append(
            LintFinding(
                code="block_locale_missing",
                severity=Severity.ERROR,
                message=N_("The block has no content in %(locale)s."),
                params={"locale": DEFAULT_LOCALE},
                locale=DEFAULT_LOCALE,
            )
        )
    for locale, formats in content.items():
        findings.extend(
            LintFinding(
                code="field_empty",
                severity=Severity.ERROR,
                message=N_("The %(field)s content of the block in %(locale)s is empty."),
                params={"field": name, "locale": locale},
                locale=locale,
                field=name,
            )
            for name in BLOCK_FORMATS
            if not _filled(formats.get(name))
        )
    return findings
