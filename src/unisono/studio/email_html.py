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
