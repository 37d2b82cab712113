"""The reservations admin in Debian's Chromium (Playwright, never a downloaded browser): a
manager signs in through the admin's login page, the list's columns fit a 1280-pixel window
with nothing cut off or scrolled sideways, and the change page shows each instant in UTC with
its local time and zone. ``RESERVAFLOW_SCREENSHOTS=1`` writes the screenshots to
docs/img/admin/ (the images of docs/admin.md)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest

from core.clock import now
from core.tests.ports import free_port
from customers.tests.factories import DEFAULT_PASSWORD, CustomerFactory, UserFactory
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from restaurants.models import StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory, TableFactory

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RESERVAFLOW_CHROMIUM", "/usr/bin/chromium")
DOCS_SHOTS = ROOT / "docs" / "img" / "admin"
WIDTH = 1280


@pytest.fixture
def live_server(transactional_db):
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(f"127.0.0.1:{free_port()}")
    yield server
    server.stop()


@pytest.fixture
def page(live_server):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium "
            "(`apt-get install -y chromium`) or set RESERVAFLOW_CHROMIUM to its path",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, which Django takes for async
    # code: the test's ORM calls are allowed while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": WIDTH, "height": 900}
        )
        context.set_default_timeout(10_000)
        yield context.new_page()
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def shoot(page, name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("RESERVAFLOW_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        (DOCS_SHOTS / f"{name}.png").write_bytes(path.read_bytes())


@pytest.fixture
def evening():
    """A busy evening at a restaurant with a long name: long guest names and e-mails, joined
    tables, every status; and its manager, who also sees a second restaurant of theirs."""
    restaurant = RestaurantFactory(
        name="Taberna del Puerto de Santa María", timezone="Europe/Madrid"
    )
    second = RestaurantFactory(name="Casa Lola", timezone="Europe/Madrid")
    manager = StaffMembershipFactory(
        restaurant=restaurant, role=StaffMembership.Role.MANAGER, user__email="ana@example.com"
    ).user
    StaffMembershipFactory(restaurant=second, user=manager, role=StaffMembership.Role.MANAGER)
    start = (now() + timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
    statuses = list(Reservation.Status)
    for i in range(14):
        table = TableFactory(restaurant=restaurant if i % 3 else second, number=f"T{i + 10}")
        joined = [TableFactory(restaurant=table.restaurant, number=f"T{i + 40}")] if i % 4 else []
        guest = CustomerFactory(
            first_name="Maximiliano Alejandro",
            last_name=f"Fernández de la Vega {i}",
            email=f"maximiliano.fernandez.{i}@example.com",
        )
        ReservationFactory(
            table=table,
            tables=joined,
            customer=guest,
            party_size=2 + i % 6,
            start_at=start + timedelta(minutes=15 * i),
            status=statuses[i % len(statuses)],
            source=list(Reservation.Source)[i % 4],
        )
    return manager


def sign_in(page, email: str) -> None:
    page.goto("/admin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def test_a_manager_signs_in_and_the_list_fits_1280_pixels(page, evening, tmp_path):
    sign_in(page, evening.email)
    page.goto("/admin/reservations/reservation/")
    shoot(page, "reservations-list-manager", tmp_path)
    fits(page)
    assert page.locator("#result_list tbody tr").count() == 14


def test_a_superusers_list_fits_too_with_every_filter(page, evening, tmp_path):
    UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    sign_in(page, "root@example.com")
    page.goto("/admin/reservations/reservation/")
    shoot(page, "reservations-list", tmp_path)
    fits(page)


def fits(page) -> None:
    """No sideways scrolling, and every column's header and cells inside the window."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"the list page is {width} px wide"
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('#result_list th, #result_list td')]"
        ".map(cell => cell.getBoundingClientRect().right))"
    )
    assert right <= WIDTH, f"the list's last column ends at {right} px"
    headers = page.locator("#result_list thead th").all_inner_texts()
    for column in ("LOCAL START", "TABLES", "GUEST", "PARTY", "STATUS", "SOURCE"):
        assert any(column in header.upper() for header in headers), (column, headers)
    clipped = page.evaluate(
        "[...document.querySelectorAll('#result_list td, #result_list th')]"
        ".filter(cell => cell.scrollWidth > cell.clientWidth + 1).length"
    )
    assert clipped == 0


def test_the_change_page_shows_utc_with_the_local_time_and_zone(page, evening, tmp_path):
    sign_in(page, evening.email)
    page.goto("/admin/reservations/reservation/")
    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_url("**/change/")
    shoot(page, "reservation-change", tmp_path)
    assert page.get_by_text("Times: UTC, then local in Europe/Madrid").is_visible()
    starts = page.locator(".field-starts .readonly").inner_text()
    assert " UTC · " in starts and starts.endswith("(Europe/Madrid)")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
