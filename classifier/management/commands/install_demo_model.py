import hashlib

from django.core.management.base import BaseCommand, CommandError

from classifier.demo_model import (
    DEMO_NAME,
    DEMO_NEGATIVE_LABEL,
    DEMO_PREPROCESSING,
    DEMO_SHA256,
    DEMO_URL,
    demo_backbone_candidates,
    demo_backbone_download,
    demo_labels,
)
from classifier.models import ModelVersion
from classifier.selectors import model_version_find
from classifier.services import model_version_activate, model_version_register


class Command(BaseCommand):
    help = (
        "Register the pretrained ImageNet SqueezeNet 1.1 as the demo classifier: ImageNet's fish classes "
        "map to taxa, every other class to 'not_fish'. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--backbone-dir", help="The folder holding SqueezeNet_fp16.onnx.")
        parser.add_argument("--activate", action="store_true", help="Make it the active version.")
        parser.add_argument("--no-download", action="store_true", help="Do not try the public address.")

    def handle(self, *args, **options):
        labels = demo_labels()
        existing = model_version_find(sha256=DEMO_SHA256, labels=labels)
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
        model_version = model_version_register(
            onnx_bytes=data,
            name=DEMO_NAME,
            labels=labels,
            preprocessing=DEMO_PREPROCESSING,
            negative_label=DEMO_NEGATIVE_LABEL,
            source=ModelVersion.Source.DEMO,
            training_data={"pretrained": "ImageNet-1k", "file": origin, "upstream": DEMO_URL},
        )
        self.stdout.write(f"Installed {model_version} from {origin}.")
        self._activate(model_version, options["activate"])

    def _backbone(self, options):
        explicit = options["backbone_dir"] is not None
        for candidate in demo_backbone_candidates(backbone_dir=options["backbone_dir"]):
            if not candidate.is_file():
                continue
            data = candidate.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if digest != DEMO_SHA256:
                raise CommandError(
                    f"{candidate} has SHA-256 {digest}, expected {DEMO_SHA256}: not the demo backbone"
                )
            return data, str(candidate)
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
