"""The host stand's day (issue 15): the timeline, the list, the covers per slot, the day's
navigation and search, and a day read in a fixed number of queries however big it is."""

import re
from datetime import UTC, date, datetime, time
from unittest import mock

import pytest
import time_machine
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls.resolvers import URLResolver

from customers.tests.factories import CustomerFactory
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from restaurants.models import TableCombination, TableCombinationMember, table_key_of
from restaurants.tests.factories import TableFactory
from web.tests.conftest import madrid

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)  # Thursday, 12:00 in Madrid
TONIGHT = date(2025, 8, 28)
Status = Reservation.Status


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def host(client, staff):
    client.force_login(staff["host"])
    return client


def _page(client, query: str = "") -> str:
    response = client.get("/host/casa/" + query)
    assert response.status_code == 200, response.content.decode()[:500]
    return response.content.decode()


def _row(page: str, reservation) -> str:
    """The list's row of ``reservation``."""
    found = re.search(rf'<tr id="r-{reservation.pk}".*?</tr>', page, re.S)
    assert found, f"no row for {reservation.pk}"
    return found.group(0)


def _blocks(page: str) -> list[str]:
    return re.findall(r'<a href="#r-[^"]+" class="block status-[a-z_]+">.*?</a>', page, re.S)


def _timeline(page: str) -> str:
    return page[page.index('<svg class="timeline"') : page.index("</svg>\n")]


def test_the_day_defaults_to_the_restaurants_local_today(host):
    # 00:30 on Friday in Madrid is still Thursday in UTC: the page shows Friday.
    with time_machine.travel(datetime(2025, 8, 28, 22, 30, tzinfo=UTC), tick=False):
        page = _page(host)
    assert "Friday 29 August 2025" in page


def test_the_list_shows_every_detail_of_a_reservation(host, restaurant):
    guest = CustomerFactory(first_name="Lola", last_name="Flores", phone="+34611222333")
    reservation = ReservationFactory(
        table=restaurant.tables.get(),
        customer=guest,
        start_at=madrid(TONIGHT, time(20, 30)),
        party_size=3,
        notes="Birthday cake",
        allergies="shellfish",
        source=Reservation.Source.PHONE,
    )
    # Two visits and a no-show here, and a visit elsewhere that does not count.
    for day, status in ((20, Status.COMPLETED), (21, Status.COMPLETED), (22, Status.NO_SHOW)):
        ReservationFactory(
            table=restaurant.tables.get(),
            customer=guest,
            start_at=madrid(date(2025, 8, day), time(13)),
            status=status,
        )
    ReservationFactory(customer=guest, status=Status.COMPLETED)
    row = _row(_page(host), reservation)
    for text in (
        "20:30\u201322:00",
        "Lola Flores",
        "<td>3</td>",
        "<td>1</td>",  # table number
        "Confirmed",
        "Phone",
        "Birthday cake",
        "Allergies: shellfish",
        "2 visits",
        "1 no-show",
        "+34611222333",
    ):
        assert text in row, text


def test_the_list_is_by_start_time_and_holds_cancelled_ones_but_the_timeline_does_not(
    host, restaurant
):
    table = restaurant.tables.get()
    late = ReservationFactory(table=table, start_at=madrid(TONIGHT, time(22)))
    early = ReservationFactory(table=table, start_at=madrid(TONIGHT, time(13)))
    gone = ReservationFactory(
        table=table, start_at=madrid(TONIGHT, time(20)), status=Status.CANCELLED
    )
    page = _page(host)
    assert page.index(f'id="r-{early.pk}"') < page.index(f'id="r-{late.pk}"')
    # The cancelled one is in the finished section, after the list, closed.
    assert page.index(f'id="r-{late.pk}"') < page.index('<details id="finished"')
    assert page.index('<details id="finished" class="finished">') < page.index(f'id="r-{gone.pk}"')
    assert "Cancelled" in _row(page, gone)
    blocks = _blocks(page)
    assert len(blocks) == 2
    assert not any(str(gone.pk) in block for block in blocks)


def test_finished_reservations_are_in_a_closed_section_by_start_without_forms(host, restaurant):
    table = restaurant.tables.get()
    later = ReservationFactory(table=table, start_at=madrid(TONIGHT, time(15)))
    ended = {
        status: ReservationFactory(table=table, start_at=madrid(TONIGHT, at), status=status)
        for status, at in (
            (Status.NO_SHOW, time(14)),
            (Status.COMPLETED, time(13)),
            (Status.CANCELLED, time(21)),
        )
    }
    page = _page(host)
    finished = page[page.index('<details id="finished"') : page.index("</details>")]
    assert "3 finished reservations: completed, cancelled, no-show or expired" in finished
    assert str(later.pk) not in finished
    order = [finished.index(f'id="r-{ended[s].pk}"') for s in (Status.COMPLETED, Status.NO_SHOW)]
    assert order == sorted(order) and order[-1] < finished.index(f"r-{ended[Status.CANCELLED].pk}")
    assert "<form" not in finished
    # Completed and no-show ones are still drawn, and their blocks link to their rows.
    assert sum(f'href="#r-{ended[s].pk}"' in b for b in _blocks(page) for s in ended) == 2
    # Opened when searching: what the search found shows.
    searched = _page(host, "?q=example.com")
    assert '<details id="finished" class="finished" open>' in searched


def test_a_combination_shows_on_every_table_it_holds_grouped_by_area(host, restaurant):
    t2 = TableFactory(restaurant=restaurant, number="2", capacity=4, area="outdoor")
    t3 = TableFactory(restaurant=restaurant, number="3", capacity=4, area="outdoor")
    combination = TableCombination.objects.create(
        restaurant=restaurant, table_key=table_key_of([t2.pk, t3.pk]), min_capacity=5, capacity=8
    )
    for table in (t2, t3):
        TableCombinationMember.objects.create(combination=combination, table=table)
    guest = CustomerFactory(first_name="Ana", last_name="Big")
    party = ReservationFactory(
        table=t2, tables=[t3], customer=guest, start_at=madrid(TONIGHT, time(21)), party_size=7
    )
    page = _page(host)
    timeline = _timeline(page)
    blocks = [b for b in _blocks(page) if str(party.pk) in b]
    assert len(blocks) == 2
    assert all("Ana Big · 7" in block for block in blocks)
    # Areas head their tables: indoor's table 1, then outdoor's 2 and 3.
    assert timeline.index(">Indoor<") < timeline.index(">1 (4)<") < timeline.index(">Outdoor<")
    assert timeline.index(">Outdoor<") < timeline.index(">2 (4)<") < timeline.index(">3 (4)<")
    assert "2 + 3" in _row(page, party)


def test_blocks_are_coloured_by_status_and_span_their_stay(host, restaurant):
    table = restaurant.tables.get()
    seated = ReservationFactory(
        table=table, start_at=madrid(TONIGHT, time(13)), status=Status.SEATED, minutes=90
    )
    pending = ReservationFactory(
        table=table, start_at=madrid(TONIGHT, time(20)), status=Status.PENDING, minutes=180
    )
    page = _page(host)
    seated_block = next(b for b in _blocks(page) if str(seated.pk) in b)
    pending_block = next(b for b in _blocks(page) if str(pending.pk) in b)
    assert 'class="block status-seated"' in seated_block
    assert 'class="block status-pending"' in pending_block
    width = {
        key: float(re.search(r'width="([0-9.]+)%"', block).group(1))
        for key, block in (("seated", seated_block), ("pending", pending_block))
    }
    assert width["pending"] == pytest.approx(2 * width["seated"], rel=0.02)


def test_the_axis_spans_the_service_periods_of_the_weekday(host):
    page = _page(host)
    timeline = _timeline(page)
    hours = re.findall(r'class="hour-label"[^>]*>([0-9:]+)<', timeline)
    # Lunch 13:00-16:00 and dinner 20:00-23:30: 13:00 to midnight.
    assert hours[0] == "13:00" and hours[-1] == "00:00"
    assert timeline.count('class="period"') == 2


def test_a_now_line_is_drawn_on_today_only(host):
    with time_machine.travel(datetime(2025, 8, 28, 18, 0, tzinfo=UTC), tick=False):  # 20:00
        assert 'class="now"' in _page(host)
        assert 'class="now"' not in _page(host, "?date=2025-08-29")


def test_covers_and_parties_per_slot_and_for_the_day(host, restaurant):
    restaurant.max_covers_per_slot = 6
    restaurant.save()
    t2 = TableFactory(restaurant=restaurant, number="2", capacity=4)
    ReservationFactory(
        table=restaurant.tables.get(number="1"), start_at=madrid(TONIGHT, time(20)), party_size=4
    )
    ReservationFactory(table=t2, start_at=madrid(TONIGHT, time(20)), party_size=2)
    ReservationFactory(table=t2, start_at=madrid(TONIGHT, time(13)), party_size=3)
    ReservationFactory(
        table=t2, start_at=madrid(TONIGHT, time(22)), party_size=2, status=Status.CANCELLED
    )
    page = _page(host)
    assert "9 guests in 3 parties today" in page
    assert "Limits per slot: 6 guests" in page
    by_time = {
        t: c
        for c, t in re.findall(r'<li class="([a-z]*)"><span class="strong">([0-9:]+)</span>', page)
    }
    # The grid of both periods: lunch 13:00-16:00 and dinner 20:00-23:30, every 30 minutes.
    assert list(by_time) == [
        "13:00", "13:30", "14:00", "14:30", "15:00", "15:30",
        "20:00", "20:30", "21:00", "21:30", "22:00", "22:30", "23:00",
    ]  # fmt: skip
    assert by_time["20:00"] == "full"  # 6 of 6 guests
    assert by_time["13:00"] == "busy"
    assert by_time["22:00"] == ""  # the cancelled party is not counted
    assert re.search(r"20:00</span> <span>6 g · 2 p</span>", page)
    assert re.search(r"13:00</span> <span>3 g · 1 p</span>", page)


def test_previous_next_and_today_links_and_the_date_picker(host):
    page = _page(host, "?date=2025-09-02")
    assert "Tuesday 2 September 2025" in page
    assert 'href="/host/casa/?date=2025-09-01" rel="prev"' in page
    assert 'href="/host/casa/?date=2025-09-03" rel="next"' in page
    assert '<a class="button secondary" href="/host/casa/">Today</a>' in page
    assert '<input type="date" id="id_date" name="date" value="2025-09-02">' in page


def test_a_closed_day_says_so(host):
    assert "The restaurant is closed on this day." in _page(host, "?date=2025-09-03")


@pytest.mark.parametrize("bad", ["2025-13-01", "tomorrow", "2025-02-30", "9" * 30, "\x00"])
def test_a_bad_date_is_a_400_page_with_the_form_never_a_500(host, bad):
    for url in ("/host/casa/", "/host/casa/live/"):
        response = host.get(url, {"date": bad})
        assert response.status_code == 400
        assert "Enter a date as YYYY-MM-DD." in response.content.decode()


@pytest.mark.parametrize("edge", ["9999-12-31", "0001-01-01", "9999-12-30", "0001-01-02"])
def test_a_date_at_the_calendars_ends_is_a_400_naming_the_range_never_a_500(host, edge):
    # The page links the day before and after, and reads the local day in UTC: neither
    # exists at the ends of the calendar.
    for url in ("/host/casa/", "/host/casa/live/"):
        response = host.get(url, {"date": edge})
        assert response.status_code == 400
        assert "Enter a date between 1900-01-01 and 9998-12-31." in response.content.decode()


def test_the_first_and_last_days_of_the_range_open(host):
    for day in ("1900-01-01", "9998-12-31"):
        assert 'rel="next"' in _page(host, f"?date={day}")


def test_the_search_filters_the_list_by_name_email_or_phone(host, restaurant):
    table = restaurant.tables.get()
    lola = ReservationFactory(
        table=table,
        customer=CustomerFactory(first_name="Lola", email="lola@example.com", phone="+34699000111"),
        start_at=madrid(TONIGHT, time(13)),
    )
    pepe = ReservationFactory(
        table=table,
        customer=CustomerFactory(first_name="Pepe", email="pepe@example.com", phone="+34677000222"),
        start_at=madrid(TONIGHT, time(20)),
    )
    for q in ("lola", "LOLA@example", "699 000"):
        page = _page(host, f"?q={q}")
        assert f'id="r-{lola.pk}"' in page and f'id="r-{pepe.pk}"' not in page, q
        # The timeline keeps the whole day.
        assert len(_blocks(page)) == 2
    assert "No reservation of this day matches the search." in _page(host, "?q=nobody")


# --- a fixed number of queries ----------------------------------------------------------------


STARTS = [time(h, m) for h in (13, 14, 15, 20, 21, 22) for m in (0, 30)]
STATUSES = [Status.CONFIRMED, Status.SEATED, Status.PENDING, Status.COMPLETED, Status.CANCELLED]


def _fill(restaurant, tables: int, reservations: int, prefix: str = "N") -> int:
    """``reservations`` of 25 minutes on ``tables`` new tables, tonight, every fifth pair of
    tables joined for one party; returns how many blocks the timeline draws for them."""
    made = [
        TableFactory(
            restaurant=restaurant,
            number=f"{prefix}{i:02d}",
            capacity=8,
            area=("indoor", "bar")[i % 2],
        )
        for i in range(tables)
    ]
    count, blocks, round_ = 0, 0, 0
    while count < reservations:
        slot = madrid(TONIGHT, STARTS[round_])
        for j in range(0, tables, 2):
            pair = made[j : j + 2]
            seatings = (
                [pair] if (round_ + j // 2) % 5 == 0 and len(pair) == 2 else [[t] for t in pair]
            )
            for seating in seatings:
                if count == reservations:
                    break
                status = STATUSES[count % len(STATUSES)]
                ReservationFactory(
                    table=seating[0],
                    tables=seating[1:],
                    start_at=slot,
                    status=status,
                    minutes=25,
                    notes=f"note {count}",
                )
                count += 1
                blocks += len(seating) if status != Status.CANCELLED else 0
        round_ += 1
    return blocks


def _queries(client, url: str) -> list[str]:
    """The queries of a request after a first one, as a stand that polls makes them (the
    host's roles are then in the cache)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


# The session, the user, the restaurant (host_restaurants) (the host's role for
# actor_for_user comes from the cache after the first request:
# restaurants.selectors.staff_roles_of); then the day: the periods, the closure, the tables,
# the reservations with their guests, their occupancy, the guests' history and the pacing
# counters (2): 11.
DAY_QUERIES = 11


def test_the_day_of_40_tables_and_300_reservations_takes_a_fixed_number_of_queries(
    host, restaurant, django_assert_num_queries
):
    blocks = _fill(restaurant, tables=40, reservations=300)
    host.get("/host/casa/live/?date=2025-08-28")  # the host's roles are cached from now on
    with django_assert_num_queries(DAY_QUERIES):
        response = host.get("/host/casa/?date=2025-08-28")
    page = response.content.decode()
    assert page.count('<tr id="r-') == 300
    assert len(_blocks(page)) == blocks
    with django_assert_num_queries(DAY_QUERIES):
        host.get("/host/casa/live/?date=2025-08-28")


def test_without_a_date_one_query_more_finds_todays_service_day(host, restaurant):
    assert len(_queries(host, "/host/casa/")) == DAY_QUERIES + 1


def test_the_count_does_not_grow_with_the_data(host, restaurant):
    small = len(_queries(host, "/host/casa/?date=2025-08-28"))
    _fill(restaurant, tables=12, reservations=60)
    assert len(_queries(host, "/host/casa/?date=2025-08-28")) == small == DAY_QUERIES


def test_a_search_costs_one_query_more_whatever_the_data(host, restaurant):
    url = "/host/casa/?date=2025-08-28&q=example.com"  # every factory guest's e-mail

    def searched() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            page = host.get(url).content.decode()
        return len(captured), page.count('<tr id="r-')

    host.get(url)  # the host's roles are cached from now on
    _fill(restaurant, tables=4, reservations=6)
    assert searched() == (DAY_QUERIES + 1, 6)
    _fill(restaurant, tables=20, reservations=120, prefix="M")
    assert searched() == (DAY_QUERIES + 1, 126)


def _reversals(client, url: str) -> int:
    """How many URLs one render of ``url`` reverses (``{% url %}`` and ``reverse()`` alike)."""
    real = URLResolver._reverse_with_prefix
    count = 0

    def counting(self, *args, **kwargs):
        nonlocal count
        count += 1
        return real(self, *args, **kwargs)

    with mock.patch.object(URLResolver, "_reverse_with_prefix", counting):
        assert client.get(url).status_code == 200
    return count


def test_a_render_reverses_as_many_urls_and_builds_as_many_forms_whatever_the_rows(
    host, restaurant
):
    # The day's list is re-rendered for every host screen at each change: what its rows
    # share (each address's pattern, the forms) is made once per render, not once per row
    # (the render's CPU is measured by bench.profile_host_day, never here).
    url = "/host/casa/?date=2025-08-28"
    live = "/host/casa/live/?date=2025-08-28"
    _fill(restaurant, tables=4, reservations=5)
    few = (_reversals(host, url), _reversals(host, live))
    with mock.patch.object(forms.BaseForm, "__init__", autospec=True) as made:
        made.side_effect = _real_form_init
        host.get(url)
    few_forms = made.call_count
    _fill(restaurant, tables=40, reservations=300, prefix="M")
    page = host.get(url).content.decode()
    assert page.count('<tr id="r-') == 305
    assert page.count('name="csrfmiddlewaretoken"') > 300  # every action is still a form
    assert (_reversals(host, url), _reversals(host, live)) == few
    with mock.patch.object(forms.BaseForm, "__init__", autospec=True) as made:
        made.side_effect = _real_form_init
        host.get(url)
    assert made.call_count == few_forms <= 3  # the day's form, the walk-in's


_real_form_init = forms.BaseForm.__init__


def test_tables_are_in_the_order_a_person_counts(host, restaurant):
    for number in ("10", "9", "T2", "T10"):
        TableFactory(restaurant=restaurant, number=number, capacity=2)
    timeline = _timeline(_page(host))
    labels = re.findall(r'class="table-label[^"]*"[^>]*>([^<]+) \(', timeline)
    assert labels == ["1", "9", "10", "T2", "T10"]


def test_the_day_speaks_spanish(host, restaurant):
    ReservationFactory(table=restaurant.tables.get(), start_at=madrid(TONIGHT, time(20)))
    page = _page(host, "?lang=es")
    spanish = ["Cronograma", "Cubiertos", "Reservas", "Día anterior", "Sentar", "Cancelar"]
    spanish += ["Confirmada", "Sin reserva", "Reserva por teléfono"]
    spanish += ["Nombre, correo o teléfono"]
    for text in spanish:
        assert text in page, text
    for english in ("Timeline", "Previous day", ">Seat<", "Walk-in"):
        assert english not in page, english


def test_the_days_heading_is_the_date_in_each_languages_own_form(host):
    assert "<h1>Thursday 28 August 2025" in _page(host)
    # Spanish months are not capitalised; only the sentence's first letter is.
    assert "<h1>Jueves 28 de agosto de 2025" in _page(host, "?lang=es")


def test_the_last_hours_label_has_room_for_its_right_half(host):
    # Centred on its hour, "00:00" needs about 16 px right of it; at the timeline's narrowest
    # (46rem, 736 px) 3 % are 22 px.
    xs = re.findall(r'<text class="hour-label" x="([0-9.]+)%"', _timeline(_page(host)))
    assert float(xs[-1]) <= 97.0
