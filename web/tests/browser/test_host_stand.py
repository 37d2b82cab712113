"""The host stand in a real browser (issue 15): a host signs in, opens tonight, seats a
confirmed party and completes it, takes a phone booking (its guest's email delivered by the
worker) and seats a walk-in; a manager's page open on the same day shows each change within 5
seconds, without a reload. With RESERVAFLOW_SCREENSHOTS=1 the steps' screenshots go to
docs/img/host-stand/ (the docs' images), at 1280 px and at a tablet's 820 px."""

from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from core.clock import now as clock_now
from customers.tests.factories import DEFAULT_PASSWORD, CustomerFactory, UserFactory
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from restaurants.models import (
    StaffMembership,
    TableCombination,
    TableCombinationMember,
    table_key_of,
)
from restaurants.tests.factories import OpeningHoursFactory, RestaurantFactory, TableFactory
from web.tests.browser.conftest import ROOT, screenshots_into

pytestmark = pytest.mark.browser

Status = Reservation.Status
LIVE_WITHIN = 5_000  # ms: another page shows a change this soon, without a reload


def evening_zone() -> str:
    """A fixed-offset zone where it is now 20:xx, so "tonight" is in service whenever the
    test runs (Etc/GMT-N is N hours ahead of UTC)."""
    offset = (20 - clock_now().astimezone(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


@pytest.fixture
def shots(tmp_path):
    return screenshots_into(ROOT / "docs" / "img" / "host-stand", tmp_path)


@pytest.fixture
def evening():
    """Casa Lola tonight: lunch 13:00-16:00 and dinner 19:00-23:30 every day, ten tables in
    three areas (5 and 6 join for up to eight), lunch served and dinner under way."""
    restaurant = RestaurantFactory(
        name="Casa Lola",
        slug="casa-lola",
        timezone=evening_zone(),
        slot_interval_minutes=30,
        default_duration_minutes=90,
        max_covers_per_slot=14,
    )
    for weekday in range(7):
        OpeningHoursFactory(
            restaurant=restaurant, weekday=weekday, opens_at=time(13), closes_at=time(16),
            name="Lunch",
        )  # fmt: skip
        OpeningHoursFactory(
            restaurant=restaurant, weekday=weekday, opens_at=time(19), closes_at=time(23, 30),
            name="Dinner",
        )  # fmt: skip
    tables = {}
    for number, capacity, area in (
        ("1", 2, "indoor"), ("2", 2, "indoor"), ("3", 4, "indoor"), ("4", 4, "indoor"),
        ("5", 4, "indoor"), ("6", 4, "indoor"), ("7", 4, "terrace"), ("8", 6, "terrace"),
        ("9", 2, "bar"), ("10", 2, "bar"),
    ):  # fmt: skip
        tables[number] = TableFactory(
            restaurant=restaurant, number=number, capacity=capacity, area=area
        )
    joined = TableCombination.objects.create(
        restaurant=restaurant,
        table_key=table_key_of([tables["5"].pk, tables["6"].pk]),
        min_capacity=5,
        capacity=8,
    )
    for number in ("5", "6"):
        TableCombinationMember.objects.create(combination=joined, table=tables[number])

    tz = restaurant.tz
    today = clock_now().astimezone(tz).date()

    def at(hour, minute=0, day=today):
        return datetime.combine(day, time(hour, minute), tzinfo=tz)

    marta = CustomerFactory(first_name="Marta", last_name="Vidal", email="marta@example.com")
    for days in (30, 60):
        ReservationFactory(
            table=tables["4"], customer=marta, start_at=at(21, day=today - timedelta(days=days)),
            status=Status.COMPLETED,
        )  # fmt: skip
    people = [
        ("Jon", "Arce", "1", at(13), 2, Status.COMPLETED, [], ""),
        ("Ines", "Sala", "3", at(13, 30), 4, Status.COMPLETED, [], ""),
        ("Rosa", "Gil", "8", at(14), 5, Status.COMPLETED, [], ""),
        ("Luis", "Mora", "3", at(19), 3, Status.SEATED, [], ""),
        ("Eva", "Prat", "1", at(19, 30), 2, Status.CONFIRMED, [], "Window seat"),
        ("Familia", "Ortega", "5", at(20), 7, Status.SEATED, ["6"], "High chair"),
        ("Ana", "Ruiz", "7", at(21, 30), 4, Status.PENDING, [], ""),
        ("Pau", "Serra", "8", at(22), 6, Status.CONFIRMED, [], ""),
        ("Nora", "Vega", "9", at(21), 2, Status.CANCELLED, [], ""),
    ]
    for first, last, table, start, party, status, more, notes in people:
        ReservationFactory(
            table=tables[table],
            tables=[tables[n] for n in more],
            customer=CustomerFactory(first_name=first, last_name=last),
            start_at=start,
            party_size=party,
            status=status,
            notes=notes,
        )
    party = ReservationFactory(
        table=tables["4"],
        customer=marta,
        start_at=at(21),
        party_size=4,
        status=Status.CONFIRMED,
        notes="Anniversary",
        allergies="shellfish",
    )
    host = UserFactory(email="host@casalola.example", first_name="Hugo")
    manager = UserFactory(email="manager@casalola.example", first_name="Mar")
    StaffMembership.objects.create(user=host, restaurant=restaurant, role="host")
    StaffMembership.objects.create(user=manager, restaurant=restaurant, role="manager")
    return restaurant, party


def sign_in(page: Page, email: str, shot=None) -> None:
    page.goto("/host/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    if shot:
        shot("sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your restaurants")).to_be_visible()


def row(page: Page, reservation) -> object:
    return page.locator(f"#r-{reservation.pk}")


def test_a_host_runs_tonight_and_another_page_follows_live(new_context, evening, mailbox, shots):
    restaurant, party = evening
    host = new_context().new_page()
    sign_in(host, "host@casalola.example", shot=lambda name: shots(host, name))
    shots(host, "restaurants")
    host.get_by_role("link", name="Open the host stand").click()
    expect(host.get_by_text("Timeline", exact=True)).to_be_visible()
    expect(host.locator("svg.timeline .now")).to_have_count(1)
    expect(row(host, party)).to_contain_text("Marta Vidal")
    expect(row(host, party)).to_contain_text("2 visits")
    expect(row(host, party)).to_contain_text("Allergies: shellfish")
    # The party at joined tables 5 and 6 is drawn on both.
    expect(host.locator("svg.timeline a.block", has_text="Familia Ortega · 7")).to_have_count(2)
    shots(host, "tonight")

    # A manager's page on the same day, in another browser, follows every change live.
    watcher = new_context().new_page()
    polls: list[int] = []
    watcher.on("response", lambda r: polls.append(r.status) if "/live/" in r.url else None)
    sign_in(watcher, "manager@casalola.example")
    watcher.goto(f"/host/{restaurant.slug}/")
    expect(watcher.get_by_role("link", name="Tables")).to_be_visible()  # the admin links
    expect(row(watcher, party).locator(".badge")).to_have_text("Confirmed")

    row(host, party).get_by_role("button", name="Seat").click()
    expect(row(host, party).locator(".badge")).to_have_text("Seated")
    expect(row(watcher, party).locator(".badge")).to_have_text("Seated", timeout=LIVE_WITHIN)
    shots(host, "seated")

    row(host, party).get_by_role("button", name="Complete").click()
    expect(row(host, party).locator(".badge")).to_have_text("Completed")
    expect(row(watcher, party).locator(".badge")).to_have_text("Completed", timeout=LIVE_WITHIN)
    party.refresh_from_db()
    assert party.status == Status.COMPLETED
    # Finished, it is in the closed section of finished reservations; its block on the
    # timeline opens the section at its row. The watcher opens the section: it stays open
    # through the polls that swap the day in.
    expect(row(host, party)).to_be_hidden()
    host.locator("svg.timeline a.block", has_text="Marta Vidal · 4").click()
    expect(row(host, party)).to_be_visible()
    watcher.locator("#finished summary").click()
    expect(row(watcher, party)).to_be_visible()

    # A phone booking: the guest is new (the search finds nobody), booked for 21:30 tonight.
    host.get_by_role("link", name="Phone booking").click()
    host.get_by_label("Find the guest").fill("marta")
    expect(host.get_by_label("Marta Vidal · marta@example.com", exact=False)).to_be_visible()
    host.get_by_label("Find the guest").fill("Pablo Nuevo")
    expect(host.get_by_text("No guest found")).to_be_visible()
    host.get_by_label("First name").fill("Pablo")
    host.get_by_label("Last name").fill("Nuevo")
    host.get_by_label("Email").fill("pablo@example.com")
    host.get_by_label("Time").fill("21:30")
    # 21:30 may be inside the restaurant's hour of notice: the host allows it.
    host.get_by_label("Allow a start inside the notice (60 minutes)").check()
    host.get_by_label("Party size").fill("2")
    host.get_by_label("Allergies").fill("gluten")
    shots(host, "phone-booking")
    host.get_by_role("button", name="Book").click()
    booked = Reservation.objects.get(customer__email="pablo@example.com")
    assert booked.source == Reservation.Source.PHONE
    assert f"{booked.reservation_time:%H:%M}" == "21:30"
    expect(row(host, booked)).to_contain_text("Pablo Nuevo")
    expect(row(watcher, booked)).to_contain_text("Pablo Nuevo", timeout=LIVE_WITHIN)
    mailbox.wait("pablo@example.com", "Please confirm your table at Casa Lola")

    # A walk-in: two guests at the door, seated now at a free table.
    host.get_by_label("Party size").fill("2")
    host.get_by_label("Name", exact=True).fill("Walk-in Ruiz")
    host.get_by_role("button", name="Seat walk-in").click()
    walked = Reservation.objects.get(source=Reservation.Source.WALK_IN)
    assert walked.status == Status.SEATED and walked.party_size == 2
    expect(row(host, walked).locator(".badge")).to_have_text("Seated")
    expect(row(watcher, walked)).to_contain_text("Walk-in", timeout=LIVE_WITHIN)
    shots(host, "after-service")
    shots(watcher, "watcher")
    # The watcher polled all along: changed days answered 200; once nothing changes, its
    # next polls answer 304 (and swap nothing: its rows are still there). On a busy machine
    # every poll of the steps above may have followed a change: wait for a quiet one.
    assert 200 in polls
    if 304 not in polls:
        watcher.wait_for_event(
            "response",
            predicate=lambda r: "/live/" in r.url and r.status == 304,
            timeout=3 * LIVE_WITHIN,
        )
    expect(row(watcher, walked)).to_be_visible()
    expect(row(watcher, party)).to_be_visible()  # the finished section is still open


def test_the_day_is_usable_at_a_tablets_width(new_context, evening, shots):
    restaurant, party = evening
    page = new_context(viewport={"width": 820, "height": 1180}).new_page()
    sign_in(page, "host@casalola.example")
    page.goto(f"/host/{restaurant.slug}/")
    expect(row(page, party)).to_contain_text("Marta Vidal")
    # The page itself never scrolls sideways; the timeline scrolls in its own box.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820
    button = row(page, party).get_by_role("button", name="Seat")
    button.scroll_into_view_if_needed()
    expect(button).to_be_visible()
    shots(page, "tablet")


LABEL_BESIDE_OR_ABOVE_ITS_INPUT = """() => [...document.querySelectorAll('.day-controls label')]
  .map(label => {
    const l = label.getBoundingClientRect();
    const i = document.getElementById(label.htmlFor).getBoundingClientRect();
    const middle = r => (r.top + r.bottom) / 2;
    const sameLine = l.left < i.left && Math.abs(middle(l) - middle(i)) < i.height / 2;
    const above = Math.abs(l.left - i.left) < 2 && l.bottom <= i.top + 1;
    return sameLine || above ? null : label.textContent;
  }).filter(Boolean)"""


def test_the_day_is_usable_at_a_phones_width(new_context, evening, shots):
    restaurant, party = evening
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(page, "host@casalola.example")
    page.goto(f"/host/{restaurant.slug}/")
    expect(row(page, party)).to_contain_text("Marta Vidal")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Each control's label stays with its input: beside it, or right above it, never
    # stranded at the end of the line before it.
    assert page.evaluate(LABEL_BESIDE_OR_ABOVE_ITS_INPUT) == []
    shots(page, "phone")


def test_a_status_keeps_to_one_line_in_a_narrow_column(new_context, evening):
    """A phone's width squeezes the list's columns to their longest word: "En la mesa"
    (seated, in Spanish) alone in its column would break into two lines."""
    restaurant, _ = evening
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(page, "host@casalola.example")
    page.goto(f"/host/{restaurant.slug}/?lang=es&q=Luis+Mora")  # the language switch's link
    badge = page.locator(".reservations .badge", has_text="En la mesa")
    expect(badge).to_have_count(1)
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.badge')).lineHeight)"
    )
    assert badge.bounding_box()["height"] < 1.5 * line
