"""The linter: what is wrong or risky in a template version, before review and at send time.

:func:`lint_version` reads every variant and locale of a version: the sources themselves
(syntax, variables against the data schema, includes, WhatsApp's template rules, a missing
plain-text part) and what they give with the schema's sample data (:func:`lint_rendered`).
Submission for review is refused while any finding is an ``error``. At send time the delivery
path calls :func:`lint_rendered` on each recipient's personalised message, since a long name
or an accented character can push one customer's SMS to another encoding or part count.

Every rule has a stable ``code``; its message is an English msgid with ``%(name)s``
placeholders (translated by the console, both returned by the API). Limits and where they
come from:

- SMS: 160 GSM-7 septets or 70 UCS-2 units per message, 153/67 per part (3GPP TS 23.038 and
  23.040, see :mod:`unisono.studio.sms`); the number of parts allowed is configurable.
- WhatsApp (Meta's Cloud API message templates): named parameters are lower-case letters,
  digits and underscores; the body is at most 1,024 characters, a button's text 25, at most 10
  buttons; a parameter value may not contain a new line, a tab or more than 4 consecutive
  spaces; a free-form text message is at most 4,096 characters.
- Push: FCM and APNs take up to 4 KB of payload but phones show much less: a title of about
  65 and a body of about 240 characters before truncating in Android's notification shade
  (iOS's lock screen shows fewer lines). Over those is a warning; over 4,000 bytes an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Protocol
from urllib.parse import urlsplit

from jinja2 import TemplateSyntaxError, meta, nodes

from unisono.studio.data import as_spec, sample_data
from unisono.studio.render import RenderError, environment, json_field, render_variant
from unisono.studio.sms import sms_info
from unisono.studio.spec import (
    VARIANT_FIELDS,
    LintFinding,
    Purpose,
    RenderedVariant,
    Severity,
    VariableSpec,
    VariantKind,
)

DEFAULT_MAX_SMS_SEGMENTS = 3
WHATSAPP_BODY_MAX = 1024
WHATSAPP_TEXT_MAX = 4096
WHATSAPP_BUTTON_TEXT_MAX = 25
WHATSAPP_BUTTONS_MAX = 10
PUSH_TITLE_MAX = 65
PUSH_BODY_MAX = 240
PUSH_PAYLOAD_MAX = 4000


def N_(message: str) -> str:  # noqa: N802 - the name message extractors look for
    return message


ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# code -> (severity, msgid). The console translates the msgid and fills the placeholders.
RULES: Mapping[str, tuple[Severity, str]] = {
    "missing_variant": (ERROR, N_("The template has no %(variant)s variant.")),
    "missing_locale": (ERROR, N_("The %(variant)s variant has no %(locale)s version.")),
    "syntax_error": (ERROR, N_("Syntax error at line %(line)s: %(detail)s")),
    "render_error": (ERROR, N_("It does not render with the sample data: %(detail)s")),
    "unknown_block": (ERROR, N_("The block %(block)s does not exist.")),
    "undeclared_variable": (
        ERROR,
        N_("The variable %(name)s is used but not declared in the data schema."),
    ),
    "unused_variable": (
        WARNING,
        N_("The variable %(name)s is declared in the data schema but no variant uses it."),
    ),
    "no_sample": (INFO, N_("The variable %(name)s has no sample value; a default is shown.")),
    "sms_ucs2": (
        WARNING,
        N_(
            "These characters are not in the GSM alphabet: %(chars)s. The whole SMS is sent"
            " as UCS-2, with 70 characters per message instead of 160."
        ),
    ),
    "sms_multipart": (
        INFO,
        N_("The SMS is sent in %(segments)s parts (%(units)s units, %(encoding)s)."),
    ),
    "sms_too_long": (
        ERROR,
        N_("The SMS takes %(segments)s parts (%(encoding)s); at most %(max)s are allowed."),
    ),
    "whatsapp_parameter_name": (
        ERROR,
        N_(
            "The WhatsApp parameter %(name)s is not valid: use lower-case letters, digits"
            " and underscores."
        ),
    ),
    "whatsapp_parameter_missing": (
        ERROR,
        N_("The WhatsApp body uses the parameter %(name)s but no value is given for it."),
    ),
    "whatsapp_parameter_unused": (
        ERROR,
        N_("The WhatsApp parameter %(name)s is not in the body: Meta refuses the message."),
    ),
    "whatsapp_parameter_value": (
        ERROR,
        N_(
            "The value of the WhatsApp parameter %(name)s contains a new line, a tab or more"
            " than 4 spaces in a row: Meta refuses it."
        ),
    ),
    "whatsapp_parameter_empty": (
        ERROR,
        N_("The value of the WhatsApp parameter %(name)s is empty: Meta refuses it."),
    ),
    "whatsapp_body_too_long": (
        ERROR,
        N_("The WhatsApp body has %(length)s characters; at most %(max)s are allowed."),
    ),
    "whatsapp_text_too_long": (
        ERROR,
        N_("The WhatsApp text has %(length)s characters; at most %(max)s are allowed."),
    ),
    "whatsapp_too_many_buttons": (
        ERROR,
        N_("The WhatsApp template has %(count)s buttons; at most %(max)s are allowed."),
    ),
    "whatsapp_button_text": (
        ERROR,
        N_("The text of WhatsApp button %(index)s must have 1 to %(max)s characters."),
    ),
    "push_title_too_long": (
        WARNING,
        N_("The title has %(length)s characters; phones show about %(max)s."),
    ),
    "push_body_too_long": (
        WARNING,
        N_("The text has %(length)s characters; phones show about %(max)s."),
    ),
    "push_payload_too_large": (
        ERROR,
        N_("The notification is %(size)s bytes; push services take at most %(max)s."),
    ),
    "insecure_link": (ERROR, N_("The link %(url)s is not secure: use https.")),
    "unknown_link_domain": (
        ERROR,
        N_("The link %(url)s goes to %(domain)s, which is not among the allowed domains."),
    ),
    "no_unsubscribe": (
        ERROR,
        N_("An advertising email needs an unsubscribe link."),
    ),
    "no_stop_instruction": (
        ERROR,
        N_(
            'An advertising message needs an opt-out instruction, such as "Reply STOP to'
            ' receive no more offers".'
        ),
    ),
    "no_text_part": (
        WARNING,
        N_("The email has no plain-text part; one is generated from the HTML."),
    ),
    "image_without_alt": (
        WARNING,
        N_("An image (%(src)s) has no alt text."),
    ),
}


def finding(
    code: str,
    *,
    variant: VariantKind | None = None,
    locale: str | None = None,
    field: str | None = None,
    **params: str | int,
) -> LintFinding:
    severity, message = RULES[code]
    if "%(variant)s" in message and variant is not None:
        params["variant"] = variant.value
    if "%(locale)s" in message and locale is not None:
        params["locale"] = locale
    return LintFinding(code, severity, message, params, variant, locale, field)


# --- variables used by sources --------------------------------------------------------------


def _path(node: nodes.Node) -> list[str] | None:
    """``customer.first_name`` (or ``customer['first_name']``) as its parts; None otherwise."""
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        base = _path(node.node)
        return None if base is None else [*base, node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _path(node.node)
        if base is not None and isinstance(node.arg.value, str):
            return [*base, node.arg.value]
    return None


def used_variables(tree: nodes.Template, globals_: Iterable[str] = ()) -> set[str]:
    """Dotted names a template reads from its data: the longest attribute chain of each use
    of a name the template does not define itself."""
    free = meta.find_undeclared_variables(tree) - set(globals_) - {"loop", "caller"}
    used: set[str] = set()
    covered: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if id(node) in covered:
            continue
        path = _path(node)
        if path and path[0] in free:
            used.add(".".join(path))
            inner: nodes.Node = node
            while isinstance(inner, (nodes.Getattr, nodes.Getitem)):
                covered.add(id(inner))
                inner = inner.node
            covered.add(id(inner))
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name in free and id(name) not in covered:
            used.add(name.name)
    return used


def _declared(path: str, names: Sequence[str]) -> bool:
    return any(
        path == name or path.startswith(name + ".") or name.startswith(path + ".") for name in names
    )


# --- rendered checks ----------------------------------------------------------------------------

_URL = re.compile(r"""\b(?:https?://|www\.)[^\s<>"'()\[\]{}]+""", re.IGNORECASE)
_STOP = re.compile(r"\bSTOP\b")
_UNSUBSCRIBE = re.compile(
    r"unsubscri|disiscri|cancella(?:re|ti)?\s+(?:l'|la\s+)?iscrizione|opt[-\s]?out",
    re.IGNORECASE,
)
_WHATSAPP_NAME = re.compile(r"[a-z0-9_]+")
_META_PARAMETER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclass
class _Anchor:
    href: str
    text: str = ""


class _HtmlFacts(HTMLParser):
    """Links (with their text), and images without alt text, of a rendered HTML field."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[_Anchor] = []
        self.urls: list[str] = []
        self.images_without_alt: list[str] = []
        self._open: _Anchor | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self._open = _Anchor(values["href"] or "")
            self.anchors.append(self._open)
            self.urls.append(self._open.href)
        elif tag == "img":
            if values.get("src"):
                self.urls.append(values["src"] or "")
            if "alt" not in values:
                self.images_without_alt.append((values.get("src") or "")[:80])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.text += data
        self.urls.extend(_URL.findall(data))


def _html_facts(html: str) -> _HtmlFacts:
    facts = _HtmlFacts()
    try:
        facts.feed(html)
        facts.close()
    except Exception:  # noqa: BLE001, S110 - html.parser has crashed on hostile markup; keep what it read
        pass
    return facts


def _domain_allowed(host: str, allowlist: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    for domain in allowlist:
        domain = domain.lower().strip().lstrip("*.").rstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def _link_findings(
    urls: Iterable[str], allowlist: Sequence[str] | None, where: dict[str, Any], seen: set[str]
) -> Iterator[LintFinding]:
    """Findings on links; ``seen`` spans a variant's fields, so each link is reported once."""
    for url in urls:
        url = url.strip().rstrip(".,;:!?")
        if url in seen or url.startswith(("mailto:", "tel:", "#", "cid:", "data:")):
            continue
        seen.add(url)
        parts = urlsplit(url if "://" in url else "https://" + url)
        if parts.scheme.lower() == "http":
            yield finding("insecure_link", url=url[:200], **where)
        if allowlist and parts.scheme.lower() in ("http", "https"):
            host = parts.hostname or ""
            if not _domain_allowed(host, allowlist):
                yield finding("unknown_link_domain", url=url[:200], domain=host, **where)


def lint_rendered(
    rendered: RenderedVariant,
    purpose: Purpose | str,
    *,
    max_sms_segments: int | None = DEFAULT_MAX_SMS_SEGMENTS,
    link_allowlist: Sequence[str] | None = None,
) -> list[LintFinding]:
    """Findings on one rendered variant (sample data, or one recipient's at send time)."""
    purpose = Purpose(purpose)
    kind, locale = rendered.kind, rendered.locale
    fields, extra = rendered.fields, rendered.extra
    found: list[LintFinding] = []
    advertising = purpose is Purpose.ADVERTISE

    def where(field: str | None) -> dict[str, Any]:
        return {"variant": kind, "locale": locale, "field": field}

    links: set[str] = set()
    for name in sorted(fields, key=lambda n: n != "html"):  # HTML first: its links are named
        value = fields[name]
        if name in ("template_name", "category"):
            continue
        if name == "html":
            facts = _html_facts(value)
            found.extend(_link_findings(facts.urls, link_allowlist, where(name), links))
            found.extend(
                finding("image_without_alt", src=src or "?", **where(name))
                for src in facts.images_without_alt
            )
        else:
            urls = _URL.findall(value)
            found.extend(_link_findings(urls, link_allowlist, where(name), links))

    if kind is VariantKind.EMAIL and advertising:
        anchors = _html_facts(fields.get("html", "")).anchors
        text = fields.get("text", "")
        if not any(_UNSUBSCRIBE.search(a.href + " " + a.text) for a in anchors) and not (
            not anchors and _UNSUBSCRIBE.search(text) and _URL.search(text)
        ):
            found.append(finding("no_unsubscribe", **where("html")))

    if kind is VariantKind.SMS:
        info = sms_info(fields.get("text", ""))
        if info.chars_outside:
            chars = " ".join(repr(c)[1:-1] if c.isspace() else c for c in info.chars_outside)
            found.append(finding("sms_ucs2", chars=chars, **where("text")))
        if max_sms_segments is not None and info.segments > max_sms_segments:
            found.append(
                finding(
                    "sms_too_long",
                    segments=info.segments,
                    encoding=info.encoding.value,
                    max=max_sms_segments,
                    **where("text"),
                )
            )
        elif info.segments > 1:
            found.append(
                finding(
                    "sms_multipart",
                    segments=info.segments,
                    units=info.units,
                    encoding=info.encoding.value,
                    **where("text"),
                )
            )
        if advertising and not _STOP.search(fields.get("text", "")):
            found.append(finding("no_stop_instruction", **where("text")))

    if kind is VariantKind.WHATSAPP:
        for name, value in dict(extra.get("parameters") or {}).items():
            if not str(value).strip():
                found.append(finding("whatsapp_parameter_empty", name=name, **where("parameters")))
            elif re.search(r"[\n\t]| {5,}", str(value)):
                found.append(finding("whatsapp_parameter_value", name=name, **where("parameters")))
        text = fields.get("text", "")
        if len(text) > WHATSAPP_TEXT_MAX:
            found.append(
                finding(
                    "whatsapp_text_too_long",
                    length=len(text),
                    max=WHATSAPP_TEXT_MAX,
                    **where("text"),
                )
            )
        found.extend(_button_findings(extra.get("buttons") or [], where("buttons")))
        # A URL button is a link like any other: https only, and on an allowed domain.
        button_urls = [
            str(b["url"])
            for b in extra.get("buttons") or []
            if isinstance(b, Mapping) and b.get("url")
        ]
        found.extend(_link_findings(button_urls, link_allowlist, where("buttons"), links))
        if advertising:
            # Meta's marketing templates carry the opt-out as a quick reply ("Stop offerte")
            # or in the body; a free-form text needs it in its words.
            buttons = [b for b in extra.get("buttons") or [] if isinstance(b, Mapping)]
            stop_button = any("stop" in str(b.get("text", "")).lower() for b in buttons)
            for name in ("body", "text"):
                words = fields.get(name, "")
                if words and not _STOP.search(words) and not (name == "body" and stop_button):
                    found.append(finding("no_stop_instruction", **where(name)))

    if kind is VariantKind.PUSH:
        title, body = fields.get("title", ""), fields.get("body", "")
        if len(title) > PUSH_TITLE_MAX:
            found.append(
                finding(
                    "push_title_too_long", length=len(title), max=PUSH_TITLE_MAX, **where("title")
                )
            )
        if len(body) > PUSH_BODY_MAX:
            found.append(
                finding("push_body_too_long", length=len(body), max=PUSH_BODY_MAX, **where("body"))
            )
        size = sum(len(v.encode()) for v in fields.values())
        if size > PUSH_PAYLOAD_MAX:
            found.append(
                finding("push_payload_too_large", size=size, max=PUSH_PAYLOAD_MAX, **where(None))
            )
    return found


def _button_findings(buttons: Sequence[Any], where: dict[str, Any]) -> Iterator[LintFinding]:
    if len(buttons) > WHATSAPP_BUTTONS_MAX:
        yield finding(
            "whatsapp_too_many_buttons", count=len(buttons), max=WHATSAPP_BUTTONS_MAX, **where
        )
    for index, button in enumerate(buttons, 1):
        text = str(button.get("text") or "") if isinstance(button, Mapping) else ""
        if not 1 <= len(text) <= WHATSAPP_BUTTON_TEXT_MAX:
            yield finding(
                "whatsapp_button_text", index=index, max=WHATSAPP_BUTTON_TEXT_MAX, **where
            )


# --- the whole version --------------------------------------------------------------------------


class TemplateLike(Protocol):
    purpose: Any
    variant_kinds: Any
    locales: Any


class VersionLike(Protocol):
    schema: Any
    variants: Any


# name -> {locale: {"html"|"text": source}}, as blocks are stored.
Blocks = Mapping[str, Mapping[str, Mapping[str, str]]]


def blocks_for(blocks: Blocks | None, locale: str) -> dict[str, Mapping[str, str]]:
    """The blocks' sources in ``locale`` (name -> {format: source}), as rendering takes them."""
    return {
        name: by_locale[locale] for name, by_locale in (blocks or {}).items() if locale in by_locale
    }


def _field_mode(kind: VariantKind, name: str) -> str:
    if name == "html":
        return "html"
    return "sms" if kind is VariantKind.SMS else "text"


def _sources_of(kind: VariantKind, fields: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, Jinja2 source) of a variant, WhatsApp parameters as ``parameters.name``."""
    for name in VARIANT_FIELDS[kind]:
        value = fields.get(name)
        if kind is VariantKind.WHATSAPP and name in (
            "template_name",
            "category",
            "body",
            "buttons",
        ):
            continue
        if kind is VariantKind.WHATSAPP and name == "parameters":
            try:
                parameters = json_field(value, "parameters", dict)
            except RenderError:
                continue  # reported when rendering
            for pname, source in parameters.items():
                if isinstance(source, str):
                    yield f"parameters.{pname}", source
            continue
        if isinstance(value, str) and value:
            yield name, value


def _whatsapp_static(fields: Mapping[str, Any], where: dict[str, Any]) -> Iterator[LintFinding]:
    body = str(fields.get("body") or "")
    if not body:
        return
    at = {**where, "field": "body"}
    if len(body) > WHATSAPP_BODY_MAX:
        yield finding("whatsapp_body_too_long", length=len(body), max=WHATSAPP_BODY_MAX, **at)
    try:
        parameters = json_field(fields.get("parameters"), "parameters", dict)
    except RenderError:
        parameters = {}
    in_body = [m.group(1) for m in _META_PARAMETER.finditer(body)]
    for name in dict.fromkeys(in_body):
        if not _WHATSAPP_NAME.fullmatch(name):
            yield finding("whatsapp_parameter_name", name=name, **at)
        elif name not in parameters:
            yield finding("whatsapp_parameter_missing", name=name, **at)
    for name in parameters:
        if not _WHATSAPP_NAME.fullmatch(str(name)):
            yield finding(
                "whatsapp_parameter_name", name=str(name), **{**where, "field": "parameters"}
            )
        elif name not in in_body:
            yield finding(
                "whatsapp_parameter_unused", name=str(name), **{**where, "field": "parameters"}
            )


def lint_version(
    template: TemplateLike,
    version: VersionLike,
    blocks: Blocks | None = None,
    *,
    max_sms_segments: int | None = DEFAULT_MAX_SMS_SEGMENTS,
    link_allowlist: Sequence[str] | None = None,
) -> list[LintFinding]:
    """Every finding on ``version`` of ``template``: sources, schema and sample renders.

    ``template`` has ``purpose``, ``variant_kinds`` and ``locales``; ``version`` has
    ``schema`` (variable specs, or their JSON) and ``variants`` ({kind: {locale: {field:
    source}}}); ``blocks`` maps a block name to {locale: {"html"|"text": source}}.
    """
    purpose = Purpose(template.purpose)
    kinds = [VariantKind(k) for k in template.variant_kinds]
    locales = [str(loc) for loc in template.locales]
    schema: list[VariableSpec] = [as_spec(item) for item in version.schema or []]
    declared = [spec.name for spec in schema]
    variants: Mapping[str, Mapping[str, Mapping[str, Any]]] = version.variants or {}
    found: list[LintFinding] = []
    used: set[str] = set()

    found.extend(finding("no_sample", name=spec.name) for spec in schema if spec.sample is None)
    try:
        sample = sample_data(schema)
    except Exception as exc:  # noqa: BLE001 - a bad sample is reported, the rest still linted
        found.append(finding("render_error", detail=str(exc)))
        sample = None

    for kind in kinds:
        by_locale = variants.get(kind.value) or variants.get(kind) or {}
        if not by_locale:
            found.append(finding("missing_variant", variant=kind))
            continue
        for locale in locales:
            fields = by_locale.get(locale)
            if not fields:
                found.append(finding("missing_locale", variant=kind, locale=locale))
                continue
            local_blocks = blocks_for(blocks, locale)
            where: dict[str, Any] = {"variant": kind, "locale": locale}
            broken = False
            for name, source in _sources_of(kind, fields):
                issues, names = _check_source(
                    kind, name, source, locale, local_blocks, where, declared
                )
                found.extend(issues)
                used |= names
                broken |= bool(issues)
            if kind is VariantKind.WHATSAPP:
                found.extend(_whatsapp_static(fields, where))
            if kind is VariantKind.EMAIL and not str(fields.get("text") or "").strip():
                found.append(finding("no_text_part", field="text", **where))
            if broken or sample is None:
                continue  # the source's own findings say why it cannot render
            try:
                rendered = render_variant(kind, locale, fields, sample, local_blocks)
            except RenderError as exc:
                found.append(finding("render_error", detail=exc.detail, field=exc.field, **where))
                continue
            found.extend(
                lint_rendered(
                    rendered,
                    purpose,
                    max_sms_segments=max_sms_segments,
                    link_allowlist=link_allowlist,
                )
            )
    found.extend(
        finding("unused_variable", name=name)
        for name in declared
        if not any(_declared(path, [name]) for path in used)
    )
    return found


def _check_source(
    kind: VariantKind,
    name: str,
    source: str,
    locale: str,
    blocks: Mapping[str, Mapping[str, str]],
    where: dict[str, Any],
    declared: Sequence[str],
) -> tuple[list[LintFinding], set[str]]:
    """Syntax, includes and variables of one source, following the blocks it includes."""
    env = environment(locale, _field_mode(kind, name))
    issues: list[LintFinding] = []
    names: set[str] = set()
    pending: list[tuple[str, str | None]] = [(source, None)]
    seen: set[str] = set()
    while pending:
        text, block = pending.pop()
        try:
            tree = env.parse(text)
        except TemplateSyntaxError as exc:
            detail = exc.message or "?"
            if block:
                detail = f"{detail} (block {block})"
            issues.append(
                finding("syntax_error", line=exc.lineno, detail=detail, field=name, **where)
            )
            continue
        found_names = used_variables(tree, env.globals)
        names |= found_names
        issues.extend(
            finding("undeclared_variable", name=path, field=name, **where)
            for path in sorted(found_names)
            if not _declared(path, declared)
        )
        for included in meta.find_referenced_templates(tree):
            if included is None or included in seen:
                continue
            seen.add(included)
            entry = blocks.get(included)
            source_of_block = entry.get(env.block_format) if entry else None
            if source_of_block is None:
                issues.append(finding("unknown_block", block=included, field=name, **where))
            else:
                pending.append((source_of_block, included))
    return issues, names


def messages() -> list[str]:
    """Every lint msgid (for catalogs and their tests)."""
    return [message for _, message in RULES.values()]
