from django.core.management.base import BaseCommand, CommandError

from projects.selectors import project_default, project_get
from sightings.services.individuals import sightings_embed_missing


class Command(BaseCommand):
    help = (
        "Give the identified sightings that have no embedding of the active model one (those classified"
        " before it gave embeddings), so that they can be found as candidate individuals."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", metavar="SLUG", help="Default: the default project.")
        parser.add_argument("--limit", type=int, help="At most this many sightings.")

    def handle(self, *args, **options):
        project = project_get(slug=options["project"]) if options["project"] else project_default()
        if project is None:
            raise CommandError(f"--project: no project has the slug {options['project']!r}")
        embedded, skipped = sightings_embed_missing(project=project, limit=options["limit"])
        self.stdout.write(f"{project}: {embedded} sightings embedded, {skipped} skipped (photo unreadable).")
