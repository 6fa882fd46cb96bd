from django import forms

from chairside.models import (
    Allergy,
    InfusionReaction,
    PremedicationGiven,
    PremedicationOrder,
    RateGiven,
    ReactionSymptom,
    VitalSigns,
)
from regimens.models import PatientWeight

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VitalsForm(forms.ModelForm):
    class Meta:
        model = VitalSigns
        fields = ["phase", "systolic", "diastolic", "pulse", "temperature_c", "respiratory_rate", "spo2"]
        labels = {
            "temperature_c": "Temperature (°C)",
            "spo2": "SpO₂ (%)",
            "systolic": "Systolic",
            "diastolic": "Diastolic",
        }


class ReactionForm(forms.ModelForm):
    symptoms = forms.MultipleChoiceField(choices=ReactionSymptom.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = InfusionReaction
        fields = ["grade", "symptoms", "action", "treatment_given", "premedication_change", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class LotForm(forms.Form):
    lot_number = forms.CharField(max_length=40)
    expires_on = forms.DateField(widget=DATE)


class RateForm(forms.ModelForm):
    class Meta:
        model = RateGiven
        fields = ["rate_ml_per_h"]
        labels = {"rate_ml_per_h": "Rate now (mL/h)"}


class WeightForm(forms.ModelForm):
    class Meta:
        model = PatientWeight
        fields = ["kg", "measured_on"]
        labels = {"kg": "Weight (kg)"}
        widgets = {"measured_on": DATE}


class AllergyForm(forms.ModelForm):
    class Meta:
        model = Allergy
        fields = ["substance", "reaction", "severity"]


class PremedicationForm(forms.ModelForm):
    class Meta:
        model = PremedicationOrder
        fields = ["protocol", "drug", "dose", "minutes_before", "window_minutes"]
        labels = {"window_minutes": "Window (± minutes)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["window_minutes"].required = False  # blank: ± 30 minutes

    def clean_window_minutes(self):
        value = self.cleaned_data.get("window_minutes")
        return 30 if value is None else value


class PremedicationGivenForm(forms.ModelForm):
    """A pre-medication given now (or at the time entered, in the center's zone), against its order."""

    given_at = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Given at", help_text="Blank: now."
    )

    class Meta:
        model = PremedicationGiven
        fields = ["order", "drug", "dose"]
        labels = {"order": "Pre-medication order", "drug": "Drug (if not ordered)", "dose": "Dose given"}

    def __init__(self, *args, orders=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].queryset = orders if orders is not None else PremedicationOrder.objects.none()
        self.fields["drug"].required = False
        self.fields["dose"].required = False

    def clean(self):
        data = super().clean()
        if not data.get("order") and not (data.get("drug") or "").strip():
            raise forms.ValidationError({"order": "Choose the order, or name the drug given."})
        return data
