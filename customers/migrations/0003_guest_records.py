"""Issue 11: local profiles per restaurant, and staff notes in a per-restaurant record.

Data: every existing profile stays valid (e-mails were unique across all profiles, so they are
unique under both new, narrower constraints). A profile without an account and without a
creating restaurant (made in the admin, or before restaurants were recorded) is given the
restaurant of its first reservation as its keeper, so that restaurant's staff can go on
editing it. Each profile's notes move to a ``GuestRecord`` of the restaurant that keeps
(created) the profile, or else of the restaurant of its first reservation. Notes of a profile
with neither (an operator's note about a guest who never booked) have no restaurant to go to
and are dropped: only superusers could read them.
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


def _first_reservation_restaurant_id(Reservation, customer_id):
    return (
        Reservation.objects.filter(customer_id=customer_id)
        .order_by("start_at", "pk")
        .values_list("restaurant_id", flat=True)
        .first()
    )


def forwards(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    GuestRecord = apps.get_model("customers", "GuestRecord")
    Reservation = apps.get_model("reservations", "Reservation")
    orphans = Customer.objects.filter(user__isnull=True, created_by_restaurant__isnull=True)
    for customer in orphans.iterator():
        keeper = _first_reservation_restaurant_id(Reservation, customer.pk)
        if keeper is not None:
            Customer.objects.filter(pk=customer.pk).update(created_by_restaurant_id=keeper)
    for customer in Customer.objects.exclude(notes="").iterator():
        restaurant_id = customer.created_by_restaurant_id or _first_reservation_restaurant_id(
            Reservation, customer.pk
        )
        if restaurant_id is not None:
            GuestRecord.objects.update_or_create(
                restaurant_id=restaurant_id,
                customer_id=customer.pk,
                defaults={"notes": customer.notes},
            )


def backwards(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    GuestRecord = apps.get_model("customers", "GuestRecord")
    # Back to one notes field per profile: the keeping restaurant's record wins.
    for record in GuestRecord.objects.order_by("pk").iterator():
        customer = Customer.objects.get(pk=record.customer_id)
        if not customer.notes or record.restaurant_id == customer.created_by_restaurant_id:
            Customer.objects.filter(pk=customer.pk).update(notes=record.notes)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_initial"),
        ("restaurants", "0001_initial"),
        ("reservations", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="GuestRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "notes",
                    models.TextField(blank=True, help_text="Staff only: never shown to the guest."),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="restaurant_records",
                        to="customers.customer",
                    ),
                ),
                (
                    "restaurant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="guest_records",
                        to="restaurants.restaurant",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("restaurant", "customer"), name="guest_record_one_per_restaurant"
                    )
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
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
    ]
