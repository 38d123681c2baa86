"""An angler's catch enters the platform: validate, store the photo, write the row, queue the work."""

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from classifier.imaging import PhotoError, inspect_photo
from projects.models import Project
from projects.selectors import project_for_submission
from regulations.time_zones import OFFSET_MINUTES_MAX, OFFSET_MINUTES_MIN, offset_minutes, zone_at

from ..models import Sighting, original_photo_key
from ..storage import storage_delete_quietly, storage_save
from .identifications import sighting_initial_identity
from .remote_photos import photo_download

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=5)
MIN_PHOTO_SIDE = 16
MAX_ASPECT_RATIO = 20
# Lengths are stored to the millimetre; the upper bound is above the largest fish (whale shark, about 19 m).
LENGTH_CM_MIN = Decimal("0.1")
LENGTH_CM_MAX = Decimal("2000")


def sighting_submit(
    *,
    owner: "User",
    photo: bytes | File | None = None,
    photo_url: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    observed_at: datetime | None = None,
    location_accuracy_m: float | None = None,
    length_cm: Decimal | float | None = None,
    notes: str = "",
    geoprivacy: str = Sighting.Geoprivacy.OBSCURED,
    license: str = Sighting.License.CC_BY_NC,
    project: str | None = None,
) -> Sighting:
    """Create a pending sighting in the project with slug `project` (default: the default project);
    location and time fall back to the photo's EXIF.

    The photo is given as bytes or an uploaded file (`photo`), or as a public address to fetch
    (`photo_url`), never both. Raises ValidationError (keyed by field) for bad input and
    StorageUnavailable when the photo store is down. Either the photo and its row both exist
    afterwards, or neither does.
    """
    _check_length(length_cm)
    target = _project_for(owner=owner, slug=project)
    data = _photo_bytes(photo=photo, photo_url=photo_url)
    try:
        info = inspect_photo(data, max_pixels=settings.PHOTO_MAX_PIXELS)
    except PhotoError as error:
        raise ValidationError({"photo": str(error)}, code=error.code) from error
    if min(info.width, info.height) < MIN_PHOTO_SIDE:
        raise ValidationError(
            {"photo": f"The photo is {info.width}x{info.height} pixels: too small to show a catch."}
        )
    if max(info.width, info.height) > MAX_ASPECT_RATIO * min(info.width, info.height):
        raise ValidationError(
            {"photo": f"The photo is {info.width}x{info.height} pixels: not a plausible photo shape."}
        )

    location = _location(latitude=latitude, longitude=longitude, exif_gps=info.gps)
    _check_project_area(project=target, location=location)
    observed_at, utc_offset = _observed_time(
        observed_at=observed_at, exif_taken_at=info.taken_at, place=location
    )

    name = storage_save(name=original_photo_key(None, f"photo.{info.extension}"), data=data)
    try:
        # One INSERT: atomic by itself, so no transaction of its own (two round trips fewer). Inside
        # a caller's transaction the work is queued when that commits.
        sighting = Sighting(
            owner=owner,
            project=target,
            photo=name,
            photo_sha256=hashlib.sha256(data).hexdigest(),
            exif=info.exif,
            location=location,
            location_accuracy_m=location_accuracy_m,
            observed_at=observed_at,
            utc_offset_minutes=utc_offset,
            length_cm=length_cm,
            notes=notes,
            geoprivacy=geoprivacy,
            license=license,
        )
        sighting_initial_identity(sighting=sighting)
        sighting.save(force_insert=True)
    except BaseException:
        storage_delete_quietly(name=name)
        raise
    transaction.on_commit(lambda: sighting_enqueue_work(sighting_id=sighting.pk))
    return sighting


def sighting_enqueue_work(*, sighting_id: UUID) -> None:
    """Queue classification and the public photo copy (one task).

    A broker outage is logged rather than raised: the row is already committed as pending, and
    the periodic re-queue job queues it again once the broker is back.
    """
    from ..tasks import sighting_process_task

    try:
        sighting_process_task.apply_async(args=[str(sighting_id)], retry=False)
    except Exception:
        logger.warning("could not queue work for %s; the re-queue job will", sighting_id, exc_info=True)


def _photo_bytes(*, photo: bytes | File | None, photo_url: str | None) -> bytes:
    """The photo's bytes, within PHOTO_MAX_BYTES: the one place that limit is checked for a submission."""
    limit = settings.PHOTO_MAX_BYTES
    if photo is None and photo_url is not None:
        return photo_download(photo_url, max_bytes=limit)
    if photo is None or photo_url is not None:
        raise ValidationError({"photo": "Send either a photo file or a photo_url, not both or neither."})
    size = len(photo) if isinstance(photo, bytes) else photo.size
    if size > limit:
        raise ValidationError({"photo": f"The photo is larger than {limit} bytes."})
    if isinstance(photo, bytes):
        return photo
    photo.seek(0)
    return photo.read()


def _project_for(*, owner: "User", slug: str | None) -> Project:
    project = project_for_submission(slug=slug, user_id=owner.pk)
    if project is None:
        raise ValidationError({"project": f"No project has the slug {str(slug)[:100]!r}."})
    if not project.accepts_submissions:
        raise ValidationError({"project": f"{project.name} no longer accepts submissions."})
    if not (project.open_to_all or project.is_member):  # type: ignore[attr-defined]
        raise ValidationError({"project": f"{project.name} is for its members only."})
    return project


def _check_project_area(*, project: Project, location: Point) -> None:
    if not project.has_regions:  # type: ignore[attr-defined]
        return
    if not project.regions.filter(geometry__intersects=location).exists():
        names = ", ".join(project.regions.order_by("name").values_list("name", flat=True)[:5])
        raise ValidationError(
            {"latitude": f"This place is outside the area {project.name} records ({names})."}
        )


def _check_length(length_cm: Decimal | float | None) -> None:
    if length_cm is None:
        return
    try:
        length = Decimal(str(length_cm))
    except InvalidOperation:
        raise ValidationError({"length_cm": "Must be a number of centimetres."}) from None
    if not length.is_finite() or not LENGTH_CM_MIN <= length <= LENGTH_CM_MAX:
        raise ValidationError({"length_cm": f"Must be between {LENGTH_CM_MIN} and {LENGTH_CM_MAX} cm."})


def _location(
    *, latitude: float | None, longitude: float | None, exif_gps: tuple[float, float] | None
) -> Point:
    if (latitude is None) != (longitude is None):
        field = "longitude" if latitude is not None else "latitude"
        raise ValidationError({field: "Give both latitude and longitude, or neither."})
    if latitude is None or longitude is None:  # both, after the check above
        if exif_gps is None:
            raise ValidationError(
                {"latitude": "Required: the photo carries no GPS position, so give latitude and longitude."}
            )
        latitude, longitude = exif_gps
    latitude, longitude = float(latitude), float(longitude)
    if not -90 <= latitude <= 90:
        raise ValidationError({"latitude": "Must be between -90 and 90 degrees."})
    if not -180 <= longitude <= 180:
        raise ValidationError({"longitude": "Must be between -180 and 180 degrees."})
    return Point(x=longitude, y=latitude, srid=4326)


def _observed_time(
    *, observed_at: datetime | None, exif_taken_at: datetime | None, place: Point
) -> tuple[datetime, int | None]:
    """The moment of the catch, and the observer's UTC offset then (minutes east).

    A time given with a non-zero offset (the web form sends the browser's) keeps it; an EXIF time
    without one is the camera's local time at the place; a time in UTC (or without an offset, from
    the API) gets the offset of the place's time zone at that moment.
    """
    zone = zone_at(latitude=place.y, longitude=place.x)
    if observed_at is None:
        if exif_taken_at is None:
            raise ValidationError({"observed_at": "Required: the photo carries no capture time."})
        observed_at = exif_taken_at
        if timezone.is_naive(observed_at):
            observed_at = timezone.make_aware(observed_at, zone or UTC)
    if timezone.is_naive(observed_at):
        observed_at = timezone.make_aware(observed_at, UTC)
    if observed_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"observed_at": "Must not be in the future."})
    if observed_at < datetime(1900, 1, 1, tzinfo=UTC):
        raise ValidationError({"observed_at": "Must be after 1900."})
    offset = offset_minutes(observed_at)
    if not offset and zone is not None:
        offset = offset_minutes(observed_at.astimezone(zone))
    if offset is not None and not OFFSET_MINUTES_MIN <= offset <= OFFSET_MINUTES_MAX:
        raise ValidationError({"observed_at": "The UTC offset must be between -15:00 and +15:00."})
    return observed_at, offset
