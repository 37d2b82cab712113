"""Serializer bases every app's API shares.

``StrictInputSerializer`` refuses every key a body may not carry: a 400 ``validation_error``
naming each such key under ``details`` with "Unknown field.", instead of dropping it without a
word. A misspelt ``tableid`` would otherwise book an auto-picked table, and a guest's
``status`` would look accepted. Read-only fields are not input, so they count as unknown too.
Nested strict serializers name their own unknown keys under the parent field. It also works as
the first base of a ModelSerializer: ``class X(StrictInputSerializer, ModelSerializer)``.
"""

from collections.abc import Mapping

from rest_framework import serializers

UNKNOWN_FIELD = "Unknown field."


class StrictInputSerializer(serializers.Serializer):
    # Explained in the module docstring, not here: drf-spectacular would show a class
    # docstring as the description of every request body built on this class.

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = {name: [UNKNOWN_FIELD] for name in sorted(set(data) - writable)}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # One answer names every problem: the unknown keys and the failing fields.
            if unknown and isinstance(exc.detail, Mapping):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value
