"""Writes for accounts and guest profiles.

Rules every function here enforces:
- e-mail addresses are stored stripped and lower-case, and a guest profile's e-mail is unique
  without regard to case (the database's ``customer_email_ci_unique`` is the final guard; a
  clash is a 400 naming ``email``, also when a concurrent insert wins the race);
- phone numbers are stored in E.164 (``customers.phones.normalize_phone``);
- a profile without an account must keep a way to reach the guest: an e-mail or a phone;
- a profile linked to an account takes its e-mail from the account (the login), so the
  profile's e-mail cannot be changed on its own, and changing the login changes it
  (``user_update``);
- staff notes belong to the restaurant that created the profile
  (``customers.selectors.may_keep_notes``).

There is no e-mail verification yet: registering with an address proves nothing about owning
it. So registration never links an existing profile (``user_register``), and a restaurant's
booking never reaches or changes another restaurant's guest (``customer_find_or_create``).
"""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from core.errors import ValidationFailed
from core.validation import apply_changes, validate_instance
from customers.models import Customer, User
from customers.phones import normalize_phone
from customers.selectors import customers_known_to, may_keep_notes

CUSTOMER_FIELDS = ["first_name", "last_name", "email", "phone", "notes", "allergies"]
USER_FIELDS = [
    "email",
    "first_name",
    "last_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "last_login",
    "date_joined",
]

EMAIL_TAKEN = "A customer with this e-mail address already exists."
ACCOUNT_EMAIL_TAKEN = "An account with this e-mail address already exists."
PROFILE_EMAIL_TAKEN = "A guest profile with this e-mail address already exists."
REGISTER_PROFILE_EXISTS = (
    "A guest profile with this e-mail address already exists (a restaurant booked you with "
    "it); that restaurant can link it to an account."
)
OTHER_RESTAURANTS_EMAIL = (
    "This e-mail address belongs to a guest profile of another restaurant; book the guest "
    "with their phone only or another address."
)
NOTES_NOT_YOURS = "Notes belong to the restaurant that created the profile."
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


def _in_booking_scope(customer: Customer, restaurant) -> bool:
    """Whether ``restaurant``'s booking may use ``customer`` found by e-mail: its own guest
    (it created the profile or the guest has a reservation there) or a registered guest."""
    if customer.user_id is not None:
        return True
    return customers_known_to({restaurant.pk}).filter(pk=customer.pk).exists()


def _guest_by_email(*, restaurant, email: str) -> Customer | None:
    found = Customer.objects.filter(email__iexact=email).first()
    if found is not None and not _in_booking_scope(found, restaurant):
        raise ValidationFailed.field("customer", OTHER_RESTAURANTS_EMAIL)
    return found


@transaction.atomic
def customer_find_or_create(
    *,
    restaurant,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
) -> Customer:
    """The guest of ``restaurant``'s staff booking. Never changes a profile it finds, and
    finds only profiles ``restaurant`` may book for, so a typed e-mail or phone can neither
    reveal nor alter another restaurant's guest:

    - with an e-mail (any case): the profile with that address, when it is ``restaurant``'s
      guest (it created the profile, or the guest has a reservation there) or a registered
      guest (an account holder's address is theirs). E-mails are unique, so a standalone
      profile of another restaurant with that address is a 400 naming ``customer``, not a
      match and not a second profile. No profile with it: a new one (the phone is not used
      to match, since the profile found could not record the e-mail given; to add an
      e-mail to a known guest, change their profile);
    - with a phone only: the oldest profile with that E.164 phone among ``restaurant``'s
      guests; a phone elsewhere is no match (phones are shared and not unique), so a new
      profile is made and the other restaurant's is left as it is;
    - a new profile is created by ``restaurant`` with the names, e-mail and phone given.

    At least one of e-mail and phone is required (400 naming ``customer``)."""
    email = normalize_email(email)
    phone = normalize_phone(phone)
    if not email and not phone:
        raise ValidationFailed.field("customer", "Give the guest's e-mail address or phone number.")
    if email:
        found = _guest_by_email(restaurant=restaurant, email=email)
    else:
        found = (
            customers_known_to({restaurant.pk})
            .filter(phone=phone)
            .order_by("created_at", "pk")
            .first()
        )
    if found is not None:
        return found
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
        # A concurrent booking created a profile with this e-mail between our look-up and
        # insert: the same rules decide whether it is ours to use.
        if email and "email" in exc.details:
            found = _guest_by_email(restaurant=restaurant, email=email)
            if found is not None:
                return found
        raise


@transaction.atomic
def customer_update(
    *, customer: Customer, data: dict[str, Any], staff_user: User | None = None
) -> Customer:
    """Change a profile's fields (only the keys present in ``data``). The e-mail stays unique
    without regard to case; a profile linked to an account keeps the account's e-mail; a
    profile without an account keeps an e-mail or a phone. ``staff_user`` is the staff member
    making the change through the API: ``notes`` are then theirs to set only if
    ``may_keep_notes`` (a superuser, or the staff of the restaurant that created the
    profile), else a 400 naming ``notes``. The admin (the operator's tool) and a guest's own
    edit (which cannot send notes) pass none. Returns the saved profile."""
    unknown = set(data) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationFailed(details={f: ["Unknown field."] for f in sorted(unknown)})
    if "notes" in data and staff_user is not None and not may_keep_notes(staff_user, customer):
        raise ValidationFailed.field("notes", NOTES_NOT_YOURS)
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

    Django's password validators apply (400 naming ``password``). An e-mail that already has
    an account is a 400 naming ``email``, and so is one that a guest profile already has,
    linked or not: without e-mail verification, registering an address proves nothing, and
    linking a restaurant's profile to whoever registers it first would hand them that
    guest's phone, allergies and reservations (with their manage links). Linking such a
    profile to an account waits for e-mail verification.
    """
    email = normalize_email(email)
    first_name = (first_name or "").strip()
    last_name = (last_name or "").strip()
    phone = normalize_phone(phone)

    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed.field("email", ACCOUNT_EMAIL_TAKEN)
    if _email_taken(email):
        raise ValidationFailed.field("email", REGISTER_PROFILE_EXISTS)
    user = User(email=email, first_name=first_name, last_name=last_name)
    validate_instance(user, exclude=["password"])
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(details={"password": list(exc.messages)}) from exc

    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration of the same address
        raise ValidationFailed.field("email", ACCOUNT_EMAIL_TAKEN) from exc
    # A profile with this e-mail made since the check above (a concurrent staff booking)
    # makes customer_create fail with 400 naming ``email``, and the account rolls back.
    return customer_create(
        first_name=first_name, last_name=last_name, email=email, phone=phone, user=user
    )


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Change an account's fields (only the keys present in ``data``, among USER_FIELDS).

    The e-mail is the login: stored lower-case, unique among accounts without regard to
    case, and not the e-mail of a guest profile other than the account's own (400 naming
    ``email``). The account's guest profile takes the new e-mail in the same transaction,
    since messages to the guest go to the profile's address. Returns the saved account."""
    unknown = set(data) - set(USER_FIELDS)
    if unknown:
        raise ValidationFailed(details={f: ["Unknown field."] for f in sorted(unknown)})
    # Checked against the stored rows, locked (an admin form has changed ``user`` in memory).
    user = User.objects.select_for_update().get(pk=user.pk)
    profile = Customer.objects.select_for_update().filter(user=user).first()
    data = dict(data)
    for name in ("first_name", "last_name"):
        if name in data:
            data[name] = (data[name] or "").strip()
    if "email" in data:
        data["email"] = normalize_email(data["email"])
        if User.objects.filter(email__iexact=data["email"]).exclude(pk=user.pk).exists():
            raise ValidationFailed.field("email", ACCOUNT_EMAIL_TAKEN)
        if _email_taken(data["email"], exclude_pk=profile.pk if profile else None):
            raise ValidationFailed.field("email", PROFILE_EMAIL_TAKEN)

    changed = apply_changes(user, data, USER_FIELDS)
    if not changed:
        return user
    validate_instance(user, exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent change or registration took the address
        raise ValidationFailed.field("email", ACCOUNT_EMAIL_TAKEN) from exc
    if profile is not None and profile.email != user.email:
        profile.email = user.email
        _save_customer(profile)
    return user
