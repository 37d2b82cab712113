"""Issue 11, step 1 of 2 (schema added, data moved): guest records and legacy notes.

Adds ``GuestRecord`` (what one restaurant records about one guest) and
``Customer.legacy_notes``, then moves the data; ``0004_guest_records_finish`` drops the old
``notes`` column and swaps the e-mail constraints. Two migrations, not one: on PostgreSQL the
keeper update below queues deferred foreign-key checks on ``customers_customer``, and no
``ALTER TABLE`` of that table may follow in the same transaction ("cannot ALTER TABLE ...
because it has pending trigger events").

Data, forwards:
- a local profile (no account) that no restaurant keeps gets the restaurant of its first
  reservation as keeper, so that restaurant's staff, who could edit it before, still can
  (they already see it: it has a reservation there). Account profiles get no keeper;
- notes go where exactly the same people could read them before: until issue 11 a profile's
  notes were read by superusers and by the staff of the restaurant that created it
  (``created_by_restaurant``), nobody else. So the notes of a profile a restaurant created
  go to that restaurant's ``GuestRecord``; the notes of every other profile (none created it:
  made in the admin, by registration, or before restaurants were recorded) were read by
  superusers only and are kept in ``legacy_notes``, which only superusers read, in the admin.
  Reservations never decide where notes go: a first reservation may be one staff made
  through the very hole issue 11 closes, and a keeper assigned above never had the notes;
- nothing is dropped. E-mails were unique across all profiles, so they are unique under
  both narrower constraints of 0004.

Backwards: this step alone reverses without loss (the ``notes`` column is still there, and the
guest records and legacy notes are copies of it); ``0004`` refuses to reverse once it would
lose or expose anything (see there). Keepers assigned here stay assigned.
"""

import django.db.models.deletion
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
    # Read before keepers are assigned: who could read the notes is decided by the creating
    # restaurant as it was, not as it becomes.
    with_notes = list(
        Customer.objects.exclude(notes="").values_list("pk", "created_by_restaurant_id", "notes")
    )
    for customer_id, creator_id, notes in with_notes:
        if creator_id is not None:
            GuestRecord.objects.create(
                restaurant_id=creator_id, customer_id=customer_id, notes=notes
            )
        else:
            Customer.objects.filter(pk=customer_id).update(legacy_notes=notes)
    orphans = Customer.objects.filter(user__isnull=True, created_by_restaurant__isnull=True)
    for customer_id in orphans.values_list("pk", flat=True).iterator():
        keeper_id = _first_reservation_restaurant_id(Reservation, customer_id)
        if keeper_id is not None:
            Customer.objects.filter(pk=customer_id).update(created_by_restaurant_id=keeper_id)


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
        migrations.AddField(
            model_name="customer",
            name="legacy_notes",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text=(
                    "Notes from before guest records that no restaurant's staff could read "
                    "(the profile had no creating restaurant): superusers only, in the admin."
                ),
            ),
        ),
        # Reversing needs nothing: the notes column is untouched until 0004.
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
