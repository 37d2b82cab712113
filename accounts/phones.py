"""Phone numbers are stored in E.164 (+34911222333)."""

import phonenumbers

from core.errors import ValidationFailed

DEFAULT_REGION = None  # numbers must carry their country code (+...)


def normalize_phone(value: str, *, field: str = "phone") -> str:
    """Return ``value`` in E.164, or "" for an empty value; raise ValidationFailed naming
    ``field`` when it is not a valid number."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed.field(
            field, "Enter a valid phone number with its country code, e.g. +34911222333."
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed.field(field, "This phone number is not valid.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
