"""Bring a database made before the accounts app existed into a history Django accepts.

Such a database has applied Django's admin 0001, which depends on the user model's first
migration (accounts 0001, added since). Django refuses to migrate a history in which an applied
migration's dependency is missing, before running anything. accounts 0001 changes nothing in
the database (the table it names was made by customers 0002 and earlier), so recording it as
applied wherever customers 0002 is applied is exactly what running it would do.
"""

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder

USER_MOVED = ("accounts", "0001_initial")
USER_TABLE_MADE = ("customers", "0002_initial")


def record_user_move(connection: BaseDatabaseWrapper) -> bool:
    """Record accounts 0001 as applied on a database that has the account table from the
    customers app but not that record; True when it did."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return False
    applied = recorder.applied_migrations()
    if USER_TABLE_MADE not in applied or USER_MOVED in applied:
        return False
    recorder.record_applied(*USER_MOVED)
    return True
