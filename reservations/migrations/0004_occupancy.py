"""Table occupancy becomes its own row (issue 14): one per (reservation, table), with the
stay and whether it holds the table. Every existing reservation gets the row of its table
(holding when pending, confirmed or seated), then the exclusion constraint moves from the
reservations onto these rows: created before the old one goes, so no moment is unguarded."""

import django.contrib.postgres.fields.ranges
import django.db.models.deletion
from django.db import migrations, models

import core.constraints
import reservations.models

HOLDING = ("pending", "confirmed", "seated")
BATCH = 2000


def occupancy_for_every_reservation(apps, schema_editor):
    Reservation = apps.get_model("reservations", "Reservation")
    Occupancy = apps.get_model("reservations", "Occupancy")
    rows = (
        Reservation.objects.using(schema_editor.connection.alias)
        .order_by("pk")
        .values_list("pk", "table_id", "start_at", "end_at", "status")
    )
    batch = []
    for pk, table_id, start_at, end_at, status in rows.iterator(chunk_size=BATCH):
        batch.append(
            Occupancy(
                reservation_id=pk,
                table_id=table_id,
                start_at=start_at,
                end_at=end_at,
                holds=status in HOLDING,
            )
        )
        if len(batch) >= BATCH:
            Occupancy.objects.using(schema_editor.connection.alias).bulk_create(batch)
            batch = []
    Occupancy.objects.using(schema_editor.connection.alias).bulk_create(batch)


def no_occupancy(apps, schema_editor):
    # Back: the reservations keep their table; the rows go with the model.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("reservations", "0003_guest_language_and_allergies"),
        ("restaurants", "0003_embed_origins"),
    ]

    operations = [
        migrations.CreateModel(
            name="Occupancy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("start_at", models.DateTimeField()),
                ("end_at", models.DateTimeField()),
                ("holds", models.BooleanField(default=True)),
                (
                    "reservation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="occupancies",
                        to="reservations.reservation",
                    ),
                ),
                (
                    "table",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="occupancies",
                        to="restaurants.table",
                    ),
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name="occupancy",
            constraint=models.UniqueConstraint(
                fields=("reservation", "table"), name="occupancy_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="occupancy",
            constraint=models.CheckConstraint(
                condition=models.Q(("end_at__gt", models.F("start_at"))),
                name="occupancy_ends_after_start",
            ),
        ),
        migrations.RunPython(occupancy_for_every_reservation, no_occupancy),
        migrations.AddIndex(
            model_name="occupancy",
            index=models.Index(
                condition=models.Q(("holds", True)),
                fields=["table", "start_at"],
                name="occupancy_table_start_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="occupancy",
            constraint=core.constraints.PostgresExclusionConstraint(
                condition=models.Q(("holds", True)),
                expressions=[
                    (models.F("table"), "="),
                    (
                        reservations.models.TsTzRange(
                            "start_at",
                            "end_at",
                            django.contrib.postgres.fields.ranges.RangeBoundary(),
                        ),
                        "&&",
                    ),
                ],
                name="occupancy_no_overlap",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="reservation",
            name="reservation_no_overlap",
        ),
    ]
