"""What a submission reads of its project: once per PROJECT_CACHE_SECONDS per process, and at once
after a change made in this process."""

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Membership, Project
from projects.selectors import projects_forget
from projects.services import project_member_set
from regulations.models import Region
from sightings.services.submission import sighting_submit
from tests import factories

pytestmark = pytest.mark.django_db


def submit(owner, project="lake-erie", latitude=41.6, longitude=-81.9):
    return sighting_submit(
        owner=owner,
        photo=factories.photo_bytes(),
        latitude=latitude,
        longitude=longitude,
        observed_at=factories.aware(2026, 6, 1, 8, 0),
        project=project,
    )


@pytest.fixture
def project(db):
    return Project.objects.create(name="Lake Erie survey", slug="lake-erie")


def project_reads(queries):
    return [query for query in queries.captured_queries if '"projects_project"' in query["sql"]]


def test_a_second_submission_reads_no_project(angler, project):
    submit(angler)
    with CaptureQueriesContext(connection) as queries:
        submit(angler)
    assert project_reads(queries) == []
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert statements == ["INSERT"], statements


def test_closing_a_project_in_this_process_refuses_the_next_submission(angler, project):
    submit(angler)
    project.accepts_submissions = False
    project.save()
    with pytest.raises(ValidationError, match="no longer accepts"):
        submit(angler)


def test_a_change_made_elsewhere_is_seen_within_the_cache_time(angler, project, settings):
    settings.PROJECT_CACHE_SECONDS = 3600
    submit(angler)
    # As another process would: no signal reaches this one.
    Project.objects.filter(pk=project.pk).update(accepts_submissions=False)
    submit(angler)  # still the copy read before
    projects_forget()  # what the cache time's end does
    with pytest.raises(ValidationError, match="no longer accepts"):
        submit(angler)


def test_no_cache_time_reads_the_project_on_every_submission(angler, project, settings):
    settings.PROJECT_CACHE_SECONDS = 0
    submit(angler)
    Project.objects.filter(pk=project.pk).update(accepts_submissions=False)
    with pytest.raises(ValidationError, match="no longer accepts"):
        submit(angler)


def test_membership_of_a_members_only_project_is_asked_every_time(angler, project):
    project.open_to_all = False
    project.save()
    with pytest.raises(ValidationError, match="members only"):
        submit(angler)
    project_member_set(project=project, user=angler, role=Membership.Role.MEMBER)
    assert submit(angler).project_id == project.pk
    Membership.objects.filter(project=project, user=angler).delete()
    with pytest.raises(ValidationError, match="members only"):
        submit(angler)


def test_a_region_added_in_this_process_limits_the_next_submission(angler, project):
    submit(angler, latitude=10.0, longitude=10.0)
    box = Polygon.from_bbox((-84, 41, -78, 43))
    erie = Region.objects.create(
        code="erie", name="Lake Erie", kind=Region.Kind.LAKE, geometry=MultiPolygon(box, srid=4326)
    )
    project.regions.add(erie)
    with pytest.raises(ValidationError, match="outside the area"):
        submit(angler, latitude=10.0, longitude=10.0)
    assert submit(angler).project_id == project.pk
