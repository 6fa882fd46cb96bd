"""Forms for treatment plans: doctor's orders, prior authorizations, prerequisite documents, series booking."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from scheduling.models import Protocol
from treatment.models import (
    DenialReason,
    MedicationHistory,
    Order,
    PeerToPeerOutcome,
    PrerequisiteDocument,
    PriorAuthorization,
)
from treatment.services import STAGE_DERIVED_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _helper(*rows, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*rows, Submit("save", submit))
    return helper


class OrderForm(forms.ModelForm):
    class Meta:
        model = Order
        fields = [
            "protocol",
            "ordering_provider",
            "dose_count",
            "first_dose_number",
            "start_date",
            "valid_until",
            "is_active",
            "notes",
        ]
        widgets = {"start_date": DATE, "valid_until": DATE, "notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"is_active": "Order is active"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        protocols = Protocol.objects.filter(is_active=True)
        if self.instance.pk:
            protocols = Protocol.objects.filter(pk=self.instance.protocol_id) | protocols
        self.fields["protocol"].queryset = protocols.distinct()
        self.helper = _helper(
            Row(Column("protocol"), Column("ordering_provider")),
            Row(Column("dose_count"), Column("first_dose_number")),
            Row(Column("start_date"), Column("valid_until")),
            "is_active",
            "notes",
            submit="Save order",
        )


class AuthorizationForm(forms.ModelForm):
    class Meta:
        model = PriorAuthorization
        fields = ["payer", "reference_number", "status", "approved_from", "approved_until", "approved_visits", "notes"]
        widgets = {"approved_from": DATE, "approved_until": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.stage:
            # Once stages are recorded the status follows them (treatment.authorizations.record_stage).
            for name in STAGE_DERIVED_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Follows the recorded stages."
        self.helper = _helper(
            Row(Column("payer"), Column("reference_number"), Column("status")),
            Row(Column("approved_from"), Column("approved_until"), Column("approved_visits")),
            "notes",
            submit="Save authorization",
        )


class DocumentForm(forms.ModelForm):
    class Meta:
        model = PrerequisiteDocument
        fields = ["kind", "performed_on", "result", "notes"]
        widgets = {"performed_on": DATE, "notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"kind": "Type", "performed_on": "Date"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Row(Column("kind"), Column("performed_on"), Column("result")), "notes", submit="Save document"
        )


class WorkQueueFilterForm(forms.Form):
    """Narrow the work queue to one day, one kind of missing item, one protocol."""

    date = forms.DateField(required=False, widget=DATE, label="Day")
    kind = forms.ChoiceField(required=False, label="Missing", choices=())
    protocol = forms.ModelChoiceField(
        queryset=Protocol.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="Any protocol",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, kinds: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Anything"), *kinds.items()]


# --- The prior-authorization workflow ---------------------------------------------------------------

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class StageForm(forms.Form):
    """Record the next stage; only the stages the workflow allows now are offered."""

    stage = forms.ChoiceField(label="Stage")
    occurred_on = forms.DateField(label="Date", widget=DATE, required=False, help_text="Blank: today.")
    due_on = forms.DateField(
        label="Next step due", widget=DATE, required=False, help_text="Blank: the usual deadline for this stage."
    )
    peer_to_peer_date = forms.DateField(label="Peer-to-peer date", widget=DATE, required=False)
    peer_to_peer_time = forms.TimeField(label="Peer-to-peer time", widget=TIME, required=False)
    reviewer = forms.CharField(max_length=120, required=False, label="Payer's reviewer")
    outcome = forms.ChoiceField(required=False, label="Peer-to-peer outcome")
    denial_reason = forms.ChoiceField(required=False, label="Denial reason")
    approved_from = forms.DateField(widget=DATE, required=False)
    approved_until = forms.DateField(widget=DATE, required=False)
    approved_visits = forms.IntegerField(min_value=1, max_value=500, required=False)
    reference_number = forms.CharField(max_length=64, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = choices
        self.fields["outcome"].choices = [("", "—"), *PeerToPeerOutcome.choices]
        self.fields["denial_reason"].choices = [("", "—"), *DenialReason.choices]
        self.helper = _helper(
            Row(Column("stage"), Column("occurred_on"), Column("due_on"), Column("reference_number")),
            Row(Column("peer_to_peer_date"), Column("peer_to_peer_time"), Column("reviewer"), Column("outcome")),
            Row(Column("denial_reason"), Column("approved_from"), Column("approved_until"), Column("approved_visits")),
            "note",
            submit="Record stage",
        )


class HoldForm(forms.Form):
    """Hold the first dose tentatively on a chair at a local date and time."""

    chair = forms.ModelChoiceField(queryset=None)  # type: ignore[arg-type]  # set per center
    day = forms.DateField(label="Date", widget=DATE)
    time = forms.TimeField(widget=TIME)

    def __init__(self, *args, chairs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = chairs
        self.helper = _helper(Row(Column("chair"), Column("day"), Column("time")), submit="Hold the first dose")


class MedicationForm(forms.ModelForm):
    class Meta:
        model = MedicationHistory
        fields = ["therapy", "started_on", "ended_on", "outcome", "notes"]
        widgets = {"started_on": DATE, "ended_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Row(Column("therapy"), Column("outcome")),
            Row(Column("started_on"), Column("ended_on")),
            "notes",
            submit="Save",
        )
