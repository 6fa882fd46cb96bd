from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
    )


class AuthenticatorCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=10,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="The 6 digits the app shows for this account after you scanned the code.",
    )
