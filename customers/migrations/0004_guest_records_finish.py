"""Issue 11, step 2 of 2 (removals and new constraints), after the data step of 0003.

Drops ``Customer.notes`` (its content is in guest records and ``legacy_notes`` since 0003)
and replaces the one global unique e-mail with one per account profile and one per address
and keeping restaurant.

Backwards is refused (``IrreversibleError``, nothing changed) whenever it would lose or
expose data: once an account and local profiles, or two restaurants' local profiles, share an
address, the global unique e-mail cannot come back; and guest records (one per restaurant)
and legacy notes cannot fold back into the single ``notes`` field, which the restaurant that
created a profile read, without losing some and showing others to staff who never could read
them. It reverses only while there is none of that (a fresh or test database). To go back
with data, restore the backup taken before the migration.
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models
from django.db.migrations.exceptions import IrreversibleError
from django.db.models import Count
from django.db.models.functions import Lower


def refuse_lossy_backwards(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    GuestRecord = apps.get_model("customers", "GuestRecord")
    reasons = []
    shared = (
        Customer.objects.exclude(email="")
        .values(address=Lower("email"))
        .annotate(profiles=Count("pk"))
        .filter(profiles__gt=1)
    )
    if shared.exists():
        reasons.append(
            f"{shared.count()} e-mail address(es) belong to more than one guest profile "
            "(the global unique e-mail of customers 0002 cannot be restored)"
        )
    records = GuestRecord.objects.exclude(notes="").count()
    if records:
        reasons.append(f"{records} guest record(s) hold notes (no single notes field can hold them)")
    legacy = Customer.objects.exclude(legacy_notes="").count()
    if legacy:
        reasons.append(f"{legacy} profile(s) hold legacy notes only superusers may read")
    if reasons:
        raise IrreversibleError(
            "customers 0004_guest_records_finish cannot be reversed without losing or exposing "
            "guest data: " + "; ".join(reasons) + ". Restore the backup taken before it instead."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_guest_records"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="customer", name="customer_email_ci_unique"),
        migrations.RemoveField(model_name="customer", name="notes"),
        migrations.AlterField(
            model_name="customer",
            name="created_by_restaurant",
            field=models.ForeignKey(
                blank=True,
                help_text="The restaurant whose staff made this profile; it keeps a local profile.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="created_customers",
                to="restaurants.restaurant",
            ),
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(~models.Q(email=""), user__isnull=False),
                name="customer_account_email_ci_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(
                models.F("created_by_restaurant"),
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(~models.Q(email=""), user__isnull=True),
                name="customer_local_email_ci_unique",
            ),
        ),
        # Last, so that it runs first backwards: nothing is reversed when it refuses.
        migrations.RunPython(migrations.RunPython.noop, refuse_lossy_backwards),
    ]
