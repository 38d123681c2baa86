"""Data made before projects existed moves into the default fish project."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OLD = [("sightings", "0007_uncertain_answers"), ("classifier", "0002_model_lifecycle")]
BEFORE = [*OLD, ("projects", None)]
AFTER = [("sightings", "0008_sighting_project"), ("classifier", "0003_modelversion_project")]


@pytest.mark.django_db(transaction=True)
def test_sightings_and_model_versions_move_into_the_default_project():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(OLD).apps
    owner = old.get_model("auth", "User").objects.create(username="early angler")
    version = old.get_model("classifier", "ModelVersion").objects.create(
        name="early model",
        onnx_file="models/early.onnx",
        sha256="0" * 64,
        labels=[],
        preprocessing={},
        is_active=True,
    )
    sighting = old.get_model("sightings", "Sighting").objects.create(
        owner_id=owner.pk, photo="originals/early.jpg", photo_sha256="1" * 64
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    project = new.get_model("projects", "Project").objects.get()
    assert (project.slug, project.name, project.negative_name) == ("fish", "Fish", "not a fish")
    moved_version = new.get_model("classifier", "ModelVersion").objects.get(pk=version.pk)
    assert moved_version.project_id == project.pk and moved_version.is_active
    assert new.get_model("sightings", "Sighting").objects.get(pk=sighting.pk).project_id == project.pk

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
