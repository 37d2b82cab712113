"""The admin edits restaurants with their tables, table combinations, hours, closures, turn times
and staff inline.

Forms validate with the same rules as the services (the model's validation, plus the
cross-row rules checked over the whole inline form set), so mistakes come back as form errors.
Saves then go through the services. Should a service still refuse (a concurrent edit made the
change invalid after the forms were checked), the whole save is rolled back and the error is
shown as a message instead of a server error.

Superusers see every restaurant; a manager sees and changes only the restaurants they manage,
with all their inlines, and creates none (restaurants.admin_access, docs/admin.md).
"""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.forms.formsets import DELETION_FIELD_NAME
from django.http import HttpResponseRedirect
from django.templatetags.static import static

from accounts.models import User
from accounts.phones import normalize_phone
from core.errors import ApplicationError, InvalidEmbedOrigins, ValidationFailed
from restaurants import combinations, selectors, services
from restaurants.admin_access import (
    RestaurantScopedAdmin,
    RestaurantScopedInline,
    is_active_superuser,
)
from restaurants.embedding import EMBED_SCRIPT, embed_snippet, normalize_embed_origins
from restaurants.models import (
    MAX_COMBINATION_CAPACITY,
    Closure,
    DurationRule,
    OpeningHours,
    Restaurant,
    StaffMembership,
    Table,
    TableCombination,
)


def _adopt(target: models.Model, saved: models.Model) -> None:
    """Make the admin's own instance the row a service saved: the admin keeps using its
    instance afterwards (inline form sets point at it, the log entry names it)."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def _changed_values(form: forms.ModelForm, fields: list[str]) -> dict:
    return {name: form.cleaned_data[name] for name in form.changed_data if name in fields}


def _kept_forms(formset) -> list[forms.ModelForm]:
    """The valid forms that will be saved: neither marked for deletion nor left empty."""
    kept = []
    for form in formset.forms:
        if not form.is_valid() or form.cleaned_data.get(DELETION_FIELD_NAME):
            continue
        if form.instance.pk or form.has_changed():
            kept.append(form)
    return kept


# --- inlines --------------------------------------------------------------------------------


class RestaurantRowsFormSet(forms.BaseInlineFormSet):
    """An inline's rows are the restaurant's own: a stored row's id must be one of them.
    Django's inline checks the id against every row of the model, and a row it did not
    find among the restaurant's became a new one (another restaurant's table id in this
    page's form made a new table here, a deletion of it did nothing and said it had):
    both are refused now."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        pk_name = self.model._meta.pk.name
        if pk_name in form.fields and hasattr(form.fields[pk_name], "queryset"):
            form.fields[pk_name].queryset = self.get_queryset()

    def clean(self):
        super().clean()
        # A form marked for deletion is not validated: its id is checked here.
        for form in self.initial_forms:
            if self._should_delete_form(form) and form.instance.pk is None:
                raise forms.ValidationError(
                    "Select a valid choice. A row to delete is not one of the restaurant's."
                )


class ServiceInline(RestaurantScopedInline, admin.TabularInline):
    """An inline whose rows are written by the services; subclasses name them. Whoever may
    change the restaurant may change its rows."""

    extra = 0
    formset = RestaurantRowsFormSet
    fields_written: list[str] = []

    def get_formset(self, request, obj=None, **kwargs):
        # A new class per call: the admin's save_formset finds this inline through it.
        formset_class = super().get_formset(request, obj, **kwargs)
        formset_class.service_inline = self
        return formset_class

    def create(self, restaurant: Restaurant, data: dict) -> models.Model:
        raise NotImplementedError

    def update(self, obj: models.Model, data: dict) -> models.Model:
        raise NotImplementedError

    def delete(self, obj: models.Model) -> None:
        raise NotImplementedError

    def save_with_services(self, restaurant: Restaurant, formset) -> None:
        # Deletions first: a period deleted in the same submit frees its time for another.
        new, changed, deleted = [], [], []
        for form in formset.deleted_forms:
            if form.instance.pk:
                self.delete(form.instance)
                deleted.append(form.instance)
        for form in formset.forms:
            if form in formset.deleted_forms or not form.has_changed():
                continue
            if form.instance.pk:
                # The form already wrote its values into its instance; the service compares
                # against the stored row.
                current = type(form.instance).objects.get(pk=form.instance.pk)
                saved = self.update(current, _changed_values(form, self.fields_written))
                changed.append((saved, form.changed_data))
            else:
                data = {name: form.cleaned_data.get(name) for name in self.fields_written}
                saved = self.create(restaurant, data)
                new.append(saved)
            _adopt(form.instance, saved)
        # What Django's change message reads after formset.save().
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            new,
            changed,
            deleted,
        )


class TableInline(ServiceInline):
    """Django's admin refuses to delete a table that has reservations (they protect it), so
    the service's rule (deactivate instead) shows up as a form error here."""

    model = Table
    fields = fields_written = services.TABLE_FIELDS

    def create(self, restaurant, data):
        return services.table_create(restaurant=restaurant, **data)

    def update(self, obj, data):
        return services.table_update(table=obj, data=data)

    def delete(self, obj):
        services.table_delete(table=obj)


COMBINATION_FORM_FIELDS = ["joined_tables", "min_capacity", "capacity", "is_active"]


def _combination_data(values: dict) -> dict:
    """A combination form's values under the service's names."""
    data = dict(values)
    if "joined_tables" in data:
        data["table_ids"] = [table.pk for table in data.pop("joined_tables") or []]
    return data


def _capacity_field(help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        required=False, min_value=1, max_value=MAX_COMBINATION_CAPACITY, help_text=help_text
    )


class TableCombinationForm(forms.ModelForm):
    """The tables are chosen among the restaurant's (the through model keeps Django's own
    many-to-many field out of the form); left blank, the capacities take their defaults.
    The service's checks run in clean, so what it would refuse is a form error on its field
    here. The capacities are form fields of their own, outside the model's validation, whose
    check constraint would repeat the service's rule as an unnamed error."""

    joined_tables = forms.ModelMultipleChoiceField(
        queryset=Table.objects.none(),
        label="Tables",
        help_text="Two or more active tables of the restaurant.",
    )
    min_capacity = _capacity_field("Blank: the smallest min capacity of the tables.")
    capacity = _capacity_field("Blank: the sum of the tables' capacities.")

    class Meta:
        model = TableCombination
        fields = ["is_active"]

    def __init__(self, *args, restaurant: Restaurant | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.restaurant = restaurant if restaurant is not None and restaurant.pk else None
        if self.restaurant is not None:
            self.fields["joined_tables"].queryset = Table.objects.filter(restaurant=self.restaurant)
        if self.instance.pk:
            self.initial.update(
                joined_tables=self.instance.table_ids,
                min_capacity=self.instance.min_capacity,
                capacity=self.instance.capacity,
            )

    def clean(self):
        cleaned = super().clean()
        if self.errors or self.restaurant is None or cleaned.get(DELETION_FIELD_NAME):
            return cleaned
        existing = self.instance if self.instance.pk else None
        names = self.changed_data if existing else COMBINATION_FORM_FIELDS
        values = {name: cleaned.get(name) for name in names if name in COMBINATION_FORM_FIELDS}
        try:
            combinations.table_combination_validate(
                restaurant=self.restaurant, data=_combination_data(values), combination=existing
            )
        except ValidationFailed as exc:
            for field, problems in exc.details.items():
                name = "joined_tables" if field == "table_ids" else field
                self.add_error(name if name in self.fields else None, problems)
        return cleaned


class TableCombinationFormSet(RestaurantRowsFormSet):
    """Each form checks itself against the stored combinations; two rows of one submit that
    join the same tables are checked against each other here."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "restaurant": self.instance}

    def clean(self):
        super().clean()
        seen: set[frozenset[int]] = set()
        for form in _kept_forms(self):
            chosen = frozenset(table.pk for table in form.cleaned_data.get("joined_tables", []))
            if chosen in seen:
                form.add_error("joined_tables", "Another row joins the same tables.")
            seen.add(chosen)


class TableCombinationInline(ServiceInline):
    """Combinations of the restaurant's saved tables (a new table can join one once it is
    saved). A table in a combination cannot be deleted here (Django's check of protected
    rows): delete or change the combination first, or deactivate the table."""

    model = TableCombination
    form = TableCombinationForm
    formset = TableCombinationFormSet
    fields = fields_written = COMBINATION_FORM_FIELDS

    def create(self, restaurant, data):
        return combinations.table_combination_create(
            restaurant=restaurant, **_combination_data(data)
        )

    def update(self, obj, data):
        return combinations.table_combination_update(combination=obj, data=_combination_data(data))

    def delete(self, obj):
        combinations.table_combination_delete(combination=obj)


class OpeningHoursFormSet(RestaurantRowsFormSet):
    """The inline shows every period of the restaurant, so checking the forms against each
    other checks the restaurant's whole week."""

    def clean(self):
        super().clean()
        checked: list[OpeningHours] = []
        for form in _kept_forms(self):
            period = form.instance
            other = services.opening_hours_overlap(period, checked)
            if other is not None:
                form.add_error("opens_at", f"Overlaps the period {other}.")
            checked.append(period)


class OpeningHoursInline(ServiceInline):
    model = OpeningHours
    formset = OpeningHoursFormSet
    fields = fields_written = services.OPENING_HOURS_FIELDS

    def create(self, restaurant, data):
        return services.opening_hours_create(restaurant=restaurant, **data)

    def update(self, obj, data):
        return services.opening_hours_update(period=obj, data=data)

    def delete(self, obj):
        services.opening_hours_delete(period=obj)


class ClosureInline(ServiceInline):
    model = Closure
    fields = fields_written = services.CLOSURE_FIELDS

    def create(self, restaurant, data):
        return services.closure_create(restaurant=restaurant, **data)

    def update(self, obj, data):
        return services.closure_update(closure=obj, data=data)

    def delete(self, obj):
        services.closure_delete(closure=obj)


class DurationRuleFormSet(RestaurantRowsFormSet):
    def clean(self):
        super().clean()
        checked: list[DurationRule] = []
        for form in _kept_forms(self):
            rule = form.instance
            other = services.duration_rules_overlap(rule, checked)
            if other is not None:
                form.add_error("min_party", f"Overlaps the rule {other}.")
            checked.append(rule)


class DurationRuleInline(ServiceInline):
    model = DurationRule
    formset = DurationRuleFormSet
    fields = fields_written = services.DURATION_RULE_FIELDS

    def create(self, restaurant, data):
        return services.duration_rule_create(restaurant=restaurant, **data)

    def update(self, obj, data):
        return services.duration_rule_update(rule=obj, data=data)

    def delete(self, obj):
        services.duration_rule_delete(rule=obj)


class AccountByEmailField(forms.ModelChoiceField):
    """An active account named by its e-mail address, typed rather than chosen: a manager adds
    staff by address, as in the API, without a list or a search of every account. The account
    is the API's (``selectors.staff_candidate``: by the address's normal form, as the login
    compares it; an unknown or inactive one refused with the API's message)."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=User.objects.filter(is_active=True),
            to_field_name="email",
            widget=forms.EmailInput,
            label="E-mail",
            **kwargs,
        )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return selectors.staff_candidate(email=value)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.details["email"]) from exc


class StaffMembershipByEmailForm(forms.ModelForm):
    user = AccountByEmailField()

    class Meta:
        model = StaffMembership
        fields = ["user", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The stored value is the account's id; the field shows and compares its address.
            self.initial["user"] = self.instance.user.email


class StaffMembershipInline(ServiceInline):
    """Superusers pick the account by id (the raw-id lookup lists every account); managers,
    who see no accounts, type its e-mail address."""

    model = StaffMembership
    fields = ["user", "role"]
    fields_written = ["user", "role"]
    raw_id_fields = ["user"]

    def get_formset(self, request, obj=None, **kwargs):
        if not is_active_superuser(request.user):
            kwargs["form"] = StaffMembershipByEmailForm
        return super().get_formset(request, obj, **kwargs)

    def create(self, restaurant, data):
        return services.membership_create(
            restaurant=restaurant, user=data["user"], role=data["role"]
        )

    def update(self, obj, data):
        if "user" in data:
            # A membership belongs to one person; moving it to another is a new membership.
            services.membership_delete(membership=obj)
            return services.membership_create(
                restaurant=obj.restaurant, user=data["user"], role=data.get("role", obj.role)
            )
        return services.membership_update(membership=obj, role=data.get("role", obj.role))

    def delete(self, obj):
        services.membership_delete(membership=obj)


# --- restaurant -----------------------------------------------------------------------------


class OriginListField(forms.Field):
    """A list of origins typed one per line (blank lines and surrounding spaces ignored);
    whether each is an origin is the service's rule, checked in the form's clean."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


class RestaurantAdminForm(forms.ModelForm):
    embed_origins = OriginListField(
        required=False,
        label="Embed origins",
        help_text=(
            "One origin per line (https://www.example.com): the sites whose pages may embed "
            "the booking page. Empty: no site may."
        ),
    )

    class Meta:
        model = Restaurant
        fields = services.RESTAURANT_FIELDS

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data.get("phone", ""))
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_embed_origins(self):
        try:
            return normalize_embed_origins(self.cleaned_data.get("embed_origins", []))
        except InvalidEmbedOrigins as exc:
            raise forms.ValidationError(exc.details["embed_origins"]) from exc


@admin.register(Restaurant)
class RestaurantAdmin(RestaurantScopedAdmin, admin.ModelAdmin):
    form = RestaurantAdminForm
    restaurant_lookup = "pk"
    list_display = ["name", "slug", "timezone", "is_active", "auto_confirm"]
    list_filter = ["is_active", "auto_confirm"]
    search_fields = ["name", "slug", "address", "email"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "timezone", "is_active"]}),
        ("Contact", {"fields": ["address", "phone", "email"]}),
        (
            "Booking policy",
            {
                "fields": [
                    "slot_interval_minutes",
                    "default_duration_minutes",
                    ("min_party_size", "max_party_size"),
                    "min_notice_minutes",
                    "max_days_ahead",
                    "hold_minutes",
                    "reminder_minutes_before",
                    "auto_confirm",
                ]
            },
        ),
        ("Pacing", {"fields": [("max_covers_per_slot", "max_parties_per_slot")]}),
        ("Embedding on the restaurant's site", {"fields": ["embed_origins"]}),
        ("History", {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [
        OpeningHoursInline,
        ClosureInline,
        DurationRuleInline,
        TableInline,
        TableCombinationInline,
        StaffMembershipInline,
    ]
    actions = ["deactivate", "activate"]

    def has_add_permission(self, request):
        # A new restaurant has no manager yet: making one is a superuser's, who then names
        # its staff; a manager adding one would be widening their own scope.
        return is_active_superuser(request.user)

    def has_delete_permission(self, request, obj=None):
        # Restaurants are deactivated, never deleted: their reservations are history.
        return False

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in services.RESTAURANT_FIELDS
            if name in form.cleaned_data
        }
        if change:
            current = Restaurant.objects.get(pk=obj.pk)
            changed = {name: data[name] for name in form.changed_data if name in data}
            saved = services.restaurant_update(restaurant=current, data=changed)
        else:
            saved = services.restaurant_create(**data)
        _adopt(obj, saved)

    def save_formset(self, request, form, formset, change):
        inline = getattr(formset, "service_inline", None)
        if inline is not None:
            inline.save_with_services(form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The snippet needs the request's address, which a read-only field's callable never
        # sees: the change form's template shows it (admin/restaurants/restaurant/).
        restaurant = self.get_object(request, object_id)
        if restaurant is not None:
            script_url = request.build_absolute_uri(static(EMBED_SCRIPT))
            extra_context = {
                **(extra_context or {}),
                "embed_snippet": embed_snippet(slug=restaurant.slug, script_url=script_url),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            # Raised inside the view's transaction, so nothing of this submit was saved.
            self.message_user(request, _error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description="Deactivate the selected restaurants")
    def deactivate(self, request, queryset):
        for restaurant in queryset:
            services.restaurant_deactivate(restaurant=restaurant)
        self.message_user(request, f"{len(queryset)} restaurant(s) deactivated.")

    @admin.action(description="Activate the selected restaurants")
    def activate(self, request, queryset):
        for restaurant in queryset:
            services.restaurant_update(restaurant=restaurant, data={"is_active": True})
        self.message_user(request, f"{len(queryset)} restaurant(s) activated.")


def _error_text(exc: ApplicationError) -> str:
    problems = "; ".join(
        f"{field}: {' '.join(str(m) for m in messages_)}"
        for field, messages_ in exc.details.items()
    )
    return f"{exc.message} {problems}".strip()
