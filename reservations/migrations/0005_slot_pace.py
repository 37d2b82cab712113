"""Pacing counters (issue 14): one row per (restaurant, start) with the guests and parties of
its reservations that start then, built here from every existing reservation that counts
(pending, confirmed, seated, completed or no-show: all but cancelled and expired), so a
restaurant that sets a pacing limit later finds its slots counted."""

import django.db.models.deletion
from django.db import migrations, models

PACED = ("pending", "confirmed", "seated", "completed", "no_show")
BATCH = 2000


def count_every_slot(apps, schema_editor):
    Reservation = apps.get_model("reservations", "Reservation")
    SlotPace = apps.get_model("reservations", "SlotPace")
    alias = schema_editor.connection.alias
    slots = (
        Reservation.objects.using(alias)
        .filter(status__in=PACED)
        .order_by("restaurant_id", "start_at")
        .values("restaurant_id", "start_at")
        .annotate(covers=models.Sum("party_size"), parties=models.Count("id"))
    )
    batch = []
    for slot in slots.iterator(chunk_size=BATCH):
        batch.append(
            SlotPace(
                restaurant_id=slot["restaurant_id"],
                slot_start=slot["start_at"],
                covers=slot["covers"],
                parties=slot["parties"],
            )
        )
        if len(batch) >= BATCH:
            SlotPace.objects.using(alias).bulk_create(batch)
            batch = []
    SlotPace.objects.using(alias).bulk_create(batch)


def no_counts(apps, schema_editor):
    # Back: the counters go with the model.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("reservations", "0004_occupancy"),
        ("restaurants", "0003_embed_origins"),
    ]

    operations = [
        migrations.CreateModel(
            name="SlotPace",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slot_start", models.DateTimeField()),
                ("covers", models.PositiveIntegerField(default=0)),
                ("parties", models.PositiveIntegerField(default=0)),
                (
                    "restaurant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="restaurants.restaurant",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("restaurant", "slot_start"), name="slotpace_once"
                    )
                ],
            },
        ),
        migrations.RunPython(count_every_slot, no_counts),
    ]
