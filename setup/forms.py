"""Setup forms. Times are entered as local wall-clock times in the center's zone; the forms turn
them into instants with ``setup.localtime`` (refusing times daylight saving skips or repeats)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory

from chairs.models import Center, Chair, ChairFeature, Closure, NurseShift, OpeningHours, Weekday
from chairs.roles import CENTER_ADMIN, FRONT_DESK, NURSE, PHARMACY
from patients.forms import COMMON_TIMEZONES
from scheduling.models import CENTER_PROTOCOL_FIELDS, CenterProtocolSettings, Protocol
from setup.importing import APPOINTMENTS, PATIENTS
from setup.localtime import local_instant
from setup.models import RecurringHoliday, RotaPattern
from treatment.models import ProtocolPrerequisite

ROLE_CHOICES = [(NURSE, "Nurse"), (FRONT_DESK, "Front desk"), (CENTER_ADMIN, "Center admin"), (PHARMACY, "Pharmacy")]
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def center_timezone_choices() -> list:
    import zoneinfo

    others = sorted(zoneinfo.available_timezones() - set(COMMON_TIMEZONES))
    return [
        ("Common", [(tz, tz.replace("_", " ")) for tz in COMMON_TIMEZONES]),
        ("All time zones", [(tz, tz.replace("_", " ")) for tz in others]),
    ]


class CenterForm(forms.ModelForm):
    class Meta:
        model = Center
        fields = [
            "name",
            "timezone",
            "phone",
            "address",
            "slot_minutes",
            "noshow_grace_minutes",
            "reminder_offsets_hours",
            "quiet_hours_start",
            "quiet_hours_end",
            "patients_per_nurse",
            "starts_per_nurse_per_window",
            "start_window_minutes",
        ]
        widgets = {"quiet_hours_start": TIME, "quiet_hours_end": TIME}
        labels = {"noshow_grace_minutes": "No-show grace period (minutes)"}
        help_texts = {"phone": "E.164 or national format, e.g. +1 617 555 0100."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"] = forms.ChoiceField(
            choices=center_timezone_choices(), help_text="Every time of this center is entered and shown in this zone."
        )
        if "reminder_offsets_hours" in self.fields:
            self.fields[
                "reminder_offsets_hours"
            ].help_text = "Hours before the appointment, comma-separated, e.g. 72,24."


class NewCenterForm(CenterForm):
    """A center and its first center admin, who gets an emailed invitation to set a password."""

    admin_username = forms.CharField(label="Admin's user name", max_length=150)
    admin_first_name = forms.CharField(label="Admin's first name", max_length=150)
    admin_last_name = forms.CharField(label="Admin's last name", max_length=150)
    admin_email = forms.EmailField(
        label="Admin's email", help_text="The invitation with a set-password link goes here."
    )

    class Meta(CenterForm.Meta):
        fields = ["name", "timezone", "phone", "address"]

    def clean_admin_username(self):
        username = self.cleaned_data["admin_username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("That user name is taken.")
        return username


class WeekdayHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int, widget=forms.HiddenInput)
    is_open = forms.BooleanField(required=False, label="Open")
    opens = forms.TimeField(required=False, widget=TIME)
    closes = forms.TimeField(required=False, widget=TIME)
    break_starts = forms.TimeField(required=False, widget=TIME, label="Break from")
    break_ends = forms.TimeField(required=False, widget=TIME, label="Break until")

    def clean(self):
        data = super().clean()
        if not data.get("is_open"):
            return data
        if not data.get("opens"):
            self.add_error("opens", "Give the opening time (or clear “Open”).")
        if not data.get("closes"):
            self.add_error("closes", "Give the closing time (or clear “Open”).")
        if self.errors:
            return data
        # The model's own rule (closing after opening, the break inside the hours), not a copy.
        keys = ("weekday", "opens", "closes", "break_starts", "break_ends")
        try:
            OpeningHours(**{k: data.get(k) for k in keys}).clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        return data

    def as_row(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("is_open"):
            return None
        keys = ("weekday", "opens", "closes", "break_starts", "break_ends")
        return {k: data.get(k) for k in keys}

    @property
    def weekday_label(self) -> str:
        value = self.initial.get("weekday", self.data.get(self.add_prefix("weekday")))
        return Weekday(int(value)).label


WeekdayHoursFormSet = forms.formset_factory(WeekdayHoursForm, extra=0, min_num=7, max_num=7, validate_max=True)


def weekly_hours_initial(center: Center) -> list[dict]:
    rows = {h.weekday: h for h in center.opening_hours.all()}
    initial = []
    for weekday in Weekday:
        h = rows.get(weekday.value)
        initial.append(
            {
                "weekday": weekday.value,
                "is_open": h is not None,
                "opens": h.opens if h else None,
                "closes": h.closes if h else None,
                "break_starts": h.break_starts if h else None,
                "break_ends": h.break_ends if h else None,
            }
        )
    return initial


class CenterScopedForm(forms.ModelForm):
    """A model form whose center is set by the page, not a field: Django would leave the center's
    unique constraints (one closure per day, unique chair labels) unchecked, so check them all."""

    def validate_unique(self):
        try:
            self.instance.validate_constraints()
        except ValidationError as error:
            self._update_errors(error)


class ClosureForm(CenterScopedForm):
    class Meta:
        model = Closure
        fields = ["date", "reason"]
        widgets = {"date": DATE}

    def __init__(self, *args, center: Center, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.center = center


class RecurringHolidayForm(CenterScopedForm):
    month = forms.TypedChoiceField(coerce=int, choices=[(m, dt.date(2000, m, 1).strftime("%B")) for m in range(1, 13)])

    class Meta:
        model = RecurringHoliday
        fields = ["name", "month", "day"]

    def __init__(self, *args, center: Center, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.center = center


class HolidayYearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)


class ChairForm(CenterScopedForm):
    features = forms.MultipleChoiceField(
        choices=ChairFeature.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    class Meta:
        model = Chair
        fields = ["label", "kind", "features"]

    def __init__(self, *args, center: Center, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.center = center


class LocalRangeForm(forms.Form):
    """A start and end entered as local date and time in the center's zone."""

    start_date = forms.DateField(widget=DATE, label="From (date)")
    start_time = forms.TimeField(widget=TIME, label="From (time)")
    end_date = forms.DateField(widget=DATE, label="Until (date)")
    end_time = forms.TimeField(widget=TIME, label="Until (time)")

    def __init__(self, *args, center: Center, **kwargs):
        super().__init__(*args, **kwargs)
        self.center = center

    def clean(self):
        data = super().clean()
        instants = {}
        for side in ("start", "end"):
            if data.get(f"{side}_date") and data.get(f"{side}_time"):
                try:
                    instants[side] = local_instant(self.center.tzinfo, data[f"{side}_date"], data[f"{side}_time"])
                except ValidationError as error:
                    self.add_error(f"{side}_time", error)
        if len(instants) == 2 and instants["end"] <= instants["start"]:
            self.add_error("end_time", "The end must be after the start.")
        data["start"], data["end"] = instants.get("start"), instants.get("end")
        return data


class ChairBlockForm(LocalRangeForm):
    reason = forms.CharField(max_length=200, initial="Maintenance")


class StaffForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(required=False, help_text="The invitation with a set-password link goes here.")
    roles = forms.MultipleChoiceField(choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to email an invitation instead (the person sets their own password).",
    )

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if password:
            validate_password(password)
        return password


class StaffRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple)


class RotaPatternForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple)
    every_weeks = forms.TypedChoiceField(
        coerce=int,
        choices=[(1, "Every week"), (2, "Every other week"), (3, "Every third week"), (4, "Every fourth week")],
    )

    class Meta:
        model = RotaPattern
        fields = ["nurse", "weekdays", "starts_at", "ends_at", "every_weeks", "first_week", "until"]
        widgets = {"starts_at": TIME, "ends_at": TIME, "first_week": DATE, "until": DATE}
        labels = {"starts_at": "Starts (local time)", "ends_at": "Ends (local time)"}

    def __init__(self, *args, center: Center, nurses, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.center = center
        self.fields["nurse"].queryset = nurses
        self.fields["nurse"].label_from_instance = lambda u: u.get_full_name() or u.username


class GenerateShiftsForm(forms.Form):
    weeks = forms.IntegerField(min_value=1, max_value=26, initial=8, label="Weeks ahead")


class ShiftForm(forms.Form):
    """A one-off shift or an exception to the pattern (a swap): the model's own validation decides."""

    nurse = forms.ModelChoiceField(queryset=User.objects.none())
    date = forms.DateField(widget=DATE)
    starts = forms.TimeField(widget=TIME, label="Starts (local time)")
    ends = forms.TimeField(widget=TIME, label="Ends (local time)")

    def __init__(self, *args, center: Center, nurses, instance: NurseShift | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            tz = center.tzinfo
            kwargs["initial"] = {
                "nurse": instance.nurse_id,
                "date": instance.start.astimezone(tz).date(),
                "starts": instance.start.astimezone(tz).time(),
                "ends": instance.end.astimezone(tz).time(),
            }
        super().__init__(*args, **kwargs)
        self.center = center
        self.instance = instance or NurseShift(center=center)
        self.fields["nurse"].queryset = nurses
        self.fields["nurse"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        tz = self.center.tzinfo
        try:
            start = local_instant(tz, data["date"], data["starts"])
            end = local_instant(tz, data["date"], data["ends"])
        except ValidationError as error:
            raise ValidationError({"starts": error.messages}) from None
        shift = self.instance
        shift.center, shift.nurse, shift.start, shift.end = self.center, data["nurse"], start, end
        try:
            shift.full_clean()
        except ValidationError as error:
            mapping = {"start": "starts", "end": "ends", "nurse": "nurse"}
            for name, messages in error.message_dict.items():
                self.add_error(mapping.get(name), messages)
        return data


class ProtocolForm(forms.ModelForm):
    class Meta:
        model = Protocol
        fields = [
            "setup_minutes",
            "premedication_minutes",
            "first_dose_infusion_minutes",
            "later_dose_infusion_minutes",
            "initial_dose_count",
            "observation_minutes",
            "interval_days",
            "interval_window_days",
            "min_days_between_doses",
            "required_chair_kind",
            "notes",
            "is_active",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():  # the comparison table draws these bare, one per cell
            if name not in ("notes", "is_active"):
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs["class"] = css


class CenterProtocolForm(forms.ModelForm):
    """The center's own chair-time components and interval; a blank field keeps the installation's value."""

    class Meta:
        model = CenterProtocolSettings
        fields = list(CENTER_PROTOCOL_FIELDS)

    def __init__(self, *args, protocol: Protocol, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.label = Protocol._meta.get_field(name).verbose_name.capitalize()
            installation = getattr(protocol, name)
            field.widget.attrs["placeholder"] = "" if installation is None else str(installation)
            field.widget.attrs["class"] = "form-control"
            field.help_text = ""


PrerequisiteFormSet = inlineformset_factory(
    Protocol,
    ProtocolPrerequisite,
    fields=["kind", "applies_to", "dose_numbers", "window_days", "min_days_before", "notes", "is_active"],
    widgets={"notes": forms.TextInput()},
    extra=1,
    can_delete=True,
)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(PATIENTS, "Patients"), (APPOINTMENTS, "Booked appointments")], widget=forms.RadioSelect
    )
    file = forms.FileField(help_text="A .csv (UTF-8) or .xlsx file whose first row names the columns.")
    override_reason = forms.CharField(
        required=False,
        max_length=255,
        label="Readiness override reason (appointments)",
        help_text="Only if doses already booked elsewhere cannot show their orders or checks yet; recorded on "
        "each appointment.",
    )
