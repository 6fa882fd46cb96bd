"""Import patients and already-booked appointments from CSV or XLSX, all or nothing.

The same code runs twice: a dry run inside a transaction that is always rolled back, which
lists every row it would refuse and why, and the import itself, which commits only when no
row is refused. Patients go through the patient model's own validation (E.164 phone, consent)
and appointments through ``scheduling.services.book_appointment`` — the one door every booking
uses — so opening hours, chairs, double bookings, nurse capacity and readiness are judged by
the same rules as a booking made on the slot finder, and reminders are planned inside it.
Appointments in the file are booked in order, so two rows for the same chair and time refuse
the second as a double booking.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from chairs.models import Center
from patients.models import Patient
from scheduling.errors import SchedulingError
from scheduling.models import Protocol
from scheduling.services import book_appointment
from setup.localtime import local_instant

PATIENTS, APPOINTMENTS = "patients", "appointments"
COLUMNS = {
    PATIENTS: ["mrn", "first_name", "last_name", "date_of_birth", "phone", "email", "reminder_channel"],
    APPOINTMENTS: ["mrn", "protocol", "dose_number", "chair", "date", "time", "notes"],
}
REQUIRED = {
    PATIENTS: ["mrn", "first_name", "last_name", "date_of_birth"],
    APPOINTMENTS: ["mrn", "protocol", "chair", "date", "time"],
}
MAX_ROWS = 5000


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not CSV/XLSX, no header, missing columns)."""


@dataclass
class RowResult:
    number: int  # the row's line in the file (the header is line 1)
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def is_ok(self) -> bool:
        return not self.errors


@dataclass
class ImportReport:
    kind: str
    rows: list[RowResult]
    is_committed: bool = False

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.rows if r.errors]

    @property
    def accepted(self) -> list[RowResult]:
        return [r for r in self.rows if not r.errors]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(*, name: str, content: bytes, kind: str) -> list[dict[str, str]]:
    """Rows of the file as dicts keyed by lower-case header; ImportFileError when unreadable."""
    if name.lower().endswith(".xlsx"):
        import openpyxl

        try:
            sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
            raise ImportFileError("This is not a readable .xlsx workbook.") from error
        table = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    elif name.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportFileError("The CSV file must be saved as UTF-8.") from error
        table = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise ImportFileError("Upload a .csv or .xlsx file.")
    table = [row for row in table if any(row)]
    if not table:
        raise ImportFileError("The file is empty.")
    header = [h.strip().lower().replace(" ", "_") for h in table[0]]
    missing = [c for c in REQUIRED[kind] if c not in header]
    if missing:
        raise ImportFileError(f"Missing column(s): {', '.join(missing)}. Expected: {', '.join(COLUMNS[kind])}.")
    if len(table) - 1 > MAX_ROWS:
        raise ImportFileError(f"At most {MAX_ROWS} rows per file.")
    wanted = [c for c in COLUMNS[kind] if c in header]
    return [{c: (row[header.index(c)] if header.index(c) < len(row) else "") for c in wanted} for row in table[1:]]


class ImportedPatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["mrn", "first_name", "last_name", "date_of_birth", "phone", "email", "reminder_channel"]

    def __init__(self, *args, center: Center, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.center = center
        self.fields["reminder_channel"].required = False

    def clean_reminder_channel(self):
        return self.cleaned_data.get("reminder_channel") or Patient._meta.get_field("reminder_channel").default


def _form_errors(form: forms.Form) -> list[str]:
    return [
        f"{form.fields[name].label if name in form.fields else 'row'}: {message}"
        for name, messages in form.errors.items()
        for message in messages
    ]


def _import_patient(*, center: Center, values: dict[str, str], actor, override_reason: str) -> str:
    form = ImportedPatientForm(data=values, center=center)
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    patient = form.save()
    return f"{patient.full_name} (MRN {patient.mrn})"


def _parse_start(center: Center, values: dict[str, str]) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(values["date"][:10])
    except ValueError:
        raise ValidationError(f"date: “{values['date']}” is not a date such as 2027-01-18.") from None
    try:
        wall = dt.time.fromisoformat(values["time"].strip()[:5])
    except ValueError:
        raise ValidationError(f"time: “{values['time']}” is not a time such as 09:30.") from None
    return local_instant(center.tzinfo, day, wall)


def _import_appointment(*, center: Center, values: dict[str, str], actor, override_reason: str) -> str:
    errors = []
    patient = Patient.objects.filter(center=center, mrn__iexact=values["mrn"]).first()
    if patient is None:
        errors.append(f"mrn: no patient with MRN “{values['mrn']}” at this center.")
    code = values["protocol"]
    protocol = (Protocol.objects.filter(code__iexact=code) | Protocol.objects.filter(name__iexact=code)).first()
    if protocol is None:
        errors.append(f"protocol: unknown protocol “{code}”.")
    chair = center.chairs.filter(label__iexact=values["chair"]).first()
    if chair is None:
        errors.append(f"chair: no chair or bed labelled “{values['chair']}”.")
    try:
        dose_number = int(values.get("dose_number") or 1)
        if dose_number < 1:
            raise ValueError
    except ValueError:
        errors.append(f"dose_number: “{values.get('dose_number')}” is not a dose number (1, 2, …).")
    try:
        start = _parse_start(center, values)
    except ValidationError as error:
        errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    try:
        appointment = book_appointment(
            actor=actor,
            patient=patient,
            protocol=protocol,
            chair=chair,
            start=start,
            dose_number=dose_number,
            notes=values.get("notes", ""),
            readiness_override_reason=override_reason,
        )
    except SchedulingError as error:
        reasons = getattr(error, "reasons", None)
        raise ValidationError([r.message for r in reasons] if reasons else [error.message]) from None
    local = appointment.start.astimezone(center.tzinfo)
    return f"{patient.full_name}: {protocol.code.upper()} dose {dose_number}, {chair.label}, {local:%a %d %b %Y %H:%M}"


IMPORTERS = {PATIENTS: _import_patient, APPOINTMENTS: _import_appointment}


def run_import(
    *, kind: str, center: Center, rows: list[dict[str, str]], actor, commit: bool, override_reason: str = ""
) -> ImportReport:
    """Try every row; commit only when ``commit`` and no row was refused, else roll everything back."""
    importer = IMPORTERS[kind]
    report = ImportReport(kind=kind, rows=[])
    with transaction.atomic():
        for number, values in enumerate(rows, start=2):
            result = RowResult(number=number, values=values)
            try:
                with transaction.atomic():
                    result.summary = importer(
                        center=center, values=values, actor=actor, override_reason=override_reason
                    )
            except ValidationError as error:
                result.errors = error.messages
            report.rows.append(result)
        if commit and not report.refused:
            report.is_committed = True
        else:
            transaction.set_rollback(True)
    return report
