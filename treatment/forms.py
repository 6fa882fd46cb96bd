"""Forms for treatment plans: doctor's orders, prior authorizations, prerequisite documents, series booking."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from scheduling.models import Protocol
from treatment.models import Order, PrerequisiteDocument, PriorAuthorization

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
