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

    def __init__(self, *args, restaurant: Restaurant, party_sizes: list[int], **kwargs):
        """``party_sizes``: the parties offered (restaurants.selectors.party_sizes_seated:
        only those a table seats; with no table in service, the policy's, and every day then
        says why nothing is free)."""
        super().__init__(*args, **kwargs)
        sizes = party_sizes or list(range(restaurant.min_party_size, restaurant.max_party_size + 1))
        self.party_sizes = sizes
        self.fields["party_size"].choices = [(n, str(n)) for n in sizes]
        self.fields["party_size"].error_messages["invalid_choice"] = _(
            "Choose a party size from %(min)s to %(max)s. For another party, please call the "
            "restaurant."
        ) % {"min": sizes[0], "max": sizes[-1]}
        self.fields["party_size"].error_messages["required"] = _("Choose a party size.")
        self.fields["date"].error_messages["invalid"] = _("Choose a date from the calendar.")
        self.fields["time"].error_messages["invalid"] = _("Choose one of the times shown.")

    def value(self, name: str):
        """The field's clean value, or None when it was not given or is not valid."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None


class DetailsForm(forms.Form):
    """The guest's details (step 3). The rules are the booking core's (reservations.callers):
    the form only labels the inputs and shows its refusals next to them. ``website`` is a
    honeypot: hidden from people, filled by simple bots."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.CharField(label=_("Email"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False)
    allergies = forms.CharField(label=_("Allergies"), max_length=2000, required=False)
    website = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].error_messages["required"] = _("Enter your first name.")
        self.fields["email"].error_messages["required"] = _(
            "Enter your email: you confirm the booking from the email we send."
        )

    @property
    def first_invalid(self) -> str:
        """The first field (in the page's order) with an error: it gets the focus."""
        return next((name for name in self.fields if name in self.errors), "")
