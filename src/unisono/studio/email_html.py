"""Email HTML as mail clients need it: CSS inlined into ``style`` attributes, and a text part.

Gmail and Outlook drop or ignore ``<style>`` sheets in many cases, so the rules are written
into each element's ``style`` attribute with css-inline (a maintained Rust inliner; media
queries stay in a ``<style>`` for the clients that read them). Remote stylesheets are never
fetched: a template must not make the server reach an address of the author's choosing.

When a template has no plain-text part, one is made from the HTML with the same reader the
email channel uses for incoming mail: words, line breaks, lists, and links as
``text (url)`` so they survive in clients that show only text.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, cast

import css_inline

from unisono.channels.email.htmltext import html_to_text

_INLINER = css_inline.CSSInliner(
    load_remote_stylesheets=False,
    keep_link_tags=False,
    keep_style_tags=False,
    keep_at_rules=True,
)


def inline_css(html: str) -> str:
    """``html`` with its ``<style>`` rules inlined (unchanged when it has no style sheet)."""
    if "<style" not in html.lower():
        return html
    return str(_INLINER.inline(html))


def text_from_html(html: str) -> str:
    """A plain-text part for ``html``: its words and line structure, links as ``text (url)``."""
    return html_to_text(html)


# --- inlining once per layout ----------------------------------------------------------------
#
# css-inline costs ~50-150 µs per email, more than rendering it. But customers of one template
# differ in the values written into the page, rarely in its layout: the renderer records what
# it wrote as constant pieces (the template's markup, its blocks, its loops unrolled) and
# expression values (escaped text). The markup with a placeholder per value is inlined once
# and cached; each email then only puts its values back. This is done only where it cannot
# change the result: no value carries markup, no value sits in a class, id or style
# attribute or in a style sheet, and the CSS has no attribute selector or ``:empty`` (whose
# matches could depend on the values); css-inline must keep every placeholder, in order.
# Anything else is inlined the ordinary way.

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: never in escaped text we write
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_STYLE_SHEETS = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
_VALUE_IN_SELECTOR_ATTRIBUTE = re.compile(
    rf"""\b(?:class|id|style)\s*=\s*(?:"[^"]*|'[^']*|[^\s>]*){_OPEN}""", re.IGNORECASE
)
_LAYOUTS: OrderedDict[str, tuple[str, ...] | None] = OrderedDict()
_UNKNOWN: Any = object()
_LAYOUTS_SIZE = 512
_LAYOUTS_LOCK = threading.Lock()


def _layout(skeleton: str, count: int) -> tuple[str, ...] | None:
    """The inlined skeleton cut at its placeholders, or None when it may not be reused."""
    sheets = _STYLE_SHEETS.findall(skeleton)
    if any(_OPEN in sheet or "[" in sheet or ":empty" in sheet for sheet in sheets):
        return None
    if _VALUE_IN_SELECTOR_ATTRIBUTE.search(skeleton):
        return None
    pieces = _PLACEHOLDER.split(inline_css(skeleton))
    # split() alternates text and captured indices: text, "0", text, "1", ..., text.
    if [int(index) for index in pieces[1::2]] != list(range(count)):
        return None
    return tuple(pieces[0::2])


def inline_css_recorded(html: str, pieces: Sequence[tuple[bool, str]] | None) -> str:
    """``inline_css(html)``, reusing the inlined layout when ``pieces`` (what the renderer
    wrote, in order: (is a value, text)) show the same markup as an earlier email."""
    if "<style" not in html.lower():
        return html
    if not pieces:
        return inline_css(html)
    parts: list[str] = []
    values: list[str] = []
    for is_value, text in pieces:
        if is_value:
            if "<" in text or _OPEN in text or _CLOSE in text:
                return inline_css(html)  # a value with markup changes the layout
            parts.append(f"{_OPEN}{len(values)}{_CLOSE}")
            values.append(text)
        else:
            parts.append(text)
    # Pieces written into captures and macros are recorded too: they must add up to the
    # page, or the skeleton is not its layout (checked for every email: values decide).
    if "".join(text for _, text in pieces) != html:
        return inline_css(html)
    skeleton = "".join(parts)
    cached = _LAYOUTS.get(skeleton, _UNKNOWN)
    if cached is not _UNKNOWN:
        layout = cast("tuple[str, ...] | None", cached)
    else:
        layout = _layout(skeleton, len(values))
        with _LAYOUTS_LOCK:
            _LAYOUTS[skeleton] = layout
            if len(_LAYOUTS) > _LAYOUTS_SIZE:
                _LAYOUTS.popitem(last=False)
    if layout is None:
        return inline_css(html)
    out = [layout[0]]
    for value, text in zip(values, layout[1:], strict=True):
        out.append(value)
        out.append(text)
    return "".join(out)
