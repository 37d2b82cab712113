"""The account table takes this app's name: ``customers_user`` becomes ``accounts_user`` (and
its group and permission tables likewise). Foreign keys to it follow the renamed table, on
PostgreSQL and on SQLite alike; no row is copied.

The model's content type moves with it, so the permissions attached to it (and every group or
account granted them) and the admin's history of accounts keep their meaning; a fresh database
has no content type yet at this point and gets one after migrating, as usual."""

from django.db import migrations


def _move_content_type(apps, schema_editor, *, source: str, target: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if content_types.objects.using(db).filter(app_label=target, model="user").exists():
        return
    content_types.objects.using(db).filter(app_label=source, model="user").update(
        app_label=target
    )


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="customers", target="accounts")


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="accounts", target="customers")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        # Every model that pointed at customers.User points here first.
        ("customers", "0005_user_moved_to_accounts"),
    ]

    operations = [
        migrations.AlterModelTable(name="user", table=None),
        migrations.RunPython(forwards, backwards),
    ]
