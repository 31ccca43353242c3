"""Letters as printable A4 PDF: one letter with WeasyPrint, and its first page as an image.

``render_letter_pdf`` lays a letter out from its rendered body HTML (the template's ``html``
field after the sandboxed Jinja2 render) inside the company's page frame: the header on every
page, the recipient in the envelope's window, date and reference, fold marks, the legal footer
and "Pagina 1 di 2" at the foot of each page. Geometry and the window's standard are described
in ``letter_layout``. Mass mailings go through ``letter_batch.compose_letters``, which renders
the frame once and writes only the variable text per letter, about a hundred times faster.

The body is untrusted (a user's template): WeasyPrint gets a URL fetcher that serves ``data:``
URIs only, so no ``http(s)://``, ``file://`` or other URL is ever opened, whatever the body's
``<img>``, ``<link>``, ``<base>``, ``@import``, ``url()`` or attachment links say; what cannot
be fetched is left out. A letter has at most ``MAX_LETTER_PAGES`` pages.
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import re
import threading
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import unquote_to_bytes

import pypdfium2 as pdfium  # type: ignore[import-untyped]
from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

from unisono.errors import Invalid
from unisono.studio.letter_layout import (
    ADDRESS_LEADING,
    ADDRESS_ZONE,
    BODY_LEADING,
    BODY_SIZE,
    BODY_TOP_FIRST,
    FOLD_MARK_LENGTH,
    FOLD_MARKS,
    FONT_FAMILY,
    FOOTER_TOP,
    HEADER_TOP,
    HOLE_MARK,
    HOLE_MARK_LENGTH,
    INFO_BLOCK,
    INFO_LEADING,
    INFO_SIZE,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MARK_LEFT,
    MAX_LETTER_PAGES,
    PAGE_LABEL_LEADING,
    PAGE_LABEL_SIZE,
    PARAGRAPH_GAP,
    RETURN_LINE,
    Address,
    LetterSender,
    Logo,
    address_font_size,
    check_body_size,
    check_reference,
    date_line,
    labels,
    reference_line,
)

__all__ = [
    "Address",
    "LetterSender",
    "Logo",
    "first_page_png",
    "render_frame_pdf",
    "render_letter_pdf",
]


class _DataOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """WeasyPrint's fetcher for untrusted documents: decodes ``data:`` URIs in memory and
    refuses every other URL before anything is opened (no network, no file system)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url[:5].lower() != "data:":
            self.refused.append(url[:200])
            raise ValueError("letters load no external resources")
        meta, comma, payload = url[5:].partition(",")
        if not comma:
            raise ValueError("malformed data: URI")
        params = [part.strip() for part in meta.split(";")]
        is_base64 = params[-1].lower() == "base64"
        if is_base64:
            params.pop()
        data = unquote_to_bytes(payload)
        if is_base64:
            try:
                data = base64.b64decode(data)
            except binascii.Error:
                raise ValueError("malformed base64 in a data: URI") from None
        content_type = ";".join(params) if params and params[0] else "text/plain;charset=US-ASCII"
        return URLFetcherResponse(url, data, {"Content-Type": content_type})


@lru_cache(maxsize=1)
def _stylesheet() -> str:
    return (resources.files("unisono.studio") / "letter" / "letter.css").read_text("utf-8")


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _page_counter_content(locale: str) -> str:
    """``"Pagina " counter(page) " di " counter(pages)`` from the locale's label."""
    parts = []
    for piece in re.split(r"(\{page\}|\{pages\})", labels(locale).page):
        if piece == "{page}":
            parts.append("counter(page)")
        elif piece == "{pages}":
            parts.append("counter(pages)")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts)


def _geometry_css(locale: str, *, page_numbers: bool) -> str:
    """Every position the fast path must reproduce, from ``letter_layout``'s constants.
    Fixed elements are placed relative to the page area, hence the margins subtracted."""
    top, left = MARGIN_TOP, MARGIN_LEFT
    counter = _page_counter_content(locale) if page_numbers else "none"
    marks = "\n".join(
        f".fold-{index} {{ position: fixed; left: {MARK_LEFT - left}mm; top: {y - top}mm;"
        f" width: {FOLD_MARK_LENGTH}mm; }}"
        for index, y in enumerate(FOLD_MARKS, start=1)
    )
    return f"""
@page {{
  size: A4;
  margin: {MARGIN_TOP}mm {MARGIN_RIGHT}mm {MARGIN_BOTTOM}mm {MARGIN_LEFT}mm;
  @bottom-right {{
    content: {counter};
    font-family: "{FONT_FAMILY}";
    font-size: {PAGE_LABEL_SIZE}pt;
    line-height: {PAGE_LABEL_LEADING}pt;
    vertical-align: top;
    padding-top: {FOOTER_TOP - (297 - MARGIN_BOTTOM)}mm;
  }}
}}
html {{ font-size: {BODY_SIZE}pt; line-height: {BODY_LEADING}pt; }}
.letter-header {{ position: fixed; left: 0; top: {HEADER_TOP - top}mm; width: 110mm; }}
.logo {{ position: fixed; right: 0; top: {HEADER_TOP - top}mm; }}
.letter-footer {{ position: fixed; left: 0; top: {FOOTER_TOP - top}mm; width: 120mm; }}
{marks}
.hole {{ position: fixed; left: {MARK_LEFT - left}mm; top: {HOLE_MARK - top}mm;
  width: {HOLE_MARK_LENGTH}mm; }}
.letter-head {{ position: relative; height: {BODY_TOP_FIRST - top}mm; }}
.return-line {{ position: absolute; left: {RETURN_LINE.left - left}mm;
  top: {RETURN_LINE.top - top}mm; width: {RETURN_LINE.width}mm; }}
.address {{ position: absolute; left: {ADDRESS_ZONE.left - left}mm;
  top: {ADDRESS_ZONE.top - top}mm; width: {ADDRESS_ZONE.width}mm;
  height: {ADDRESS_ZONE.height}mm; line-height: {ADDRESS_LEADING}; }}
.info {{ position: absolute; left: {INFO_BLOCK.left - left}mm; top: {INFO_BLOCK.top - top}mm;
  width: {INFO_BLOCK.width}mm; font-size: {INFO_SIZE}pt; line-height: {INFO_LEADING}pt; }}
.letter-body p {{ margin-bottom: {PARAGRAPH_GAP}pt; }}
"""


def _frame_html(
    sender: LetterSender,
    locale: str,
    *,
    recipient: Address | None = None,
    day: date | None = None,
    reference: str = "",
    body_html: str = "",
) -> str:
    """The letter as one HTML document. Without a recipient it is the static frame: the first
    page and a continuation page with everything that every letter shares, no page numbers."""
    esc = html.escape
    words = labels(locale)
    header_lines = [
        *sender.address_lines,
        f"{words.vat} {sender.vat_number}",
        *sender.contact_lines,
    ]
    header = "".join(f'<div class="line">{esc(line)}</div>' for line in header_lines)
    logo = ""
    if sender.logo is not None:
        encoded = base64.b64encode(sender.logo.data).decode("ascii")
        source = f"data:{sender.logo.media_type};base64,{encoded}"
        logo = f'<div class="logo"><img alt="" src="{source}"></div>'
    marks = "".join(
        f'<div class="mark fold-{index}"></div>' for index in range(1, len(FOLD_MARKS) + 1)
    )
    legal = f'<footer class="letter-footer">{esc(sender.legal_text)}</footer>'
    head = f'<div class="return-line">{esc(sender.return_line)}</div>'
    if recipient is None:
        content = f'<div class="letter-head">{head}</div><div class="continuation"></div>'
    else:
        info = [
            date_line(sender.place, day, locale) if day else "",
            reference_line(reference, locale),
        ]
        info_html = "".join(f"<div>{esc(line)}</div>" for line in info if line)
        size = address_font_size(recipient)
        address = "".join(f"<div>{esc(line)}</div>" for line in recipient.all_lines)
        content = (
            f'<div class="letter-head">{head}<div class="info">{info_html}</div>'
            f'<div class="address" style="font-size: {size}pt">{address}</div></div>'
            f'<main class="letter-body">{body_html}</main>'
        )
    return (
        f'<!DOCTYPE html><html lang="{esc(locale)}"><head><meta charset="utf-8">'
        f"<title>{esc(sender.name)}</title>"
        f"<style>{_stylesheet()}</style>"
        f"<style>{_geometry_css(locale, page_numbers=recipient is not None)}</style></head>"
        f'<body><header class="letter-header"><div class="company">{esc(sender.name)}</div>'
        f'{header}</header>{logo}{marks}<div class="mark hole"></div>{legal}{content}'
        "</body></html>"
    )


def _write_pdf(document_html: str) -> bytes:
    fetcher = _DataOnlyFetcher()
    document = HTML(string=document_html, url_fetcher=fetcher).render()
    if len(document.pages) > MAX_LETTER_PAGES:
        raise Invalid(f"A letter has at most {MAX_LETTER_PAGES} pages.")
    pdf: bytes = document.write_pdf()
    return pdf


def render_letter_pdf(
    body_html: str,
    *,
    recipient: Address,
    sender: LetterSender,
    date: date,
    reference: str,
    locale: str,
) -> bytes:
    """One letter as an A4 PDF (about 0.1 s per page on one core).

    ``body_html`` is the rendered, untrusted body; ``date`` is printed in ``locale``'s long
    form after the sender's place; ``reference`` (e.g. an invoice number) after "Rif."/"Ref.".
    Raises ``Invalid`` for a locale letters do not speak, an address that does not fit the
    window, a body over 512 KB or a letter over ``MAX_LETTER_PAGES`` pages.
    """
    labels(locale)
    check_body_size(body_html)
    check_reference(reference)
    return _write_pdf(
        _frame_html(
            sender, locale, recipient=recipient, day=date, reference=reference, body_html=body_html
        )
    )


def render_frame_pdf(sender: LetterSender, locale: str) -> bytes:
    """The static frame every letter of ``sender`` shares, as a two-page PDF: page 1 is a first
    page (header, footer, marks, return address), page 2 a continuation page."""
    labels(locale)
    return _write_pdf(_frame_html(sender, locale))


# PDFium is not thread-safe, and route handlers run in a thread pool.
_PDFIUM = threading.Lock()
MAX_PREVIEW_WIDTH = 3000


def first_page_png(pdf: bytes, width_px: int = 600) -> bytes:
    """The first page of ``pdf`` as a PNG ``width_px`` wide, for the console's preview."""
    if not 16 <= width_px <= MAX_PREVIEW_WIDTH:
        raise Invalid(f"A preview is between 16 and {MAX_PREVIEW_WIDTH} pixels wide.")
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError:
            raise Invalid("This is not a readable PDF.") from None
        try:
            if len(document) == 0:
                raise Invalid("This PDF has no page.")
            page = document[0]
            bitmap = page.render(scale=width_px / page.get_width())
            image = bitmap.to_pil()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
