from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from classifier.fish_model import fish_model_install, team_data_dir, team_data_missing


class Command(BaseCommand):
    help = (
        "Install the platform's default classifier: a fish model trained once from the team data"
        " ($CATCHLOG_SHARED_DIR/data or ../shared/data), cached, and made active. Without the data it"
        " says what is missing and installs nothing. Running it again trains nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data", type=Path, help="The team data folder. Default: " + str(team_data_dir())
        )
        parser.add_argument("--no-activate", action="store_true", help="Register it, leave it inactive.")
        parser.add_argument(
            "--require", action="store_true", help="Fail (exit status 1) when the data is missing."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        data_dir = options["data"] or team_data_dir()
        missing = team_data_missing(data_dir=data_dir)
        if missing:
            message = (
                f"No fish model: the team data is not at {data_dir} (missing {', '.join(missing)}). Put it"
                " there or set CATCHLOG_SHARED_DIR, then run `manage.py install_fish_model`; or import a"
                " model of your own with `manage.py import_model`. Until then new sightings wait for a"
                " moderator."
            )
            if options["require"]:
                raise CommandError(message)
            self.stdout.write(message)
            return
        if not options["no_progress"]:
            self.stdout.write(f"Training the fish model from {data_dir} (once; under a minute on 2 cores)...")
        try:
            installed = fish_model_install(
                data_dir=data_dir, activate=not options["no_activate"], progress=not options["no_progress"]
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        version = installed.model_version
        metrics = version.metrics or {}
        state = "trained now" if installed.trained_now else "already installed"
        active = "active" if version.is_active else "not active (another model is: see the admin)"
        self.stdout.write(f"Fish model {version} ({state}), {active}.")
        calibration = metrics.get("calibration") or {}
        rejection = metrics.get("rejection") or {}
        self.stdout.write(
            f"Held out ({metrics.get('examples')} photos of trajectories never trained on):"
            f" top-1 {metrics.get('top1_accuracy')}, top-3 {metrics.get('top3_accuracy')},"
            f" not-a-fish rejected {metrics.get('negative_rejection_rate')},"
            f" fish wrongly rejected {metrics.get('false_rejection_rate')},"
            f" calibration error {calibration.get('validation_ece')}"
            f" (temperature {calibration.get('temperature')},"
            f" threshold {float(rejection.get('threshold') or 0):.3f})."
        )
