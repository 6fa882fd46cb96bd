"""Browser tests: real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

The project's setup installs Chromium from Debian's packages (see Makefile);
Playwright's own browser download is not used. Each test gets a fresh page and
the live server from pytest-django; screenshots go to ``test-artifacts/``.

Every page a test visits is checked by axe-core (installed from the npm registry by
``python3 dev.py setup``: ``npm ci`` from package-lock.json). axe is injected into each
document, runs once the page has loaded, and once more on the page the test ends on (after
its htmx swaps); a serious or critical violation on any of them fails the test. Without npm
(so without axe-core) the browser tests skip and say why.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 AA: axe's default rules, plus the experimental check that a control's accessible name
# contains its visible text (label-content-name-mismatch, WCAG 2.5.3).
AXE_OPTIONS = {"rules": {"label-content-name-mismatch": {"enabled": True}}, "resultTypes": ["violations"]}
FAILING_IMPACTS = {"serious", "critical"}
# After each load: run axe and hand the violations to the test (window.__axeReport is a Playwright binding).
AXE_ON_LOAD = """
window.__axeOptions = OPTIONS;
window.addEventListener("load", function () {
  // htmx partials opened on their own (no doctype) are fragments of a page, not pages.
  if (!window.axe || window.top !== window || !document.doctype) return;
  window.__axeDone = window.axe.run(document, window.__axeOptions).then(function (result) {
    return window.__axeReport({url: location.href, violations: result.violations});
  }).catch(function () {});
});
""".replace("OPTIONS", json.dumps(AXE_OPTIONS))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


# Every browser test runs on a Wednesday late morning, the center's time (America/New_York), with the clock
# ticking: built from the real time, a test's "now" crossed midnight or quiet hours when the suite ran at night,
# and a dose seated 40 minutes ago fell on yesterday's pharmacy queue. A test that needs another moment travels
# there itself (time-machine nests).
BROWSER_TEST_MOMENT = dt.datetime(2026, 12, 2, 10, 30, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture(autouse=True)
def daytime_clock():
    with time_machine.travel(BROWSER_TEST_MOMENT, tick=True):
        yield


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SOURCE.exists():
        if not shutil.which("npm"):
            pytest.skip("npm is not installed, so axe-core is not: the browser tests need it (install Node.js/npm).")
        pytest.fail("axe-core is missing: run `python3 dev.py setup` (it runs `npm ci`).")
    return AXE_SOURCE.read_text()


def _serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v.get("impact") in FAILING_IMPACTS]


def describe_violations(found: dict[tuple, dict]) -> str:
    lines = []
    for (path, rule), v in sorted(found.items()):
        targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        summary = v["nodes"][0].get("failureSummary", "").replace("\n", " ")[:200]
        lines.append(f"{path}: {rule} ({v['impact']}, {len(v['nodes'])}×) {v['help']} — {targets} — {summary}")
    return "\n".join(lines)


# Swagger UI is drf-spectacular's bundled page for developers, not one of the app's pages: its markup is
# not ours to fix (it still runs under the Content-Security-Policy, which test_security checks).
THIRD_PARTY_PAGES = ("/api/docs/",)


class AxeAudit:
    """The serious and critical axe-core violations of every page a test loaded, by page path and rule."""

    def __init__(self) -> None:
        self.found: dict[tuple, dict] = {}
        self.pages: set[str] = set()

    def record(self, url: str, violations: list[dict]) -> None:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path.startswith(THIRD_PARTY_PAGES):
            return
        self.pages.add(parts.path)
        for violation in _serious(violations):
            self.found.setdefault((path, violation["id"]), violation)

    def check(self, page) -> None:
        """Run axe on the page as it stands (after its htmx swaps) and record what it finds; a page still
        loading (a test that ends on a form's redirect) is audited once its stylesheets have loaded, as
        every page is on load, not with the browser's default colours."""
        result = page.evaluate(
            """async (options) => {
                if (document.readyState !== "complete") {
                    await new Promise((done) => window.addEventListener("load", done, {once: true}));
                }
                if (window.__axeDone) { await window.__axeDone; }
                if (!document.doctype) { return {url: location.href, violations: []}; }
                const result = await window.axe.run(document, options);
                return {url: location.href, violations: result.violations};
            }""",
            AXE_OPTIONS,
        )
        self.record(result["url"], result["violations"])


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if not path:
        pytest.fail("Chromium is not installed: run `make setup` (apt-get install chromium) first.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Runs in every document before its own scripts (Playwright injects it outside the page's CSP).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportCspViolation(event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " on " + document.location.pathname + (event.sample ? " (" + event.sample + ")" : ""));
});
"""


ASSET_TYPES = {"stylesheet", "script", "image", "font"}


def _browser_problem(response) -> str | None:
    """A missing asset or a server error; a page's own 4xx (a refusal the test expects) is not one."""
    if response.status >= 500 or (response.status >= 400 and response.request.resource_type in ASSET_TYPES):
        return f"{response.status} for {response.request.resource_type} {response.url}"
    return None


def _console_problem(message) -> str | None:
    # The browser logs every 4xx/5xx as "Failed to load resource"; responses are judged above.
    if message.type != "error" or message.text.startswith("Failed to load resource"):
        return None
    return f"console error: {message.text} ({message.location.get('url')})"


@pytest.fixture
def axe_audit() -> AxeAudit:
    return AxeAudit()


@pytest.fixture
def viewport() -> dict:
    """The window size; override in a module or parametrize it to test other screens."""
    return {"width": 1366, "height": 768}


@pytest.fixture
def page(browser, live_server, axe_source, axe_audit, viewport):
    """A fresh page; every page it visits must pass the Content-Security-Policy and axe-core (no serious or
    critical violation), with no console error, no script error, no missing asset and no server error."""
    context = browser.new_context(viewport=viewport, base_url=live_server.url)
    problems: list[str] = []
    context.expose_function("reportCspViolation", lambda text: problems.append(f"CSP violation: {text}"))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.expose_binding("__axeReport", lambda source, report: axe_audit.record(report["url"], report["violations"]))
    context.add_init_script(script=axe_source)
    context.add_init_script(script=AXE_ON_LOAD)
    page = context.new_page()
    page.on("console", lambda message: (problem := _console_problem(message)) and problems.append(problem))
    page.on("response", lambda response: (problem := _browser_problem(response)) and problems.append(problem))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.set_default_timeout(15_000)
    page.browser_problems = problems
    yield page
    try:
        if page.url.startswith(live_server.url):
            axe_audit.check(page)
    finally:
        context.close()
    if axe_audit.found:
        pytest.fail(
            "axe-core found serious or critical accessibility violations:\n" + describe_violations(axe_audit.found),
            pytrace=False,
        )
    assert not problems, "The browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def login(page):
    """Sign in through the real login form."""

    def _login(username: str, password: str = "correct-horse-battery") -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return _login


@pytest.fixture
def screenshot(page):
    def _shot(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
