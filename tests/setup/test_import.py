"""Import of patients and booked appointments: the dry run lists every refused row and why; the import is
all or nothing and plans reminders."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from patients.models import Patient
from reminders.models import Reminder
from scheduling.models import Appointment
from setup.importing import APPOINTMENTS, PATIENTS, run_import
from tests.factories import NEW_YORK, ChairFactory, NurseShiftFactory, PatientFactory

pytestmark = pytest.mark.django_db

PATIENTS_CSV = (
    "MRN,First name,Last name,Date of birth,Phone,Email\n"
    "A100,Ann,Smith,1960-05-01,+16175550142,ann@example.org\n"
    "A101,Bob,Jones,1971-02-03,555-not-a-phone,\n"
    "A102,Cy,Young,1980-13-01,+16175550143,\n"
)


def upload(name: str, content: bytes, kind: str) -> dict:
    return {"kind": kind, "file": SimpleUploadedFile(name, content), "override_reason": ""}


def test_patient_dry_run_lists_every_refused_row_and_saves_nothing(admin_client, center):
    response = admin_client.post(
        reverse("setup:import", args=[center.pk]), upload("p.csv", PATIENTS_CSV.encode(), PATIENTS)
    )
    page = response.content.decode()
    assert "2 of 3 rows would be refused" in page
    assert "Phone" in page and "Enter a valid" in page  # bad phone, named by its field
    assert "Date of birth" in page
    assert "Import all" not in page
    assert not Patient.objects.exists()


def test_patients_import_after_a_clean_dry_run(admin_client, center):
    good = "\n".join(PATIENTS_CSV.splitlines()[:2]) + "\n"
    preview = admin_client.post(reverse("setup:import", args=[center.pk]), upload("p.csv", good.encode(), PATIENTS))
    assert "All 1 row can be imported" in preview.content.decode()
    assert not Patient.objects.exists()
    response = admin_client.post(
        reverse("setup:import_confirm", args=[center.pk]), {"payload": preview.context["payload"]}
    )
    assert response.status_code == 302
    ann = Patient.objects.get(mrn="A100")
    assert (ann.center, str(ann.phone)) == (center, "+16175550142")


def test_a_tampered_preview_is_refused(admin_client, center):
    response = admin_client.post(reverse("setup:import_confirm", args=[center.pk]), {"payload": "forged"}, follow=True)
    assert "upload the file again" in response.content.decode()


def test_patients_are_read_from_xlsx_too(admin_client, center):
    book = openpyxl.Workbook()
    book.active.append(["mrn", "first_name", "last_name", "date_of_birth", "phone"])
    book.active.append(["X1", "Xena", "Ward", dt.datetime(1955, 7, 9), "+16175550199"])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = admin_client.post(
        reverse("setup:import", args=[center.pk]), upload("p.xlsx", buffer.getvalue(), PATIENTS)
    )
    assert "All 1 row can be imported" in preview.content.decode()


def test_a_file_missing_columns_or_not_a_table_is_a_form_error(admin_client, center):
    url = reverse("setup:import", args=[center.pk])
    missing = admin_client.post(url, upload("p.csv", b"mrn,first_name\nA,B\n", PATIENTS))
    assert missing.status_code == 400 and "Missing column(s): last_name, date_of_birth" in missing.content.decode()
    wrong = admin_client.post(url, upload("p.txt", b"hello", PATIENTS))
    assert wrong.status_code == 400 and "Upload a .csv or .xlsx file." in wrong.content.decode()
    broken = admin_client.post(url, upload("p.xlsx", b"not a zip", PATIENTS))
    assert "not a readable .xlsx" in broken.content.decode()


@pytest.fixture
def clinic(center, protocol, nurse):
    """C01, C02 and one nurse on shift 07:00–19:00 on Monday 7 and Tuesday 8 December 2026."""
    ChairFactory(center=center, label="C01")
    ChairFactory(center=center, label="C02")
    for day in (7, 8):
        NurseShiftFactory(
            center=center,
            nurse=nurse,
            start=dt.datetime(2026, 12, day, 7, tzinfo=NEW_YORK),
            end=dt.datetime(2026, 12, day, 19, tzinfo=NEW_YORK),
        )
    PatientFactory(center=center, mrn="M1", first_name="Ann", last_name="Smith")
    PatientFactory(center=center, mrn="M2", first_name="Bo", last_name="Lee")
    PatientFactory(center=center, mrn="M3", first_name="Cy", last_name="Ng")
    return center


def rows(*lines: str) -> list[dict[str, str]]:
    keys = ["mrn", "protocol", "dose_number", "chair", "date", "time"]
    return [dict(zip(keys, line.split(","), strict=True)) for line in lines]


def test_appointment_dry_run_refuses_with_the_booking_rules(clinic, center_admin):
    report = run_import(
        kind=APPOINTMENTS,
        center=clinic,
        rows=rows(
            "M1,ocr,3,C01,2026-12-07,08:00",
            "M2,ocr,3,C01,2026-12-07,09:00",  # same chair while M1 is in it: a double booking
            "M3,xyz,3,C02,2026-12-07,08:00",  # unknown protocol
            "M3,ocr,3,C02,2026-12-07,17:00",  # runs past closing (19:00)
            "M3,ocr,3,C02,2026-12-12,08:00",  # Saturday: closed
            "M9,ocr,3,C02,2026-12-08,08:00",  # no such patient
        ),
        actor=center_admin,
        commit=False,
    )
    assert not report.is_committed
    errors = {r.number: r.errors for r in report.rows}
    assert errors[2] == []
    assert "The chair is already booked for an overlapping time." in errors[3]
    assert errors[4] == ["protocol: unknown protocol “xyz”."]
    assert "The chair time is not inside the center's opening hours." in errors[5]
    assert "The center is closed." in errors[6]
    assert errors[7] == ["mrn: no patient with MRN “M9” at this center."]
    assert not Appointment.objects.exists()


def test_appointment_import_rolls_back_everything_on_a_bad_row(clinic, center_admin):
    """A row that was fine in the preview but is refused at import time (the slot went meanwhile)
    takes every other row with it: nothing is booked."""
    lines = rows("M1,ocr,3,C01,2026-12-07,08:00", "M2,ocr,3,C02,2026-12-08,08:00")
    assert not run_import(kind=APPOINTMENTS, center=clinic, rows=lines, actor=center_admin, commit=False).refused
    PatientFactory(center=clinic, mrn="M4")
    run_import(
        kind=APPOINTMENTS, center=clinic, rows=rows("M4,ocr,3,C02,2026-12-08,08:00"), actor=center_admin, commit=True
    )
    report = run_import(kind=APPOINTMENTS, center=clinic, rows=lines, actor=center_admin, commit=True)
    assert not report.is_committed
    assert [r.number for r in report.refused] == [3]
    assert list(Appointment.objects.values_list("patient__mrn", flat=True)) == ["M4"]


def test_imported_appointments_are_booked_in_the_centers_zone_with_reminders(admin_client, clinic):
    csv = "mrn,protocol,dose_number,chair,date,time\nM1,OCR,3,C01,2026-12-07,08:00\nM2,ocr,3,C02,2026-12-08,08:15\n"
    url = reverse("setup:import", args=[clinic.pk])
    preview = admin_client.post(url, upload("a.csv", csv.encode(), APPOINTMENTS))
    assert "All 2 rows can be imported" in preview.content.decode()
    assert not Appointment.objects.exists() and not Reminder.objects.exists()
    admin_client.post(reverse("setup:import_confirm", args=[clinic.pk]), {"payload": preview.context["payload"]})
    first = Appointment.objects.get(patient__mrn="M1")
    assert first.start == dt.datetime(2026, 12, 7, 13, 0, tzinfo=dt.UTC)
    assert Reminder.objects.filter(appointment__in=Appointment.objects.all()).count() >= 2


def test_an_appointment_at_a_time_daylight_saving_skips_is_refused(clinic, center_admin):
    report = run_import(
        kind=APPOINTMENTS, center=clinic, rows=rows("M1,ocr,3,C01,2027-03-14,02:30"), actor=center_admin, commit=False
    )
    assert "does not exist" in report.rows[0].errors[0]
