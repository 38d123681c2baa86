import os
from pathlib import Path

import pytest
from django.conf import settings

from classifier.runtime import model_sessions_clear

from .tiny_models import RGB_LABELS, color_model, color_spec

SHARED_DATA = Path(os.environ.get("CATCHLOG_SHARED_DIR", Path(settings.BASE_DIR).parent / "shared")) / "data"


@pytest.fixture(autouse=True)
def fresh_sessions():
    # Rolled-back tests reuse primary keys, so a cached session must not outlive its test.
    model_sessions_clear()
    yield
    model_sessions_clear()


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the team data in {SHARED_DATA} (absent here)")
    return SHARED_DATA


@pytest.fixture
def register_color_model(db):
    """Register a tiny colour model: model options and register() options as keywords."""
    from classifier.services import model_version_register

    def register(*, model=None, spec=None, labels=RGB_LABELS, **options):
        options.setdefault("name", "colour")
        options.setdefault("source", "imported")
        return model_version_register(
            onnx_bytes=color_model(**(model or {})),
            labels=labels,
            preprocessing=color_spec(**(spec or {})),
            **options,
        )

    return register
