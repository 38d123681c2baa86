from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from classifier.datasets import image_folder_examples
from classifier.lifecycle import examples_held_out, model_version_pick
from classifier.models import ModelVersion
from classifier.optimization import DEFAULT_CALIBRATION_COUNT, model_version_optimize


class Command(BaseCommand):
    help = (
        "Make a graph-optimized float32 copy and an int8 copy (static quantization calibrated on photos) of a"
        " model version (the newest not already optimized when none is named), registered as new inactive"
        " versions with size, latency and accuracy against the original."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names a model version here, not the program's version.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--version", "--model-version", dest="version", type=int, metavar="ID")
        parser.add_argument(
            "--calibration", action="append", required=True, metavar="DIR", help="Repeatable."
        )
        parser.add_argument("--calibration-count", type=int, default=DEFAULT_CALIBRATION_COUNT)
        parser.add_argument(
            "--images", action="append", default=[], metavar="DIR", help="Evaluate on these too."
        )
        parser.add_argument(
            "--held-out", action="store_true", help="Evaluate on the version's validation split only."
        )
        parser.add_argument("--level", choices=["basic", "extended"], default="extended")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        try:
            version = model_version_pick(
                version_id=options["version"], exclude_sources=[ModelVersion.Source.OPTIMIZED]
            )
            calibration = image_folder_examples(
                roots=options["calibration"], negative_label=version.negative_label
            )
            evaluation = None
            if options["images"]:
                evaluation = image_folder_examples(
                    roots=options["images"], negative_label=version.negative_label
                )
                if options["held_out"]:
                    evaluation = examples_held_out(model_version=version, examples=evaluation)
            result = model_version_optimize(
                model_version=version,
                calibration_examples=calibration,
                evaluation_examples=evaluation,
                calibration_count=options["calibration_count"],
                level=options["level"],
                max_pixels=settings.PHOTO_MAX_PIXELS,
                progress=not options["no_progress"],
            )
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Registered {result.optimized} and {result.quantized}, not active.")
        self.stdout.write(
            f"{'variant':16} {'size':>10} {'vs fp32':>8} {'latency':>10} {'top-1':>7} {'delta':>7}"
        )
        for key, entry in result.comparison.items():
            top1 = entry.get("top1_accuracy")
            delta = entry.get("top1_delta_vs_original")
            self.stdout.write(
                f"{key:16} {entry['size_bytes']:>10,} {entry['size_vs_fp32']:>8.1%}"
                f" {entry['latency_ms']:>8.2f}ms"
                f" {'-' if top1 is None else f'{top1:.4f}':>7} {'-' if delta is None else f'{delta:+.4f}':>7}"
            )
