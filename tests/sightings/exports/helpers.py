import csv
import io
import json
import urllib.parse
import urllib.request
import zipfile
from datetime import date

from django.contrib.gis.geos import MultiPolygon, Polygon

from regulations.models import Region, Regulation
from sightings.photo_links import photo_name_from_token
from tests.conftest import token_client

CSV_URL = "/api/v1/exports/sightings.csv"
GEOJSON_URL = "/api/v1/exports/sightings.geojson"
DWCA_URL = "/api/v1/exports/dwca.zip"
DATASET_URL = "/api/v1/exports/dataset.zip"


def content(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def get(user, url, **params):
    return token_client(user).get(url, params)


def csv_rows(user, **params):
    response = get(user, CSV_URL, **params)
    assert response.status_code == 200, content(response)
    return {row["id"]: row for row in csv.DictReader(io.StringIO(content(response).decode()))}


def geojson(user, **params):
    response = get(user, GEOJSON_URL, **params)
    assert response.status_code == 200, content(response)
    return json.loads(content(response))


def archive(user, url, **params):
    response = get(user, url, **params)
    assert response.status_code == 200, content(response)
    return zipfile.ZipFile(io.BytesIO(content(response)))


def dataset_metadata(zipped) -> str:
    """Every split's metadata.csv of an ML dataset archive, as one CSV text (one header)."""
    texts = [
        zipped.read(name).decode() for name in sorted(zipped.namelist()) if name.endswith("/metadata.csv")
    ]
    header = texts[0].split("\n", 1)[0] + "\n" if texts else ""
    return header + "".join(text.split("\n", 1)[1] for text in texts)


def region_make(*, code, bbox, country_code="", name="", kind=Region.Kind.STATE_WATERS, **fields):
    polygon = Polygon.from_bbox(bbox)
    return Region.objects.create(
        code=code,
        name=name or code,
        kind=kind,
        country_code=country_code,
        geometry=MultiPolygon(polygon, srid=4326),
        **fields,
    )


def sensitive_regulation(*, region, species):
    regulation = Regulation.objects.create(
        code=f"sensitive-{species.pk}",
        region=region,
        sensitive=True,
        source_url="https://example.org/rules",
        last_checked=date(2026, 1, 1),
    )
    regulation.species.add(species)
    return regulation


def download(url):
    """What a signed address serves: the photo view on local files, the S3 server otherwise."""
    if url.startswith("/"):
        return content(token_client(None).get(url))
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


def stored_name(url):
    """The storage name a signed address stands for."""
    if url.startswith("/photos/"):
        return photo_name_from_token(url.rsplit("/", 1)[1])
    return urllib.parse.unquote(urllib.parse.urlparse(url).path).split("/", 2)[2]
