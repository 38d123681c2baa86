import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from classifier.label_files import labels_parse
from classifier.models import ModelVersion
from classifier.services import model_version_register
from projects.selectors import project_default, project_get


class Command(BaseCommand):
    help = "Register an ONNX classifier with its labels and preprocessing (optionally making it active)."

    def add_arguments(self, parser):
        parser.add_argument("model", help="The .onnx file.")
        parser.add_argument(
            "--labels",
            required=True,
            help="A file: one label per line, `index,name` lines (as ImageNet's Labels.txt) or a JSON list.",
        )
        parser.add_argument(
            "--preprocess", required=True, help="A JSON file or inline JSON: the preprocessing spec."
        )
        parser.add_argument("--name", help="Defaults to the file name.")
        parser.add_argument("--negative-label", default="not_fish")
        parser.add_argument(
            "--threshold", type=float, default=0.0, help="Top scores below this are rejected."
        )
        parser.add_argument(
            "--source", choices=ModelVersion.Source.values, default=ModelVersion.Source.IMPORTED
        )
        parser.add_argument(
            "--project", metavar="SLUG", help="The project it classifies for. Default: the default one."
        )
        parser.add_argument("--activate", action="store_true", help="Make it the project's active version.")

    def handle(self, *args, **options):
        model_path = Path(options["model"])
        if not model_path.is_file():
            raise CommandError(f"{model_path}: no such file")
        labels_path = Path(options["labels"])
        try:
            labels = labels_parse(labels_path.read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"{labels_path}: {error.strerror or error}") from error
        except ValueError as error:
            raise CommandError(f"{labels_path}: {error}") from error
        preprocessing = _json_argument(options["preprocess"])
        project = project_get(slug=options["project"]) if options["project"] else project_default()
        if project is None:
            raise CommandError(f"--project: no project has the slug {options['project']!r}")
        try:
            model_version = model_version_register(
                path=model_path,
                name=options["name"] or model_path.stem,
                labels=labels,
                preprocessing=preprocessing,
                source=options["source"],
                negative_label=options["negative_label"],
                rejection_threshold=options["threshold"],
                training_data={"imported_from": model_path.name},
                project=project,
                activate=options["activate"],
            )
        except ValueError as error:
            raise CommandError(f"{model_path}: {error}") from error
        state = "active" if model_version.is_active else "not active"
        self.stdout.write(
            f"Registered {model_version} in {project} ({len(set(labels))} labels,"
            f" sha256 {model_version.sha256[:12]}), {state}."
        )


def _json_argument(value):
    path = Path(value)
    text = value
    if not value.lstrip().startswith(("{", "[")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"--preprocess: {value} is neither inline JSON nor a readable file") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"--preprocess: invalid JSON ({error})") from error
