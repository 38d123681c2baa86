from datetime import timedelta

from django.core.management.base import BaseCommand

from sightings.services.maintenance import photos_orphaned_delete


class Command(BaseCommand):
    help = "Delete stored photos that no sighting refers to (left by an outage between two writes)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=float, default=6)
        parser.add_argument("--dry-run", action="store_true", help="List them, delete nothing.")

    def handle(self, *args, older_than_hours, dry_run, **options):
        names = photos_orphaned_delete(older_than=timedelta(hours=older_than_hours), dry_run=dry_run)
        for name in names:
            self.stdout.write(name)
        self.stdout.write(f"{'would delete' if dry_run else 'deleted'}: {len(names)} orphaned photos")
