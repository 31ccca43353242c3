"""The printed letter's page: geometry, type sizes, fonts and their metrics, fixed words.

Both ways of producing letters read this module, so that they place text alike:
``letter.render_letter_pdf`` (the whole letter laid out by WeasyPrint from HTML) and
``letter_batch.compose_letters`` (the static frame rendered once, the variable text written
straight into PDF content streams).

The page is A4 (210 x 297 mm). Measures are millimetres from the top-left corner of the sheet.

Envelope and address window. We print for a DL envelope (110 x 220 mm, the Italian "busta
americana" 11 x 22) with the window on the **right**, the usual position in Italy. The address
field follows DIN 5008 form B (the documented standard; Poste Italiane publishes no letter
geometry, its rules cover the envelope), mirrored to the right margin:

* address field 85 x 45 mm, top edge 45 mm from the top of the sheet, right edge 20 mm from the
  right edge of the sheet (x 105-190 mm, y 45-90 mm), which lies inside a DIN 680 window of
  90 x 45 mm placed 20 mm from the side and 15 mm from the bottom of a DL envelope;
* inside it, as in DIN 5008: the upper 17.7 mm is the zone for the return address and postal
  notes, the lower 27.3 mm (y 62.7-90 mm) holds the recipient in at most six lines; text starts
  5 mm inside the field (x 110 mm), so a letter that slides a few millimetres in the envelope
  still shows the whole address;
* fold marks at 105 mm and 210 mm from the top (DIN 5008 form B: the sheet folds in three,
  105 + 105 + 87 mm, and the upper third carries the address field) and the hole-punch mark at
  148.5 mm, printed in the left margin.

Date and reference sit to the left of the window, level with the address; the body starts at
100 mm on the first page and at 45 mm on the next ones, below the company's header.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from unisono.errors import Invalid

MM = 72 / 25.4  # PDF points per millimetre

PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0
MARGIN_TOP = 45.0
MARGIN_RIGHT = 20.0
MARGIN_BOTTOM = 30.0
MARGIN_LEFT = 25.0
BODY_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
BODY_BOTTOM = PAGE_HEIGHT - MARGIN_BOTTOM
# On the first page the body starts below the address field and the date.
BODY_TOP_FIRST = 100.0
HEADER_TOP = 12.0
FOOTER_TOP = 272.0
FOLD_MARKS = (105.0, 210.0)
HOLE_MARK = 148.5
MARK_LEFT = 4.0  # fold and hole marks run from here to MARK_LEFT + their length
FOLD_MARK_LENGTH = 5.0
HOLE_MARK_LENGTH = 7.0


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on the sheet, in millimetres from its top-left corner."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


ADDRESS_FIELD = Box(left=105.0, top=45.0, width=85.0, height=45.0)
RETURN_LINE = Box(left=110.0, top=57.0, width=75.0, height=4.0)
ADDRESS_ZONE = Box(left=110.0, top=62.7, width=75.0, height=27.3)
INFO_BLOCK = Box(left=MARGIN_LEFT, top=62.7, width=70.0, height=27.3)

# Type, in points. Line heights are absolute so both producers stack lines alike.
FONT_FAMILY = "DejaVu Sans"
BODY_SIZE = 10.0
BODY_LEADING = 14.0
PARAGRAPH_GAP = 10.0
ADDRESS_SIZE = 10.0
ADDRESS_MIN_SIZE = 7.0
ADDRESS_LEADING = 1.2  # times the address's font size
MAX_ADDRESS_LINES = 6
INFO_SIZE = 9.0
INFO_LEADING = 12.0
PAGE_LABEL_SIZE = 8.0
PAGE_LABEL_LEADING = 10.0

MAX_LETTER_PAGES = 30
MAX_BODY_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class Labels:
    """The few fixed words of a letter, in the customer's language."""

    page: str  # with {page} and {pages}
    reference: str
    vat: str


# Letters speak the customer's language, not the operator's: these few words live with the
# layout, so a print file never depends on the console's catalogs.
LABELS: Mapping[str, Labels] = {
    "it": Labels(page="Pagina {page} di {pages}", reference="Rif.", vat="P.IVA"),
    "en": Labels(page="Page {page} of {pages}", reference="Ref.", vat="VAT No."),
}


def labels(locale: str) -> Labels:
    """The fixed words of ``locale``; refuses a locale letters do not speak."""
    try:
        return LABELS[locale]
    except KeyError:
        raise Invalid(
            f"Letters are written in {', '.join(LABELS)}, not {locale!r}.", locale=locale
        ) from None


def _clean_line(value: str, what: str, *, limit: int) -> str:
    line = " ".join(value.split())
    if any(unicodedata.category(char) == "Cc" for char in line):
        raise Invalid(f"The {what} contains control characters.")
    if len(line) > limit:
        raise Invalid(f"A line of the {what} is longer than {limit} characters.")
    return line


@dataclass(frozen=True, slots=True)
class Address:
    """A recipient as printed in the window: a name and the lines below it (street, postcode
    and town, country). Blank lines are dropped; at most six lines in all."""

    name: str
    lines: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        name = _clean_line(self.name, "recipient's name", limit=80)
        if not name:
            raise Invalid("A letter needs the recipient's name.")
        lines = tuple(
            cleaned
            for line in self.lines
            if (cleaned := _clean_line(line, "recipient's address", limit=80))
        )
        if 1 + len(lines) > MAX_ADDRESS_LINES:
            raise Invalid(f"An address has at most {MAX_ADDRESS_LINES} lines, name included.")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "lines", lines)

    @property
    def all_lines(self) -> tuple[str, ...]:
        return (self.name, *self.lines)


LOGO_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


@dataclass(frozen=True, slots=True)
class Logo:
    """The company's logo, embedded in the letter (never fetched)."""

    data: bytes
    media_type: str

    def __post_init__(self) -> None:
        if self.media_type not in LOGO_TYPES:
            raise Invalid(f"A logo is one of {', '.join(LOGO_TYPES)}.")
        if not self.data or len(self.data) > 2 * 1024 * 1024:
            raise Invalid("A logo is between 1 byte and 2 MB.")


@dataclass(frozen=True, slots=True)
class LetterSender:
    """The company that writes: its header on every page, its legal footer.

    ``place`` (a town) precedes the date, as Italian letters do: "Milano, 1 dicembre 2026".
    ``contact_lines`` are e.g. the phone number and the website.
    """

    name: str
    address_lines: tuple[str, ...]
    vat_number: str
    legal_text: str = ""
    place: str = ""
    contact_lines: tuple[str, ...] = ()
    logo: Logo | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise Invalid("The sender needs a name.")
        if len(self.address_lines) + len(self.contact_lines) > 5:
            raise Invalid("The sender's header has at most five address and contact lines.")
        for line in (*self.address_lines, *self.contact_lines, self.name, self.place):
            _clean_line(line, "sender's header", limit=120)
        if len(self.legal_text) > 600:
            raise Invalid("The sender's legal text is at most 600 characters.")

    @property
    def return_line(self) -> str:
        """The sender on one line, printed small above the recipient in the window."""
        return " · ".join((self.name, *self.address_lines))


@lru_cache(maxsize=4096)
def date_line(place: str, day: date, locale: str) -> str:
    """The date as the letter prints it; cached because Babel costs ~40 µs per call."""
    text = format_date(day, format="long", locale=locale)
    return f"{place}, {text}" if place else text


def reference_line(reference: str, locale: str) -> str:
    return f"{labels(locale).reference} {reference}" if reference else ""


def check_reference(reference: str) -> None:
    if len(reference) > 80 or any(unicodedata.category(char) == "Cc" for char in reference):
        raise Invalid("A letter's reference is one line of at most 80 characters.")


def check_body_size(body_html: str) -> None:
    if len(body_html.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise Invalid(f"A letter's body is at most {MAX_BODY_BYTES // 1024} KB of HTML.")


def page_label(page: int, pages: int, locale: str) -> str:
    return labels(locale).page.format(page=page, pages=pages)


# --- Fonts -------------------------------------------------------------------------------
# DejaVu ships with Debian and with WeasyPrint's usual installs; the fast path embeds the same
# faces WeasyPrint picks for "DejaVu Sans", so both producers measure text alike.
FACE_FILES: Mapping[tuple[bool, bool], str] = {
    (False, False): "DejaVuSans.ttf",
    (True, False): "DejaVuSans-Bold.ttf",
    (False, True): "DejaVuSans-Oblique.ttf",
    (True, True): "DejaVuSans-BoldOblique.ttf",
}
FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path("/usr/share/fonts/truetype/dejavu"),
    Path.home() / ".local/share/fonts",
)


class FontMissing(RuntimeError):
    """The DejaVu fonts are not installed (Debian: apt-get install fonts-dejavu-core)."""


@lru_cache(maxsize=len(FACE_FILES))
def font_path(bold: bool, italic: bool) -> Path:
    name = FACE_FILES[(bold, italic)]
    for root in FONT_DIRS:
        if (root / name).is_file():
            return root / name
        if root.is_dir():
            for found in root.rglob(name):
                return found
    raise FontMissing(f"{name} not found: install the DejaVu fonts (fonts-dejavu-core)")


@dataclass(frozen=True, slots=True)
class Face:
    """One font face's metrics, in thousandths of an em (PDF glyph space)."""

    bold: bool
    italic: bool
    path: Path
    postscript_name: str
    widths: Mapping[str, float]  # advance width per character the font maps
    missing_width: float
    ascent: float
    descent: float  # positive
    cap_height: float
    bbox: tuple[float, float, float, float]
    italic_angle: float

    def units(self, text: str) -> float:
        """The advance width of ``text`` in thousandths of an em (no kerning)."""
        widths = self.widths
        try:
            return sum(map(widths.__getitem__, text))
        except KeyError:
            missing = self.missing_width
            return sum(widths.get(char, missing) for char in text)

    def width(self, text: str, size: float) -> float:
        """The advance width of ``text`` in points (no kerning)."""
        return self.units(text) * size / 1000

    def baseline(self, size: float, leading: float) -> float:
        """Distance from a line box's top to its baseline, as CSS stacks lines: half the
        leading above the font's ascent."""
        return (
            leading - (self.ascent + self.descent) * size / 1000
        ) / 2 + self.ascent * size / 1000


@lru_cache(maxsize=len(FACE_FILES))
def face(bold: bool = False, italic: bool = False) -> Face:
    path = font_path(bold, italic)
    font = TTFont(str(path), lazy=True)
    scale = 1000 / font["head"].unitsPerEm
    hmtx = font["hmtx"].metrics
    widths = {chr(code): hmtx[glyph][0] * scale for code, glyph in font.getBestCmap().items()}
    head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
    cap_height = getattr(os2, "sCapHeight", 0) or hhea.ascent * 0.7
    return Face(
        bold=bold,
        italic=italic,
        path=path,
        postscript_name=str(font["name"].getDebugName(6) or path.stem).replace(" ", ""),
        widths=widths,
        missing_width=hmtx[".notdef"][0] * scale,
        # hhea metrics: what Pango, hence WeasyPrint, stacks lines with.
        ascent=hhea.ascent * scale,
        descent=-hhea.descent * scale,
        cap_height=cap_height * scale,
        bbox=(head.xMin * scale, head.yMin * scale, head.xMax * scale, head.yMax * scale),
        italic_angle=float(font["post"].italicAngle),
    )


def address_font_size(address: Address) -> float:
    """The largest size, from 10 pt down to 7 pt by half points, at which every line of the
    address fits the window's width; refuses an address too wide even at 7 pt."""
    regular = face()
    widest = max(regular.width(line, 1.0) for line in address.all_lines)
    size = ADDRESS_SIZE
    while size >= ADDRESS_MIN_SIZE:
        if widest * size <= ADDRESS_ZONE.width * MM:
            return size
        size -= 0.5
    raise Invalid("A line of the recipient's address is too long for the envelope's window.")
