"""The web and worker processes run without the training-only packages.

requirements.lock (the web and worker runtime) lacks what requirements-training.lock adds:
scikit-learn, matplotlib, tqdm and what they pull in. A subprocess that cannot import those packages
loads Django (every app, admin and signal receiver), the WSGI application, every view of the URLconf
and every task module the Celery worker imports.
"""

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAINING_ONLY = {"scikit-learn", "matplotlib", "tqdm"}

PROBE = r"""
import sys

BLOCKED = set(sys.argv[1].split(","))


class TrainingOnlyBlocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (training-only, blocked)", name=name)
        return None


sys.meta_path.insert(0, TrainingOnlyBlocker())

import django

django.setup()

from django.urls import URLResolver, get_resolver

from config.celery_app import app
from config.wsgi import application


def views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from views(pattern.url_patterns)
        else:
            yield pattern.callback


callbacks = list(views(get_resolver().url_patterns))
app.loader.import_default_modules()  # what `celery -A config worker` imports: every app's tasks
import classifier.inference, classifier.services  # the worker's classification, model registration

loaded = sorted({name.partition(".")[0] for name in sys.modules} & BLOCKED)
assert not loaded, loaded
tasks = sorted(name for name in app.tasks if not name.startswith("celery."))
print(f"{len(callbacks)} views, {len(tasks)} tasks: {' '.join(tasks)}")
"""


def locked(path):
    """The distribution names a lock file pins, normalized."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", path.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[-_.]+", "-", name).lower() for name in pins}


def top_level_modules(distribution):
    dist = metadata.distribution(distribution)
    names = (dist.read_text("top_level.txt") or "").split()
    if not names:
        for file in dist.files or ():
            first = file.parts[0]
            if first.endswith((".dist-info", ".data")) or first == "..":
                continue
            names.append(first.removesuffix(".py"))
    return {name for name in names if name.isidentifier()}


def test_the_runtime_lock_holds_no_training_package():
    runtime, training = locked(ROOT / "requirements.lock"), locked(ROOT / "requirements-training.lock")
    assert TRAINING_ONLY.issubset(training - runtime), sorted(TRAINING_ONLY & runtime)
    assert runtime <= training, "the training lock is the runtime lock plus the training packages"
    assert training <= locked(ROOT / "requirements-dev.lock")


def test_web_and_worker_import_without_the_training_packages():
    only_training = locked(ROOT / "requirements-training.lock") - locked(ROOT / "requirements.lock")
    blocked = set().union(*(top_level_modules(name) for name in only_training))
    assert {"sklearn", "matplotlib", "tqdm", "scipy"}.issubset(blocked)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(sorted(blocked))],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "sightings.tasks.sighting_process_task" in result.stdout
