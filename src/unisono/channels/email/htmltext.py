"""Turning an HTML mail body into text an operator can read on the timeline.

Mail HTML is written for rendering engines, not for reading: Outlook wraps every line in a
``<p class=MsoNormal>``, Gmail in a ``<div>``, and both carry style sheets and conditional
comments. We keep the words and the line structure, drop what is never shown (scripts, styles,
the head), write links as ``text (url)`` and prefix quoted blocks with ``> `` as a plain-text
mail client would, so that the quote stripper treats both kinds of body alike.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose content is never displayed.
HIDDEN = frozenset({"script", "style", "head", "title", "noscript", "template", "xml", "svg"})
# Elements that start and end a line of their own.
BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    }
)
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (quote depth, text)
        self.current: list[str] = []
        self.ends_with_space = True
        self.hidden = 0
        self.quote = 0
        self.pre = 0
        # Open links: (href, where their text starts in ``current``).
        self.links: list[tuple[str | None, int]] = []
        # Open paragraphs: whether each is an Outlook line (``class=MsoNormal``).
        self.paragraphs: list[bool] = []

    def newline(self) -> None:
        text = "".join(self.current)
        self.lines.append((self.quote, text if self.pre else text.strip(" ")))
        self.current = []
        self.ends_with_space = True
        # A link cut by a line break is written where it ends, counted from the new line.
        self.links = [(href, 0) for href, _ in self.links]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
            return
        if tag == "br":
            self.newline()
        elif tag in BLOCKS:
            if self.current:
                self.newline()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.current.append("- ")
            elif tag == "p":
                # Outlook writes each line as a paragraph (and blank lines as empty ones);
                # everyone else writes paragraphs, which deserve a blank line after them.
                css = (dict(attrs).get("class") or "").lower()
                self.paragraphs.append("mso" in css)
        elif tag in ("td", "th") and self.current:
            self.current.append("  ")
            self.ends_with_space = True
        elif tag == "a":
            self.links.append((dict(attrs).get("href"), len(self.current)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <p/>: a line break, never the start of a hidden region.
        if tag == "br" or tag in BLOCKS:
            self.newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if tag in BLOCKS:
            # An empty Outlook paragraph (``<p class=MsoNormal>&nbsp;</p>``) is a blank line.
            blank = not self.current and tag == "p" and bool(self.paragraphs[-1:] == [True])
            if self.current:
                self.newline()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag == "p" and self.paragraphs and (not self.paragraphs.pop() or blank):
                self.lines.append((self.quote, ""))
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            shown = "".join(self.current[start:])
            if href and href.startswith(("http://", "https://")) and href not in shown:
                self.current.append(f" ({href})")
                self.ends_with_space = False

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            for i, piece in enumerate(data.split("\n")):
                if i:
                    self.newline()
                self.current.append(piece)
            return
        text = _SPACES.sub(" ", data)
        if self.ends_with_space:
            text = text.lstrip(" ")
        if text:
            self.current.append(text)
            self.ends_with_space = text.endswith(" ")

    def text(self) -> str:
        if self.current:
            self.newline()
        rendered = []
        for depth, line in self.lines:
            line = line.rstrip()
            rendered.append(("> " * depth + line).rstrip() if depth else line)
        return _BLANK_RUNS.sub("\n\n", "\n".join(rendered)).strip()


_TAG = re.compile(r"<[^>]*>")


def html_to_text(html: str) -> str:
    """The readable text of ``html``: words, line breaks, links; quoted blocks as ``> `` lines."""
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # noqa: BLE001 - html.parser has crashed on hostile markup before
        # Tag soup it cannot walk still has words in it: keep them rather than lose the mail.
        return _SPACES.sub(" ", _TAG.sub(" ", html)).strip()
    return collector.text()
