"""The demo's clock: a fixed nominal year, shifted in whole days so that it ends today.

Everything in the demo is planned on a nominal calendar that ends on ``REFERENCE_DAY`` at
``END_OF_DATA`` (local time in Rome): the same seed always plans the same events at the same
nominal moments. When the data is loaded, every moment moves forward by the same whole number
of days so that the last nominal day becomes today (or yesterday, before ``END_OF_DATA``'s hour):
the inbox then looks alive whenever the demo is loaded, and nothing lands in the future.

Whole days keep each message's local time of day (nobody writes at 3 a.m. because the demo was
loaded in the afternoon); the weekday is not kept, so a branch visit may fall on a Sunday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")

# The nominal last day of the data and the nominal moment after which nothing happens.
REFERENCE_DAY = date(2026, 3, 31)
END_OF_DATA = datetime.combine(REFERENCE_DAY, time(9, 0))
DAYS = 365
FIRST_DAY = REFERENCE_DAY - timedelta(days=DAYS - 1)
# The day Energia Chiara's CRM customers were imported into Unisono.
GO_LIVE = datetime.combine(FIRST_DAY, time(7, 0))


def nominal(days_before_end: float, hour: int = 0, minute: int = 0) -> datetime:
    """The nominal moment ``days_before_end`` whole days before ``REFERENCE_DAY``."""
    day = REFERENCE_DAY - timedelta(days=int(days_before_end))
    return datetime.combine(day, time(hour, minute))


@dataclass(frozen=True, slots=True)
class DemoCalendar:
    """Maps nominal (naive, Rome-local) moments to real UTC moments."""

    shift_days: int

    @classmethod
    def ending_at(cls, now: datetime) -> DemoCalendar:
        """The calendar whose last nominal moment is at or before ``now`` and as late as can be."""
        local = now.astimezone(ROME)
        shift = (local.date() - REFERENCE_DAY).days
        if local.time() < END_OF_DATA.time():
            shift -= 1
        return cls(shift)

    def at(self, moment: datetime) -> datetime:
        """The real UTC moment for the nominal Rome-local ``moment``."""
        local = (moment + timedelta(days=self.shift_days)).replace(tzinfo=ROME)
        return local.astimezone(UTC)

    def day(self, value: date) -> date:
        """The real date for the nominal ``value``."""
        return value + timedelta(days=self.shift_days)
