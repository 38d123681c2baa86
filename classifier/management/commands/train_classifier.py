from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from classifier.datasets import examples_count, groups_manifest_read, image_folder_examples
from classifier.embeddings import DEFAULT_FEATURE_NODE
from classifier.lifecycle import backbone_resolve
from classifier.training import (
    DEFAULT_C,
    DEFAULT_FALSE_REJECTION_RATE,
    DEFAULT_SEED,
    DEFAULT_VALIDATION_FRACTION,
    classifier_train,
)
from projects.selectors import project_default, project_get


class Command(BaseCommand):
    help = (
        "Train a linear head on the backbone's cached embeddings and register backbone + head as a new,"
        " inactive model version with its validation report. Photos come from image folders"
        " (DIR/<label>/<photo>; a folder named not_fish is the negative class) and/or the platform's"
        " verified sightings (--verified)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--images", action="append", default=[], metavar="DIR", help="Repeatable.")
        parser.add_argument(
            "--groups", metavar="MANIFEST.csv", help="path,group CSV: near-duplicates share a group."
        )
        parser.add_argument(
            "--verified",
            action="store_true",
            help="Add the verified sightings (settings.CLASSIFIER_VERIFIED_SOURCE).",
        )
        parser.add_argument(
            "--backbone-version", type=int, metavar="ID", help="Default: the installed demo model."
        )
        parser.add_argument(
            "--backbone", metavar="FILE", help="An ONNX file with the demo preprocessing instead."
        )
        parser.add_argument("--feature-node", default=DEFAULT_FEATURE_NODE)
        parser.add_argument("--name", default="", help="Default: 'head on <backbone>, <date>'.")
        parser.add_argument("--negative-label", default="not_fish")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--validation", type=float, default=DEFAULT_VALIDATION_FRACTION, help="Held-out share."
        )
        parser.add_argument(
            "--false-rejection-rate",
            type=float,
            default=DEFAULT_FALSE_REJECTION_RATE,
            help="At most this share of true fish may be rejected as 'not a fish' (sets the threshold).",
        )
        parser.add_argument("--c", type=float, default=DEFAULT_C, help="Inverse regularisation strength.")
        parser.add_argument(
            "--project", metavar="SLUG", help="The project the version (and its verified photos) belong to."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        if not options["images"] and not options["verified"]:
            raise CommandError("give --images DIR (repeatable) and/or --verified")
        try:
            groups = groups_manifest_read(path=options["groups"]) if options["groups"] else None
            examples = (
                image_folder_examples(
                    roots=options["images"], negative_label=options["negative_label"], groups=groups
                )
                if options["images"]
                else []
            )
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        sources = [f"images: {', '.join(options['images'])}"] if options["images"] else []
        project = project_get(slug=options["project"]) if options["project"] else project_default()
        if project is None:
            raise CommandError(f"--project: no project has the slug {options['project']!r}")
        if options["verified"]:
            verified = list(import_string(settings.CLASSIFIER_VERIFIED_SOURCE)(project=project))
            self.stdout.write(f"{len(verified)} verified sightings.")
            examples += verified
            sources.append("verified sightings")
        try:
            backbone = backbone_resolve(
                version_id=options["backbone_version"],
                path=options["backbone"],
                feature_node=options["feature_node"],
            )
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        counts = examples_count(examples=examples)
        self.stdout.write(f"{len(examples)} photos in {len(counts)} classes; backbone {backbone.origin}.")
        try:
            result = classifier_train(
                examples=examples,
                backbone=backbone,
                name=options["name"] or f"head on {backbone.origin}"[:200],
                max_pixels=settings.PHOTO_MAX_PIXELS,
                data_source="; ".join(sources),
                negative_label=options["negative_label"],
                seed=options["seed"],
                validation_fraction=options["validation"],
                false_rejection_rate=options["false_rejection_rate"],
                c=options["c"],
                project=project,
                progress=not options["no_progress"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        version, report, timings = result.model_version, result.report, result.timings
        self.stdout.write(
            f"Registered {version}, not active (make it active in the admin). Validation on"
            f" {report['examples']} photos: top-1 {report['top1_accuracy']:.3f},"
            f" top-3 {report['top3_accuracy']:.3f},"
            f" rejection threshold {version.rejection_threshold:.3f}."
        )
        self.stdout.write(
            f"Embeddings {timings['embeddings']} s ({timings['embeddings_computed']} computed,"
            f" {timings['embeddings_cached']} cached), head {timings['head']} s."
        )
