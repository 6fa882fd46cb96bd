"""The subscription form of the center setup's webhooks page."""

from __future__ import annotations

from django import forms
from django.conf import settings

from webhooks.models import EventType, Subscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label="Receiver URL", max_length=500, assume_scheme="https", help_text="Events are POSTed here as JSON."
    )
    events = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple, help_text="The events sent to this receiver."
    )

    class Meta:
        model = Subscription
        fields = ["name", "url", "events", "is_clinical", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if getattr(settings, "IS_PRODUCTION", False) and not url.startswith("https://"):
            raise forms.ValidationError("Use an https:// address: events carry patient identifiers.")
        return url
