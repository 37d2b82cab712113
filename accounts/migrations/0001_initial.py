"""The login account moves from the customers app to this one, with its table unchanged.

The model is declared here in the migration state only: its table ``customers_user`` was made
by customers 0001 and keeps every row, id, password and group. ``accounts 0002`` renames it.

A database made by an earlier release has Django's admin 0001 applied, which depends on the
user model's first migration, this one; the project's ``migrate`` command records this
state-only step as applied on such a database before Django checks the history
(accounts.management.commands.migrate), since there is nothing to run.
"""

import django.contrib.auth.models
import django.db.models.functions.text
import django.utils.timezone
from django.db import migrations, models

import accounts.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("customers", "0002_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="User",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("password", models.CharField(max_length=128, verbose_name="password")),
                        (
                            "last_login",
                            models.DateTimeField(blank=True, null=True, verbose_name="last login"),
                        ),
                        (
                            "is_superuser",
                            models.BooleanField(
                                default=False,
                                help_text="Designates that this user has all permissions "
                                "without explicitly assigning them.",
                                verbose_name="superuser status",
                            ),
                        ),
                        ("email", models.EmailField(max_length=254, unique=True)),
                        ("first_name", models.CharField(blank=True, max_length=150)),
                        ("last_name", models.CharField(blank=True, max_length=150)),
                        ("is_active", models.BooleanField(default=True)),
                        (
                            "is_staff",
                            models.BooleanField(
                                default=False, help_text="May log in to the admin site."
                            ),
                        ),
                        (
                            "date_joined",
                            models.DateTimeField(default=django.utils.timezone.now),
                        ),
                        (
                            "groups",
                            models.ManyToManyField(
                                blank=True,
                                help_text="The groups this user belongs to. A user will get "
                                "all permissions granted to each of their groups.",
                                related_name="user_set",
                                related_query_name="user",
                                to="auth.group",
                                verbose_name="groups",
                            ),
                        ),
                        (
                            "user_permissions",
                            models.ManyToManyField(
                                blank=True,
                                help_text="Specific permissions for this user.",
                                related_name="user_set",
                                related_query_name="user",
                                to="auth.permission",
                                verbose_name="user permissions",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "customers_user",
                        "constraints": [
                            models.UniqueConstraint(
                                django.db.models.functions.text.Lower("email"),
                                name="user_email_ci_unique",
                            )
                        ],
                    },
                    managers=[("objects", accounts.models.UserManager())],
                ),
            ],
            database_operations=[],
        ),
    ]
