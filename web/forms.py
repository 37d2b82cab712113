"""The booking page's inputs: what the guest chose so far (the query string) and their details."""

from django import forms
from django.utils.translation import gettext_lazy as _

from restaurants.models import Restaurant


class ChoiceForm(forms.Form):
    """``party_size``, ``date`` and ``time`` of a deep link or of the steps; ``month`` pages
    the calendar. Each is checked on its own so a bad one sends the guest to its own step."""

    party_size = forms.TypedChoiceField(label=_("Party size"), coerce=int)
    date = forms.DateField(label=_("Date"), input_formats=["%Y-%m-%d"], required=False)
    time = forms.TimeField(label=_("Time"), input_formats=["%H:%M", "%H:%M:%S"], required=False)
    month = forms.RegexField(regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$", required=False)

    def __init__(self, *args, restaurant: Restaurant, **kwargs):
        super().__init__(*args, **kwargs)
        sizes = range(restaurant.min_party_size, restaurant.max_party_size + 1)
        self.fields["party_size"].choices = [(n, str(n)) for n in sizes]
        self.fields["party_size"].error_messages["invalid_choice"] = _(
            "Choose a party size from %(min)s to %(max)s."
        ) % {"min": restaurant.min_party_size, "max": restaurant.max_party_size}
        self.fields["party_size"].error_messages["required"] = _("Choose a party size.")
        self.fields["date"].error_messages["invalid"] = _("Choose a date from the calendar.")
        self.fields["time"].error_messages["invalid"] = _("Choose one of the times shown.")

    def value(self, name: str):
        """The field's clean value, or None when it was not given or is not valid."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None
