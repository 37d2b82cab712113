"""Writes for accounts and guest profiles.

Rules every function here enforces:
- e-mail addresses are stored stripped and lower-case, and a guest profile's e-mail is unique
  without regard to case (the database's ``customer_email_ci_unique`` is the final guard; a
  clash is a 400 naming ``email``, also when a concurrent insert wins the race);
- phone numbers are stored in E.164 (``customers.phones.normalize_phone``);
- a profile without an account must keep a way to reach the guest: an e-mail or a phone;
- a profile linked to an account takes its e-mail from the account (the login), so the
  profile's e-mail cannot be changed on its own.

There is no e-mail verification yet: registering with an address proves nothing about owning
it. See ``user_register`` for what that means for staff-created profiles.
"""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from core.errors import ValidationFailed
from core.validation import apply_changes, validate_instance
from customers.models import Customer, User
from customers.phones import normalize_phone

CUSTOMER_FIELDS = ["first_name", "last_name", "email", "phone", "notes", "allergies"]

EMAIL_TAKEN = "A customer with this e-mail address already exists."
ACCOUNT_EMAIL_TAKEN = "An account with this e-mail address already exists."
CONTACT_REQUIRED = "Give an e-mail address or a phone number so the guest can be reached."


def normalize_email(value: str | None) -> str:
    return (value or "").strip().lower()


def _email_taken(email: str, *, exclude_pk: int | None = None) -> bool:
    if not email:
        return False
    qs = Customer.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _contact_required_error() -> ValidationFailed:
    return ValidationFailed(
        CONTACT_REQUIRED, details={"email": [CONTACT_REQUIRED], "phone": [CONTACT_REQUIRED]}
    )


def _save_customer(customer: Customer) -> Customer:
    """Validate and save; the e-mail clash the pre-check missed (a concurrent insert) is
    still a 400 naming ``email``, never a 500."""
    # The unique e-mail is checked by hand (with a field-named message) before this; the
    # expression constraint would otherwise be reported as a non-field error.
    try:
        customer.full_clean(validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationFailed(details=exc.message_dict) from exc
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        raise ValidationFailed.field("email", EMAIL_TAKEN) from exc
    return customer


@transaction.atomic
def customer_create(
    *,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
    notes: str = "",
    allergies: str = "",
    user: User | None = None,
    created_by_restaurant=None,
) -> Customer:
    """Create a guest profile. The e-mail is lower-cased and must not belong to another
    profile; the phone is stored in E.164. A profile without an account (staff-created)
    needs an e-mail or a phone."""
    email = normalize_email(email)
    phone = normalize_phone(phone)
    if user is None and not email and not phone:
        raise _contact_required_error()
    if _email_taken(email):
        raise ValidationFailed.field("email", EMAIL_TAKEN)
    customer = Customer(
        user=user,
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
        email=email,
        phone=phone,
        notes=notes or "",
        allergies=allergies or "",
        created_by_restaurant=created_by_restaurant,
    )
    return _save_customer(customer)


def _complete_contact(customer: Customer, *, email: str, phone: str) -> Customer:
    """Fill the profile's blank e-mail or phone with the one just given; never overwrite."""
    data = {}
    if email and not customer.email:
        data["email"] = email
    if phone and not customer.phone:
        data["phone"] = phone
    return customer_update(customer=customer, data=data) if data else customer


@transaction.atomic
def customer_find_or_create(
    *,
    restaurant,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
) -> Customer:
    """The guest of a staff booking: the profile with this e-mail (any case); else, the
    profile with this E.164 phone (the oldest one; when an e-mail was given, only one without
    an e-mail of its own, so two people sharing a phone are not merged); else a new profile
    created by ``restaurant``. A profile found keeps what it records (names, notes, its
    e-mail and phone); only a blank e-mail or phone is filled with the one given, so the guest
    can be reached. At least one of e-mail and phone is required (400 naming ``customer``)."""
    email = normalize_email(email)
    phone = normalize_phone(phone)
    if not email and not phone:
        raise ValidationFailed.field("customer", "Give the guest's e-mail address or phone number.")
    found = None
    if email:
        found = Customer.objects.filter(email__iexact=email).first()
    if found is None and phone:
        by_phone = Customer.objects.filter(phone=phone)
        if email:
            by_phone = by_phone.filter(email="")
        found = by_phone.order_by("created_at", "pk").first()
    if found is not None:
        return _complete_contact(found, email=email, phone=phone)
    try:
        with transaction.atomic():
            return customer_create(
                first_name=first_name,
                last_name=last_name,
                email=email,
                phone=phone,
                created_by_restaurant=restaurant,
            )
    except ValidationFailed as exc:
        # A concurrent booking created the same guest between our look-up and insert.
        if email and "email" in exc.details:
            found = Customer.objects.filter(email__iexact=email).first()
            if found is not None:
                return found
        raise


@transaction.atomic
def customer_update(*, customer: Customer, data: dict[str, Any]) -> Customer:
    """Change a profile's fields (only the keys present in ``data``). The e-mail stays unique
    without regard to case; a profile linked to an account keeps the account's e-mail; a
    profile without an account keeps an e-mail or a phone. Returns the saved profile."""
    unknown = set(data) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationFailed(details={f: ["Unknown field."] for f in sorted(unknown)})
    # Rules are checked against the stored row, locked, not against ``customer`` (which a
    # caller such as an admin form may already have changed in memory).
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    data = dict(data)
    for name in ("first_name", "last_name"):
        if name in data:
            data[name] = (data[name] or "").strip()
    for name in ("notes", "allergies"):
        if name in data:
            data[name] = data[name] or ""
    if "email" in data:
        data["email"] = normalize_email(data["email"])
        if customer.user_id is not None and data["email"] != customer.email:
            raise ValidationFailed.field(
                "email", "This profile's e-mail is its account's login and cannot change here."
            )
        if _email_taken(data["email"], exclude_pk=customer.pk):
            raise ValidationFailed.field("email", EMAIL_TAKEN)
    if "phone" in data:
        data["phone"] = normalize_phone(data["phone"])

    changed = apply_changes(customer, data, CUSTOMER_FIELDS)
    if customer.user_id is None and not customer.email and not customer.phone:
        raise _contact_required_error()
    if changed:
        _save_customer(customer)
    return customer


@transaction.atomic
def user_register(
    *, email: str, password: str, first_name: str, last_name: str, phone: str = ""
) -> Customer:
    """Create an account (e-mail login) and its guest profile in one transaction.

    Django's password validators apply (400 naming ``password``); an e-mail that already
    has an account is a 400 naming ``email``. When staff already created a standalone
    profile with this e-mail (a phone booking), the new account takes that profile over
    instead of failing: the guest keeps their booking history, and the names (and the phone,
    when given) become the ones the guest typed. There is no e-mail verification yet, so
    whoever registers an address first gets that profile; staff notes are never shown to
    guests, so what they can read is their name, phone, allergies and reservations.
    """
    email = normalize_email(email)
    first_name = (first_name or "").strip()
    last_name = (last_name or "").strip()
    phone = normalize_phone(phone)

    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed.field("email", ACCOUNT_EMAIL_TAKEN)
    user = User(email=email, first_name=first_name, last_name=last_name)
    validate_instance(user, exclude=["password"])
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(details={"password": list(exc.messages)}) from exc

    existing = Customer.objects.select_for_update().filter(email__iexact=email).first()
    if existing is not None and existing.user_id is not None:
        raise ValidationFailed.field("email", ACCOUNT_EMAIL_TAKEN)

    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration of the same address
        raise ValidationFailed.field("email", ACCOUNT_EMAIL_TAKEN) from exc

    if existing is None:
        return customer_create(
            first_name=first_name, last_name=last_name, email=email, phone=phone, user=user
        )
    existing.user = user
    existing.first_name = first_name
    existing.last_name = last_name
    if phone:
        existing.phone = phone
    return _save_customer(existing)
