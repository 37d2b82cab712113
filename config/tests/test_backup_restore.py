"""The backup and restore of docs/deploy.md, with its exact commands: pg_dump in the custom
format while the service runs, pg_restore into a new database, and the restored database is
the service's (its rows, its migrations, the exclusion constraint that keeps a table from
being booked twice)."""

import subprocess
import uuid

import psycopg
import pytest
from django.db import connection

from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory

pytestmark = [
    pytest.mark.postgres_only(reason="pg_dump and pg_restore of the PostgreSQL database"),
    pytest.mark.django_db(transaction=True),
]


def url(dbname: str) -> str:
    db = connection.settings_dict
    login = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


def test_pg_dump_then_pg_restore_gives_back_the_service_database(tmp_path):
    ReservationFactory.create_batch(3)
    source = connection.settings_dict["NAME"]
    restored = f"rf_restored_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "reservaflow.dump"
    # docs/deploy.md, "Backups": the dump, then the restore into a new database.
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", url(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    admin = psycopg.connect(url("postgres"), autocommit=True)
    try:
        admin.execute(f'CREATE DATABASE "{restored}"')
        result = subprocess.run(
            [
                "pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
                f"--dbname={url(restored)}", str(dump),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        with psycopg.connect(url(restored)) as copy:
            count = copy.execute("SELECT count(*) FROM reservations_reservation").fetchone()[0]
            assert count == Reservation.objects.count() == 3
            migrations = copy.execute("SELECT app, name FROM django_migrations ORDER BY id")
            with connection.cursor() as cursor:
                cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
                assert migrations.fetchall() == cursor.fetchall()
            # Every constraint and index as in the service's database, the exclusion
            # constraint that keeps a table from being booked twice among them.
            # (PostgreSQL may print a restored CHECK's expression in other words: compare
            # names and kinds, and the exclusion constraints' definitions.)
            guards = (
                "SELECT conrelid::regclass::text, conname, contype::text, CASE WHEN contype = 'x' "
                "THEN pg_get_constraintdef(oid) END FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
            )
            indexes = (
                "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 2"
            )
            restored_guards = copy.execute(guards).fetchall()
            restored_indexes = copy.execute(indexes).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(guards)
            assert restored_guards == cursor.fetchall()
            cursor.execute(indexes)
            assert restored_indexes == cursor.fetchall()
        assert any(
            name == "occupancy_no_overlap" and definition.startswith("EXCLUDE USING gist")
            for _, name, _, definition in restored_guards
        )
    finally:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [restored],
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        admin.close()
