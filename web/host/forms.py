"""The host stand's inputs. The rules are the services' (reservations.services, the booking
core): the forms only label the inputs, parse them and show the refusals next to them."""

from datetime import date

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from core.errors import Throttled
from core.throttling import client_address
from customers.login_limits import login_attempt_begin, login_attempt_succeeded

DATE_FORMATS = ["%Y-%m-%d"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
TEXT_MAX = 2000


class SignInForm(forms.Form):
    """Email and password, under the sign-in limits the API token endpoint and the admin use
    (customers.login_limits): over a limit the password is not checked."""

    # An e-mail input (a tablet shows its keyboard with "@") that password managers fill; the
    # address is still checked by authentication, not by the field.
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        self.throttled: Throttled | None = None  # the limit's refusal, when over it
        super().__init__(*args, **kwargs)

    def clean(self):
        email, password = self.cleaned_data.get("email"), self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        try:
            attempts = login_attempt_begin(email=email, address=client_address(self.request))
        except Throttled as exc:
            self.throttled = exc
            raise forms.ValidationError(
                _("Too many failed sign-in attempts. Try again in %(minutes)s minute(s)."),
                code="throttled",
                params={"minutes": exc.retry_after_minutes},
            ) from exc
        user = authenticate(self.request, username=email, password=password)
        if user is None:  # the attempt stays counted
            raise forms.ValidationError(
                _("The email or the password is not right."), code="invalid_login"
            )
        login_attempt_succeeded(attempts)
        self.user = user
        return self.cleaned_data


# The days the host stand opens: the page links the day before and after and reads the local
# day in UTC, neither of which exists at the ends of Python's calendar (a 500 before).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
SEARCH_MAX = 100


class DayForm(forms.Form):
    """The day shown and the search (the query string)."""

    date = forms.DateField(label=_("Date"), input_formats=DATE_FORMATS, required=False)
    q = forms.CharField(label=_("Search guests"), max_length=SEARCH_MAX, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].error_messages["invalid"] = _("Enter a date as YYYY-MM-DD.")

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                _("Enter a date between %(first)s and %(last)s."),
                code="date_out_of_range",
                params={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
            )
        return day


def search_text(value) -> str | None:
    """A typed search as the selectors take it: cut to its length, None when it cannot be
    searched for (a NUL character, which PostgreSQL text cannot hold)."""
    text = str(value or "")[:SEARCH_MAX]
    return None if "\x00" in text else text


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


def seating_choices(seatings) -> list[tuple[str, str]]:
    """Seatings (reservations.selectors.Seating) as choices: "3,7" for the tables joined."""
    choices = []
    for seating in seatings:
        numbers = " + ".join(table.number for table in seating.tables)
        label = _("Table %(numbers)s (%(capacity)s seats)") % {
            "numbers": numbers,
            "capacity": seating.capacity,
        }
        choices.append((",".join(str(pk) for pk in seating.table_ids), label))
    return choices


class TablesField(forms.ChoiceField):
    """One of the restaurant's seatings for the party, or none (the core picks or keeps)."""

    def to_python(self, value):
        return "" if value in self.empty_values else str(value)


def table_ids_of(value: str) -> list[int] | None:
    return [int(pk) for pk in value.split(",")] if value else None


def notice_field() -> forms.BooleanField:
    """Staff may book a start inside the restaurant's notice (never in the past), as the API's
    and the admin's ``override_notice``: only when they say so, off by default."""
    return forms.BooleanField(label=_("Allow a start inside the notice"), required=False)


class NoticeLabel:
    """Names the restaurant's notice on the checkbox's label (``notice_minutes``)."""

    def __init__(self, *args, notice_minutes: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if notice_minutes:
            self.fields["override_notice"].label = _(
                "Allow a start inside the notice (%(minutes)s minutes)"
            ) % {"minutes": notice_minutes}


class MoveForm(NoticeLabel, forms.Form):
    """A new date, time, party size or tables for a reservation (reservation_change)."""

    date = forms.DateField(label=_("Date"), input_formats=DATE_FORMATS)
    time = forms.TimeField(label=_("Time"), input_formats=TIME_FORMATS)
    override_notice = notice_field()
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=100)
    tables = TablesField(label=_("Tables"), required=False)

    def __init__(self, *args, seatings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tables"].choices = [("", _("Keep the tables")), *seating_choices(seatings)]


class RemarksForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    allergies = forms.CharField(
        label=_("Allergies"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PhoneBookingForm(NoticeLabel, forms.Form):
    """A booking a host takes by phone: the slot, the guest (one found, or a new profile) and
    the party's notes."""

    date = forms.DateField(label=_("Date"), input_formats=DATE_FORMATS)
    time = forms.TimeField(label=_("Time"), input_formats=TIME_FORMATS)
    override_notice = notice_field()
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=100)
    tables = TablesField(label=_("Tables"), required=False)
    guest_q = forms.CharField(label=_("Find the guest"), max_length=100, required=False)
    customer_id = forms.IntegerField(required=False, min_value=1)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=TEXT_MAX, required=False)
    allergies = forms.CharField(label=_("Allergies"), max_length=TEXT_MAX, required=False)

    def __init__(self, *args, seatings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tables"].choices = [("", _("Any free table")), *seating_choices(seatings)]

    def clean(self):
        data = super().clean()
        if data.get("customer_id") is None and not data.get("first_name"):
            raise forms.ValidationError(
                _("Choose the guest from the matches, or enter a new guest's name."),
                code="no_guest",
            )
        if data.get("customer_id") is None and not (data.get("email") or data.get("phone")):
            self.add_error("email", _("Enter the new guest's email or phone (or both)."))
        return data


class WalkInForm(forms.Form):
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=100)
    guest_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
