"""Print docs/errors.md from the error classes, or write it with --write."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from core.errors import errors_markdown

DOC = Path(settings.BASE_DIR) / "docs" / "errors.md"


class Command(BaseCommand):
    help = "Generate docs/errors.md from core/errors.py."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help=f"write {DOC}")

    def handle(self, *args, write: bool = False, **options):
        text = errors_markdown()
        if write:
            DOC.write_text(text)
            self.stdout.write(f"wrote {DOC}")
        else:
            self.stdout.write(text, ending="")
