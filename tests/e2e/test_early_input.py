"""What a user types before htmx has wired the page still gets its answer (a slow network: the page is
shown while its deferred htmx script is still on its way)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from scheduling.protocol_library import seed_protocols
from tests.factories import PatientFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HTMX_SCRIPT = re.compile(r"/django_htmx/htmx[^/]*\.js$")


def hold_htmx(page) -> list:
    """Hold back the htmx script until the test releases it (``held[0].continue_()``)."""
    held: list = []
    page.route(HTMX_SCRIPT, lambda route: held.append(route))
    return held


def release(page, held: list) -> None:
    for _ in range(100):  # the browser asks for the script as soon as it reads the page's head
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page never asked for htmx"
    held[0].continue_()
    page.unroute(HTMX_SCRIPT)


def test_a_patient_search_typed_before_htmx_loaded_is_answered(page, login, center):
    UserFactory(username="nora.nurse", role="nurse", center=center)
    PatientFactory(center=center, first_name="Ada", last_name="Lovelace")
    PatientFactory(center=center, first_name="Grace", last_name="Hopper")
    login("nora.nurse")

    held = hold_htmx(page)
    page.goto("/patients/", wait_until="commit")
    search = page.get_by_label("Search patients")
    search.fill("Lovelace")  # the page is shown, htmx is not there yet: no request can be sent
    results = page.locator("#patient-results")
    expect(results).to_contain_text("Hopper, Grace")  # still the list the page was served with
    release(page, held)

    expect(page).to_have_url(re.compile(r"q=Lovelace"))  # htmx answered the search typed before it came
    expect(results).to_contain_text("Lovelace, Ada")
    expect(results).not_to_contain_text("Hopper, Grace")
    page.wait_for_load_state("load")


def test_a_field_left_as_served_sends_nothing_when_htmx_arrives(page, login, center):
    UserFactory(username="nora.nurse", role="nurse", center=center)
    PatientFactory(center=center, first_name="Grace", last_name="Hopper")
    login("nora.nurse")
    sent: list[str] = []
    page.on("request", lambda request: request.headers.get("hx-request") and sent.append(request.url))

    held = hold_htmx(page)
    page.goto("/patients/?q=Hopper", wait_until="commit")
    expect(page.get_by_label("Search patients")).to_have_value("Hopper")
    release(page, held)
    page.wait_for_load_state("load")
    page.wait_for_timeout(600)  # longer than the search's 250 ms delay
    assert sent == []


def test_a_protocol_chosen_before_htmx_loaded_asks_for_its_dose_field(page, login, center):
    seed_protocols()
    UserFactory(username="nora.nurse", role="nurse", center=center)
    login("nora.nurse")

    held = hold_htmx(page)
    page.goto("/slots/", wait_until="commit")
    page.get_by_label("Protocol").select_option(label="Ocrelizumab (OCR) — Ocrevus")
    with page.expect_request(re.compile(r"/slots/dose/\?")) as asked:
        release(page, held)
    assert "protocol=" in asked.value.url
    page.wait_for_load_state("load")


def test_a_protocol_chosen_just_after_htmx_wired_the_page_asks_for_its_dose_field_once(page, login, center):
    """htmx wires the page at DOMContentLoaded and announces it (``htmx:load`` on the body) a moment
    later: a protocol chosen in between is htmx's own change, and must not be sent a second time (the
    second answer replaced the dose field while the nurse typed in it: "1" became "11")."""
    seed_protocols()
    UserFactory(username="nora.nurse", role="nurse", center=center)
    login("nora.nurse")
    page.add_init_script(
        """window.addEventListener("htmx:load", function choose(event) {
            if (event.target !== document.body) return;
            window.removeEventListener("htmx:load", choose, true);
            var select = document.querySelector("select[name=protocol]");
            select.selectedIndex = 1;
            select.dispatchEvent(new Event("change", { bubbles: true }));
        }, true);"""
    )
    asked: list[str] = []
    page.on("request", lambda request: "/slots/dose/" in request.url and asked.append(request.url))

    page.goto("/slots/")
    expect(page.locator("#dose-field")).to_contain_text("Dose number")
    page.wait_for_timeout(500)
    assert len(asked) == 1


def test_a_select_served_with_no_choice_sends_nothing_when_htmx_arrives(page, login, center):
    """The slot finder's protocol select is served with nothing chosen: the browser shows its first
    option, which is not an edit, and htmx must not be asked for a dose field nobody requested."""
    seed_protocols()
    UserFactory(username="nora.nurse", role="nurse", center=center)
    login("nora.nurse")
    sent: list[str] = []
    page.on("request", lambda request: request.headers.get("hx-request") and sent.append(request.url))

    held = hold_htmx(page)
    page.goto("/slots/", wait_until="commit")
    expect(page.get_by_label("Protocol")).to_be_attached()
    release(page, held)
    page.wait_for_load_state("load")
    page.wait_for_timeout(600)
    assert sent == []
