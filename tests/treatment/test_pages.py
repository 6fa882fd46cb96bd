"""Treatment pages: orders, authorizations and documents from the patient page, work queue, series, calendar."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from scheduling.models import Appointment
from tests.factories import AppointmentFactory, PatientFactory
from tests.treatment.conftest import at, make_order, monday_in
from treatment.models import AuthorizationStatus, Order, PrerequisiteDocument, PriorAuthorization
from treatment.templatetags.treatment_plans import calendar_token


def test_patient_page_shows_the_treatment_plan(front_desk_client, library, patient):
    make_order(patient, library["lec"], start=dt.date.today())
    page = front_desk_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert "Treatment plan" in page and "Lecanemab" in page
    assert "MRI within 30 days before doses 3, 5, 7, 14" in page
    assert reverse("order_create", args=[patient.pk]) in page
    assert "Book series" in page


def test_front_desk_enters_an_order(front_desk_client, front_desk, library, patient):
    response = front_desk_client.post(
        reverse("order_create", args=[patient.pk]),
        {
            "protocol": library["ocr"].pk,
            "ordering_provider": "Dr. Patel",
            "dose_count": "4",
            "first_dose_number": "1",
            "start_date": "2026-12-01",
            "valid_until": "2027-12-01",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    order = Order.objects.get(patient=patient)
    assert order.created_by == front_desk and order.dose_count == 4
    assert order.history.first().history_user == front_desk


def test_order_cannot_end_before_it_starts(front_desk_client, library, patient):
    response = front_desk_client.post(
        reverse("order_create", args=[patient.pk]),
        {
            "protocol": library["ocr"].pk,
            "ordering_provider": "Dr. Patel",
            "first_dose_number": "1",
            "start_date": "2026-12-01",
            "valid_until": "2026-11-01",
        },
    )
    assert response.status_code == 200 and not Order.objects.exists()
    assert "cannot end before it starts" in response.content.decode()


def test_nurse_cannot_enter_orders_but_records_documents(nurse_client, nurse, patient):
    assert nurse_client.get(reverse("order_create", args=[patient.pk])).status_code == 403
    response = nurse_client.post(
        reverse("document_create", args=[patient.pk]),
        {"kind": "mri", "performed_on": "2026-12-01", "result": "acceptable", "notes": "No ARIA"},
    )
    assert response.status_code == 302
    document = PrerequisiteDocument.objects.get(patient=patient)
    assert document.recorded_by == nurse and document.notes == "No ARIA"


def test_another_centers_patient_and_order_are_not_found(front_desk_client, other_center, library):
    stranger = PatientFactory(center=other_center)
    order = make_order(stranger, library["ocr"])
    assert front_desk_client.get(reverse("order_create", args=[stranger.pk])).status_code == 404
    assert front_desk_client.get(reverse("order_edit", args=[order.pk])).status_code == 404
    assert front_desk_client.get(reverse("authorization_create", args=[order.pk])).status_code == 404
    assert front_desk_client.get(reverse("series_plan", args=[order.pk])).status_code == 404
    assert front_desk_client.get(reverse("treatment_calendar", args=[stranger.pk])).status_code == 404


def test_authorization_with_history(front_desk_client, front_desk, library, patient):
    order = make_order(patient, library["ocr"], auth=None)
    url = reverse("authorization_create", args=[order.pk])
    response = front_desk_client.post(url, {"payer": "Aetna", "status": "approved"})
    assert response.status_code == 200
    assert "approved date range" in response.content.decode()
    front_desk_client.post(url, {"payer": "Aetna", "reference_number": "PA-9", "status": "pending"})
    authorization = PriorAuthorization.objects.get(order=order)
    assert authorization.patient == patient and authorization.created_by == front_desk
    edit = reverse("authorization_edit", args=[authorization.pk])
    front_desk_client.post(
        edit,
        {
            "payer": "Aetna",
            "reference_number": "PA-9",
            "status": "approved",
            "approved_from": "2026-12-01",
            "approved_until": "2027-05-31",
            "approved_visits": "12",
        },
    )
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.APPROVED and authorization.approved_visits == 12
    page = front_desk_client.get(edit).content.decode()
    assert "History" in page and page.count(front_desk.get_full_name()) >= 2


def test_work_queue_lists_upcoming_doses_that_are_not_ready(front_desk_client, center, chair, library):
    today = dt.date.today()
    ready_patient, pending_patient, mri_patient, later_patient, no_order_patient = (
        PatientFactory(center=center, last_name=name) for name in ("Ready", "Pending", "Mri", "Later", "Noorder")
    )
    make_order(ready_patient, library["ocr"], start=today)
    make_order(pending_patient, library["ocr"], start=today, auth=AuthorizationStatus.PENDING)
    make_order(mri_patient, library["lec"], start=today)
    make_order(later_patient, library["lec"], start=today)

    def appointment(patient, protocol, days, dose, hour=9):
        day = today + dt.timedelta(days=days)
        return AppointmentFactory(
            center=center,
            chair=chair,
            patient=patient,
            protocol=library[protocol],
            dose_number=dose,
            start=at(day, hour),
        )

    appointment(ready_patient, "ocr", 3, 3)
    appointment(pending_patient, "ocr", 10, 3, hour=8)
    appointment(mri_patient, "lec", 5, 3, hour=13)
    appointment(later_patient, "lec", 25, 3)
    appointment(no_order_patient, "ocr", 1, 4, hour=15)
    page = front_desk_client.get(reverse("work_queue")).content.decode()
    table = page[page.index('id="not-ready"') : page.index("Authorizations to renew")]
    assert "Ready" not in table and "Later" not in table
    assert table.index("Noorder") < table.index("Mri") < table.index("Pending")
    assert "No doctor&#x27;s order" in table or "No doctor's order" in table
    assert "MRI needed before dose 3" in table
    assert "pending" in table


def test_work_queue_shows_authorizations_expiring_or_nearly_used_up(front_desk_client, center, chair, library):
    today = dt.date.today()
    expiring, used_up, fine = (PatientFactory(center=center, last_name=n) for n in ("Expiring", "Usedup", "Fine"))
    make_order(expiring, library["ocr"], start=today - dt.timedelta(days=100), auth_until=today + dt.timedelta(days=30))
    make_order(used_up, library["nat"], start=today - dt.timedelta(days=100), visits=3)
    make_order(fine, library["ocr"], start=today - dt.timedelta(days=100), auth_until=today + dt.timedelta(days=31))
    AppointmentFactory(
        center=center, chair=chair, patient=used_up, protocol=library["nat"], start=at(today - dt.timedelta(days=20))
    )
    page = front_desk_client.get(reverse("work_queue")).content.decode()
    alerts = page[page.index("Authorizations to renew") :]
    assert "Expiring" in alerts and "in 30 days" in alerts
    assert "Usedup" in alerts and "1 of 3 visits" in alerts
    assert "Fine" not in alerts


def test_work_queue_is_scoped_to_the_users_center(front_desk_client, other_center):
    assert front_desk_client.get(reverse("work_queue"), {"center": other_center.pk}).status_code == 404


def test_series_page_proposes_then_books_all(front_desk_client, staffed, library, patient):
    order = make_order(patient, library["lec"], start=dt.date.today(), doses=3)
    url = reverse("series_plan", args=[order.pk])
    first = monday_in(2)
    page = front_desk_client.get(url, {"first_day": first.isoformat()}).content.decode()
    assert "Book all 3 doses" in page and "MRI needed before dose 3" in page
    form = {"action": "book", "first_day": first.isoformat(), "time_of_day": "any", "dose": ["1", "2", "3"]}
    for n in (1, 2, 3):
        day = first + dt.timedelta(days=14 * (n - 1))
        form |= {f"date_{n}": day.isoformat(), f"time_{n}": "09:00", f"chair_{n}": str(staffed.test_chairs[0].pk)}
    response = front_desk_client.post(url, form, follow=True)
    assert Appointment.objects.filter(patient=patient).count() == 3
    text = response.content.decode()
    assert "Booked 3 doses" in text and "Dose 3: MRI" in text


def test_series_page_books_nothing_when_a_dose_is_refused(front_desk_client, staffed, library, patient):
    order = make_order(patient, library["lec"], start=dt.date.today(), doses=2)
    first = monday_in(2)
    form = {
        "action": "book",
        "dose": ["1", "2"],
        "date_1": first.isoformat(),
        "time_1": "09:00",
        "chair_1": str(staffed.test_chairs[0].pk),
        "date_2": (first + dt.timedelta(days=14)).isoformat(),
        "time_2": "03:00",  # before opening
        "chair_2": str(staffed.test_chairs[0].pk),
    }
    response = front_desk_client.post(reverse("series_plan", args=[order.pk]), form)
    assert response.status_code == 200
    assert "Nothing was booked" in response.content.decode()
    assert not Appointment.objects.filter(patient=patient).exists()


def test_calendar_file_and_feed(front_desk_client, client, center, chair, library, patient):
    AppointmentFactory(center=center, chair=chair, patient=patient, protocol=library["lec"], start=at(monday_in(2)))
    response = front_desk_client.get(reverse("treatment_calendar", args=[patient.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 1 and "DTSTART:" in body and "UID:appointment-" in body
    assert "ecanemab" not in body.replace("\r\n ", "")  # no drug names in a shared calendar
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    client.logout()
    feed = client.get(reverse("treatment_calendar_feed", args=[calendar_token(patient)]))
    assert feed.status_code == 200 and "BEGIN:VEVENT" in feed.content.decode()
    assert client.get(reverse("treatment_calendar_feed", args=["forged:token"])).status_code == 404


def test_center_admin_edits_protocol_prerequisites(admin_client_for_center, library):
    protocol = library["lec"]
    assert (
        admin_client_for_center.get(reverse("admin:scheduling_protocol_change", args=[protocol.pk])).status_code == 200
    )
    rule = protocol.prerequisites.get(applies_to="listed")
    response = admin_client_for_center.get(reverse("admin:treatment_protocolprerequisite_change", args=[rule.pk]))
    assert response.status_code == 200 and "3,5,7,14" in response.content.decode()


def test_front_desk_can_only_view_prerequisites(front_desk, library):
    assert front_desk.has_perm("treatment.view_protocolprerequisite")
    assert not front_desk.has_perm("treatment.change_protocolprerequisite")
    assert front_desk.has_perm("treatment.add_order") and front_desk.has_perm("treatment.change_priorauthorization")


def test_reflow_link_appears_with_upcoming_doses(front_desk_client, center, chair, library, patient):
    order = make_order(patient, library["lec"], start=dt.date.today())
    AppointmentFactory(center=center, chair=chair, patient=patient, protocol=library["lec"], start=at(monday_in(2)))
    page = front_desk_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert f"{reverse('series_plan', args=[order.pk])}?reflow=1" in page
    assert "Doses booked or given: 1 (0 given)" in page


def test_series_page_refuses_a_dose_left_without_a_time(front_desk_client, staffed, library, patient):
    order = make_order(patient, library["lec"], start=dt.date.today(), doses=2)
    first = monday_in(2)
    chair = str(staffed.test_chairs[0].pk)
    form = {"action": "book", "dose": ["1", "2"], "date_1": first.isoformat(), "time_1": "09:00", "chair_1": chair}
    response = front_desk_client.post(reverse("series_plan", args=[order.pk]), form)
    assert "Dose 2: choose a date, a time and a chair." in response.content.decode()
    assert not Appointment.objects.filter(patient=patient).exists()


def test_work_queue_lists_missed_doses_to_reflow(front_desk_client, center, chair, library, patient):
    order = make_order(patient, library["lec"], start=dt.date.today() - dt.timedelta(days=60))
    AppointmentFactory(
        center=center,
        chair=chair,
        patient=patient,
        protocol=library["lec"],
        dose_number=2,
        start=at(dt.date.today() - dt.timedelta(days=3)),
        status="noshow",
    )
    AppointmentFactory(
        center=center, chair=chair, patient=patient, protocol=library["lec"], dose_number=3, start=at(monday_in(2))
    )
    page = front_desk_client.get(reverse("work_queue")).content.decode()
    missed = page[page.index('id="missed-doses"') :]
    assert patient.full_name in missed
    assert f"{reverse('series_plan', args=[order.pk])}?reflow=1" in missed


def test_work_queue_queries_do_not_grow_with_the_number_of_doses(
    front_desk_client, center, chair, library, django_assert_max_num_queries
):
    today = dt.date.today()
    for number in range(15):
        patient = PatientFactory(center=center)
        make_order(patient, library["lec" if number % 2 else "nat"], start=today, visits=4)
        AppointmentFactory(
            center=center,
            chair=chair,
            patient=patient,
            protocol=library["lec" if number % 2 else "nat"],
            dose_number=3,
            start=at(today + dt.timedelta(days=1 + number), 9),
        )
    with django_assert_max_num_queries(25):
        response = front_desk_client.get(reverse("work_queue"))
    assert response.content.decode().count("Record document<span") >= 15


def test_series_page_replans_after_an_adjusted_dose(front_desk_client, staffed, library, patient):
    order = make_order(patient, library["lec"], start=dt.date.today(), doses=3)
    url = reverse("series_plan", args=[order.pk])
    first = monday_in(2)
    chair = str(staffed.test_chairs[1].pk)
    moved = first + dt.timedelta(days=16)  # dose 2 two days late, on the Wednesday
    form = {
        "action": "update",
        "dose": ["1", "2", "3"],
        "first_day": first.isoformat(),
        "date_1": first.isoformat(),
        "time_1": "09:00",
        "chair_1": chair,
        "original_1": f"{chair}|{at(first, 9).isoformat()}",
        "date_2": moved.isoformat(),
        "time_2": "10:00",
        "chair_2": chair,
        "original_2": f"{chair}|{at(first + dt.timedelta(days=14), 9).isoformat()}",
        "date_3": "",
        "time_3": "",
        "chair_3": "",
    }
    page = front_desk_client.post(url, form).content.decode()
    dose3 = page[page.index('id="dose-3"') :]
    assert f'value="{(moved + dt.timedelta(days=14)).isoformat()}"' in dose3
    assert Appointment.objects.count() == 0
