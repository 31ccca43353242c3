"""The console's languages: Babel catalogs read at run time, locale choice, date formatting.

The ``.po`` files under ``unisono/locale`` are the only source: they are parsed once per process
and per locale and compiled in memory, so there is no compile step and no binary ``.mo`` file to
forget. Message ids are the English text.

Updating the catalogs after changing a string::

    pybabel extract -F src/unisono/locale/babel.cfg -o /tmp/messages.pot src/unisono
    pybabel update -i /tmp/messages.pot -d src/unisono/locale --no-fuzzy-matching

``tests/api/test_console.py`` fails when a string of the console is missing from a catalog.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from babel.units import format_unit
from starlette.requests import Request

from unisono.config import get_settings

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
DOMAIN = "messages"
SUPPORTED_LOCALES = ("it", "en")
# The language chosen with the switch; it outlives the session so the login page keeps it.
LOCALE_COOKIE = "unisono_locale"


def N_(message: str) -> str:  # noqa: N802 - the conventional name extractors look for
    """Mark ``message`` for translation without translating it (translated where shown)."""
    return message


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def translations(locale: str) -> Translations:
    """The compiled catalog of ``locale``; immutable, so one per process is safe to share."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported console locale {locale!r}")
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    # Fuzzy entries are guesses from `pybabel update`: showing the English text is safer.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def supported_locale(value: str | None) -> str | None:
    """``value`` (``it``, ``en-GB``, ``it_IT``...) as a console locale, or None."""
    if not value:
        return None
    language = value.strip().replace("_", "-").split("-")[0].lower()
    return language if language in SUPPORTED_LOCALES else None


def _accept_language(header: str) -> str | None:
    """The best console locale in an ``Accept-Language`` header, by quality."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        locale = supported_locale(tag)
        if locale and quality > 0:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else None


def choose_locale(request: Request, operator_locale: str | None = None) -> str:
    """The language of a page: the switch, else the operator's, else the browser's, else ours."""
    return (
        supported_locale(request.cookies.get(LOCALE_COOKIE))
        or supported_locale(operator_locale)
        or _accept_language(request.headers.get("accept-language", ""))
        or supported_locale(get_settings().default_locale)
        or SUPPORTED_LOCALES[0]
    )


def zone(name: str | None) -> tzinfo:
    """The time zone ``name``, else the configured default (a bad name must not break a page)."""
    for candidate in (name, get_settings().default_timezone, "Europe/Rome"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class Moment:
    """A point in time as a page shows it: machine-readable, short and in full."""

    iso: str
    short: str
    full: str


class Localizer:
    """Translation and Babel formatting for one locale and time zone.

    Babel's formatters cost tens of microseconds per call; pages format each value once, here.
    """

    def __init__(self, locale: str, timezone: str | None) -> None:
        self.locale = locale
        self.babel_locale = Locale.parse(locale)
        self.tz = zone(timezone)
        self.translations = translations(locale)
        self._datetime_pattern = str(self.babel_locale.datetime_formats["medium"])

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def today(self, now: datetime) -> date:
        return self.local(now).date()

    def clock(self, moment: datetime) -> str:
        """``09:10`` / ``9:10 AM``."""
        local = self.local(moment)
        return _clock(self.locale, local.hour, local.minute)

    def calendar_date(self, moment: datetime, *, with_year: bool = True) -> str:
        """``9 mar 2026`` / ``Mar 9, 2026`` (or without the year)."""
        return _calendar_date(self.locale, self.local(moment).date(), with_year)

    def date_and_time(self, moment: datetime) -> str:
        """``9 mar 2026, 09:10`` / ``Mar 9, 2026, 9:10 AM``."""
        return self._datetime_pattern.format(self.clock(moment), self.calendar_date(moment))

    def day(self, day: date, today: date) -> str:
        """A heading for the day: today, yesterday, or ``lunedì 9 marzo 2026``."""
        if day == today:
            return self.gettext("Today")
        if day == today - timedelta(days=1):
            return self.gettext("Yesterday")
        return _full_date(self.locale, day)

    def moment(self, moment: datetime, now: datetime) -> Moment:
        """The time alone when it is today, else the date (year only when not this year)."""
        local = self.local(moment)
        today = self.today(now)
        if local.date() == today:
            short = self.clock(moment)
        else:
            short = self.calendar_date(moment, with_year=local.year != today.year)
        return Moment(local.isoformat(), short, self.date_and_time(moment))

    def elapsed(self, delta: timedelta) -> str:
        """A waiting time in at most two units: ``12min``, ``1h 20min``, ``3g 4h``."""
        minutes = max(int(delta.total_seconds() // 60), 0)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [(days, "duration-day"), (hours, "duration-hour"), (minutes, "duration-minute")]
        # Two units are precise enough to triage; a third is noise.
        first = next((i for i, (value, _) in enumerate(parts) if value), len(parts) - 1)
        shown = [(v, unit) for v, unit in parts[first : first + 2] if v or unit == parts[first][1]]
        return " ".join(_unit(self.locale, value, unit, "narrow") for value, unit in shown)

    def minutes(self, minutes: float) -> str:
        """A length in whole minutes: ``35 min``."""
        return _unit(self.locale, max(round(minutes), 0), "duration-minute", "short")

    def kwh(self, value: float) -> str:
        """An energy reading: ``18.204 kWh`` / ``18,204 kWh``."""
        return f"{format_decimal(value, locale=self.locale)} kWh"

    def duration(self, seconds: float) -> str:
        """A call's length as ``m:ss`` (``h:mm:ss`` past the hour), the way call centres read it."""
        total = max(round(seconds), 0)
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# Babel parses patterns and plural rules on every call (tens to hundreds of microseconds); a
# page shows the same minutes, days and unit counts over and over, so each is formatted once.
@lru_cache(maxsize=4096)
def _clock(locale: str, hour: int, minute: int) -> str:
    return format_time(time(hour, minute), "short", locale=locale)


@lru_cache(maxsize=4096)
def _calendar_date(locale: str, day: date, with_year: bool) -> str:
    return format_skeleton("yMMMd" if with_year else "MMMd", day, locale=locale)


@lru_cache(maxsize=2048)
def _full_date(locale: str, day: date) -> str:
    return format_date(day, "full", locale=locale)


@lru_cache(maxsize=1024)
def _unit(locale: str, value: int, unit: str, length: Literal["short", "narrow"]) -> str:
    return format_unit(value, unit, length=length, locale=locale)


@lru_cache(maxsize=64)
def localizer(locale: str, timezone: str | None) -> Localizer:
    """A shared :class:`Localizer`; it holds no request state, only immutable lookups."""
    return Localizer(locale, timezone)
