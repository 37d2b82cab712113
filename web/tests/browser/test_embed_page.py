"""The booking page inside a frame on a restaurant's own site, in a real browser: embed.js on a
page served by the test from an allowed origin frames the page, fits the frame to it and
books through it without cookies; from an origin the restaurant does not list the browser
refuses the frame; embed.js ignores height messages from anyone but its frame."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from core.tests.ports import free_port
from reservations.models import Reservation
from web.tests.browser.test_booking_page import ENGLISH, TIME, bookable_day, day_label

pytestmark = pytest.mark.browser


class Site:
    """A restaurant's own site on another origin: one page carrying the snippet."""

    def __init__(self, snippet: str):
        body = (
            "<!doctype html><html lang='en'><head><title>Casa Lola</title></head><body>"
            f"<h1>Casa Lola's own site</h1>{snippet}<p id='after'>Our address</p></body></html>"
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        # "localhost", not the live server's 127.0.0.1: another site, so the browser treats
        # the frame as third-party (no SameSite cookies) as on a real restaurant's site.
        self.origin = f"http://localhost:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site_with_snippet(live_server, casa):
    sites = []

    def make(*, allowed: bool, attributes: str = "", extra: str = "") -> Site:
        snippet = (
            f'<script src="{live_server.url}/static/reservaflow/embed.js" '
            f'data-restaurant="{casa.slug}" {attributes} async></script>'
        ) + extra
        site = Site(snippet)
        sites.append(site)
        casa.embed_origins = [site.origin] if allowed else ["https://elsewhere.example"]
        casa.save(update_fields=["embed_origins"])
        return site

    yield make
    for site in sites:
        site.close()


def frame_height(page) -> float:
    return page.locator("iframe[title='Book a table']").evaluate(
        "f => f.getBoundingClientRect().height"
    )


def booking_frame(page):
    return next(frame for frame in page.frames if "/book/" in frame.url)


# Another window from the service's own origin (a second frame) and a record of every message
# the site's page receives, to know when embed.js has seen one.
FORGER_AND_RECORDER = (
    '<iframe id="other" title="other" src="{live}/static/reservaflow/site.css"></iframe>'
    "<script>window.seen = []; addEventListener('message', e => seen.push(e.data));</script>"
)


def test_an_allowed_site_frames_the_page_fitted_to_it_and_books_through_it(
    new_context, casa, site_with_snippet, live_server
):
    site = site_with_snippet(allowed=True, extra=FORGER_AND_RECORDER.format(live=live_server.url))
    page = new_context().new_page()
    page.goto(site.origin + "/")
    frame = page.frame_locator("iframe[title='Book a table']")
    expect(frame.get_by_role("heading", name=ENGLISH.step_1)).to_be_visible()
    # No site chrome in the frame: the restaurant's site has its own.
    expect(frame.get_by_role("link", name="Español")).to_have_count(0)

    inner = booking_frame(page)
    booking = page.locator("iframe[title='Book a table']")
    expect(booking).not_to_have_attribute("style", re.compile("height: 640px"))
    content = inner.evaluate("document.documentElement.getBoundingClientRect().height")
    assert abs(frame_height(page) - content) <= 2

    # Another window from the service's very origin posting a height is not the frame:
    # ignored (the origin check alone would let it through; the source check does not).
    before = frame_height(page)
    other = next(frame for frame in page.frames if frame.url.endswith("site.css"))
    other.evaluate(
        "window.parent.postMessage({type: 'reservaflow:height', height: 7, forged: 1}, '*')"
    )
    page.wait_for_function("window.seen.some(message => message && message.forged)")
    assert frame_height(page) == before

    day = bookable_day(casa)
    if not frame.get_by_role("link", name=day_label(day, "en"), exact=True).count():
        frame.get_by_role("link", name=ENGLISH.next_month).click()
    frame.get_by_role("link", name=day_label(day, "en"), exact=True).click()
    frame.get_by_role("link", name=re.compile(f"^{TIME}")).first.click()
    for label, value in ENGLISH.labels.items():
        frame.get_by_label(label, exact=True).fill(value)
    frame.get_by_role("button", name=re.compile(ENGLISH.book)).click()

    expect(frame.get_by_text(re.compile("We sent you an email: confirm before"))).to_be_visible()
    assert "embed=1" in booking_frame(page).url and "/booked/" in booking_frame(page).url
    reservation = Reservation.objects.get()
    assert reservation.status == Reservation.Status.PENDING
    assert reservation.customer.email == ENGLISH.labels["Email"]
    # The frame got no cookie to lean on: the flow never needed one.
    assert not [c for c in page.context.cookies() if c["name"] in ("sessionid", "csrftoken")]


def test_a_site_the_restaurant_does_not_list_gets_no_frame(new_context, casa, site_with_snippet):
    site = site_with_snippet(allowed=False)
    page = new_context().new_page()
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refusal:
        page.goto(site.origin + "/")
    assert "https://elsewhere.example" in refusal.value.text
    expect(page.locator("iframe")).to_have_count(1)
    assert page.frames[1].url.startswith("chrome-error://")
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name=ENGLISH.step_1)).to_have_count(0)


def test_the_snippets_data_attributes_open_the_page_in_a_language_and_at_a_step(
    new_context, casa, site_with_snippet, live_server
):
    day = bookable_day(casa)
    site = site_with_snippet(
        allowed=True, attributes=f'data-lang="es" data-party-size="3" data-date="{day}"'
    )
    page = new_context().new_page()
    page.goto(site.origin + "/")
    iframe = page.locator("iframe")
    expect(iframe).to_have_attribute("title", "Reservar mesa")
    src = iframe.get_attribute("src")
    assert src.startswith(f"{live_server.url}/book/{casa.slug}/?")  # the script's origin
    assert "embed=1" in src and "lang=es" in src and "party_size=3" in src
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name=re.compile("^2. Hora el"))).to_be_visible()
    expect(frame.locator("html")).to_have_attribute("lang", "es")
    # The frame sits where the tag was, before the rest of the site's page.
    assert page.evaluate(
        "document.querySelector('iframe').compareDocumentPosition("
        "document.getElementById('after')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
