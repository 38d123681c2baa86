"""What the browser tests share: Debian's Chromium driven by Playwright at 360 x 740 (a phone),
screenshots kept in test-artifacts/screenshots/, and the checks every page must pass."""

from pathlib import Path

import pytest

from tests.conftest import ROOT

from .place import LATITUDE, LONGITUDE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
WIDTH, HEIGHT = 360, 740
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# Records every change of the upload progress bar in sessionStorage, which outlives the page's
# navigation to the result.
PROGRESS_RECORDER = """
document.addEventListener("DOMContentLoaded", () => {
  const progress = document.getElementById("upload-progress");
  const box = document.getElementById("upload");
  if (!progress || !box) return;
  const record = () => {
    const log = JSON.parse(sessionStorage.getItem("progressLog") || "[]");
    log.push({ value: progress.value, max: progress.max, visible: !box.hidden && box.offsetHeight > 0 });
    sessionStorage.setItem("progressLog", JSON.stringify(log));
  };
  new MutationObserver(record).observe(progress, { attributes: true });
  new MutationObserver(record).observe(box, { attributes: true });
});
"""

# Every Content-Security-Policy violation becomes a console error, which the tests collect.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline code";
  console.error("CSP violation: " + event.violatedDirective + " blocked " + blocked);
});
"""


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium; scripts/test does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def web(settings, live_server):
    """The live server over plain http: cookies may not insist on https here."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return live_server


def watched_page(context):
    """A page of the context, and the list its script errors and CSP violations go to."""
    context.add_init_script(CSP_REPORTER)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return page, errors


@pytest.fixture
def phone(browser, web):
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": LATITUDE, "longitude": LONGITUDE, "accuracy": 12},
        permissions=["geolocation"],
        base_url=web.url,
        locale="en-US",
        timezone_id="America/New_York",
    )
    context.grant_permissions(["geolocation"], origin=web.url)
    context.add_init_script(PROGRESS_RECORDER)
    yield watched_page(context)
    context.close()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, animations="disabled")


def fits_the_width(page):
    return page.evaluate("document.documentElement.scrollWidth") <= WIDTH


@pytest.fixture
def desk(browser, web):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=web.url, locale="en-US")
    page, errors = watched_page(context)
    page.on(
        "response",
        lambda response: response.status >= 400 and errors.append(f"{response.status} {response.url}"),
    )
    yield page, errors
    context.close()


def expect():
    """Playwright's locator assertions (they wait; the pages' CSP forbids the eval that polling uses)."""
    return pytest.importorskip("playwright.sync_api").expect
