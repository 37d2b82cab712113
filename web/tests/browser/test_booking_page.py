"""The booking page in a real browser (issue 13): a guest books, opens the link of the email
the booking sent and confirms; with JavaScript and without, in English and in Spanish, by
keyboard only, at 360 px, under an axe audit, with the htmx updates announced."""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import formats, translation
from playwright.sync_api import Locator, Page, expect

from core.clock import now as clock_now
from reservations.models import Reservation

pytestmark = pytest.mark.browser

TIME = "20:00"


@dataclass(frozen=True)
class Texts:
    """What the guest reads and clicks at each step, in one language."""

    lang: str
    labels: dict[str, str]
    step_1: str
    party_size: str
    show_days: str
    step_2: str
    step_3: str
    next_month: str
    book: str
    booked: str  # with {until}, the hold's expiry
    hold_subject: str  # the e-mail that asks to confirm, in the guest's language
    confirm: str
    confirmed: str
    confirmed_message: str
    cancel_link: str
    cancel_heading: str
    cancel_button: str
    cancelled: str


ENGLISH = Texts(
    lang="en",
    labels={
        "First name": "Marta",
        "Last name": "Vidal",
        "Email": "marta@example.com",
        "Phone": "+34 600 123 456",
        "Notes": "A table by the window",
        "Allergies": "nuts",
    },
    step_1="1. Party and date",
    party_size="Party size",
    show_days="Show free days",
    step_2="2. Time on",
    step_3=f"3. Your details for {TIME}",
    next_month="Next month",
    book="Book",
    booked="We sent you an email: confirm before {until}.",
    hold_subject="Please confirm your table at Casa Lola",
    confirm="Confirm",
    confirmed="Confirmed",
    confirmed_message="Your reservation is confirmed. See you soon!",
    cancel_link="Cancel reservation",
    cancel_heading="Cancel your reservation?",
    cancel_button="Yes, cancel the reservation",
    cancelled="Cancelled",
)
SPANISH = Texts(
    lang="es",
    labels={
        "Nombre": "Lucía",
        "Apellidos": "Martín",
        "Correo electrónico": "lucia@example.com",
        "Teléfono": "+34 600 654 321",
        "Notas": "Una mesa junto a la ventana",
        "Alergias": "marisco",
    },
    step_1="1. Personas y fecha",
    party_size="Personas",
    show_days="Ver días libres",
    step_2="2. Hora el",
    step_3=f"3. Tus datos para las {TIME}",
    next_month="Mes siguiente",
    book="Reservar",
    booked="Te hemos enviado un correo: confirma antes de las {until}.",
    hold_subject="Confirma tu mesa en Casa Lola",
    confirm="Confirmar",
    confirmed="Confirmada",
    confirmed_message="Tu reserva está confirmada. ¡Hasta pronto!",
    cancel_link="Cancelar reserva",
    cancel_heading="¿Cancelar tu reserva?",
    cancel_button="Sí, cancelar la reserva",
    cancelled="Cancelada",
)


def bookable_day(restaurant) -> date:
    """The first day after today (in the restaurant) that it is open: not a Monday."""
    day = clock_now().astimezone(restaurant.tz).date() + timedelta(days=1)
    while day.weekday() == 0:
        day += timedelta(days=1)
    return day


def day_label(day: date, lang: str) -> str:
    """The calendar link's accessible name: the full date in the page's language."""
    with translation.override(lang):
        return formats.date_format(day, "DATE_FORMAT")


def hold_expiry(reservation: Reservation) -> str:
    return f"{reservation.expires_at.astimezone(reservation.restaurant.tz):%H:%M}"


@dataclass
class Guest:
    """A guest going through the booking page in ``page``. ``at`` is called with each step's
    name once the step is shown; with ``keyboard`` every control is reached with Tab and
    used with Enter or Space, and every element Tab lands on must show its focus."""

    page: Page
    restaurant: object
    texts: Texts = ENGLISH
    at: object = None
    keyboard: bool = False
    javascript: bool = True  # as the page's context was made
    query: str = ""
    party_size: int | None = None
    mistake: bool = False  # submit once without the email first
    tabbed: list[str] = field(default_factory=list)

    def step(self, name: str) -> None:
        if self.at:
            self.at(name)

    # -- controls, by mouse or by keyboard --------------------------------------------------

    def activate(self, target: Locator, key: str = "Enter") -> None:
        if not self.keyboard:
            target.click()
            return
        self.tab_to(target)
        self.page.keyboard.press(key)

    def type_into(self, target: Locator, text: str) -> None:
        if not self.keyboard:
            target.fill(text)
            return
        self.tab_to(target)
        self.page.keyboard.type(text)

    def tab_to(self, target: Locator, most: int = 90) -> None:
        handle = target.element_handle()
        for _ in range(most):
            if handle.evaluate("el => el === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
            self.tabbed.append(assert_focus_visible(self.page))
        raise AssertionError(f"{most} Tabs did not reach {target}")

    # -- the steps ----------------------------------------------------------------------------

    def book(self) -> None:
        page, texts = self.page, self.texts
        day = bookable_day(self.restaurant)
        page.goto(f"/book/{self.restaurant.slug}/{self.query}")
        expect(page.get_by_role("heading", name=texts.step_1)).to_be_visible()
        self.step("calendar")

        if self.party_size is not None:
            page.get_by_label(texts.party_size).select_option(str(self.party_size))
            if not self.javascript:  # htmx sends the change; without it, the form's button
                self.activate(page.get_by_role("button", name=texts.show_days))
            expect(page.locator("caption")).to_contain_text(str(self.party_size))
        today = clock_now().astimezone(self.restaurant.tz).date()
        if (day.year, day.month) != (today.year, today.month):
            self.activate(page.get_by_role("link", name=texts.next_month))
        self.activate(page.get_by_role("link", name=day_label(day, texts.lang), exact=True))
        expect(
            page.get_by_role("heading", name=re.compile("^" + re.escape(texts.step_2)))
        ).to_be_visible()
        self.step("times")

        self.activate(page.get_by_role("link", name=re.compile(f"^{TIME}")).first)
        expect(page.get_by_role("heading", name=texts.step_3)).to_be_visible()
        self.step("details")

        labels = dict(texts.labels)
        if self.mistake:
            email = next(label for label, value in labels.items() if "@" in value)
            for label, value in labels.items():
                if label != email:
                    self.type_into(page.get_by_label(label, exact=True), value)
            self.activate(page.get_by_role("button", name=re.compile(texts.book)))
            field = page.get_by_label(email, exact=True)
            expect(field).to_have_attribute("aria-invalid", "true")
            expect(field).to_be_focused()  # the page opens at the field to correct
            self.step("details-errors")
            labels = {email: texts.labels[email]}
        for label, value in labels.items():
            self.type_into(page.get_by_label(label, exact=True), value)
        self.activate(page.get_by_role("button", name=re.compile(texts.book)))
        page.wait_for_url(re.compile(r"/booked/"))
        reservation = Reservation.objects.select_related("restaurant").get()
        expect(
            page.get_by_text(texts.booked.format(until=hold_expiry(reservation)))
        ).to_be_visible()
        self.step("booked")

    def confirm(self, mailbox) -> Reservation:
        page, texts = self.page, self.texts
        email = next(v for v in texts.labels.values() if "@" in v)
        page.goto(mailbox.manage_link(email, texts.hold_subject))
        expect(page.get_by_role("button", name=texts.confirm, exact=True)).to_be_visible()
        self.step("manage")
        self.activate(page.get_by_role("button", name=texts.confirm, exact=True), key="Space")
        expect(page.get_by_text(texts.confirmed_message)).to_be_visible()
        expect(page.locator(".status")).to_have_text(texts.confirmed)
        self.step("confirmed")
        return Reservation.objects.get()

    def cancel(self) -> Reservation:
        page, texts = self.page, self.texts
        self.activate(page.get_by_role("link", name=texts.cancel_link))
        expect(page.get_by_role("heading", name=texts.cancel_heading)).to_be_visible()
        self.step("cancel")
        self.activate(page.get_by_role("button", name=texts.cancel_button), key="Space")
        expect(page.locator(".status")).to_have_text(texts.cancelled)
        self.step("cancelled")
        return Reservation.objects.get()


def assert_focus_visible(page: Page) -> str:
    """The focused element draws a visible outline; its description, for the messages."""
    focused = page.evaluate(
        """() => {
        const el = document.activeElement, style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return {tag: el.tagName, text: (el.getAttribute('aria-label') || el.textContent ||
                el.name || '').trim().slice(0, 40),
                style: style.outlineStyle, width: parseFloat(style.outlineWidth),
                onScreen: box.width > 0 && box.right > 0 && box.left < innerWidth};
        }"""
    )
    name = f"{focused['tag']} {focused['text']!r}"
    assert focused["tag"] != "BODY", "focus fell back to the page"
    assert focused["style"] != "none" and focused["width"] > 0, f"no visible focus on {name}"
    assert focused["onScreen"], f"focus on {name}, which is off the screen"
    return name


def assert_booked_and_confirmed(reservation: Reservation, texts: Texts, day: date) -> None:
    assert reservation.status == Reservation.Status.CONFIRMED
    assert reservation.source == Reservation.Source.ONLINE
    assert (reservation.reservation_date, f"{reservation.reservation_time:%H:%M}") == (day, TIME)
    names = list(texts.labels.values())
    assert (reservation.customer.first_name, reservation.customer.last_name) == tuple(names[:2])
    assert (reservation.notes, reservation.allergies) == (names[4], names[5])
    assert reservation.language == texts.lang


def test_a_guest_books_and_confirms_from_the_emailed_link(new_context, casa, mailbox, screenshot):
    page = new_context().new_page()
    guest = Guest(page, casa, at=lambda name: screenshot(page, f"desktop-{name}"))
    guest.book()
    reservation = Reservation.objects.get()
    assert reservation.status == Reservation.Status.PENDING
    reservation = guest.confirm(mailbox)
    assert_booked_and_confirmed(reservation, ENGLISH, bookable_day(casa))


def test_without_javascript_plain_forms_and_redirects_do_it_all(new_context, casa, mailbox):
    page = new_context(java_script_enabled=False).new_page()
    urls = []
    guest = Guest(page, casa, javascript=False, party_size=3, at=lambda name: urls.append(page.url))
    guest.book()
    reservation = guest.confirm(mailbox)
    day = bookable_day(casa)
    # Each step was a page of its own, the choices so far in its address.
    assert "party_size=3" in urls[1] and f"date={day.isoformat()}" in urls[1]
    assert f"time={TIME}" in urls[2]
    assert urls[3].split("?")[0].endswith("/booked/")  # the details posted, then a redirect
    assert urls[5] == urls[4]  # Confirm posted, then back to the manage page
    assert_booked_and_confirmed(reservation, ENGLISH, day)
    assert reservation.party_size == 3


@pytest.mark.parametrize(
    ("locale", "query"),
    [("es-ES", ""), ("en-GB", "?lang=es")],
    ids=["accept-language", "lang-parameter"],
)
def test_in_spanish_every_step_speaks_spanish(
    new_context, casa, mailbox, screenshot, locale, query
):
    page = new_context(locale=locale).new_page()
    seen = []

    def spanish(name):
        assert page.locator("html").get_attribute("lang") == "es", name
        expected = {
            "calendar": SPANISH.step_1,
            "times": SPANISH.step_2,
            "details": SPANISH.step_3,
            "booked": "Casi listo: confirma tu reserva",
            "manage": "Esperando tu confirmación",
            "confirmed": SPANISH.confirmed_message,
        }[name]
        expect(page.locator("main")).to_contain_text(expected)
        seen.append(name)
        if name == "details" and not query:
            screenshot(page, "desktop-es-details")

    guest = Guest(page, casa, texts=SPANISH, query=query, at=spanish)
    guest.book()
    expect(page.locator("main")).not_to_contain_text("Almost done")
    reservation = guest.confirm(mailbox)
    assert seen == ["calendar", "times", "details", "booked", "manage", "confirmed"]
    assert_booked_and_confirmed(reservation, SPANISH, bookable_day(casa))


def test_no_step_has_a_serious_or_critical_axe_violation(new_context, casa, mailbox):
    page = new_context().new_page()
    axe = Axe()
    found: dict[str, list[dict]] = {}
    review: dict[str, list[dict]] = {}  # what axe could not decide alone

    def audit(name):
        response = axe.run(page).response
        assert response["passes"], f"axe checked nothing on {name}"
        found[name] = response["violations"]
        review[name] = response["incomplete"]

    guest = Guest(page, casa, mistake=True, at=audit)
    guest.book()
    guest.confirm(mailbox)
    guest.cancel()
    assert list(found) == [
        "calendar",
        "times",
        "details",
        "details-errors",
        "booked",
        "manage",
        "confirmed",
        "cancel",
        "cancelled",
    ]
    for kind, results in (("violation", found), ("to review", review)):
        for name, items in results.items():
            for item in items:
                print(
                    f"axe {kind} on {name}: {item['id']} ({item['impact']}) "
                    f"on {len(item['nodes'])} element(s): {item['help']}"
                )
    serious = [
        f"{name}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']]}"
        for name, violations in found.items()
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, "\n".join(serious)


def test_at_360_pixels_no_step_scrolls_sideways(new_context, casa, mailbox, screenshot):
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    widths = {}

    def measure(name):
        widths[name] = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        screenshot(page, f"mobile-{name}")

    guest = Guest(page, casa, mistake=True, at=measure)
    guest.book()
    guest.confirm(mailbox)
    guest.cancel()
    assert len(widths) == 9
    wide = {name: w for name, w in widths.items() if w[0] > w[1]}
    assert not wide, f"wider than the viewport (scrollWidth, clientWidth): {wide}"
    assert all(client == 360 for _, client in widths.values())


def test_the_whole_flow_works_by_keyboard_with_visible_focus(new_context, casa, mailbox):
    page = new_context().new_page()

    def focus_kept(name):
        # After an in-place update, focus stays on the control the guest used.
        if name == "times":
            assert page.evaluate("document.activeElement.getAttribute('aria-current')") == "date"
        if name == "details":
            focused = page.evaluate(
                "[document.activeElement.textContent, "
                "document.activeElement.getAttribute('aria-current')]"
            )
            assert focused == [TIME, "true"]

    guest = Guest(page, casa, keyboard=True, at=focus_kept)
    guest.book()
    reservation = guest.confirm(mailbox)
    assert_booked_and_confirmed(reservation, ENGLISH, bookable_day(casa))
    guest.cancel()
    assert Reservation.objects.get().status == Reservation.Status.CANCELLED
    assert any(name.startswith("A ") for name in guest.tabbed)  # links ...
    assert any(name.startswith("INPUT ") for name in guest.tabbed)  # ... and fields were tabbed


def test_htmx_updates_land_in_a_live_region_that_stays_in_place(new_context, casa):
    page = new_context().new_page()
    page.goto(f"/book/{casa.slug}/")
    regions = page.locator("[aria-live]")
    expect(regions).to_have_count(1)
    region = regions.element_handle()
    assert region.get_attribute("aria-live") == "polite"
    page.evaluate("region => { window.liveRegion = region; window.samePage = true; }", region)

    party_size = page.get_by_label("Party size")
    party_size.focus()
    party_size.select_option("3")
    expect(page.locator("caption")).to_have_text("Free days for a party of 3")
    expect(party_size).to_be_focused()  # the swap put the focus back where it was
    day = bookable_day(casa)
    today = clock_now().astimezone(casa.tz).date()
    if (day.year, day.month) != (today.year, today.month):
        page.get_by_role("link", name=ENGLISH.next_month).click()
    page.get_by_role("link", name=day_label(day, "en"), exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("^2\\. "))).to_be_visible()
    expect(regions).to_have_text("Day chosen: choose a time.")
    page.get_by_role("link", name=re.compile(f"^{TIME}")).first.click()
    expect(regions).to_have_text(f"{TIME} chosen: enter your details.")
    expect(page.get_by_role("button", name=re.compile("Book"))).to_have_text(
        f"Book a table for 3 at {TIME}"
    )
    # Updated in place by htmx: the same page, and the same region node, announced again.
    assert page.evaluate(
        "() => window.samePage === true && window.liveRegion.isConnected"
        " && document.querySelector('[aria-live]') === window.liveRegion"
    )
    assert "party_size=3" in page.url and f"time={TIME}" in page.url  # a link to this step
