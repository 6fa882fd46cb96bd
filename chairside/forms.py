from django import forms

from chairside.models import (
    Allergy,
    InfusionReaction,
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
        fields = ["protocol", "drug", "dose", "minutes_before"]
