"""The timeline of a host day as drawn: one SVG, a row per table grouped by area, time across
the day's service periods, each reservation a block on every table it holds.

Geometry is computed here and written as SVG attributes (the Content-Security-Policy allows no
inline style): across, in percent of the SVG's width, so the time axis fills whatever width the
screen has while the text keeps its size; down, in pixels. Each block is a nested ``<svg>``,
which clips its text to the block.
"""

from dataclasses import dataclass, field

from reservations.host_day import DayReservation, HostDay
from web.host.refusals import status_label

LABEL_WIDTH = 7.0  # percent: the tables' numbers, left of the axis
# percent: the time axis. The last hour's label is centred on the axis's end: the 3 % left
# over hold its right half at the page's narrowest width (46rem, where it starts to scroll).
AXIS_WIDTH = 100 - LABEL_WIDTH - 3.0
HEADER = 26  # pixels: the hours' labels
AREA_ROW = 22
TABLE_ROW = 32
# Without periods or reservations: a lunch-and-dinner day.
DEFAULT_AXIS = (12 * 60, 23 * 60)


@dataclass
class Block:
    x: float
    y: int
    width: float
    height: int
    reservation: DayReservation
    label: str
    title: str  # its tooltip: times, guest and party, status


@dataclass
class Row:
    y: int
    height: int
    label: str
    text_y: int = 0
    is_area: bool = False
    inactive: bool = False
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Mark:
    x: float
    label: str = ""
    width: float = 0


@dataclass
class Timeline:
    width: int
    height: int
    rows: list[Row]
    hours: list[Mark]
    periods: list[Mark]
    now: Mark | None


def _axis(day: HostDay) -> tuple[int, int]:
    drawn = [r for r in day.reservations if r.on_timeline]
    starts = [p.start for p in day.periods] + [r.start for r in drawn]
    ends = [p.end for p in day.periods] + [r.end for r in drawn]
    if not starts:
        return DEFAULT_AXIS
    first, last = min(starts) // 60 * 60, -(-max(ends) // 60) * 60
    return first, max(last, first + 60)


def _hour_label(minute: int) -> str:
    return f"{(minute // 60) % 24:02d}:{minute % 60:02d}"


def timeline_of(day: HostDay) -> Timeline:
    first, last = _axis(day)
    scale = AXIS_WIDTH / (last - first)

    def x_of(minute: int) -> float:
        return round(LABEL_WIDTH + (min(max(minute, first), last) - first) * scale, 2)

    by_table: dict[int, list[DayReservation]] = {}
    for reservation in day.reservations:
        if reservation.on_timeline:
            for table_id in reservation.table_ids:
                by_table.setdefault(table_id, []).append(reservation)
    # Made once per reservation (a combination's block is drawn on each of its tables) and
    # each status's word once.
    statuses: dict[str, str] = {}
    texts: dict = {}
    for reservation in day.reservations:
        if reservation.on_timeline:
            word = statuses.get(reservation.status)
            if word is None:
                word = statuses[reservation.status] = status_label(reservation.status)
            label = f"{reservation.guest_name} · {reservation.reservation.party_size}"
            times = f"{reservation.local_start:%H:%M}\u2013{reservation.local_end:%H:%M}"
            texts[reservation.pk] = (label, f"{times} {label} ({word})")
    rows, y, area = [], HEADER, None
    for table in day.tables:
        if not table.is_active and table.id not in by_table:
            continue
        if table.area != area:
            area = table.area
            rows.append(Row(y=y, height=AREA_ROW, text_y=y + 16, label=area, is_area=True))
            y += AREA_ROW
        row = Row(
            y=y,
            height=TABLE_ROW,
            text_y=y + 21,
            label=f"{table.number} ({table.capacity})",
            inactive=not table.is_active,
        )
        for reservation in by_table.get(table.id, []):
            x = x_of(reservation.start)
            label, title = texts[reservation.pk]
            row.blocks.append(
                Block(
                    x=x,
                    y=y + 3,
                    width=max(round(x_of(reservation.end) - x, 2), 0.4),
                    height=TABLE_ROW - 6,
                    reservation=reservation,
                    label=label,
                    title=title,
                )
            )
        rows.append(row)
        y += TABLE_ROW
    hours = [Mark(x=x_of(m), label=_hour_label(m)) for m in range(first, last + 1, 60)]
    periods = [
        Mark(x=x_of(p.start), width=round(x_of(p.end) - x_of(p.start), 2), label=p.name)
        for p in day.periods
    ]
    now = None
    if day.now_minute is not None and first <= day.now_minute <= last:
        now = Mark(x=x_of(day.now_minute), label=_hour_label(day.now_minute))
    return Timeline(
        width=100,
        height=max(y, HEADER + TABLE_ROW),
        rows=rows,
        hours=hours,
        periods=periods,
        now=now,
    )
