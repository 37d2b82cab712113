"""List filters. ``?is_active=`` takes ``true`` or ``false`` and nothing else: django-filter's
own boolean filter ignores a value it cannot read, which would answer an unfiltered list to a
typo."""

import django_filters

from restaurants.models import Restaurant, Table, TableCombination


def is_active_filter() -> django_filters.TypedChoiceFilter:
    return django_filters.TypedChoiceFilter(
        field_name="is_active",
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
    )


class RestaurantFilter(django_filters.FilterSet):
    is_active = is_active_filter()

    class Meta:
        model = Restaurant
        fields = ["is_active"]


class TableFilter(django_filters.FilterSet):
    is_active = is_active_filter()

    class Meta:
        model = Table
        fields = ["is_active", "area"]


class TableCombinationFilter(django_filters.FilterSet):
    is_active = is_active_filter()

    class Meta:
        model = TableCombination
        fields = ["is_active"]
