"""Steps on the slot finder shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.htmx import when_ready


def choose_protocol(page: Page, label: str) -> None:
    """Pick the protocol and wait until htmx has redrawn the dose field it asks for: typing the dose
    number while the field is swapped lands in the new field after its value ("1" became "11")."""
    page.evaluate(
        """() => {
            delete document.body.dataset.doseFieldSettled;
            document.body.addEventListener("htmx:afterSettle", (event) => {
                if (event.target.id === "dose-field") document.body.dataset.doseFieldSettled = "yes";
            });
        }"""
    )
    when_ready(page.get_by_label("Protocol")).select_option(label=label)
    expect(page.locator("body[data-dose-field-settled]")).to_be_attached()
