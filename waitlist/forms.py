from __future__ import annotations

import copy

from django import forms

from chairs.models import Weekday
from patients.models import Patient
from scheduling.models import Appointment, AppointmentStatus, Protocol
from waitlist.models import OfferChannel, TimeOfDay
from waitlist.services import EDITABLE_FIELDS

DATE = forms.DateInput(attrs={"type": "date"})


class WaitlistEntryForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.filter(is_active=True))
    dose_number = forms.IntegerField(min_value=1, max_value=999, initial=1)
    replaces = forms.ModelChoiceField(
        queryset=Appointment.objects.none(),
        required=False,
        label="Appointment it would replace",
        help_text="An earlier time moves this appointment instead of booking a second one.",
    )
    earliest = forms.DateField(required=False, widget=DATE, label="From", help_text="Blank: the label window.")
    latest = forms.DateField(required=False, widget=DATE, label="Until", help_text="Blank: the label window.")
    preferred_time_of_day = forms.ChoiceField(choices=TimeOfDay.choices, initial=TimeOfDay.ANY, label="Time of day")
    preferred_weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Weekdays"
    )
    channel = forms.ChoiceField(choices=OfferChannel.choices, label="Offer by")
    short_notice_minutes = forms.IntegerField(
        required=False,
        min_value=5,
        max_value=240,
        label="Can come at short notice (minutes away)",
        help_text="Blank: needs the usual notice. A number lets them be offered a time that starts that soon.",
    )
    notes = forms.CharField(required=False, max_length=255)

    def __init__(self, *args, center, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = Patient.objects.filter(center=center)
        booked = Appointment.objects.filter(
            center=center, status__in=(AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
        ).select_related("patient", "protocol")
        # The list of appointments to replace is the chosen patient's (a center's whole book is too long).
        patient_id = self.data.get("patient") or (patient.pk if patient else None)
        self.fields["replaces"].queryset = booked.filter(patient_id=patient_id) if patient_id else booked.none()
        self.fields["replaces"].label_from_instance = lambda a: f"{a.start:%a %d %b %Y %H:%M} — dose {a.dose_number}"


class WaitlistEntryChangeForm(forms.Form):
    """What staff may change on a waiting entry (``services.EDITABLE_FIELDS``, as the add form asks them);
    the dose stays."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {name: copy.deepcopy(WaitlistEntryForm.base_fields[name]) for name in EDITABLE_FIELDS}

    @classmethod
    def for_entry(cls, entry, data=None):
        return cls(data, initial={name: getattr(entry, name) for name in EDITABLE_FIELDS})


class PhoneOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("accepted", "The patient takes it"), ("declined", "The patient declined")])
