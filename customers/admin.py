"""Admin for accounts (e-mail login) and guest profiles.

Django's UserAdmin assumes a ``username``; ours logs in by e-mail, so its forms, fieldsets,
list and search are re-pointed at ``email``. Account changes and guest profiles are written
through the same services as the API (customers.services), so the admin cannot store an
un-normalized phone, a second profile with the same e-mail in another case, or a login that
its guest profile does not follow.

Accounts, groups and guest profiles cross restaurants (and an account's flags grant scope),
so their admins are for superusers alone; the login lets in whom the site does
(restaurants.admin_access: superusers and restaurants' managers).
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, AuthenticationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Count

from accounts.emails import normalize_email
from accounts.models import User
from accounts.phones import normalize_phone
from core.errors import Throttled, ValidationFailed
from core.throttling import client_address
from customers.login_limits import login_attempt_begin, login_attempt_succeeded
from customers.models import Customer, GuestRecord
from customers.selectors import guest_record_refusal
from customers.services import (
    ACCOUNT_EMAIL_TAKEN,
    CONTACT_REQUIRED,
    CUSTOMER_FIELDS,
    EMAIL_TAKEN,
    PROFILE_EMAIL_TAKEN,
    USER_FIELDS,
    customer_create,
    customer_update,
    email_taken,
    guest_record_update,
    user_update,
)
from restaurants.admin_access import SuperuserOnlyAdmin, may_use_admin


def _clean_account_email(form: forms.ModelForm) -> str:
    """Lower-case the login and reject one that differs from another only in case."""
    email = normalize_email(form.cleaned_data.get("email"))
    others = User.objects.filter(email__iexact=email)
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if email and others.exists():
        raise forms.ValidationError(ACCOUNT_EMAIL_TAKEN, code="unique")
    return email


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")

    def clean_email(self):
        return _clean_account_email(self)


IS_STAFF_HELP = (
    "Not read by ReservaFlow: the admin lets in superusers and restaurants' managers, "
    "whatever this flag and the permissions below say (docs/admin.md)."
)


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "is_staff" in self.fields:
            self.fields["is_staff"].help_text = IS_STAFF_HELP

    def clean_email(self):
        email = _clean_account_email(self)
        # The rule of user_update, checked here too so the form shows it next to the field
        # (restaurants' local profiles with the address do not matter).
        own_profile = Customer.objects.filter(user_id=self.instance.pk).values_list("pk", flat=True)
        if email_taken(email, has_account=True, keeper_id=None, exclude_pk=own_profile.first()):
            raise forms.ValidationError(PROFILE_EMAIL_TAKEN, code="unique")
        return email


class AdminLoginForm(AdminAuthenticationForm):
    """The admin login under the same limits as the API token endpoint
    (customers.login_limits): over a limit the password is not checked, and the page says
    how long to wait."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": ("Too many failed sign-in attempts. Try again in %(minutes)s minute(s)."),
    }

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is None or not password:
            return super().clean()
        try:
            attempts = login_attempt_begin(email=email, address=client_address(self.request))
        except Throttled as exc:
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": exc.retry_after_minutes},
            ) from exc
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if self.user_cache is not None:  # the password was right (not staff, say)
                login_attempt_succeeded(attempts)
            raise
        login_attempt_succeeded(attempts)
        return cleaned

    def confirm_login_allowed(self, user):
        # The site's rule rather than Django's is_staff: superusers and restaurants' managers.
        AuthenticationForm.confirm_login_allowed(self, user)
        if not may_use_admin(user):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


admin.site.login_form = AdminLoginForm

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SuperuserOnlyAdmin, DjangoGroupAdmin):
    """Groups carry model permissions, which the admin does not read (docs/admin.md); kept
    for superusers who use them elsewhere."""


@admin.register(User)
class UserAdmin(SuperuserOnlyAdmin, DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = ("email", "first_name", "last_name", "is_staff", "is_superuser", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)

    def save_model(self, request, obj, form, change):
        if not change:
            # A new account has no guest profile to keep in step: Django's creation form
            # (password hashing included) saves it.
            super().save_model(request, obj, form, change)
            return
        # The form has checked user_update's rules already; a concurrent change that breaks
        # one still fails here, in the service, rather than being written. Groups and
        # permissions are saved after this by the admin (save_related).
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in USER_FIELDS}
        user_update(user=obj, data=data)


class CustomerAdminForm(forms.ModelForm):
    """Checks the rules of customers.services up front, so the admin shows them next to the
    fields instead of failing on save."""

    class Meta:
        model = Customer
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "allergies",
            "user",
            "created_by_restaurant",
        ]

    def clean(self):
        cleaned = super().clean()
        self._check_email_unique(cleaned)
        # Once saved, ``user`` is read-only in the admin and so not among the form's fields.
        user = cleaned.get("user") if "user" in self.fields else self.instance.user
        no_contact = not cleaned.get("email") and not cleaned.get("phone")
        contact_errors = "email" in self.errors or "phone" in self.errors
        if user is None and no_contact and not contact_errors:
            raise forms.ValidationError(CONTACT_REQUIRED, code="contact_required")
        return cleaned

    def clean_email(self):
        return normalize_email(self.cleaned_data.get("email"))

    def _check_email_unique(self, cleaned) -> None:
        """The rule of customers.services: one account profile per address, one local
        profile per address and keeping restaurant."""
        user = cleaned.get("user") if "user" in self.fields else self.instance.user
        keeper = (
            cleaned.get("created_by_restaurant")
            if "created_by_restaurant" in self.fields
            else self.instance.created_by_restaurant
        )
        taken = email_taken(
            cleaned.get("email") or "",
            has_account=user is not None,
            keeper_id=keeper.pk if keeper is not None else None,
            exclude_pk=self.instance.pk,
        )
        if taken:
            self.add_error("email", forms.ValidationError(EMAIL_TAKEN, code="unique"))

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data.get("phone"))
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message, code="invalid") from exc


@admin.register(Customer)
class CustomerAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = (
        "__str__",
        "email",
        "phone",
        "has_account",
        "created_by_restaurant",
        "reservations_count",
        "created_at",
    )
    list_select_related = ("created_by_restaurant",)
    search_fields = ("first_name", "last_name", "email", "phone")
    list_filter = ("created_by_restaurant",)
    raw_id_fields = ("user", "created_by_restaurant")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(reservation_total=Count("reservations"))

    def get_readonly_fields(self, request, obj=None):
        # The account link is made by registration (customers.services.user_register) and
        # the creating restaurant is history: both are shown, not edited, once saved.
        if obj is None:
            return self.readonly_fields
        fields = (*self.readonly_fields, "user", "created_by_restaurant")
        # Notes from before guest records that no restaurant could read (migration
        # customers 0003): shown, read-only, to superusers and nobody else.
        if request.user.is_superuser:
            fields = (*fields, "legacy_notes")
        return fields

    @admin.display(boolean=True, description="Account")
    def has_account(self, obj: Customer) -> bool:
        return obj.user_id is not None

    @admin.display(description="Reservations", ordering="reservation_total")
    def reservations_count(self, obj: Customer) -> int:
        return obj.reservation_total

    def save_model(self, request, obj, form, change):
        # The form has checked the services' rules already; a concurrent change that breaks
        # one still fails here, in the service, rather than being written.
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data if f in CUSTOMER_FIELDS}
            saved = customer_update(customer=obj, data=data)
        else:
            saved = customer_create(
                **{f: form.cleaned_data.get(f, "") for f in CUSTOMER_FIELDS},
                user=form.cleaned_data.get("user"),
                created_by_restaurant=form.cleaned_data.get("created_by_restaurant"),
            )
        # The admin goes on with ``obj`` (its log entry and redirect need the saved pk).
        obj.pk = saved.pk
        obj.created_at = saved.created_at
        obj.updated_at = saved.updated_at


class GuestRecordAdminForm(forms.ModelForm):
    """Checks ``guest_record_update``'s rule up front (a restaurant records notes only about
    its own guests), so the admin shows it next to the guest instead of failing on save."""

    class Meta:
        model = GuestRecord
        fields = ["restaurant", "customer", "notes"]

    def clean(self):
        cleaned = super().clean()
        # Once saved, restaurant and customer are read-only and so not among the fields.
        restaurant_id = cleaned["restaurant"].pk if cleaned.get("restaurant") else None
        customer_id = cleaned["customer"].pk if cleaned.get("customer") else None
        if self.instance.pk:
            restaurant_id, customer_id = self.instance.restaurant_id, self.instance.customer_id
        if restaurant_id is not None and customer_id is not None:
            refusal = guest_record_refusal(restaurant_id=restaurant_id, customer_id=customer_id)
            if refusal is not None:
                self.add_error("customer" if "customer" in self.fields else None, refusal.message)
        return cleaned


@admin.register(GuestRecord)
class GuestRecordAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """What each restaurant records about a guest, for the operator. Saved through
    ``guest_record_update`` like the API's records, so only about the restaurant's guests."""

    form = GuestRecordAdminForm
    list_display = ("customer", "restaurant", "updated_at")
    list_select_related = ("customer", "restaurant")
    list_filter = ("restaurant",)
    search_fields = ("customer__first_name", "customer__last_name", "customer__email")
    raw_id_fields = ("restaurant", "customer")
    fields = ("restaurant", "customer", "notes", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        # Whose record about whom is fixed once saved.
        if obj is not None:
            return (*self.readonly_fields, "restaurant", "customer")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        saved = guest_record_update(
            restaurant=obj.restaurant, customer=obj.customer, notes=form.cleaned_data["notes"]
        )
        obj.pk = saved.pk
        obj.created_at = saved.created_at
        obj.updated_at = saved.updated_at
