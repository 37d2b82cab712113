"""What the booking page shows for a guest's choices so far: the steps, from the query string.

Each step is usable on its own and a deep link (``?party_size=2&date=2026-12-24&time=19:00``)
opens at the furthest step its parameters allow; a parameter that is not valid, or a day or
time that is not free, sends the guest back to the step it belongs to with a message."""

import calendar as calendar_module
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as dt_time
from urllib.parse import urlencode

from django.utils import formats
from django.utils.translation import gettext as _

from core.clock import now as clock_now
from reservations.availability import slots_near
from reservations.calendar import (
    CalendarDay,
    DayState,
    PeriodStarts,
    calendar_days,
    day_starts_by_period,
    next_open_days,
)
from restaurants.models import Restaurant
from web.forms import ChoiceForm

NEAR_WINDOW_MINUTES = 120
DEFAULT_PARTY_SIZE = 2


def default_party_size(restaurant: Restaurant, sizes: list[int] | None = None) -> int:
    """The party the calendar shows before the guest chooses one: two, or the nearest party
    the restaurant seats online (``sizes``: those it offers)."""
    sizes = sizes or list(range(restaurant.min_party_size, restaurant.max_party_size + 1))
    return min(sizes, key=lambda size: (abs(size - DEFAULT_PARTY_SIZE), size))


def _reason(state: DayState) -> str:
    return {
        DayState.OPEN: "",
        DayState.PAST: _("Past"),
        DayState.CLOSED: _("Closed"),
        DayState.FULL: _("Fully booked"),
        DayState.BEYOND_HORIZON: _("Not bookable yet"),
        DayState.NONE_LEFT: _("No times left"),
    }[state]


@dataclass(frozen=True)
class DayCell:
    """One day of the calendar as the page shows it."""

    day: date
    open: bool
    link: str
    reason: str
    label: str  # what a screen reader says: the full date and its state


@dataclass(frozen=True)
class TimeChoice:
    text: str  # HH:MM, local
    link: str


@dataclass(frozen=True)
class PeriodChoices:
    name: str
    times: list[TimeChoice]


@dataclass
class Steps:
    restaurant: Restaurant
    form: ChoiceForm
    party_size: int
    month: date
    today: date
    extra: dict[str, str]
    weeks: list[list[DayCell | None]] = field(default_factory=list)
    previous_month_link: str = ""
    next_month_link: str = ""
    day: date | None = None
    day_error: str = ""
    periods: list[PeriodChoices] = field(default_factory=list)
    time: dt_time | None = None
    time_error: str = ""
    near: list[TimeChoice] = field(default_factory=list)
    open_days: list[DayCell] = field(default_factory=list)
    chosen: dict | None = None

    @property
    def step(self) -> int:
        """The furthest step the choices reach: 1 party and day, 2 time, 3 details."""
        if self.chosen is not None:
            return 3
        if self.day is not None and not self.day_error:
            return 2
        return 1

    def link(self, **params) -> str:
        query = {"party_size": self.party_size, **self.extra, **params}
        return "?" + urlencode({k: v for k, v in query.items() if v not in (None, "")}, safe=":")

    def cell(self, day: CalendarDay) -> DayCell:
        full_date = formats.date_format(day.day, "DATE_FORMAT")
        is_open = day.state == DayState.OPEN
        return DayCell(
            day=day.day,
            open=is_open,
            link=self.link(date=day.day.isoformat()) if is_open else "",
            reason=_reason(day.state),
            label=full_date if is_open else f"{full_date}: {_reason(day.state)}",
        )

    def times(self, starts: list[dict]) -> list[TimeChoice]:
        day = self.day.isoformat()
        return [TimeChoice(s["time"], self.link(date=day, time=s["time"])) for s in starts]

    def mark_taken(self, *, details_kept: bool) -> None:
        """The chosen time went to someone else while the guest typed their details (kept for
        the next time chosen, or not: in a frame the session cookie never comes back)."""
        chosen = {"time": f"{self.time:%H:%M}" if self.time else ""}
        if details_kept:
            self.time_error = (
                _("Someone has just booked %(time)s. Your details are kept: choose another time.")
                % chosen
            )
        else:
            self.time_error = _("Someone has just booked %(time)s. Choose another time.") % chosen
        self.chosen = None

    @property
    def chosen_text(self) -> str:
        return f"{self.time:%H:%M}" if self.time else ""


def _period_name(period: PeriodStarts) -> str:
    """The restaurant's name for the period (lunch, dinner), else its opening time."""
    if period.name:
        return period.name.capitalize()
    return _("From %(time)s") % {"time": f"{period.opens_at:%H:%M}"}


def _parse_month(text: str | None) -> date | None:
    try:
        return date.fromisoformat(f"{text}-01") if text else None
    except ValueError:  # year 0000
        return None


def _month_start(value: date) -> date:
    return value.replace(day=1)


def _add_month(value: date, months: int) -> date:
    year, month = divmod(value.year * 12 + value.month - 1 + months, 12)
    return date(year, month + 1, 1)


def _weeks(days: list[DayCell], first_weekday: int) -> list[list[DayCell | None]]:
    """The month as rows of seven cells, starting on the language's first day of the week."""
    lead = (days[0].day.weekday() - first_weekday) % 7
    cells: list[DayCell | None] = [None] * lead + list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def weekday_names(first_weekday: int) -> list[tuple[str, str]]:
    """(short, full) names of the weekdays in calendar order, in the active language."""
    monday = date(2024, 1, 1)
    days = [monday + timedelta(days=(first_weekday + n) % 7) for n in range(7)]
    return [(formats.date_format(d, "D"), formats.date_format(d, "l")) for d in days]


def first_weekday() -> int:
    """Django's FIRST_DAY_OF_WEEK counts from Sunday (0); Python's weekday() from Monday."""
    return (int(formats.get_format("FIRST_DAY_OF_WEEK")) - 1) % 7


def booking_steps(restaurant: Restaurant, form: ChoiceForm, *, extra: dict[str, str]) -> Steps:
    now = clock_now()
    today = now.astimezone(restaurant.tz).date()
    party_size = form.value("party_size")
    if party_size is None:
        party_size = default_party_size(restaurant, form.party_sizes)
    day = form.value("date") if form.value("party_size") is not None else None
    month = _parse_month(form.value("month")) or _month_start(day or today)
    horizon_month = _month_start(today + timedelta(days=restaurant.max_days_ahead))
    month = min(max(month, _month_start(today)), horizon_month)

    steps = Steps(
        restaurant=restaurant,
        form=form,
        party_size=party_size,
        month=month,
        today=today,
        extra=extra,
    )
    last = month.replace(day=calendar_module.monthrange(month.year, month.month)[1])
    days = calendar_days(
        restaurant=restaurant, first=month, last=last, party_size=party_size, now=now
    )
    steps.weeks = _weeks([steps.cell(d) for d in days], first_weekday())
    if month > _month_start(today):
        steps.previous_month_link = steps.link(month=f"{_add_month(month, -1):%Y-%m}")
    if month < horizon_month:
        steps.next_month_link = steps.link(month=f"{_add_month(month, 1):%Y-%m}")

    if day is None:
        return steps
    steps.day = day
    state = next(
        (d.state for d in days if d.day == day),
        calendar_days(restaurant=restaurant, first=day, last=day, party_size=party_size, now=now)[
            0
        ].state,
    )
    if state != DayState.OPEN:
        steps.day_error = _("%(date)s cannot be booked: %(reason)s.") % {
            "date": formats.date_format(day, "DATE_FORMAT"),
            "reason": _reason(state).lower(),
        }
        steps.open_days = [
            steps.cell(d)
            for d in next_open_days(
                restaurant=restaurant, after=day, party_size=party_size, now=now
            )
        ]
        return steps
    periods = day_starts_by_period(restaurant=restaurant, day=day, party_size=party_size, now=now)
    steps.periods = [PeriodChoices(_period_name(p), steps.times(p.starts)) for p in periods]
    wanted = form.value("time")
    if wanted is None:
        if "time" in form.errors:
            steps.time_error = form.errors["time"][0]
        return steps
    steps.time = wanted
    starts = [start for period in periods for start in period.starts]
    chosen = next((s for s in starts if s["time"] == f"{wanted:%H:%M}"), None)
    if chosen is None:
        steps.time_error = _("%(time)s is not free for a party of %(size)s.") % {
            "time": f"{wanted:%H:%M}",
            "size": party_size,
        }
        near = slots_near(starts, wanted, NEAR_WINDOW_MINUTES)[:6]
        steps.near = steps.times(sorted(near, key=lambda s: s["start_at"]))
        # Other days only when this one has no free start at all: its free times, far from
        # the one asked for, are listed below by period.
        if not steps.near and not starts:
            steps.open_days = [
                steps.cell(d)
                for d in next_open_days(
                    restaurant=restaurant, after=day, party_size=party_size, now=now
                )
            ]
        return steps
    steps.chosen = chosen
    return steps
