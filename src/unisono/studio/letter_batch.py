"""Mass letters: one print file of N letters, the frame rendered once, the text composed.

WeasyPrint needs about 0.1 s per page, so a mailing of 100,000 letters would take hours. Here
the static layer of every page (company header, legal footer, fold and hole marks, logo, the
return address in the window) is rendered **once** by WeasyPrint (``render_frame_pdf``) and
becomes two PDF Form XObjects, a first page and a continuation page, drawn by reference on
every page of the file. Per letter only the variable layer is composed: the recipient in the
window, date and reference, the body's paragraphs and "Pagina 1 di 2", written directly as PDF
text operators with embedded DejaVu Sans (the face WeasyPrint uses, subset once to the
Windows-1252 repertoire), lines broken greedily with the font's advance widths. Positions come
from ``letter_layout``, like the CSS of the full path, so both place text alike.

What the fast path supports, the limits of the layout:

* body HTML made of paragraphs (``<p>``, ``<div>``), line breaks (``<br>``), bold
  (``<b>``, ``<strong>``) and italic (``<i>``, ``<em>``), text and character references,
  without any attribute; whitespace collapses as in HTML;
* characters of Windows-1252 (Italian, English and the other western European languages,
  the euro sign, typographic quotes and dashes) in body, address and reference;
* left-aligned text, no hyphenation, no kerning nor ligatures; a word wider than the line is
  cut; widows and orphans of two lines, as CSS's defaults.

A letter outside these limits (a list, a table, an image, a link, a style, a heading, a Greek
or Cyrillic name...) is rendered whole by ``render_letter_pdf`` and its pages copied into the
same print file, so every letter is printed; ``ComposedLetters.fallbacks`` says which ones.
Each letter starts on a new sheet side; the file is built in memory (at ~2-3 KB per page, a
100,000-page file takes a few hundred MB: split large mailings into several files).
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

from unisono.errors import Invalid
from unisono.studio.letter import render_frame_pdf, render_letter_pdf
from unisono.studio.letter_layout import (
    ADDRESS_LEADING,
    ADDRESS_ZONE,
    BODY_BOTTOM,
    BODY_LEADING,
    BODY_SIZE,
    BODY_TOP_FIRST,
    BODY_WIDTH,
    FOOTER_TOP,
    INFO_BLOCK,
    INFO_LEADING,
    INFO_SIZE,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MAX_LETTER_PAGES,
    MM,
    PAGE_HEIGHT,
    PAGE_LABEL_LEADING,
    PAGE_LABEL_SIZE,
    PAGE_WIDTH,
    PARAGRAPH_GAP,
    Address,
    Face,
    LetterSender,
    address_font_size,
    check_body_size,
    check_reference,
    date_line,
    face,
    page_label,
    reference_line,
)

__all__ = [
    "ComposedLetters",
    "LetterLayout",
    "LetterRecord",
    "clear_caches",
    "compose_letter_batch",
    "compose_letters",
    "simple_paragraphs",
]

BOLD, ITALIC = 1, 2
Run = tuple[str, int]  # text and style bits; the text "\n" is a forced line break
Paragraph = tuple[Run, ...]
WIDOWS = ORPHANS = 2
ENCODING = "cp1252"
PAGE_W_PT = PAGE_WIDTH * MM
PAGE_H_PT = PAGE_HEIGHT * MM


# --- The body's HTML, when it is simple enough --------------------------------------------
_PARAGRAPH_TAGS = frozenset({"p", "div"})
_STYLE_TAGS = {"b": BOLD, "strong": BOLD, "i": ITALIC, "em": ITALIC}
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")


# A tag without attributes; anything else that looks like markup (attributes, comments,
# declarations, a stray "<") is left in the text, where it sends the letter to the full path.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\s*/?>")
_DOCTYPE = re.compile(r"\s*<!doctype html>", re.IGNORECASE)
# A template may wrap its body in a document: the wrapper changes nothing on paper.
_WRAPPER_TAGS = frozenset({"html", "body"})


def simple_paragraphs(body_html: str) -> tuple[Paragraph, ...] | None:
    """The body as paragraphs of styled runs, or None when it needs the full HTML layout."""
    paragraphs: list[Paragraph] = []
    runs: list[Run] = []
    depth = {BOLD: 0, ITALIC: 0}
    style = 0

    def text(data: str) -> bool:
        if "<" in data or ">" in data:
            return False
        if "&" in data:
            data = html.unescape(data)
        # A soft hyphen would print as a hyphen in the middle of the line: drop it.
        runs.append((data.replace("\u00ad", ""), style))
        return True

    doctype = _DOCTYPE.match(body_html)
    position = doctype.end() if doctype else 0
    for match in _TAG.finditer(body_html, position):
        if match.start() > position and not text(body_html[position : match.start()]):
            return None
        position = match.end()
        closing, tag = match.group(1), match.group(2).lower()
        if tag in _PARAGRAPH_TAGS:
            if any(data.strip() for data, _ in runs):
                paragraphs.append(tuple(runs))
            runs = []
        elif tag in _STYLE_TAGS:
            bit = _STYLE_TAGS[tag]
            depth[bit] = max(0, depth[bit] + (-1 if closing else 1))
            style = (BOLD if depth[BOLD] else 0) | (ITALIC if depth[ITALIC] else 0)
        elif tag == "br":
            runs.append(("\n", 0))
        elif tag not in _WRAPPER_TAGS:
            return None
    if position < len(body_html) and not text(body_html[position:]):
        return None
    if any(data.strip() for data, _ in runs):
        paragraphs.append(tuple(runs))
    return tuple(paragraphs)


# --- Line breaking and pages --------------------------------------------------------------
_FACES: dict[int, Face] = {}
# Words recur from letter to letter: their widths (thousandths of an em) are worth keeping.
_WIDTHS: dict[tuple[str, int], float] = {}
_WIDTHS_KEPT = 200_000


def _face(style: int) -> Face:
    found = _FACES.get(style)
    if found is None:
        found = _FACES[style] = face(bold=bool(style & BOLD), italic=bool(style & ITALIC))
    return found


def _units(text: str, style: int) -> float:
    key = (text, style)
    units = _WIDTHS.get(key)
    if units is None:
        if len(_WIDTHS) >= _WIDTHS_KEPT:
            _WIDTHS.clear()
        units = _WIDTHS[key] = _face(style).units(text)
    return units


Line = tuple[Run, ...]
Word = list[Run]


def _words(paragraph: Paragraph) -> list[Word | None]:
    """Words as lists of styled pieces (a word may change style inside, "<b>412</b>,30");
    None is a forced line break."""
    words: list[Word | None] = []
    word: Word = []
    for text, style in paragraph:
        if text == "\n":
            if word:
                words.append(word)
                word = []
            words.append(None)
            continue
        for index, part in enumerate(_WHITESPACE.split(text)):
            if index and word:
                words.append(word)
                word = []
            if part:
                word.append((part, style))
    if word:
        words.append(word)
    return words


def _cut(word: Word, width: float, size: float) -> list[Word]:
    """A word wider than the line, cut into pieces that fit (CSS's overflow-wrap)."""
    pieces: list[Word] = []
    current: Word = []
    used = 0.0
    for text, style in word:
        start = 0
        for end in range(len(text)):
            advance = _units(text[end], style) * size / 1000
            if used + advance > width and (current or end > start):
                if end > start:
                    current.append((text[start:end], style))
                pieces.append(current)
                current, used, start = [], 0.0, end
            used += advance
        if start < len(text):
            current.append((text[start:], style))
    if current:
        pieces.append(current)
    return pieces


def break_lines(paragraph: Paragraph, width: float, size: float) -> list[Line]:
    """Greedy line breaking of one paragraph at ``size`` points into lines ``width`` wide."""
    limit = width * 1000 / size  # in thousandths of an em
    lines: list[Line] = []
    line: list[Run] = []
    used = 0.0
    for word in _words(paragraph):
        if word is None:
            lines.append(tuple(line))
            line, used = [], 0.0
            continue
        if len(word) == 1:
            word_units = _units(*word[0])
        else:
            word_units = sum(_units(text, style) for text, style in word)
        space_style = line[-1][1] if line else 0
        space = _units(" ", space_style)
        if line and used + space + word_units > limit:
            lines.append(tuple(line))
            line, used = [], 0.0
        if not line and word_units > limit:
            *full, word = _cut(word, width, size)
            lines.extend(tuple(piece) for piece in full)
            word_units = sum(_units(text, style) for text, style in word)
        if line:
            line.append((" ", space_style))
            used += space
        line.extend(word)
        used += word_units
    if line:
        lines.append(tuple(line))
    return lines


# A template's fixed paragraphs come back in every letter of a mailing: break them once.
_LINES: dict[Paragraph, list[Line]] = {}
_LINES_KEPT = 20_000


def _body_lines(paragraph: Paragraph) -> list[Line]:
    lines = _LINES.get(paragraph)
    if lines is None:
        if len(_LINES) >= _LINES_KEPT:
            _LINES.clear()
        lines = _LINES[paragraph] = break_lines(paragraph, BODY_WIDTH * MM, BODY_SIZE)
    return lines


def clear_caches() -> None:
    """Forget the widths, lines and operators kept from earlier letters (benchmarks start
    cold with it)."""
    _WIDTHS.clear()
    _LINES.clear()
    _LINE_OPS.clear()


def _paginate(paragraphs: Sequence[Paragraph]) -> list[list[tuple[float, Line]]]:
    """Lines placed on pages: per page, (top of the line box in points from the sheet's top,
    line). Paragraph gaps vanish at a page break, as CSS margins do."""
    bottom = BODY_BOTTOM * MM
    top_next = MARGIN_TOP * MM
    pages: list[list[tuple[float, Line]]] = [[]]
    y = BODY_TOP_FIRST * MM
    for paragraph in paragraphs:
        lines = _body_lines(paragraph)
        done = 0
        while done < len(lines):
            room = int((bottom - y) / BODY_LEADING + 1e-6)
            left = len(lines) - done
            if room >= left:
                take = left
            else:
                take = room
                if left - take < WIDOWS:
                    take = left - WIDOWS
                if done == 0 and take < ORPHANS:
                    take = 0
                if take <= 0 and not pages[-1]:
                    take = max(room, 1)  # an empty page: place what fits whatever the rules
            for line in lines[done : done + max(take, 0)]:
                pages[-1].append((y, line))
                y += BODY_LEADING
            done += max(take, 0)
            if done < len(lines):
                pages.append([])
                y = top_next
                if len(pages) > MAX_LETTER_PAGES:
                    raise Invalid(f"A letter has at most {MAX_LETTER_PAGES} pages.")
        y += PARAGRAPH_GAP
    return pages


# --- Fonts embedded in the print file ------------------------------------------------------
WINANSI_CHARS = tuple(bytes([code]).decode(ENCODING, errors="replace") for code in range(32, 256))


@dataclass(frozen=True, slots=True)
class _EmbeddedFont:
    name: bytes  # the resource name in content streams, e.g. b"F1"
    font: bytes  # the font dictionary, with {descriptor} to fill
    descriptor: bytes  # with {file} to fill
    file_entries: bytes
    file_data: bytes


@lru_cache(maxsize=4)
def _embedded_font(style: int) -> _EmbeddedFont:
    """DejaVu subset to the Windows-1252 repertoire, as a simple TrueType font with
    WinAnsiEncoding: one byte per character in content streams, text extractable."""
    metrics = _face(style)
    font = TTFont(str(metrics.path))
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.drop_tables = [*options.drop_tables, "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(char) for char in WINANSI_CHARS if char != "\ufffd"])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    program = out.getvalue()
    tag = "".join(chr(65 + byte % 26) for byte in hashlib.sha256(program).digest()[:6])
    base = f"{tag}+{metrics.postscript_name}".encode("ascii")
    widths = b" ".join(
        b"%d" % round(metrics.widths.get(char, 0) if char != "\ufffd" else 0)
        for char in WINANSI_CHARS
    )
    flags = 32 | (64 if style & ITALIC else 0) | (262144 if style & BOLD else 0)
    bbox = b" ".join(b"%d" % round(value) for value in metrics.bbox)
    return _EmbeddedFont(
        name=b"F%d" % style,
        font=(
            b"<</Type/Font/Subtype/TrueType/BaseFont/" + base + b"/FirstChar 32/LastChar 255"
            b"/Widths[" + widths + b"]/Encoding/WinAnsiEncoding/FontDescriptor {descriptor} 0 R>>"
        ),
        descriptor=(
            b"<</Type/FontDescriptor/FontName/"
            + base
            + b"/Flags %d/FontBBox[" % flags
            + bbox
            + b"]/ItalicAngle %d/Ascent %d/Descent %d/CapHeight %d/StemV %d/FontFile2 {file} 0 R>>"
            % (
                round(metrics.italic_angle),
                round(metrics.ascent),
                -round(metrics.descent),
                round(metrics.cap_height),
                120 if style & BOLD else 80,
            )
        ),
        file_entries=b"/Length1 %d" % len(program),
        file_data=zlib.compress(program, 9),
    )


# --- A small PDF writer ---------------------------------------------------------------------
class _PdfFile:
    """Objects appended in any order, then a classic cross-reference table."""

    def __init__(self) -> None:
        header = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
        self._parts: list[bytes] = [header]
        self._position = len(header)
        self._offsets: list[int] = [0]

    def reserve(self) -> int:
        self._offsets.append(-1)
        return len(self._offsets) - 1

    def write(self, number: int, body: bytes) -> None:
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        self._offsets[number] = self._position
        self._parts.append(chunk)
        self._position += len(chunk)

    def write_stream(self, number: int, entries: bytes, data: bytes) -> None:
        self.write(
            number,
            b"<<%s/Length %d>>\nstream\n%s\nendstream" % (entries, len(data), data),
        )

    def finish(self, root: int, info: int) -> bytes:
        if -1 in self._offsets:
            raise RuntimeError("a reserved PDF object was never written")
        count = len(self._offsets)
        xref = [b"xref\n0 %d\n0000000000 65535 f \n" % count]
        xref.extend(b"%010d 00000 n \n" % offset for offset in self._offsets[1:])
        trailer = b"trailer\n<</Size %d/Root %d 0 R/Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
            count,
            root,
            info,
            self._position,
        )
        return b"".join([*self._parts, *xref, trailer])


class _Importer:
    """Copies objects of another PDF (read by pypdf) into ours, renumbering references."""

    def __init__(self, reader: PdfReader, out: _PdfFile) -> None:
        self.reader = reader
        self.out = out
        self.numbers: dict[int, int] = {}
        self.pending: list[tuple[int, int]] = []

    def reference(self, indirect: IndirectObject) -> bytes:
        number = self.numbers.get(indirect.idnum)
        if number is None:
            number = self.numbers[indirect.idnum] = self.out.reserve()
            self.pending.append((indirect.idnum, number))
        return b"%d 0 R" % number

    def serialize(self, value: PdfObject) -> bytes:
        if isinstance(value, IndirectObject):
            return self.reference(value)
        if isinstance(value, DictionaryObject):
            return b"<<" + self.entries(value) + b">>"
        if isinstance(value, ArrayObject):
            return b"[" + b" ".join(self.serialize(item) for item in value) + b"]"
        buffer = io.BytesIO()
        value.write_to_stream(buffer)
        return buffer.getvalue()

    def entries(self, dictionary: DictionaryObject, skip: Iterable[str] = ()) -> bytes:
        skipped = set(skip)
        return b"".join(
            self.serialize(NameObject(key)) + b" " + self.serialize(dictionary.raw_get(key))
            for key in dictionary
            if key not in skipped
        )

    def flush(self) -> None:
        while self.pending:
            old, number = self.pending.pop()
            value = self.reader.get_object(old)
            if value is None:
                self.out.write(number, b"null")
            elif isinstance(value, StreamObject):
                # The raw, still encoded bytes: no decode and re-encode of fonts and images.
                self.out.write_stream(number, self.entries(value, ("/Length",)), value._data)
            else:
                self.out.write(number, self.serialize(value))


def _form_xobject(importer: _Importer, page: DictionaryObject) -> int:
    """A page of another PDF as a Form XObject: its content stream and resources, drawn by
    reference from every page that shows it."""
    contents = page["/Contents"]
    if isinstance(contents, StreamObject):
        data = contents._data
        filters = importer.entries(contents, ("/Length",))
    else:  # an array of streams: join them
        parts = [part.get_object() for part in contents]  # type: ignore[attr-defined]
        data = zlib.compress(b"\n".join(part.get_data() for part in parts))
        filters = b"/Filter/FlateDecode"
    number = importer.out.reserve()
    resources = importer.serialize(page.raw_get("/Resources"))
    importer.out.write_stream(
        number,
        b"/Type/XObject/Subtype/Form/BBox[0 0 %.4f %.4f]/Resources %s%s"
        % (PAGE_W_PT, PAGE_H_PT, resources, filters),
        data,
    )
    importer.flush()
    return number


# --- Letters ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LetterLayout:
    """A sender's letter frame in one locale, rendered once (WeasyPrint, ~0.2 s)."""

    sender: LetterSender
    locale: str
    frame_pdf: bytes

    @classmethod
    def build(cls, sender: LetterSender, locale: str) -> LetterLayout:
        return cls(sender=sender, locale=locale, frame_pdf=render_frame_pdf(sender, locale))


@dataclass(frozen=True, slots=True)
class LetterRecord:
    """One letter of a mailing: what ``render_letter_pdf`` takes besides the frame."""

    recipient: Address
    date: date
    reference: str
    body_html: str


@dataclass(frozen=True, slots=True)
class ComposedLetters:
    """The print file, the number of pages of each letter in order, and the positions of the
    letters that went through the full HTML layout."""

    pdf: bytes
    pages: tuple[int, ...]
    fallbacks: tuple[int, ...]


def _escape(text: str) -> bytes:
    return text.encode(ENCODING).replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


# A line's text operators, keyed by its runs and size; body lines recur like paragraphs.
_LINE_OPS: dict[tuple[Line, float], tuple[bytes, frozenset[int]]] = {}
_LINE_OPS_KEPT = 50_000
_BASELINES: dict[tuple[float, float], float] = {}


def _line_ops(line: Line, size: float, *, cache: bool) -> tuple[bytes, frozenset[int]]:
    """``/F0 10 Tf (text) Tj ...`` and the styles used. Each line sets its font, so lines are
    independent of each other and cacheable (zlib makes the repetition free)."""
    key = (line, size)
    found = _LINE_OPS.get(key) if cache else None
    if found is None:
        merged: list[Run] = []
        for text, style in line:
            if merged and merged[-1][1] == style:
                merged[-1] = (merged[-1][0] + text, style)
            else:
                merged.append((text, style))
        ops = b"".join(b"/F%d %g Tf(%s)Tj" % (style, size, _escape(text)) for text, style in merged)
        found = (ops, frozenset(style for _, style in merged))
        if cache:
            if len(_LINE_OPS) >= _LINE_OPS_KEPT:
                _LINE_OPS.clear()
            _LINE_OPS[key] = found
    return found


class _Text:
    """The text operators of one page."""

    def __init__(self) -> None:
        self.ops: list[bytes] = []
        self.used: set[int] = set()

    def line(
        self, x: float, top: float, line: Line, size: float, leading: float, *, cache: bool = True
    ) -> None:
        """A line whose box starts ``top`` points below the sheet's top, at ``x`` points;
        ``cache`` keeps its operators for the next letters (not for one-off lines)."""
        offset = _BASELINES.get((size, leading))
        if offset is None:
            offset = _BASELINES[(size, leading)] = _face(0).baseline(size, leading)
        ops, styles = _line_ops(line, size, cache=cache)
        self.ops.append(b"1 0 0 1 %.2f %.2f Tm %s" % (x, PAGE_H_PT - top - offset, ops))
        self.used |= styles

    def stream(self, form: bytes) -> bytes:
        return b"q /%s Do Q\nBT\n%s\nET" % (form, b"\n".join(self.ops))


def _composed_pages(layout: LetterLayout, record: LetterRecord) -> list[_Text] | None:
    """The variable layer of each page of ``record``, or None when it needs the full layout."""
    paragraphs = simple_paragraphs(record.body_html)
    if paragraphs is None:
        return None
    pages = _paginate(paragraphs)
    first = _Text()
    size = address_font_size(record.recipient)
    leading = size * ADDRESS_LEADING
    for index, address_line in enumerate(record.recipient.all_lines):
        top = ADDRESS_ZONE.top * MM + index * leading
        first.line(ADDRESS_ZONE.left * MM, top, ((address_line, 0),), size, leading, cache=False)
    info = (
        date_line(layout.sender.place, record.date, layout.locale),
        reference_line(record.reference, layout.locale),
    )
    for index, info_line in enumerate(text for text in info if text):
        top = INFO_BLOCK.top * MM + index * INFO_LEADING
        first.line(
            INFO_BLOCK.left * MM, top, ((info_line, 0),), INFO_SIZE, INFO_LEADING, cache=index == 0
        )
    texts = [first, *(_Text() for _ in pages[1:])]
    right = (PAGE_WIDTH - MARGIN_RIGHT) * MM
    for number, (text, lines) in enumerate(zip(texts, pages, strict=True), start=1):
        for top, line in lines:
            text.line(MARGIN_LEFT * MM, top, line, BODY_SIZE, BODY_LEADING)
        label = page_label(number, len(pages), layout.locale)
        x = right - _units(label, 0) * PAGE_LABEL_SIZE / 1000
        text.line(x, FOOTER_TOP * MM, ((label, 0),), PAGE_LABEL_SIZE, PAGE_LABEL_LEADING)
    return texts


def compose_letter_batch(layout: LetterLayout, records: Iterable[LetterRecord]) -> ComposedLetters:
    """Every letter of ``records`` in one print file, in order (see the module's docstring).

    Raises ``Invalid`` (naming the letter's position) for a letter that cannot be printed:
    an address too wide for the window, more than ``MAX_LETTER_PAGES`` pages...
    """
    out = _PdfFile()
    catalog, tree, resources, info = (out.reserve() for _ in range(4))
    frame = _Importer(PdfReader(io.BytesIO(layout.frame_pdf)), out)
    first_form = _form_xobject(frame, frame.reader.pages[0])
    next_form = _form_xobject(frame, frame.reader.pages[1])
    kids: list[int] = []
    counts: list[int] = []
    fallbacks: list[int] = []
    fonts_used: set[int] = set()
    page_entries = b"/Type/Page/Parent %d 0 R/MediaBox[0 0 %.4f %.4f]" % (
        tree,
        PAGE_W_PT,
        PAGE_H_PT,
    )
    for position, record in enumerate(records):
        try:
            check_body_size(record.body_html)
            check_reference(record.reference)
            try:
                texts = _composed_pages(layout, record)
                streams = (
                    None
                    if texts is None
                    else [
                        text.stream(b"S1" if index == 0 else b"S2")
                        for index, text in enumerate(texts)
                    ]
                )
            except UnicodeEncodeError:  # a character outside Windows-1252
                texts = streams = None
            if texts is None or streams is None:
                fallbacks.append(position)
                counts.append(_import_letter(out, tree, layout, record, kids))
                continue
        except Invalid as error:
            raise Invalid(f"Letter {position + 1}: {error.detail}", position=position) from None
        for text, stream in zip(texts, streams, strict=True):
            fonts_used |= text.used
            page, content = out.reserve(), out.reserve()
            out.write_stream(content, b"/Filter/FlateDecode", zlib.compress(stream, 6))
            out.write(
                page,
                b"<<%s/Resources %d 0 R/Contents %d 0 R>>" % (page_entries, resources, content),
            )
            kids.append(page)
        counts.append(len(texts))
    if not counts:
        raise Invalid("A print file needs at least one letter.")
    fonts = []
    for style in sorted(fonts_used):
        embedded = _embedded_font(style)
        font, descriptor, program = out.reserve(), out.reserve(), out.reserve()
        out.write_stream(
            program, embedded.file_entries + b"/Filter/FlateDecode", embedded.file_data
        )
        out.write(descriptor, embedded.descriptor.replace(b"{file}", b"%d" % program))
        out.write(font, embedded.font.replace(b"{descriptor}", b"%d" % descriptor))
        fonts.append(b"/%s %d 0 R" % (embedded.name, font))
    out.write(
        resources,
        b"<</XObject<</S1 %d 0 R/S2 %d 0 R>>/Font<<%s>>>>"
        % (first_form, next_form, b"".join(fonts)),
    )
    out.write(
        tree,
        b"<</Type/Pages/Count %d/Kids[%s]>>"
        % (len(kids), b" ".join(b"%d 0 R" % kid for kid in kids)),
    )
    out.write(catalog, b"<</Type/Catalog/Pages %d 0 R>>" % tree)
    out.write(info, b"<</Producer(Unisono)/Title(%s)>>" % _title(layout))
    return ComposedLetters(
        pdf=out.finish(catalog, info), pages=tuple(counts), fallbacks=tuple(fallbacks)
    )


def _title(layout: LetterLayout) -> bytes:
    return _escape(layout.sender.name.encode(ENCODING, "replace").decode(ENCODING))


def _import_letter(
    out: _PdfFile, tree: int, layout: LetterLayout, record: LetterRecord, kids: list[int]
) -> int:
    """The whole letter laid out by WeasyPrint, its pages copied into the print file."""
    pdf = render_letter_pdf(
        record.body_html,
        recipient=record.recipient,
        sender=layout.sender,
        date=record.date,
        reference=record.reference,
        locale=layout.locale,
    )
    importer = _Importer(PdfReader(io.BytesIO(pdf)), out)
    pages = importer.reader.pages
    for page in pages:
        number = out.reserve()
        # Links are of no use on paper, and their /P back-references would need remapping.
        entries = importer.entries(page, ("/Parent", "/Annots", "/StructParents"))
        out.write(number, b"<<%s/Parent %d 0 R>>" % (entries, tree))
        kids.append(number)
    importer.flush()
    return len(pages)


def compose_letters(layout: LetterLayout, records: Iterable[LetterRecord]) -> bytes:
    """One print file with every letter of ``records``, in order."""
    return compose_letter_batch(layout, records).pdf
