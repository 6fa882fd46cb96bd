"""Forms of the nurses' booking pages: the slot finder, a chosen slot, and cancelling."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from chairs.models import Weekday
from scheduling.models import CancelledBy

MAX_RANGE_DAYS = 90
DEFAULT_RANGE_DAYS = 14
MAX_DOSE_NUMBER = 100

TIME_OF_DAY_CHOICES = [("any", "Any time"), ("morning", "Morning"), ("afternoon", "Afternoon")]
WEEKDAY_CHOICES = [(str(value), label[:3]) for value, label in Weekday.choices]


class SlotSearchForm(forms.Form):
    """What the nurse is looking for; the patient comes from the search-as-you-type picker."""

    patient = forms.ModelChoiceField(
        queryset=None,
        widget=forms.HiddenInput,
        error_messages={
            "required": "Pick a patient first: type a name, MRN or date of birth and choose from the list.",
            "invalid_choice": "That patient is not registered at your center.",
        },
    )
    protocol = forms.ModelChoiceField(queryset=None, empty_label="Choose a protocol…")
    dose_number = forms.IntegerField(
        label="Dose number",
        min_value=1,
        max_value=MAX_DOSE_NUMBER,
        initial=1,
        help_text="1 for the first dose; first doses may take longer.",
    )
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time_of_day = forms.ChoiceField(label="Preferred time", choices=TIME_OF_DAY_CHOICES, initial="any", required=False)
    weekdays = forms.MultipleChoiceField(
        label="Preferred weekdays",
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for any day.",
    )

    def __init__(self, *args, patients, protocols, fixed_patient: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients
        self.fields["protocol"].queryset = protocols
        self.fields["protocol"].label_from_instance = lambda p: (
            f"{p.name} ({p.code.upper()})" + (f" — {p.brand}" if p.brand else "")
        )
        if fixed_patient:
            for name in ("patient", "protocol", "dose_number"):
                self.fields[name].disabled = True

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to:
            if date_to < date_from:
                self.add_error("date_to", "The end date must be on or after the start date.")
            elif (date_to - date_from).days >= MAX_RANGE_DAYS:
                self.add_error("date_to", f"Search at most {MAX_RANGE_DAYS} days at a time.")
        return data

    @property
    def weekday_set(self) -> frozenset[int] | None:
        chosen = self.cleaned_data.get("weekdays") or []
        return frozenset(int(day) for day in chosen) or None

    @staticmethod
    def default_dates(today: dt.date | None = None) -> dict[str, dt.date]:
        today = today or timezone.localdate()
        return {"date_from": today, "date_to": today + dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)}


class ChosenSlotForm(forms.Form):
    """A candidate the nurse picked: which chair, when (an ISO 8601 time with its offset)."""

    chair = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    start = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, chairs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = chairs

    def clean_start(self) -> dt.datetime:
        text = self.cleaned_data["start"].strip().replace(" ", "+")
        try:
            start = dt.datetime.fromisoformat(text)
        except ValueError as error:
            raise forms.ValidationError("That start time is not a valid date and time.") from error
        if timezone.is_naive(start):
            raise forms.ValidationError("The start time must include its time zone offset.")
        return start


class CancelForm(forms.Form):
    cancelled_by = forms.ChoiceField(
        label="Who cancelled?",
        choices=CancelledBy.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the patient or the center cancelled."},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "e.g. patient unwell, rescheduling"}),
    )
