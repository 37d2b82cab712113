"""Pacing limits: the guests and parties a restaurant takes starting within one slot interval
(empty: no limit)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('restaurants', '0004_table_combinations'),
    ]

    operations = [
        migrations.AddField(
            model_name='restaurant',
            name='max_covers_per_slot',
            field=models.PositiveIntegerField(blank=True, help_text='The most guests whose reservations may start in one slot interval. Empty: no limit.', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(10000)]),
        ),
        migrations.AddField(
            model_name='restaurant',
            name='max_parties_per_slot',
            field=models.PositiveIntegerField(blank=True, help_text='The most reservations that may start in one slot interval. Empty: no limit.', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(10000)]),
        ),
        migrations.AddConstraint(
            model_name='restaurant',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('max_covers_per_slot__isnull', True), ('max_covers_per_slot__gte', 1), _connector='OR'), models.Q(('max_parties_per_slot__isnull', True), ('max_parties_per_slot__gte', 1), _connector='OR')), name='restaurant_pacing_limits_positive'),
        ),
    ]
