from django.core.management.base import BaseCommand

from regulations.management.commands._errors import import_errors
from regulations.services import demo_data_load


class Command(BaseCommand):
    help = "Load the demo species list, the Ohio/Lake Erie/Washington regions and their rules. Safe to rerun."

    def handle(self, *args, **options):
        with import_errors("demo data"):
            counts = demo_data_load()
        for what, count in counts.items():
            self.stdout.write(f"{what.capitalize()}: {count}.")
