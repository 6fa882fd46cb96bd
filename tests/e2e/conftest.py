"""Browser tests: real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

The project's setup installs Chromium from Debian's packages (see Makefile);
Playwright's own browser download is not used. Each test gets a fresh page and
the live server from pytest-django; screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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
def page(browser, live_server):
    """A fresh page; every page it visits must pass the Content-Security-Policy, with no console error,
    no script error, no missing asset and no server error."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=live_server.url)
    problems: list[str] = []
    context.expose_function("reportCspViolation", lambda text: problems.append(f"CSP violation: {text}"))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda message: (problem := _console_problem(message)) and problems.append(problem))
    page.on("response", lambda response: (problem := _browser_problem(response)) and problems.append(problem))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.set_default_timeout(15_000)
    page.browser_problems = problems
    yield page
    context.close()
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
