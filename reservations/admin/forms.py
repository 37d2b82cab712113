"""The reservation admin's add and change forms: each validates its fields, then asks the
booking core (through the admin's callers: reservations.callers) in ``clean``, so every rule
of the core (the slot, the tables, overlaps, pacing, who may ask) is the form's and each
refusal is a form error with the API's message. Nothing here writes a row; the model's own
validation is skipped because the core is this form's model validation."""

from django import forms

from core.errors import ApplicationError, ConcurrentChange
from reservations import callers, selectors
from reservations.models import Reservation
from restaurants.models import Restaurant, Table

Source = Reservation.Source

REMARKS_MAX = 2000

# The core's names for what these forms call otherwise.
FIELD_OF_DETAIL = {"restaurant_id": "restaurant", "table_ids": "tables", "table_id": "tables"}


class TableChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, *, with_restaurant: bool, **kwargs):
        self.with_restaurant = with_restaurant
        super().__init__(queryset=Table.objects.none(), **kwargs)

    def label_from_instance(self, table: Table) -> str:
        seats = f"{table.number} ({table.min_capacity}-{table.capacity} seats)"
        return f"{table.restaurant.name} · {seats}" if self.with_restaurant else seats


class CoreForm(forms.ModelForm):
    """A form whose save is the booking core's: ``admin_user`` (set by the admin per request)
    asks, ``saved`` is the reservation the core returned."""

    admin_user = None
    # The restaurants the admin's user may act at; None: all (a superuser).
    admin_scope: set[int] | None = None
    saved: Reservation | None = None

    class Meta:
        model = Reservation
        fields: list[str] = []

    override_notice = forms.BooleanField(
        required=False, help_text="Book inside the restaurant's notice (staff only)."
    )
    override_tables = forms.BooleanField(
        required=False,
        help_text="Seat the party at the chosen tables even when they are no combination.",
    )
    # The API's and the host stand's length (the core itself takes any).
    notes = forms.CharField(
        required=False, max_length=REMARKS_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    allergies = forms.CharField(
        required=False, max_length=REMARKS_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )

    def _post_clean(self):
        # The booking core validated (and made) the reservation in clean().
        pass

    def ask_core(self) -> Reservation:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.saved = self.ask_core()
        except ApplicationError as exc:
            self.add_refusal(exc)
        return cleaned

    def add_refusal(self, exc: ApplicationError) -> None:
        """The core's refusal next to the fields it names, else above the form."""
        placed = False
        for name, problems in exc.details.items():
            field = FIELD_OF_DETAIL.get(name, name)
            if field in self.fields and isinstance(problems, list):
                self.add_error(field, [str(problem) for problem in problems])
                placed = True
        if not placed:
            self.add_error(None, exc.message)


# Dates only as YYYY-MM-DD: Django's default formats also read 04/12/2026 as April 12th,
# which a manager who means the 4th of December would book without a word.
ISO_DATE = ["%Y-%m-%d"]


class ReservationAddForm(CoreForm):
    """A booking made in the admin: the staff booking of the API (source ``staff`` unless
    chosen), for the guest found or made by e-mail or phone as the restaurant's own profile."""

    restaurant = forms.ModelChoiceField(queryset=Restaurant.objects.none())
    reservation_date = forms.DateField(
        label="Date",
        help_text="The restaurant's local date, as YYYY-MM-DD.",
        input_formats=ISO_DATE,
        widget=forms.DateInput(format=ISO_DATE[0]),
    )
    reservation_time = forms.TimeField(
        label="Time",
        help_text="Local time in the restaurant's time zone, e.g. 20:30.",
        widget=forms.TimeInput(format="%H:%M"),
    )
    party_size = forms.IntegerField(min_value=1)
    tables = TableChoiceField(
        with_restaurant=True,
        required=False,
        help_text="Blank: the first free table or combination. Several: a combination.",
    )
    # Not walk-in: a party seated now is the host stand's walk-in (reservation_walk_in); the
    # core refuses source walk_in for a booking.
    source = forms.ChoiceField(
        choices=[(s.value, s.label) for s in (Source.STAFF, Source.PHONE)],
        initial=Source.STAFF,
    )
    first_name = forms.CharField(label="Guest's first name")
    last_name = forms.CharField(label="Guest's last name", required=False)
    email = forms.CharField(label="Guest's e-mail", required=False)
    phone = forms.CharField(
        label="Guest's phone", required=False, help_text="E-mail or phone finds the guest."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        restaurants = Restaurant.objects.filter(is_active=True).order_by("name")
        tables = Table.objects.filter(is_active=True, restaurant__is_active=True)
        if self.admin_scope is not None:
            restaurants = restaurants.filter(pk__in=self.admin_scope)
            tables = tables.filter(restaurant_id__in=self.admin_scope)
        self.fields["restaurant"].queryset = restaurants
        self.fields["tables"].queryset = tables.select_related("restaurant").order_by(
            "restaurant__name", "number"
        )

    def ask_core(self) -> Reservation:
        data = self.cleaned_data
        tables = data.get("tables")
        return callers.admin_reservation_book(
            user=self.admin_user,
            restaurant_id=data["restaurant"].pk,
            reservation_date=data["reservation_date"],
            reservation_time=data["reservation_time"],
            party_size=data["party_size"],
            customer={
                name: data.get(name) or "" for name in ("first_name", "last_name", "email", "phone")
            },
            table_ids=sorted(table.pk for table in tables) if tables else None,
            override_tables=data.get("override_tables", False),
            override_notice=data.get("override_notice", False),
            source=data["source"],
            notes=data.get("notes") or "",
            allergies=data.get("allergies") or "",
        )


class ReservationChangeForm(CoreForm):
    """A change of the slot (local date and time, party size, tables) or the remarks, through
    the core's change: only what the form changed is asked for."""

    reservation_date = forms.DateField(
        label="Date", input_formats=ISO_DATE, widget=forms.DateInput(format=ISO_DATE[0])
    )
    reservation_time = forms.TimeField(label="Time", widget=forms.TimeInput(format="%H:%M"))
    party_size = forms.IntegerField(min_value=1)
    tables = TableChoiceField(with_restaurant=False)

    # When the page was read: a submit over a later change would put the values read back.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    CHANGED_AS = ("reservation_date", "reservation_time", "party_size", "notes", "allergies")

    def __init__(self, *args, instance: Reservation, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        zone = instance.restaurant.timezone
        held = [table.pk for table in selectors.seating_of(instance)]
        self.initial.update(
            {name: getattr(instance, name) for name in self.CHANGED_AS},
            tables=held,
            seen=instance.updated_at.isoformat(),
        )
        self.fields["reservation_date"].help_text = f"Local date in {zone}, as YYYY-MM-DD."
        self.fields["reservation_time"].help_text = f"Local time in {zone}."
        self.fields["tables"].queryset = Table.objects.filter(
            restaurant_id=instance.restaurant_id
        ).order_by("number")

    def ask_core(self) -> Reservation:
        if self.cleaned_data.get("seen") != self.instance.updated_at.isoformat():
            raise ConcurrentChange(
                "The reservation was changed meanwhile; reload the page and make the change again."
            )
        changed = set(self.changed_data)
        data = {name: self.cleaned_data[name] for name in self.CHANGED_AS if name in changed}
        if "tables" in changed:
            data["table_ids"] = sorted(table.pk for table in self.cleaned_data["tables"])
        if not data:
            return self.instance
        return callers.admin_reservation_change(
            user=self.admin_user,
            reservation=self.instance,
            data=data,
            override_notice=self.cleaned_data.get("override_notice", False),
            override_tables=self.cleaned_data.get("override_tables", False),
        )
