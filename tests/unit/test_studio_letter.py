"""Letters to PDF, read back: the text and where it lies on the sheet, for one letter laid out
by WeasyPrint and for mass print files composed from a frame rendered once.

Positions are read with pypdf's text visitor and compared with the envelope window of
``letter_layout`` in millimetres from the sheet's top-left corner.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from unisono.errors import Invalid
from unisono.studio.letter import first_page_png, render_frame_pdf, render_letter_pdf
from unisono.studio.letter_batch import (
    BOLD,
    ITALIC,
    LetterLayout,
    LetterRecord,
    compose_letter_batch,
    compose_letters,
    simple_paragraphs,
)
from unisono.studio.letter_layout import (
    ADDRESS_FIELD,
    ADDRESS_ZONE,
    FOLD_MARKS,
    HOLE_MARK,
    MM,
    PAGE_HEIGHT,
    Address,
    LetterSender,
    Logo,
    face,
)

DAY = date(2026, 12, 1)
RECIPIENT = Address("Mario Rossi", ("Via Roma 1", "20121 Milano MI"))


def make_sender(**changes: Any) -> LetterSender:
    values: dict[str, Any] = {
        "name": "Energia Chiara S.p.A.",
        "address_lines": ("Via Tortona 25", "20144 Milano MI"),
        "vat_number": "01234567890",
        "legal_text": "Capitale sociale € 1.000.000 i.v. - Registro Imprese di Milano",
        "place": "Milano",
        "contact_lines": ("Servizio clienti 800 123 456",),
    }
    return LetterSender(**(values | changes))


def letter(body: str, *, locale: str = "it", recipient: Address = RECIPIENT, **kw: Any) -> bytes:
    return render_letter_pdf(
        body,
        recipient=recipient,
        sender=kw.pop("sender", make_sender()),
        date=DAY,
        reference=kw.pop("reference", "FT-2026-0042"),
        locale=locale,
    )


def paragraphs(count: int, word: str = "consumo") -> str:
    return "".join(
        f"<p>Paragrafo {n}: la lettura del {word} di questo mese è stata stimata dal "
        f"distributore sulla base dei consumi storici del punto di fornitura.</p>"
        for n in range(1, count + 1)
    )


@dataclass(frozen=True)
class Placed:
    text: str
    left: float  # mm from the sheet's left edge
    baseline: float  # mm from the sheet's top edge
    size: float  # points


def placed(pdf: bytes) -> list[list[Placed]]:
    """Every text chunk of every page with its start position and size."""
    return [_placed_on(page) for page in PdfReader(io.BytesIO(pdf)).pages]


def _placed_on(page: Any) -> list[Placed]:
    found: list[Placed] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = abs(tm[0] * cm[0])
            found.append(Placed(text.strip(), x / MM, PAGE_HEIGHT - y / MM, size * scale))

    page.extract_text(visitor_text=visit)
    return found


def find(page: list[Placed], text: str) -> Placed:
    matches = [chunk for chunk in page if chunk.text == text]
    assert matches, f"{text!r} not among {[chunk.text for chunk in page]}"
    return matches[0]


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def assert_in_window(page: list[Placed], lines: tuple[str, ...]) -> None:
    for line in lines:
        chunk = find(page, line)
        right = chunk.left + face().width(line, chunk.size) / MM
        assert ADDRESS_FIELD.left + 4 <= chunk.left, line
        assert right <= ADDRESS_FIELD.right - 4, line
        # The baseline and the cap height above it lie in the address zone of the field.
        assert ADDRESS_ZONE.top + chunk.size * 0.75 / MM <= chunk.baseline, line
        assert chunk.baseline <= ADDRESS_FIELD.bottom - 1, line


# --- One letter ----------------------------------------------------------------------------
def test_a_letter_reads_back_in_italian() -> None:
    pdf = letter("<p>Gentile Mario,</p><p>la bolletta di <b>€ 412,30</b> è in scadenza.</p>")
    (text,) = page_texts(pdf)
    for expected in (
        "Energia Chiara S.p.A.",
        "Via Tortona 25",
        "P.IVA 01234567890",
        "Servizio clienti 800 123 456",
        "Mario Rossi",
        "20121 Milano MI",
        "Milano, 1 dicembre 2026",
        "Rif. FT-2026-0042",
        "Gentile Mario,",
        "€ 412,30",
        "Capitale sociale € 1.000.000",
        "Pagina 1 di 1",
    ):
        assert expected in text
    assert "Page 1" not in text


def test_a_letter_in_english() -> None:
    (text,) = page_texts(letter("<p>Dear Mario,</p>", locale="en"))
    assert "December 1, 2026" in text
    assert "Ref. FT-2026-0042" in text
    assert "VAT No. 01234567890" in text
    assert "Page 1 of 1" in text
    assert "Pagina" not in text


def test_pages_are_numbered_and_each_has_the_header() -> None:
    texts = page_texts(letter(paragraphs(60)))
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        assert f"Pagina {number} di {len(texts)}" in text
        assert "Energia Chiara S.p.A." in text
        assert "P.IVA 01234567890" in text
    assert "Mario Rossi" in texts[0]
    assert "Mario Rossi" not in texts[1]
    assert "Paragrafo 60" in texts[-1]


def test_the_address_lies_in_the_envelope_window() -> None:
    pages = placed(letter("<p>Gentile Mario,</p>"))
    assert_in_window(pages[0], RECIPIENT.all_lines)
    # The field sits in the upper third of the folded sheet, below the company's header.
    assert ADDRESS_FIELD.bottom <= FOLD_MARKS[0]
    header = find(pages[0], "P.IVA 01234567890")
    assert header.baseline < ADDRESS_FIELD.top


def test_a_wide_address_gets_a_smaller_font_and_still_fits() -> None:
    wide = Address(
        "AMMINISTRAZIONE CONDOMINIALE WWW SRL",
        ("C/O STUDIO MMMMMMMMM", "VIA DELLE MEMORIE MOLTO LUNGHE 1234", "20121 MILANO MI"),
    )
    pages = placed(letter("<p>Buongiorno.</p>", recipient=wide))
    assert find(pages[0], wide.name).size < 10
    assert_in_window(pages[0], wide.all_lines)


def test_addresses_that_cannot_be_printed_are_refused() -> None:
    with pytest.raises(Invalid, match="at most 6 lines"):
        Address("Mario Rossi", tuple(f"riga {n}" for n in range(6)))
    with pytest.raises(Invalid, match="name"):
        Address("   ", ("Via Roma 1",))
    with pytest.raises(Invalid, match="too long for the envelope"):
        letter("<p>x</p>", recipient=Address("W" * 60))
    with pytest.raises(Invalid, match="not 'fr'"):
        letter("<p>Bonjour</p>", locale="fr")
    with pytest.raises(Invalid, match="KB"):
        letter("<p>" + "x" * 600_000 + "</p>")
    with pytest.raises(Invalid, match="reference"):
        letter("<p>x</p>", reference="FT\n42")


def test_fold_and_hole_marks_are_printed_in_the_left_margin() -> None:
    png = first_page_png(letter("<p>Gentile Mario,</p>"), width_px=1000)
    image = Image.open(io.BytesIO(png)).convert("L")
    gray, width = image.tobytes(), image.width
    pixels_per_mm = width / 210

    def darkest(top_mm: float) -> int:
        row = round(top_mm * pixels_per_mm)
        return min(
            gray[y * width + x]
            for x in range(round(4.5 * pixels_per_mm), round(8 * pixels_per_mm))
            for y in range(row - 2, row + 3)
        )

    for mark in (*FOLD_MARKS, HOLE_MARK):
        assert darkest(mark) < 200, mark
    assert darkest(130) > 240  # and nothing between them


def test_the_logo_is_embedded() -> None:
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    data = io.BytesIO()
    image.save(data, format="PNG")
    sender = make_sender(logo=Logo(data.getvalue(), "image/png"))
    page = PdfReader(io.BytesIO(letter("<p>x</p>", sender=sender))).pages[0]
    assert _image_count(page) == 1


def _image_count(page: Any) -> int:
    return len(page.images)


# --- Untrusted bodies ------------------------------------------------------------------------
@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    """A local server whose every response would show in the letter; it logs each request."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = b'.x::before { content: "FETCHED-OVER-HTTP"; }'
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def test_an_untrusted_body_fetches_no_url_and_reads_no_file(
    web_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, requests = web_server
    stylesheet = tmp_path / "secret.css"
    stylesheet.write_text('.x::before { content: "READ-FROM-DISK"; }')
    picture = tmp_path / "secret.png"
    Image.new("RGB", (8, 8), (0, 0, 0)).save(picture)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-ATTACHMENT")
    body = f"""
    <link rel="stylesheet" href="{base}/link.css">
    <link rel="stylesheet" href="{stylesheet.as_uri()}">
    <style>
      @import url("{base}/import.css");
      @import url("{stylesheet.as_uri()}");
      @font-face {{ font-family: Evil; src: url("{base}/font.woff"); }}
      .y {{ background: url("{base}/background.png"); font-family: Evil; }}
    </style>
    <p class="x y">Gentile cliente,</p>
    <img src="{base}/pixel.png"><img src="{picture.as_uri()}"><img src="file:///etc/passwd">
    <object data="{picture.as_uri()}"></object><embed src="{base}/embed.png">
    <iframe src="{base}/frame.html"></iframe>
    <a rel="attachment" href="{secret.as_uri()}">allegato</a>
    <a rel="attachment" href="{base}/attachment.txt">allegato</a>
    <img src="data:image/svg+xml;base64,{
        base64.b64encode(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            f'<image href="{picture.as_uri()}" width="10" height="10"/>'
            f'<image href="{base}/svg.png" width="10" height="10"/></svg>'.encode()
        ).decode()
    }">
    <base href="{tmp_path.as_uri()}/"><img src="secret.png">
    """
    pdf = letter(body)
    assert requests == []
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Gentile cliente," in text
    assert "READ-FROM-DISK" not in text
    assert "FETCHED-OVER-HTTP" not in text
    assert "root:x:0:0" not in text
    assert reader.attachments == {}
    assert b"SECRET-ATTACHMENT" not in pdf
    assert _image_count(reader.pages[0]) == 0


def test_data_uris_still_work() -> None:
    image = Image.new("RGB", (8, 8), (0, 120, 0))
    data = io.BytesIO()
    image.save(data, format="PNG")
    encoded = base64.b64encode(data.getvalue()).decode()
    pdf = letter(f'<p>Ecco:</p><img src="data:image/png;base64,{encoded}">')
    assert _image_count(PdfReader(io.BytesIO(pdf)).pages[0]) == 1


# --- Preview ---------------------------------------------------------------------------------
def test_first_page_png_is_a_png_of_the_asked_width() -> None:
    png = first_page_png(letter(paragraphs(40)), width_px=300)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.width == 300
    assert image.height == pytest.approx(300 * 297 / 210, abs=1)
    assert len(first_page_png(letter("<p>x</p>"))) > 1000


def test_first_page_png_refuses_what_it_cannot_draw() -> None:
    with pytest.raises(Invalid, match="readable PDF"):
        first_page_png(b"%PDF-1.7 not really")
    with pytest.raises(Invalid, match="pixels wide"):
        first_page_png(letter("<p>x</p>"), width_px=0)


# --- Mass composition ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def layout() -> LetterLayout:
    return LetterLayout.build(make_sender(), "it")


def record(number: int, body: str | None = None, name: str | None = None) -> LetterRecord:
    return LetterRecord(
        recipient=Address(name or f"Cliente {number}", (f"Via Roma {number}", "20121 Milano MI")),
        date=DAY,
        reference=f"FT-{number}",
        body_html=body
        if body is not None
        else f"<p>Gentile Cliente {number},</p><p>importo dovuto: <b>€ {number},30</b>.</p>",
    )


def letters_of(result_pdf: bytes, pages: tuple[int, ...]) -> list[list[str]]:
    texts = page_texts(result_pdf)
    assert len(texts) == sum(pages)
    grouped, start = [], 0
    for count in pages:
        grouped.append(texts[start : start + count])
        start += count
    return grouped


def test_the_frame_has_a_first_and_a_continuation_page() -> None:
    first, following = page_texts(render_frame_pdf(make_sender(), "it"))
    assert "Energia Chiara S.p.A. · Via Tortona 25" in first  # the return address, in the window
    assert "P.IVA 01234567890" in first
    assert "P.IVA 01234567890" in following
    assert "Via Tortona 25 ·" not in following
    assert "Pagina" not in first + following


def test_compose_prints_every_letter_in_order_with_its_own_text(layout: LetterLayout) -> None:
    records = [record(n) for n in range(1, 31)]
    records[4] = record(5, body=paragraphs(45))  # several pages
    result = compose_letter_batch(layout, records)
    assert result.fallbacks == ()
    assert result.pages[4] >= 3
    assert result.pages.count(1) == 29
    for number, pages in enumerate(letters_of(result.pdf, result.pages), start=1):
        first = pages[0]
        assert f"Cliente {number}\n" in first + "\n"
        assert f"Via Roma {number}\n" in first
        assert f"Rif. FT-{number}" in first
        assert "Milano, 1 dicembre 2026" in first
        for page, text in enumerate(pages, start=1):
            assert f"Pagina {page} di {len(pages)}" in text
            assert "Energia Chiara S.p.A." in text
            assert "P.IVA 01234567890" in text
        if number != 5:
            assert f"importo dovuto: € {number},30." in first
    assert "Paragrafo 45" in letters_of(result.pdf, result.pages)[4][-1]
    assert compose_letters(layout, records[:3]).startswith(b"%PDF-1.7")


def test_composed_and_full_letters_place_text_alike(layout: LetterLayout) -> None:
    body = "<p>Gentile Mario,</p>" + paragraphs(40)
    one = record(7, body=body, name="Mario Rossi")
    composed = placed(compose_letter_batch(layout, [one]).pdf)
    full = placed(letter(body, reference="FT-7", recipient=one.recipient))
    assert len(composed) == len(full) >= 2
    for page, (ours, theirs) in enumerate(zip(composed, full, strict=True), start=1):
        lines = ["Energia Chiara S.p.A.", f"Pagina {page} di {len(full)}"]
        if page == 1:
            lines += ["Mario Rossi", "Via Roma 7", "Milano, 1 dicembre 2026", "Rif. FT-7"]
            lines += ["Gentile Mario,"]
        for line in lines:
            a, b = find(ours, line), find(theirs, line)
            assert a.left == pytest.approx(b.left, abs=0.5), line
            assert a.baseline == pytest.approx(b.baseline, abs=0.3), line
            assert a.size == pytest.approx(b.size, abs=0.01), line
        # Both break the body's lines at the same words and pages.
        body_lines = [c.text for c in ours if c.text.startswith("Paragrafo")]
        assert body_lines == [c.text for c in theirs if c.text.startswith("Paragrafo")]
    assert_in_window(composed[0], one.recipient.all_lines)


def test_letters_beyond_the_fast_path_are_laid_out_whole_in_the_same_file(
    layout: LetterLayout,
) -> None:
    records = [
        record(1),
        record(2, body="<p>Riepilogo:</p><ul><li>luce</li><li>gas</li></ul>"),
        record(3),
        record(4, name="Γιώργος Παπαδόπουλος"),
        record(5, body='<p style="color: red">Avviso</p>'),
        record(6),
    ]
    result = compose_letter_batch(layout, records)
    assert result.fallbacks == (1, 3, 4)
    letters = letters_of(result.pdf, result.pages)
    assert "luce" in letters[1][0]
    assert "gas" in letters[1][0]
    assert "Γιώργος Παπαδόπουλος" in letters[3][0]
    assert "Avviso" in letters[4][0]
    for number, pages in enumerate(letters, start=1):
        assert f"Rif. FT-{number}" in pages[0]
        assert "Pagina 1 di 1" in pages[0]
        assert "P.IVA 01234567890" in pages[0]
    assert_in_window(placed(result.pdf)[3], records[3].recipient.all_lines)


def test_compose_names_the_letter_it_cannot_print(layout: LetterLayout) -> None:
    records = [record(1), record(2, body=paragraphs(800))]
    with pytest.raises(Invalid, match=r"Letter 2: A letter has at most 30 pages"):
        compose_letters(layout, records)
    with pytest.raises(Invalid, match="at least one letter"):
        compose_letters(layout, [])


def test_long_words_are_cut_and_breaks_kept(layout: LetterLayout) -> None:
    body = "<p>" + "x" * 200 + "</p><p>prima riga<br>seconda riga</p>"
    result = compose_letter_batch(layout, [record(1, body=body)])
    (page,) = placed(result.pdf)
    pieces = [chunk for chunk in page if set(chunk.text) == {"x"}]
    assert "".join(chunk.text for chunk in pieces) == "x" * 200
    assert len(pieces) >= 2
    for chunk in pieces:
        assert chunk.left + face().width(chunk.text, chunk.size) / MM <= 190 + 0.01
    assert find(page, "seconda riga").baseline > find(page, "prima riga").baseline


def test_simple_paragraphs() -> None:
    parsed = simple_paragraphs(
        "<p>Gentile <strong>Mario</strong>,</p>\n<div>costo: <b>€&nbsp;4</b>,30 <em>circa</em>"
        "<br/>grazie &amp; saluti</div><p>  </p>senza tag"
    )
    assert parsed == (
        (("Gentile ", 0), ("Mario", BOLD), (",", 0)),
        (
            ("costo: ", 0),
            ("€\xa04", BOLD),
            (",30 ", 0),
            ("circa", ITALIC),
            ("\n", 0),
            ("grazie & saluti", 0),
        ),
        (("senza tag", 0),),
    )
    document = "<!DOCTYPE html>\n<html><body><p>Gentile Mario,</p></body></html>"
    assert simple_paragraphs(document) == ((("Gentile Mario,", 0),),)
    for body in (
        '<p class="x">a</p>',
        "<ul><li>a</li></ul>",
        "<p>a <!-- nota --></p>",
        "<table><tr><td>a</td></tr></table>",
        "<p>a < b</p>",
        '<img src="data:,">',
        "<html><head><title>x</title></head><body><p>a</p></body></html>",
    ):
        assert simple_paragraphs(body) is None, body
