"""Writes for accounts and guest profiles.

Rules every function here enforces:
- e-mail addresses are stored stripped and lower-case; an address has at most one account
  profile and at most one local profile per restaurant, without regard to case (the
  database's ``customer_account_email_ci_unique`` and ``customer_local_email_ci_unique`` are
  the final guards; a clash is a 400 naming ``email``, also when a concurrent insert wins the
  race). An account and any number of restaurants may each have a profile with one address;
- phone numbers are stored in E.164 (``accounts.phones.normalize_phone``);
- a profile without an account must keep a way to reach the guest: an e-mail or a phone,
  except a walk-in's (``customer_create_walk_in``): a guest seated at the door who gave
  neither gets a profile of their own that nothing matches by e-mail or phone;
- a profile linked to an account takes its e-mail from the account (the login), so the
  profile's e-mail cannot be changed on its own, and changing the login changes it
  (``user_update``);
- only a profile's owner changes it: the guest their account profile, the keeping
  restaurant's staff its local profile (``customers.selectors.staff_edit_refusal``);
- what a restaurant records about a guest is its own ``GuestRecord``, and only about its own
  guests (``guest_record_update``).

There is no e-mail verification yet: registering with an address proves nothing about owning
it. So registration never links an existing profile (``user_register``), and a booking that
names its guest by e-mail or phone always goes to the restaurant's own local profile, never to
an account's profile or another restaurant's guest (``customer_find_or_create``).
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from accounts.emails import normalize_email
from accounts.models import User
from accounts.phones import normalize_phone
from core.errors import ValidationFailed
from core.events import publish
from core.throttling import AttemptLimit
from core.validation import apply_changes, validate_instance
from customers.events import GuestProfileChanged
from customers.models import Customer, GuestRecord
from customers.selectors import (
    guest_record_refusal,
    local_profiles_kept_by,
    staff_edit_refusal,
)

CUSTOMER_FIELDS = ["first_name", "last_name", "email", "phone", "allergies"]
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
CONTACT_REQUIRED = "Give an e-mail address or a phone number so the guest can be reached."


def email_taken(
    email: str, *, has_account: bool, keeper_id: int | None, exclude_pk: int | None = None
) -> bool:
    """Whether ``email`` is another profile's of the same kind: another account profile's
    (``has_account``), or another local profile's of the restaurant ``keeper_id`` (local
    profiles no restaurant keeps are not compared, as in the database's constraint)."""
    if not email:
        return False
    qs = Customer.objects.filter(email__iexact=email, user__isnull=not has_account)
    if not has_account:
        if keeper_id is None:
            return False
        qs = qs.filter(created_by_restaurant_id=keeper_id)
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
    allergies: str = "",
    user: User | None = None,
    created_by_restaurant=None,
) -> Customer:
    """Create a guest profile: an account profile (``user``) or a local profile kept by
    ``created_by_restaurant``. The e-mail is lower-cased and must not be another profile's
    of the same kind (another account profile's, or another of the restaurant's local
    profiles'); the phone is stored in E.164. A local profile needs an e-mail or a phone."""
    email = normalize_email(email)
    phone = normalize_phone(phone)
    if user is None and not email and not phone:
        raise _contact_required_error()
    keeper_id = created_by_restaurant.pk if created_by_restaurant is not None else None
    if email_taken(email, has_account=user is not None, keeper_id=keeper_id):
        raise ValidationFailed.field("email", EMAIL_TAKEN)
    customer = Customer(
        user=user,
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
        email=email,
        phone=phone,
        allergies=allergies or "",
        created_by_restaurant=created_by_restaurant,
    )
    return _save_customer(customer)


WALK_IN_NAME = "Walk-in"


@transaction.atomic
def customer_create_walk_in(*, restaurant, first_name: str = "", last_name: str = "") -> Customer:
    """The profile of a walk-in who gave no e-mail and no phone: a new local profile of
    ``restaurant`` with only a name (``WALK_IN_NAME`` when none is given). The one profile
    without an account and without a way to reach the guest: with neither an e-mail nor a
    phone, ``customer_find_or_create`` never finds it for anyone else's booking, so each
    walk-in stays their own guest, and no e-mail can be sent to it."""
    customer = Customer(
        first_name=(first_name or "").strip() or WALK_IN_NAME,
        last_name=(last_name or "").strip(),
        created_by_restaurant=restaurant,
    )
    return _save_customer(customer)


def _kept_profile(*, restaurant, email: str, phone: str) -> Customer | None:
    """``restaurant``'s own local profile for a guest named by ``email`` (any case), or, when
    no e-mail is given, by ``phone`` (E.164; the oldest, phones are not unique)."""
    kept = local_profiles_kept_by(restaurant.pk).order_by("created_at", "pk")
    if email:
        return kept.filter(email__iexact=email).first()
    return kept.filter(phone=phone).first()


@transaction.atomic
def customer_find_or_create(
    *,
    restaurant,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
) -> Customer:
    """The guest of a booking that names them by e-mail and/or phone (a staff booking with a
    ``customer`` object): always a local profile ``restaurant`` keeps, found or created, never
    an account's profile, whatever that account did (registered with the address or phone,
    booked at ``restaurant`` itself). There is no e-mail verification, so an address or phone
    an account claims must never decide who owns a booking (and who reads its manage link,
    notes and e-mails). Never changes a profile it finds, and looks at no other restaurant's
    profile, so the answer is the same whether or not anyone else knows the address.

    - with an e-mail (any case): ``restaurant``'s local profile with it, else a new one. The
      phone is not used to match when an e-mail is given (the profile found could not record
      the e-mail); to add an e-mail to a phone-only guest, staff change that profile;
    - with a phone only: the oldest of ``restaurant``'s local profiles with that E.164 phone,
      else a new one;
    - a new profile is a local profile of ``restaurant`` with the names, e-mail and phone
      given.

    At least one of e-mail and phone is required (400 naming ``customer``). Staff book an
    account holder through ``customer_id`` (when the profile is in their scope) instead."""
    email = normalize_email(email)
    phone = normalize_phone(phone)
    if not email and not phone:
        raise ValidationFailed.field("customer", "Give the guest's e-mail address or phone number.")
    found = _kept_profile(restaurant=restaurant, email=email, phone=phone)
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
        # A concurrent booking created this restaurant's local profile with this e-mail
        # between our look-up and insert (``customer_local_email_ci_unique``): it is the guest.
        if email and "email" in exc.details:
            found = _kept_profile(restaurant=restaurant, email=email, phone=phone)
            if found is not None:
                return found
        raise


@transaction.atomic
def customer_update(
    *, customer: Customer, data: dict[str, Any], staff_user: User | None = None
) -> Customer:
    """Change a profile's fields (only the keys present in ``data``). The e-mail stays unique
    among profiles of its kind without regard to case; a profile linked to an account keeps
    the account's e-mail; a local profile keeps an e-mail or a phone (a walk-in's that never
    had one may be changed without adding one). ``staff_user`` is the
    staff member making the change through the API: only a profile's owner changes it, so an
    account profile is a 403 ``profile_owned_by_guest`` and another restaurant's local
    profile a 403 ``profile_kept_elsewhere`` (``staff_edit_refusal``), nothing written. The
    admin (the operator's tool) and a guest's own edit pass none. Returns the saved
    profile."""
    unknown = set(data) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationFailed.unknown_fields(unknown)
    # Rules are checked against the stored row, locked, not against ``customer`` (which a
    # caller such as an admin form may already have changed in memory).
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if staff_user is not None:
        refusal = staff_edit_refusal(staff_user, customer)
        if refusal is not None:
            raise refusal
    data = dict(data)
    for name in ("first_name", "last_name"):
        if name in data:
            data[name] = (data[name] or "").strip()
    if "allergies" in data:
        data["allergies"] = data["allergies"] or ""
    if "email" in data:
        data["email"] = normalize_email(data["email"])
        if customer.user_id is not None and data["email"] != customer.email:
            raise ValidationFailed.field(
                "email", "This profile's e-mail is its account's login and cannot change here."
            )
        taken = email_taken(
            data["email"],
            has_account=customer.user_id is not None,
            keeper_id=customer.created_by_restaurant_id,
            exclude_pk=customer.pk,
        )
        if taken:
            raise ValidationFailed.field("email", EMAIL_TAKEN)
    if "phone" in data:
        data["phone"] = normalize_phone(data["phone"])

    # A local profile keeps its e-mail or phone: a change may not take the last one away. A
    # walk-in's profile that never had one (``customer_create_walk_in``) may still be named.
    had_contact = bool(customer.email or customer.phone)
    changed = apply_changes(customer, data, CUSTOMER_FIELDS)
    if customer.user_id is None and had_contact and not customer.email and not customer.phone:
        raise _contact_required_error()
    if changed:
        _save_customer(customer)
        publish(GuestProfileChanged(customer_id=customer.pk))
    return customer


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    phone: str = "",
    client_address: str | None = None,
) -> Customer:
    """Create an account (e-mail login) and its guest profile in one transaction.

    Django's password validators apply (400 naming ``password``). An e-mail that already has
    an account is a 400 naming ``email``. Restaurants' local profiles with the address are
    neither linked nor looked at (nor revealed by the answer): without e-mail verification,
    registering an address proves nothing, and linking a restaurant's profile to whoever
    registers it first would hand them that guest's phone, allergies and reservations (with
    their manage links). The new account gets a profile of its own.

    Every attempt counts against ``client_address`` (the caller's address; None from inside
    counts nothing), successful or not: over ``REGISTRATIONS_PER_ADDRESS`` in the window it is
    429 ``throttled`` before anything is checked or written, so the limit also slows down
    probing which addresses have accounts.
    """
    if client_address is not None:
        AttemptLimit(
            "register",
            settings.REGISTRATIONS_PER_ADDRESS,
            settings.REGISTRATIONS_WINDOW_SECONDS,
            "Too many registrations from your address; retry after Retry-After seconds.",
        ).take(client_address)
    email = normalize_email(email)
    first_name = (first_name or "").strip()
    last_name = (last_name or "").strip()
    phone = normalize_phone(phone)

    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed.field("email", ACCOUNT_EMAIL_TAKEN)
    if email_taken(email, has_account=True, keeper_id=None):
        # An account profile carries its account's address: a concurrent change of a login.
        raise ValidationFailed.field("email", ACCOUNT_EMAIL_TAKEN)
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
    # An account profile with this e-mail made since the check above (a concurrent
    # registration) makes customer_create fail with 400 naming ``email``; all rolls back.
    return customer_create(
        first_name=first_name, last_name=last_name, email=email, phone=phone, user=user
    )


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Change an account's fields (only the keys present in ``data``, among USER_FIELDS).

    The e-mail is the login: stored lower-case, unique among accounts without regard to
    case, and not the e-mail of another account profile (400 naming ``email``; restaurants'
    local profiles with it do not matter). The account's guest profile takes the new e-mail
    in the same transaction, since messages to the guest go to the profile's address.
    Returns the saved account."""
    unknown = set(data) - set(USER_FIELDS)
    if unknown:
        raise ValidationFailed.unknown_fields(unknown)
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
        taken = email_taken(
            data["email"],
            has_account=True,
            keeper_id=None,
            exclude_pk=profile.pk if profile else None,
        )
        if taken:
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
        publish(GuestProfileChanged(customer_id=profile.pk))
    return user


@transaction.atomic
def guest_record_update(*, restaurant, customer: Customer, notes: str) -> GuestRecord:
    """Set what ``restaurant`` records about ``customer`` (its notes), creating the record
    the first time. Only about the restaurant's own guests (``customers_known_to``), whoever
    calls (API, admin, anything): another restaurant's guest, or an account's profile whose
    guest never booked there themselves, is a 403 ``not_restaurant_guest`` with nothing
    written (``guest_record_refusal``). Callers decide who may ask
    (``customers.selectors.guest_record_scope``: the restaurant's staff and superusers); the
    guest and other restaurants never see it. One record per (restaurant, guest): the
    database's ``guest_record_one_per_restaurant`` settles two first writes at once."""
    refusal = guest_record_refusal(restaurant_id=restaurant.pk, customer_id=customer.pk)
    if refusal is not None:
        raise refusal
    record, _ = GuestRecord.objects.select_for_update().get_or_create(
        restaurant=restaurant, customer=customer
    )
    notes = notes or ""
    if record.notes != notes:
        record.notes = notes
        validate_instance(record)
        record.save(update_fields=["notes", "updated_at"])
    return record
