"""Wait times: per appointment and per protocol, from the timestamps the state machine records."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.urls import reverse

from frontdesk.reports import appointment_flow, overall_summary, protocol_summary
from tests.factories import AppointmentFactory, ChairFactory, ProtocolFactory
from tests.frontdesk.conftest import MONDAY, at


def treated(center, protocol, *, start, arrived, seated, discharged, chair=None, **extra):
    return AppointmentFactory(
        center=center,
        chair=chair or ChairFactory(center=center),
        protocol=protocol,
        start=start,
        status="fulfilled",
        arrived_at=arrived,
        chair_start_at=seated,
        infusion_start_at=seated + dt.timedelta(minutes=20),
        discharged_at=discharged,
        **extra,
    )


def test_one_appointment_wait_on_time_and_chair_minutes(center, protocol):
    appointment = treated(center, protocol, start=at(9), arrived=at(8, 50), seated=at(9, 25), discharged=at(14, 45))
    row = appointment_flow(appointment)
    assert row.wait_minutes == 35
    assert row.start_delay_minutes == 25 and row.is_on_time is False
    assert (row.scheduled_minutes, row.actual_minutes, row.overrun_minutes) == (310, 320, 10)


def test_early_seat_is_on_time_and_missing_stamps_are_unknown(center, protocol):
    early = treated(center, protocol, start=at(9), arrived=at(8, 40), seated=at(8, 55), discharged=at(13, 55))
    assert appointment_flow(early).is_on_time is True
    booked = AppointmentFactory(center=center, protocol=protocol, start=at(9))
    row = appointment_flow(booked)
    assert (row.wait_minutes, row.is_on_time, row.actual_minutes, row.overrun_minutes) == (None, None, None, None)


def test_protocol_summary(center, protocol):
    other = ProtocolFactory(
        code="nat", name="Natalizumab", first_dose_infusion_minutes=60, later_dose_infusion_minutes=60
    )
    rows = [
        appointment_flow(
            treated(center, protocol, start=at(9), arrived=at(8, 50), seated=at(9), discharged=at(14, 10))
        ),
        appointment_flow(
            treated(center, protocol, start=at(10), arrived=at(9, 50), seated=at(10, 30), discharged=at(15, 50))
        ),
        appointment_flow(treated(center, other, start=at(9), arrived=at(9), seated=at(9, 5), discharged=at(11, 5))),
    ]
    summary = {s.code: s for s in protocol_summary(rows, {"ocr": 1, "eculizumab": 2})}
    ocr = summary["ocr"]
    assert (ocr.seen, ocr.noshows, ocr.median_wait, ocr.mean_wait, ocr.on_time_percent) == (2, 1, 25.0, 25.0, 50.0)
    assert (ocr.mean_scheduled, ocr.mean_actual, ocr.mean_overrun) == (310.0, 315.0, 5.0)
    assert summary["nat"].on_time_percent == 100.0
    assert summary["eculizumab"].seen == 0 and summary["eculizumab"].median_wait is None
    overall = overall_summary(rows, {"ocr": 1, "eculizumab": 2})
    assert (overall.seen, overall.noshows, overall.median_wait, overall.on_time_percent) == (3, 3, 10.0, 66.7)


def test_report_page_per_protocol_and_per_appointment(front_desk_client, center, protocol):
    treated(center, protocol, start=at(9), arrived=at(8, 50), seated=at(9, 25), discharged=at(14, 45))
    AppointmentFactory(center=center, protocol=protocol, start=at(11), status="noshow")
    response = front_desk_client.get(reverse("flow_report"), {"from": MONDAY.isoformat(), "to": MONDAY.isoformat()})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-protocol="ocr"' in html
    assert "35.0 min" in html  # median wait
    assert "25 min late" in html
    assert "320 min" in html and "+10.0 min" in html


def test_report_excludes_other_days_and_centers(front_desk_client, center, other_center, protocol):
    treated(center, protocol, start=at(9) - dt.timedelta(days=40), arrived=at(8, 50) - dt.timedelta(days=40),
            seated=at(9) - dt.timedelta(days=40), discharged=at(14) - dt.timedelta(days=40))  # fmt: skip
    treated(other_center, protocol, start=at(9), arrived=at(8), seated=at(9), discharged=at(14))
    html = front_desk_client.get(reverse("flow_report")).content.decode()
    assert "No patients reached a chair in this period." in html


def test_report_csv(front_desk_client, center, protocol):
    treated(center, protocol, start=at(9), arrived=at(8, 50), seated=at(9, 25), discharged=at(14, 45))
    response = front_desk_client.get(reverse("flow_report"), {"format": "csv"})
    assert response["Content-Type"] == "text/csv"
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("appointment,patient,MRN,booked start,protocol,protocol name")
    assert lines[1].endswith(",35,25,no,310,320")


def test_report_csv_names_the_patient_and_protocol_and_lists_no_shows(front_desk_client, center, protocol):
    seen = treated(center, protocol, start=at(9), arrived=at(8, 50), seated=at(9, 25), discharged=at(14, 45))
    missed = AppointmentFactory(center=center, protocol=protocol, start=at(11), status="noshow")
    response = front_desk_client.get(reverse("flow_report"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_id = {int(r["appointment"]): r for r in rows}
    assert by_id[seen.pk]["patient"] == seen.patient.full_name and by_id[seen.pk]["MRN"] == seen.patient.mrn
    assert by_id[seen.pk]["protocol name"] == "Ocrelizumab"
    assert by_id[missed.pk]["status"] == "noshow" and by_id[missed.pk]["wait minutes"] == ""


def test_report_page_says_when_a_section_is_empty(front_desk_client, center, protocol):
    html = front_desk_client.get(reverse("flow_report")).content.decode()
    assert "No patients reached a chair in this period." in html
    assert "No appointments with a patient in a chair in this period." in html


def test_report_page_totals_over_protocols(front_desk_client, center, protocol):
    other = ProtocolFactory(
        code="nat", name="Natalizumab", first_dose_infusion_minutes=60, later_dose_infusion_minutes=60
    )
    treated(center, protocol, start=at(9), arrived=at(8, 50), seated=at(9), discharged=at(14, 10))
    treated(center, other, start=at(9), arrived=at(9), seated=at(9, 20), discharged=at(11, 5))
    html = front_desk_client.get(
        reverse("flow_report"), {"from": MONDAY.isoformat(), "to": MONDAY.isoformat()}
    ).content.decode()
    assert 'data-protocol="all"' in html and "All protocols" in html
