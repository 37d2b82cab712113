"""The check the race and load tests end with: no two holding occupancy rows share a table
at overlapping times (what the exclusion constraint guarantees, counted independently)."""

from django.db import connection

from reservations.models import Occupancy


def overlapping_holders() -> int:
    """Pairs of occupancy rows that hold one table at overlapping times: in SQL on
    PostgreSQL, compared in Python elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT count(*)
                FROM reservations_occupancy a
                JOIN reservations_occupancy b
                  ON a.table_id = b.table_id AND a.id < b.id
                 AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(b.start_at, b.end_at, '[)')
                WHERE a.holds AND b.holds
                """
            )
            return cursor.fetchone()[0]
    rows = list(Occupancy.objects.filter(holds=True).values_list("table_id", "start_at", "end_at"))
    return sum(
        1
        for i, a in enumerate(rows)
        for b in rows[i + 1 :]
        if a[0] == b[0] and a[1] < b[2] and b[1] < a[2]
    )
