"""Restaurant.embed_origins: the sites allowed to frame the booking page (empty: none)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("restaurants", "0002_staff_account"),
    ]

    operations = [
        migrations.AddField(
            model_name="restaurant",
            name="embed_origins",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text=(
                    "Origins (https://www.example.com) whose pages may embed the booking page."
                ),
            ),
        ),
    ]
