"""customers.User has become accounts.User (same table, see accounts 0001): the guest
profile's link to its account points there, and the old model leaves this app's state. No
database change: the foreign key already references the table both models name."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("customers", "0004_guest_records_finish"),
        ("reservations", "0002_created_by_account"),
        ("restaurants", "0002_staff_account"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="user",
                    field=models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="customer",
                        to="accounts.user",
                    ),
                ),
                migrations.DeleteModel(name="User"),
            ],
            database_operations=[],
        ),
    ]
