from django.core.management.base import BaseCommand, CommandError

from classifier.demo_model import (
    DEMO_SHA256,
    DEMO_URL,
    demo_backbone_candidates,
    demo_backbone_download,
    demo_labels,
)
from classifier.selectors import model_version_find
from classifier.services import demo_model_install, model_version_activate
from projects.selectors import project_default


class Command(BaseCommand):
    help = (
        "Register the pretrained ImageNet SqueezeNet 1.1 as the demo classifier: ImageNet's fish classes "
        "map to taxa, every other class to 'not_fish'. It calls a bass a 'tench': the platform's default "
        "is the fish model (install_fish_model). Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--backbone-dir", help="The folder holding SqueezeNet_fp16.onnx.")
        parser.add_argument("--activate", action="store_true", help="Make it the active version.")
        parser.add_argument("--no-download", action="store_true", help="Do not try the public address.")

    def handle(self, *args, **options):
        existing = model_version_find(sha256=DEMO_SHA256, labels=demo_labels(), project=project_default())
        if existing is not None:
            self.stdout.write(f"The demo model is already installed: {existing}.")
            self._activate(existing, options["activate"])
            return

        data, origin = self._backbone(options)
        if data is None:
            self.stdout.write(
                "No model is installed: the SqueezeNet backbone was not found and could not be downloaded. "
                "New sightings will wait for a moderator."
            )
            return
        try:
            model_version = demo_model_install(data=data, origin=origin)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Installed {model_version} from {origin}.")
        self._activate(model_version, options["activate"])

    def _backbone(self, options):
        explicit = options["backbone_dir"] is not None
        for candidate in demo_backbone_candidates(backbone_dir=options["backbone_dir"]):
            if not candidate.is_file():
                continue
            return candidate.read_bytes(), str(candidate)
        if explicit:
            raise CommandError(f"{options['backbone_dir']} holds no SqueezeNet_fp16.onnx")
        if options["no_download"]:
            return None, None
        self.stdout.write(f"The backbone is not on disk; downloading {DEMO_URL} ...")
        try:
            return demo_backbone_download(), DEMO_URL
        except OSError as error:
            self.stderr.write(f"Download failed: {error}")
            return None, None

    def _activate(self, model_version, wanted):
        if wanted and not model_version.is_active:
            model_version_activate(model_version=model_version)
            self.stdout.write(f"{model_version} is now the active model version.")
