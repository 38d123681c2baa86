from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from regulations.management.commands._errors import import_errors
from regulations.services import demo_data_load, regulations_import


class Command(BaseCommand):
    help = (
        "Create or update regulations from a CSV file (columns: regulations/data/README.md), keyed by "
        "region code + rule code. All or nothing: a bad row stops the import and names its row and column."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?")
        parser.add_argument("--demo", action="store_true", help="Load the demo species, regions and rules.")

    def handle(self, *args, **options):
        if options["demo"]:
            with import_errors("demo data"):
                loaded = demo_data_load()
            for what, count in loaded.items():
                self.stdout.write(f"{what.capitalize()}: {count}.")
            return
        if not options["file"]:
            raise CommandError("Give a CSV file, or --demo.")
        path = Path(options["file"])
        with import_errors(path):
            counts = regulations_import(path=path)
        self.stdout.write(f"Regulations: {counts}.")
