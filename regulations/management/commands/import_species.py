from pathlib import Path

from django.core.management.base import BaseCommand

from regulations.management.commands._errors import import_errors
from regulations.services import DATA_DIR, species_import


class Command(BaseCommand):
    help = (
        "Create or update species from a CSV file (see regulations/data/README.md), keyed by scientific name."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DATA_DIR / "species.csv"))

    def handle(self, *args, **options):
        path = Path(options["file"])
        with import_errors(path):
            counts = species_import(path=path)
        self.stdout.write(f"Species: {counts}.")
