"""Waiting for htmx in the browser tests."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def when_ready(field: Locator) -> Locator:
    """The field, once the page holding it has been wired by htmx.

    Text is visible while the deferred scripts still run: a search typed or a select changed before
    htmx has processed the page sends no request, and the test waits for a response that never comes.
    htmx wires the page on DOMContentLoaded, so the page's load event comes after it."""
    expect(field).to_be_attached()
    loaded(field.page)
    return field


def loaded(page: Page) -> Page:
    """The page, once its deferred scripts have run (htmx and the page's own: ``flowScreenIsActive``).

    Call it after a click that navigates and before anything that needs those scripts: a marker set
    on ``window`` to prove later clicks stay on the page, a function the scripts define."""
    page.wait_for_load_state("load")
    return page
