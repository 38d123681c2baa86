from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from regulations.management.commands._errors import import_errors
from regulations.models import Region
from regulations.services import regions_import


class Command(BaseCommand):
    help = (
        "Create or update regions from a GeoJSON FeatureCollection (WGS84), keyed by code. Example, Ohio's "
        "waters of Lake Erie straight from Natural Earth: import_regions ne_10m_great_lakes.geojson "
        '--filter "name=Lake Erie" --code us-oh-lake-erie --name "Ohio waters of Lake Erie" --kind zone '
        "--parent us-oh --clip-to us-oh"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=Region.Kind.values)
        parser.add_argument(
            "--code-property", default="", help="Feature property whose value (slugified) is the code."
        )
        parser.add_argument("--name-property", default="", help="Feature property holding the name.")
        parser.add_argument("--code", default="", help="One code for all matching features (merged).")
        parser.add_argument("--name", default="", help="One name for all matching features.")
        parser.add_argument("--parent", default="", help="Code of the enclosing region.")
        parser.add_argument("--authority", default="", help="Name of the authority that publishes the rules.")
        parser.add_argument("--authority-url", default="")
        parser.add_argument(
            "--filter", action="append", default=[], help="property=value; repeat to require several."
        )
        parser.add_argument("--clip-to", default="", help="Intersect with the region of this code.")
        parser.add_argument(
            "--simplify", type=float, default=0.0, help="Tolerance in degrees (0: keep as is)."
        )
        parser.add_argument("--source", default="", help="Where the boundary comes from.")
        parser.add_argument(
            "--country-code", default="", help="ISO 3166-1 alpha-2 code of the country the regions lie in."
        )

    def handle(self, *args, **options):
        filters = {}
        for item in options["filter"]:
            key, separator, value = item.partition("=")
            if not separator or not key:
                raise CommandError(f'--filter "{item}": write property=value.')
            filters[key] = value
        path = Path(options["file"])
        with import_errors(path):
            counts = regions_import(
                path=path,
                kind=options["kind"],
                code_property=options["code_property"],
                name_property=options["name_property"],
                code=options["code"],
                name=options["name"],
                parent_code=options["parent"],
                authority_name=options["authority"],
                authority_url=options["authority_url"],
                filters=filters,
                clip_to=options["clip_to"],
                simplify=options["simplify"],
                source=options["source"] or path.name,
                country_code=options["country_code"],
            )
        self.stdout.write(f"Regions: {counts}.")
