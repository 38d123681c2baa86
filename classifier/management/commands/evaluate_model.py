from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from classifier.datasets import image_folder_examples
from classifier.evaluation import model_version_evaluate, model_version_report_save
from classifier.lifecycle import examples_held_out, model_version_pick


class Command(BaseCommand):
    help = (
        "Evaluate a model version (the newest when none is named) on image folders (DIR/<label>/<photo>)"
        " exactly as the platform classifies: accuracy, top-3, per-class precision/recall, rejection rates."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names a model version here, not the program's version.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--images", action="append", required=True, metavar="DIR", help="Repeatable.")
        parser.add_argument("--version", "--model-version", dest="version", type=int, metavar="ID")
        parser.add_argument(
            "--held-out", action="store_true", help="Only the photos of the version's own validation split."
        )
        parser.add_argument(
            "--save", action="store_true", help="Store the report and confusion matrix on the version."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        try:
            version = model_version_pick(version_id=options["version"])
            examples = image_folder_examples(roots=options["images"], negative_label=version.negative_label)
            if options["held_out"]:
                examples = examples_held_out(model_version=version, examples=examples)
            if not examples:
                raise ValueError("no photos to evaluate")
            report = model_version_evaluate(
                model_version=version,
                examples=examples,
                max_pixels=settings.PHOTO_MAX_PIXELS,
                progress=not options["no_progress"],
            )
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        report["evaluated_on"]["images"] = list(options["images"])
        report["evaluated_on"]["split"] = "held-out" if options["held_out"] else "all photos"
        write = self.stdout.write
        write(f"{version}: {report['examples']} photos ({report['skipped']} unreadable)")
        write(f"top-1 accuracy    {report['top1_accuracy']:.4f}")
        write(f"top-3 accuracy    {report['top3_accuracy']:.4f}")
        write(
            f"decision accuracy {report['decision_accuracy']:.4f}"
            f" (threshold {version.rejection_threshold:.3f})"
        )
        if report["negative_rejection_rate"] is not None:
            write(f"{version.negative_label} photos rejected: {report['negative_rejection_rate']:.4f}")
        if report["false_rejection_rate"] is not None:
            write(f"known-class photos wrongly rejected: {report['false_rejection_rate']:.4f}")
        if report["unknown_labels"]:
            write(f"labels the model does not know: {', '.join(report['unknown_labels'])}")
        write(f"{'label':32} {'precision':>9} {'recall':>7} {'photos':>7}")
        for label, row in report["per_class"].items():
            precision = "-" if row["precision"] is None else f"{row['precision']:.3f}"
            recall = "-" if row["recall"] is None else f"{row['recall']:.3f}"
            write(f"{label:32} {precision:>9} {recall:>7} {row['support']:>7}")
        if options["save"]:
            model_version_report_save(model_version=version, report=report)
            write(f"Saved the report on {version}.")
