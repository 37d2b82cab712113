"""The details a guest types for a booking made without an account (the guest page's form, the
host's walk-in), checked by one rule so every bad one is named in one 400."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from accounts.emails import normalize_email
from accounts.phones import normalize_phone
from core.errors import ValidationFailed
from customers.models import Customer

# A new profile's limits (customers.models.Customer), and the API's for notes.
NAME_MAX = Customer._meta.get_field("first_name").max_length
EMAIL_MAX = Customer._meta.get_field("email").max_length
NOTES_MAX = 2000

# Each text field by its name: its longest, and whether surrounding spaces are dropped.
TEXT_FIELDS = {
    "guest_name": (NAME_MAX, True),
    "first_name": (NAME_MAX, True),
    "last_name": (NAME_MAX, True),
    "notes": (NOTES_MAX, False),
    "allergies": (NOTES_MAX, False),
}


def checked_details(
    *, texts: dict[str, str], email: str, phone: str, required: dict[str, str] | None = None
) -> dict[str, str]:
    """The details, cleaned, by field: each of ``texts`` (a field of ``TEXT_FIELDS``; a name
    without its surrounding spaces) of at most its length and without null characters;
    ``email`` normalised and an e-mail address when given, of at most EMAIL_MAX characters;
    ``phone`` normalised (accounts.phones); and each field ``required`` names (with the
    message when it is missing) given. Every bad one is a 400 naming its field, all in one
    answer; none is required unless named."""
    errors: dict[str, list[str]] = {}
    cleaned = {
        field: (value or "").strip() if TEXT_FIELDS[field][1] else value or ""
        for field, value in texts.items()
    }
    cleaned["email"] = normalize_email(email)
    for field, value in cleaned.items():
        limit = EMAIL_MAX if field == "email" else TEXT_FIELDS[field][0]
        if "\x00" in value:
            errors[field] = ["Null characters are not allowed."]
        elif len(value) > limit:
            errors[field] = [f"At most {limit} characters."]
    if cleaned["email"] and "email" not in errors:
        try:
            validate_email(cleaned["email"])
        except DjangoValidationError:
            errors["email"] = ["Enter a valid e-mail address."]
    try:
        cleaned["phone"] = normalize_phone(phone)
    except ValidationFailed as exc:
        errors.update(exc.details)
    for field, message in (required or {}).items():
        if not cleaned.get(field) and field not in errors:
            errors[field] = [message]
    if errors:
        raise ValidationFailed(details=errors)
    return cleaned
