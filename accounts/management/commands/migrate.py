"""Django's ``migrate``, first recording the state-only move of the account model on a
database made by an earlier release (accounts.migration_history)."""

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from accounts.migration_history import record_user_move


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        if record_user_move(connections[options["database"]]) and options["verbosity"] >= 1:
            self.stdout.write("Recorded accounts.0001_initial: the account table already exists.")
        return super().handle(*args, **options)
