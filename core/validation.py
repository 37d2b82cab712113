"""Model validation for services: Django's field validators and constraints, as our errors."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

from core.errors import ValidationFailed


def _as_details(exc: DjangoValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": list(exc.messages)}
    details = {}
    for field, errors in exc.message_dict.items():
        details["non_field_errors" if field == NON_FIELD_ERRORS else field] = list(errors)
    return details


def validate_instance(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's full validation (fields, unique and check constraints); raise
    ValidationFailed with the failing fields named."""
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        raise ValidationFailed(details=_as_details(exc)) from exc


def apply_changes(instance: models.Model, data: dict[str, Any], fields: list[str]) -> list[str]:
    """Set the given fields from ``data`` (only keys present); return the names changed."""
    changed = []
    for field in fields:
        if field in data and getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    return changed
