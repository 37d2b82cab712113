"""The list of a host day as drawn: each reservation's row with what it shows already in words
and addresses, so the template only writes them out.

The day's page is re-rendered for every host screen at each change of the day, with 300 rows
on a busy night: what is the same for many rows is built once per render (each URL pattern
reversed once and filled in per row, each status's, source's and count's words translated
once), and the finished reservations (completed, cancelled, no-show, expired: no action left)
are drawn apart, without action forms, in a section that opens on demand (docs/host-stand.md,
"The list"). ``web/tests/test_host_day.py`` asserts that a render reverses a fixed number of
URLs whatever the number of rows.
"""

from dataclasses import dataclass
from uuid import UUID

from django.urls import reverse
from django.utils.translation import ngettext

from reservations.host_actions import HostAction
from reservations.host_day import DayReservation
from reservations.models import Reservation
from web.host.refusals import status_label

Status = Reservation.Status
# No action is left on these: their rows go to the list's finished section.
FINISHED = frozenset({Status.COMPLETED, Status.CANCELLED, Status.NO_SHOW, Status.EXPIRED})
# A UUID no reservation has: reversed once, then replaced by each row's id.
_PLACEHOLDER = UUID(int=0)


@dataclass(frozen=True)
class RowAction:
    url: str
    label: str
    is_cancel: bool
    secondary: bool  # drawn as a secondary button (cancel, no-show)


@dataclass(frozen=True)
class ListRow:
    pk: UUID
    status: str
    status_text: str
    times: str  # "20:30-22:00" (an en dash), local
    url: str  # the reservation's page
    guest_name: str
    history: str  # "2 visits · 1 no-show"
    guest_phone: str
    party_size: int
    tables: str  # "2 + 3"
    source_text: str
    notes: str
    allergies: str
    refusal: str  # the refusal of an action just asked for on it, or ""
    actions: tuple[RowAction, ...]


@dataclass(frozen=True)
class DayList:
    current: list[ListRow]  # still to come or at the table, by start
    finished: list[ListRow]  # by start
    finished_open: bool  # drawn open: a search, or a refusal shown in it

    def __bool__(self) -> bool:
        return bool(self.current or self.finished)

    def __len__(self) -> int:
        return len(self.current) + len(self.finished)


class _Words:
    """The words and addresses rows share, each made once per render."""

    def __init__(self, slug: str):
        self._reservation = reverse(
            "host:reservation", kwargs={"slug": slug, "reservation_id": _PLACEHOLDER}
        )
        self._act = {}
        self._slug = slug
        self._memo: dict[tuple, str] = {}
        self._placeholder = str(_PLACEHOLDER)

    def reservation_url(self, pk: UUID) -> str:
        return self._reservation.replace(self._placeholder, str(pk))

    def act_url(self, pk: UUID, action: HostAction) -> str:
        pattern = self._act.get(action.slug)
        if pattern is None:
            pattern = self._act[action.slug] = reverse(
                "host:act",
                kwargs={
                    "slug": self._slug,
                    "reservation_id": _PLACEHOLDER,
                    "action": action.slug,
                },
            )
        return pattern.replace(self._placeholder, str(pk))

    def _once(self, key: tuple, make) -> str:
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = make()
        return found

    def status(self, status: str) -> str:
        return self._once(("status", status), lambda: status_label(status))

    def source(self, source: str) -> str:
        def make():
            try:
                return str(Reservation.Source(source).label)
            except ValueError:
                return source

        return self._once(("source", source), make)

    def history(self, visits: int, no_shows: int) -> str:
        def make():
            return (
                ngettext("%(visits)s visit", "%(visits)s visits", visits) % {"visits": visits}
                + " · "
                + ngettext("%(no_shows)s no-show", "%(no_shows)s no-shows", no_shows)
                % {"no_shows": no_shows}
            )

        return self._once(("history", visits, no_shows), make)

    def label(self, action: HostAction) -> str:
        return self._once(("action", action.name), lambda: str(action.label))


def day_list(
    *, slug: str, listed: list[DayReservation], q: str = "", refused=None, refusal: str = ""
) -> DayList:
    """The rows of ``listed`` (the day's reservations the search kept) at the restaurant
    ``slug``; ``refused``: the reservation an action was just refused for, with ``refusal``."""
    words = _Words(slug)
    current, finished = [], []
    for r in listed:
        reservation = r.reservation
        row = ListRow(
            pk=r.pk,
            status=r.status,
            status_text=words.status(r.status),
            times=f"{r.local_start:%H:%M}\u2013{r.local_end:%H:%M}",
            url=words.reservation_url(r.pk),
            guest_name=r.guest_name,
            history=words.history(r.visits, r.no_shows),
            guest_phone=r.guest_phone,
            party_size=reservation.party_size,
            tables=" + ".join(r.table_numbers),
            source_text=words.source(reservation.source),
            notes=reservation.notes,
            allergies=reservation.allergies,
            refusal=refusal if refused is not None and r.pk == refused else "",
            actions=tuple(
                RowAction(
                    url=words.act_url(r.pk, action),
                    label=words.label(action),
                    is_cancel=action.name == "cancel",
                    secondary=action.name in ("cancel", "no_show"),
                )
                for action in r.actions
            ),
        )
        (finished if r.status in FINISHED else current).append(row)
    return DayList(
        current=current,
        finished=finished,
        finished_open=bool(q) or any(row.refusal for row in finished),
    )
