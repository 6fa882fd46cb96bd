"""Patient forms: registration and editing, with reminder preferences and consent."""

from __future__ import annotations

import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row, Submit
from django import forms

from chairs.models import ChairFeature, ChairKind
from patients.models import Patient

# Time zones offered first in the list; every IANA zone is accepted.
COMMON_TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
)


def timezone_choices() -> list[tuple[str, str]]:
    others = sorted(zoneinfo.available_timezones() - set(COMMON_TIMEZONES))
    return [
        ("", "Same as the center"),
        ("Common", [(tz, tz.replace("_", " ")) for tz in COMMON_TIMEZONES]),
        ("All time zones", [(tz, tz.replace("_", " ")) for tz in others]),
    ]


class PatientForm(forms.ModelForm):
    """Create or edit a patient; the model's own ``clean`` checks consent against contact details."""

    preferred_chair_features = forms.MultipleChoiceField(
        label="Prefers chairs with",
        choices=ChairFeature.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=Patient._meta.get_field("preferred_chair_features").help_text,
    )

    class Meta:
        model = Patient
        fields = [
            "center",
            "mrn",
            "first_name",
            "last_name",
            "date_of_birth",
            "phone",
            "email",
            "preferred_language",
            "timezone",
            "reminder_channel",
            "has_reminder_consent",
            "is_sms_opted_out",
            "care_partner_name",
            "care_partner_phone",
            "care_partner_email",
            "preferred_chair_kind",
            "preferred_chair_features",
            "needs_bed",
            "notes",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "care_partner_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }
        help_texts = {
            "phone": "Mobile number for text reminders, e.g. +1 617 555 0142 (stored as +16175550142).",
            "is_sms_opted_out": "Set automatically when the patient replies STOP; clear it only when they ask "
            "to receive texts again.",
        }

    def __init__(self, *args, centers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["center"].queryset = centers
        self.fields["center"].empty_label = None
        self.fields["timezone"] = forms.ChoiceField(
            choices=timezone_choices(), required=False, help_text=Patient._meta.get_field("timezone").help_text
        )
        self.fields["mrn"].widget.attrs["autocomplete"] = "off"
        self.fields["preferred_chair_kind"].choices = [("", "No preference"), *ChairKind.choices]
        if len(centers) == 1:
            self.fields["center"].widget = forms.HiddenInput()
            if not self.instance.pk:
                self.initial.setdefault("center", centers[0].pk)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "Patient",
                "center",
                Row(Column("first_name", css_class="col-md-4"), Column("last_name", css_class="col-md-4")),
                Row(Column("mrn", css_class="col-md-4"), Column("date_of_birth", css_class="col-md-4")),
                css_class="mb-3",
            ),
            Fieldset(
                "Contact and reminders",
                Row(Column("phone", css_class="col-md-4"), Column("email", css_class="col-md-4")),
                Row(
                    Column("reminder_channel", css_class="col-md-4"),
                    Column("preferred_language", css_class="col-md-4"),
                    Column("timezone", css_class="col-md-4"),
                ),
                "has_reminder_consent",
                "is_sms_opted_out",
                css_class="mb-3",
            ),
            Fieldset(
                "Care partner",
                Row(
                    Column("care_partner_name", css_class="col-md-4"),
                    Column("care_partner_phone", css_class="col-md-4"),
                    Column("care_partner_email", css_class="col-md-4"),
                ),
                css_class="mb-3",
            ),
            Fieldset(
                "Chair",
                Row(Column("preferred_chair_kind", css_class="col-md-4"), Column("needs_bed", css_class="col-md-8")),
                "preferred_chair_features",
                css_class="mb-3",
            ),
            "notes",
            Div(
                Submit("save", "Save patient", css_class="btn-primary"),
                HTML('<a class="btn btn-link" href="{{ cancel_url }}">Cancel</a>'),
                css_class="mt-3",
            ),
        )

    def clean_mrn(self) -> str:
        return self.cleaned_data["mrn"].strip().upper()


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, MRN or date of birth", "autocomplete": "off"}
        ),
    )
