"""The API's own pages work offline: Swagger UI, Redoc and the browsable API load nothing
but this origin's files (drf-spectacular-sidecar, pinned in uv.lock), in HTML and in a real
Chromium that is refused every other origin; the browsable API's root reads as a page of
links."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from web.tests.browser.conftest import browser, live_server  # noqa: F401 -- fixtures

DOC_PAGES = ["/api/docs/", "/api/redoc/"]


class AssetLinks(HTMLParser):
    """Every URL a page loads by itself: script and img sources, stylesheets, icons, and any
    url() in a style block or attribute."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "img", "iframe", "source") and values.get("src"):
            self.urls.append(values["src"])
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"])
        if values.get("style"):
            self.urls += re.findall(r"url\(['\"]?([^'\")]+)", values["style"])
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.urls += re.findall(r"url\(['\"]?([^'\")]+)", data)
            self.urls += re.findall(r"@import\s+['\"]([^'\"]+)", data)

    def handle_endtag(self, tag):
        self._in_style = False


def same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return (not parts.scheme and not parts.netloc and url.startswith("/")) or url.startswith(
        "data:"
    )


@pytest.mark.parametrize("path", DOC_PAGES)
def test_every_asset_of_the_docs_pages_is_same_origin_and_served(client, path):
    response = client.get(path)
    assert response.status_code == 200
    parser = AssetLinks()
    parser.feed(response.content.decode())
    assert parser.urls, "the page loads no asset at all?"
    for url in parser.urls:
        assert same_origin(url), f"{path} loads {url} from another origin"
        if not url.startswith("data:"):
            assert client.get(url).status_code == 200, url
    # The sidecar's files, not a CDN's.
    assert any("drf_spectacular_sidecar" in url for url in parser.urls)


@pytest.mark.django_db
def test_the_browsable_api_root_is_a_readable_page_of_links(client):
    response = client.get("/api/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<title>" in html and "Api Root" in html
    for name in ("restaurants", "reservations", "docs", "redoc", "schema", "health"):
        link = rf'&quot;{name}&quot;: &quot;<a href="http://testserver/api/[a-z/]+" rel="nofollow">'
        assert re.search(link, html), name
    parser = AssetLinks()
    parser.feed(html)
    assert parser.urls and all(same_origin(url) for url in parser.urls), parser.urls


def record_foreign_requests(page, base: str) -> list[str]:
    """Refuse every request to another origin, as a machine without network would, and keep
    what was asked for."""
    foreign: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(base) or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            foreign.append(url)
            request_route.abort()

    page.route("**/*", route)
    return foreign


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_and_redoc_render_in_chromium_without_any_other_origin(
    browser,  # noqa: F811
    live_server,  # noqa: F811
):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    foreign = record_foreign_requests(page, live_server.url)
    try:
        page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20000)
        assert "ReservaFlow API" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock", timeout=20000)
        assert page.locator(".opblock").count() > 20

        page.goto(f"{live_server.url}/api/redoc/")
        page.wait_for_selector("h1", timeout=20000)
        assert "ReservaFlow API" in page.inner_text("h1")
        page.wait_for_selector("[data-section-id^='tag/']", timeout=20000)

        page.goto(f"{live_server.url}/api/")
        assert "Api Root" in page.title()
        page.locator(f'a[href="{live_server.url}/api/restaurants/"]').first.click()
        page.wait_for_url(f"{live_server.url}/api/restaurants/")
    finally:
        context.close()
    assert foreign == []
    # Redoc's footer ("API docs by Redocly") asks for its logo from its own CDN, whatever the
    # options; the Content-Security-Policy refuses it before any request (so it is not in
    # ``foreign``), the image hides itself and the footer stays text. Nothing else may fail.
    redoc_logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [e for e in errors if redoc_logo not in e or "Content Security Policy" not in e] == []
