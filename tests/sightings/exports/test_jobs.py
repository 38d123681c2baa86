"""Background exports: a job row with status and counters, a stored snapshot, a signed link."""

import csv
import io

import pytest
from django.core.files.storage import default_storage

from sightings.errors import StorageUnavailable
from sightings.exports import services
from sightings.exports.services import export_job_create, export_job_run
from sightings.models import ExportJob
from tests.conftest import token_client, wait_for

from .conftest import sighting_make
from .helpers import CSV_URL, content, dataset_metadata, download

JOBS = "/api/v1/exports/jobs/"


@pytest.mark.django_db
def test_post_runs_the_job_and_get_gives_counts_and_a_signed_link(
    three_sightings, researcher, eager_tasks, django_capture_on_commit_callbacks
):
    client = token_client(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(JOBS, {"format": "csv", "filters": {"quality_grade": "any"}}, format="json")
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response["Location"] == f"{JOBS}{job_id}/"
    body = client.get(f"{JOBS}{job_id}/").json()
    assert body["status"] == "done" and body["coordinates"] == "generalized"
    assert body["rows_total"] == 3 and body["rows_written"] == 3 and body["progress"] == 1.0
    rows = list(csv.DictReader(io.StringIO(download(body["download_url"]).decode())))
    snapshot = {row["id"]: row for row in rows}
    live = {row["id"]: row for row in csv.DictReader(io.StringIO(content(client.get(CSV_URL)).decode()))}
    assert snapshot.keys() == live.keys()
    obscured = str(three_sightings["obscured"].pk)
    assert snapshot[obscured]["latitude"] == live[obscured]["latitude"] != "41.123456"


@pytest.mark.django_db
def test_users_see_only_their_own_jobs_and_anglers_none(researcher, trusted_researcher, angler):
    mine = export_job_create(user=researcher, format="csv", filters={})
    theirs = export_job_create(user=trusted_researcher, format="geojson", filters={})
    client = token_client(researcher)
    assert client.get(f"{JOBS}{theirs.pk}/").status_code == 404
    assert [job["id"] for job in client.get(JOBS).json()["results"]] == [str(mine.pk)]
    assert token_client(angler).get(JOBS).status_code == 403
    assert token_client(angler).post(JOBS, {"format": "csv"}, format="json").status_code == 403
    assert token_client(None).get(f"{JOBS}{mine.pk}/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"format": "pdf"}, "format"),
        ({"format": "csv", "filters": {"bbox": "1,2"}}, "bbox"),
        ({"format": "csv", "options": {"split_seed": "3"}}, "split_seed"),
        ({"format": "dataset", "options": {"split_seed": "x"}}, "split_seed"),
    ],
)
def test_bad_job_requests_answer_400_and_store_nothing(researcher, payload, field):
    response = token_client(researcher).post(JOBS, payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_running_twice_keeps_the_first_snapshot(three_sightings, researcher):
    job = export_job_create(user=researcher, format="dwca", filters={})
    first = export_job_run(job_id=job.pk)
    assert first.status == ExportJob.Status.DONE and first.attempts == 1
    again = export_job_run(job_id=job.pk)
    assert again.file.name == first.file.name and again.attempts == 1
    assert default_storage.exists(first.file.name)


@pytest.mark.django_db
def test_a_storage_outage_raises_for_a_retry_and_the_retry_finishes(three_sightings, researcher, monkeypatch):
    job = export_job_create(user=researcher, format="csv", filters={})
    real_save = default_storage.save
    calls = []

    def flaky(name, content, *args, **kwargs):
        calls.append(name)
        if len(calls) == 1:
            raise OSError("disk unavailable")
        return real_save(name, content, *args, **kwargs)

    monkeypatch.setattr(default_storage, "save", flaky)
    with pytest.raises(StorageUnavailable):
        export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.QUEUED and "disk unavailable" in job.error
    job = export_job_run(job_id=job.pk)
    assert (
        job.status == ExportJob.Status.DONE and job.attempts == 2 and job.rows_written == 3 and not job.error
    )


@pytest.mark.django_db
def test_a_failing_export_records_the_traceback(researcher, monkeypatch):
    job = export_job_create(user=researcher, format="csv", filters={})

    def broken(**kwargs):
        raise RuntimeError("the exporter broke")

    monkeypatch.setattr(services, "export_count", broken)
    job = export_job_run(job_id=job.pk)
    assert job.status == ExportJob.Status.FAILED and "Traceback" in job.error
    body = token_client(researcher).get(f"{JOBS}{job.pk}/").json()
    assert body["error"] == "RuntimeError: the exporter broke" and body["download_url"] is None


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_worker_builds_the_snapshot_on_s3(
    celery_worker, angler, moderator, trusted_researcher, color_model
):
    from django.conf import settings

    sighting = sighting_make(
        owner=angler, moderator=moderator, latitude=41.123456, longitude=-81.654321, geoprivacy="obscured"
    )
    client = token_client(trusted_researcher)
    response = client.post(
        JOBS, {"format": "dataset", "filters": {}, "options": {"split_seed": 1}}, format="json"
    )
    assert response.status_code == 202
    url = f"{JOBS}{response.json()['id']}/"
    body = wait_for(
        lambda: (b := client.get(url).json())["status"] in ("done", "failed") and b, message="the export job"
    )
    assert body["status"] == "done", body
    assert body["coordinates"] == "true" and body["rows_written"] == 1
    assert settings.AWS_STORAGE_BUCKET_NAME and "Signature=" in body["download_url"]
    import zipfile

    zipped = zipfile.ZipFile(io.BytesIO(download(body["download_url"])))
    assert any(name.endswith(f"/micropterus_salmoides/{sighting.pk}.jpg") for name in zipped.namelist())
    assert "41.123456" in dataset_metadata(zipped)


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["csv", "geojson", "dwca", "dataset"])
def test_a_job_counts_exactly_the_rows_it_writes(three_sightings, researcher, format):
    # An area holding the open and the obscured sighting's true places but not the obscured one's
    # shown point (a hole around it): for a researcher only the open one is inside.
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from regulations.models import Region

    shown = three_sightings["obscured"].cell_point
    outer = ((-81.8, 41.0), (-81.6, 41.0), (-81.6, 41.6), (-81.8, 41.6), (-81.8, 41.0))
    hole = tuple(
        (shown.x + dx, shown.y + dy)
        for dx, dy in ((-1e-3, -1e-3), (1e-3, -1e-3), (1e-3, 1e-3), (-1e-3, 1e-3), (-1e-3, -1e-3))
    )
    area = Region.objects.create(
        code="around",
        name="around",
        kind=Region.Kind.STATE_WATERS,
        geometry=MultiPolygon(Polygon(outer, hole), srid=4326),
    )
    job = export_job_create(
        user=researcher, format=format, filters={"quality_grade": "any", "region": area.code}
    )
    job = export_job_run(job_id=job.pk)
    assert job.status == ExportJob.Status.DONE
    assert job.rows_total == job.rows_written + job.rows_skipped == 1
    assert job.rows_written == 1
