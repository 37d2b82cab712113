"""Table combinations: sets of two or more of a restaurant's tables that can be joined, one set
once per restaurant (a unique sorted key of their ids)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('restaurants', '0003_embed_origins'),
    ]

    operations = [
        migrations.CreateModel(
            name='TableCombination',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('table_key', models.TextField(editable=False)),
                ('min_capacity', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)])),
                ('capacity', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)])),
                ('is_active', models.BooleanField(default=True)),
                ('restaurant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='table_combinations', to='restaurants.restaurant')),
            ],
            options={
                'ordering': ['restaurant', 'capacity', 'id'],
            },
        ),
        migrations.CreateModel(
            name='TableCombinationMember',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('combination', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='members', to='restaurants.tablecombination')),
                ('table', models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='combination_members', to='restaurants.table')),
            ],
            options={
                'ordering': ['combination', 'table'],
            },
        ),
        migrations.AddField(
            model_name='tablecombination',
            name='tables',
            field=models.ManyToManyField(related_name='combinations', through='restaurants.TableCombinationMember', to='restaurants.table'),
        ),
        migrations.AddConstraint(
            model_name='tablecombinationmember',
            constraint=models.UniqueConstraint(fields=('combination', 'table'), name='tablecombinationmember_unique'),
        ),
        migrations.AddConstraint(
            model_name='tablecombination',
            constraint=models.UniqueConstraint(fields=('restaurant', 'table_key'), name='tablecombination_tables_unique'),
        ),
        migrations.AddConstraint(
            model_name='tablecombination',
            constraint=models.CheckConstraint(condition=models.Q(('min_capacity__gte', 1), ('capacity__gte', models.F('min_capacity')), ('capacity__lte', 100)), name='tablecombination_capacity_range'),
        ),
    ]
