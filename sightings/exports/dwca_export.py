"""Darwin Core Archive as GBIF ingests it: occurrence core, Simple Multimedia extension, meta.xml, eml.xml.

Only records under a licence GBIF accepts (CC0, CC BY, CC BY-NC) are included.
"""

import csv
from dataclasses import replace
from datetime import date
from xml.etree import ElementTree

import zipstream
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from ..credits import Credits
from ..models import Sighting
from ..published_photos import photo_is_published, published_photo_url
from .licences import LICENSE_URIS, REUSABLE_LICENSES
from .registry import Exporter, TextBuffer, exporter_register
from .selectors import COORDINATES_GENERALIZED, COORDINATES_TRUE, Coordinates, RegionNames, export_rows
from .values import local_moment_text, moment_text

DWC = "http://rs.tdwg.org/dwc/terms/"
DCTERMS = "http://purl.org/dc/terms/"
OCCURRENCE = DWC + "Occurrence"
MULTIMEDIA = "http://rs.gbif.org/terms/1.0/Multimedia"

OCCURRENCE_TERMS = [
    DWC + "occurrenceID",
    DWC + "basisOfRecord",
    DWC + "occurrenceStatus",
    DWC + "scientificName",
    DWC + "vernacularName",
    DWC + "taxonRank",
    DWC + "kingdom",
    DWC + "eventDate",
    DWC + "decimalLatitude",
    DWC + "decimalLongitude",
    DWC + "geodeticDatum",
    DWC + "coordinateUncertaintyInMeters",
    DWC + "countryCode",
    DWC + "stateProvince",
    DWC + "waterBody",
    DWC + "recordedBy",
    DWC + "identifiedBy",
    DWC + "identificationVerificationStatus",
    DWC + "identificationRemarks",
    DCTERMS + "license",
    DCTERMS + "rightsHolder",
    DCTERMS + "modified",
    DWC + "informationWithheld",
    DWC + "dataGeneralizations",
    DWC + "datasetID",
    DWC + "datasetName",
    DWC + "organismID",
]
MULTIMEDIA_TERMS = [
    DCTERMS + "type",
    DCTERMS + "format",
    DCTERMS + "identifier",
    DCTERMS + "created",
    DCTERMS + "creator",
    DCTERMS + "license",
    DCTERMS + "rightsHolder",
]
KNOWN_TERMS = frozenset(OCCURRENCE_TERMS + MULTIMEDIA_TERMS + [OCCURRENCE, MULTIMEDIA])

# The dataset's licence is the most restrictive of its records'.
LICENSE_ORDER = [Sighting.License.CC0, Sighting.License.CC_BY, Sighting.License.CC_BY_NC]
LICENSE_NAMES: dict[str, str] = {
    Sighting.License.CC0: "Creative Commons Zero v1.0 Universal (CC0 1.0)",
    Sighting.License.CC_BY: "Creative Commons Attribution (CC-BY) 4.0",
    Sighting.License.CC_BY_NC: "Creative Commons Attribution Non Commercial (CC-BY-NC) 4.0",
}
VERIFICATION: dict[str, str] = {
    Sighting.QualityGrade.VERIFIED: "verified",
    Sighting.QualityGrade.NEEDS_ID: "unverified",
    Sighting.QualityGrade.CASUAL: "unverified",
}
PHOTO_WITHHELD = "Photo withheld with the place, at the observer's request."
WITHHELD: dict[str, str] = {
    Coordinates.WITHHELD: "Coordinates withheld at the observer's request.",
    Coordinates.GENERALIZED: "Precise coordinates withheld: generalized to a 0.2-degree grid cell.",
}
GENERALIZED = (
    "Coordinates are a stable random point within the record's 0.2-degree grid cell;"
    " coordinateUncertaintyInMeters covers the whole cell."
)
NOT_FOR_PUBLICATION_FILENAME = "dwca-not-for-publication.zip"
COORDINATE_NOTES = {
    "true": (
        "NOT FOR PUBLICATION. This archive holds exact coordinates of obscured and private records; it"
        " was made for a viewer allowed to see true locations and must not be shared or published."
        " Ask for the default archive (generalized coordinates) to publish."
    ),
    "generalized": (
        "This archive holds generalized coordinates: obscured records and records of species an authority"
        " marks sensitive are a stable random point in their 0.2-degree grid cell (see dataGeneralizations),"
        " and private records have no coordinates (see informationWithheld)."
    ),
}


def event_date(row):
    """Local time with the observer's offset where the viewer may know it (as Darwin Core
    recommends), else UTC."""
    return local_moment_text(row.observed_at, row.utc_offset) or moment_text(row.observed_at)


def _clean(value):
    if value is None:
        return ""
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def meta_xml():
    archive = ElementTree.Element("archive", xmlns="http://rs.tdwg.org/dwc/text/", metadata="eml.xml")
    for tag, row_type, location, terms in (
        ("core", OCCURRENCE, "occurrence.txt", OCCURRENCE_TERMS[1:]),
        ("extension", MULTIMEDIA, "multimedia.txt", MULTIMEDIA_TERMS),
    ):
        element = ElementTree.SubElement(
            archive,
            tag,
            encoding="UTF-8",
            fieldsTerminatedBy="\\t",
            linesTerminatedBy="\\n",
            fieldsEnclosedBy="",
            ignoreHeaderLines="1",
            rowType=row_type,
        )
        ElementTree.SubElement(ElementTree.SubElement(element, "files"), "location").text = location
        ElementTree.SubElement(element, "id" if tag == "core" else "coreid", index="0")
        if tag == "core":
            ElementTree.SubElement(element, "field", index="0", term=OCCURRENCE_TERMS[0])
        for index, term in enumerate(terms, start=1):
            ElementTree.SubElement(element, "field", index=str(index), term=term)
    return _xml(archive)


class Extent:
    """The bounding box of the places shown and the range of local dates, over the rows written."""

    def __init__(self):
        self.west = self.south = self.east = self.north = None
        self.first = self.last = None

    def add(self, row):
        if row.latitude is not None and row.longitude is not None:
            self.west = row.longitude if self.west is None else min(self.west, row.longitude)
            self.east = row.longitude if self.east is None else max(self.east, row.longitude)
            self.south = row.latitude if self.south is None else min(self.south, row.latitude)
            self.north = row.latitude if self.north is None else max(self.north, row.latitude)
        if row.observed_at is not None:
            day = event_date(row)[:10]
            self.first = day if self.first is None else min(self.first, day)
            self.last = day if self.last is None else max(self.last, day)


def _coverage(dataset, extent):
    if extent is None or (extent.west is None and extent.first is None):
        return
    coverage = ElementTree.SubElement(dataset, "coverage")
    if extent.west is not None:
        geographic = ElementTree.SubElement(coverage, "geographicCoverage")
        ElementTree.SubElement(
            geographic, "geographicDescription"
        ).text = "The bounding box of the places shown in this archive."
        box = ElementTree.SubElement(geographic, "boundingCoordinates")
        for side in ("west", "east", "north", "south"):
            ElementTree.SubElement(box, f"{side}BoundingCoordinate").text = str(getattr(extent, side))
    if extent.first is not None:
        dates = ElementTree.SubElement(ElementTree.SubElement(coverage, "temporalCoverage"), "rangeOfDates")
        for tag, day in (("beginDate", extent.first), ("endDate", extent.last)):
            ElementTree.SubElement(ElementTree.SubElement(dates, tag), "calendarDate").text = day


def eml_xml(*, viewer, coordinates, licenses, count, datasets=(), extent=None):
    strictest = max(licenses, key=LICENSE_ORDER.index) if licenses else Sighting.License.CC_BY_NC
    eml = ElementTree.Element(
        "eml:eml",
        {
            "xmlns:eml": "eml://ecoinformatics.org/eml-2.1.1",
            "xmlns:dc": "http://purl.org/dc/terms/",
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsi:schemaLocation": "eml://ecoinformatics.org/eml-2.1.1 http://rs.gbif.org/schema/eml-gbif-profile/1.2/eml.xsd",
            "packageId": f"catchlog-export-{timezone.now():%Y%m%dT%H%M%S}",
            "system": "http://gbif.org",
            "scope": "system",
            "xml:lang": "en",
        },
    )
    dataset = ElementTree.SubElement(eml, "dataset")
    title = "Catch log: " + (", ".join(sorted(datasets)) or "photographed catches and sightings")
    if coordinates == COORDINATES_TRUE:
        title = "NOT FOR PUBLICATION (exact coordinates) - " + title
    ElementTree.SubElement(dataset, "title", {"xml:lang": "en"}).text = title
    for role in ("creator", "metadataProvider"):
        party = ElementTree.SubElement(dataset, role)
        ElementTree.SubElement(party, "organizationName").text = "Catch log"
        ElementTree.SubElement(party, "onlineUrl").text = settings.SITE_URL + "/"
    ElementTree.SubElement(dataset, "pubDate").text = date.today().isoformat()
    ElementTree.SubElement(dataset, "language").text = "en"
    abstract = ElementTree.SubElement(dataset, "abstract")
    ElementTree.SubElement(abstract, "para").text = (
        f"{count} occurrences photographed by anglers and identified by an image classifier and by people"
        " (identificationVerificationStatus tells whether the identification was verified). Each photo is"
        " a metadata-free copy of the upload."
    )
    ElementTree.SubElement(ElementTree.SubElement(dataset, "additionalInfo"), "para").text = COORDINATE_NOTES[
        coordinates
    ]
    rights = ElementTree.SubElement(ElementTree.SubElement(dataset, "intellectualRights"), "para")
    rights.text = "This work is licensed under a "
    link = ElementTree.SubElement(
        ElementTree.SubElement(rights, "ulink", url=LICENSE_URIS[strictest]), "citetitle"
    )
    link.text = LICENSE_NAMES[strictest]
    link.tail = ". Each record states its own licence in dcterms:license."
    _coverage(dataset, extent)
    contact = ElementTree.SubElement(dataset, "contact")
    name = ElementTree.SubElement(contact, "individualName")
    if viewer.first_name:
        ElementTree.SubElement(name, "givenName").text = viewer.first_name
    ElementTree.SubElement(name, "surName").text = viewer.last_name or viewer.get_username()
    ElementTree.SubElement(contact, "organizationName").text = "Catch log"
    if viewer.email:
        ElementTree.SubElement(contact, "electronicMailAddress").text = viewer.email
    return _xml(eml)


def _xml(element):
    ElementTree.indent(element)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
        element, encoding="utf-8", xml_declaration=False
    )


@exporter_register
class DarwinCoreArchiveExporter(Exporter):
    identifier = "dwca"
    label = "Darwin Core Archive"
    path = "dwca.zip"
    filename = "dwca.zip"
    content_type = "application/zip"
    option_schemas = {
        "coordinates": {
            "type": "string",
            "enum": [COORDINATES_TRUE, COORDINATES_GENERALIZED],
            "description": "true: exact places (trusted viewers; not for publication). Default: generalized.",
        }
    }

    @classmethod
    def narrow(cls, queryset, options):
        return queryset.filter(license__in=REUSABLE_LICENSES, species__isnull=False)

    @classmethod
    def options_clean(cls, options):
        # The archive is for publication: exact places only when asked, and then marked as not for it.
        value = options.get("coordinates")
        if value in (None, ""):
            return {}
        if value not in (COORDINATES_TRUE, COORDINATES_GENERALIZED):
            raise ValidationError({"coordinates": "Give true (exact, not for publication) or generalized."})
        return {"coordinates": value}

    @classmethod
    def publishable(cls, options):
        return options.get("coordinates") != COORDINATES_TRUE

    @classmethod
    def filename_for(cls, options):
        return cls.filename if cls.publishable(options) else NOT_FOR_PUBLICATION_FILENAME

    def chunks(self):
        self.licenses: set[str] = set()
        self.datasets: set[str] = set()
        self.places = RegionNames()
        self.extent = Extent()
        self.credits = Credits()
        archive = zipstream.ZipStream(compress_type=zipstream.ZIP_DEFLATED)
        archive.add(meta_xml(), "meta.xml")
        archive.add(self._occurrences(), "occurrence.txt")
        archive.add(self._multimedia(), "multimedia.txt")
        yield from archive.all_files()
        archive.add(
            eml_xml(
                viewer=self.selection.viewer,
                coordinates=self.selection.coordinates,
                licenses=self.licenses,
                datasets=self.datasets,
                count=self.written,
                extent=self.extent,
            ),
            "eml.xml",
        )
        yield from archive.finalize()
        self.finish()

    def _table(self, header, rows):
        buffer = TextBuffer()
        writer = csv.writer(
            buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar=None
        )
        writer.writerow(header)
        for values in rows:
            writer.writerow([_clean(value) for value in values])
            if buffer.full():
                yield buffer.take()
        yield buffer.take()

    def _occurrences(self):
        header = [term.rsplit("/", 1)[1] for term in OCCURRENCE_TERMS]
        return self._table(header, self._occurrence_values())

    def _occurrence_values(self):
        for row in export_rows(selection=self.selection, people=True):
            self.licenses.add(row.license)
            self.datasets.add(row.dataset_name)
            self.count_row()
            recorded_by = self.credits.of(row.owner_id)
            place = self.places.of(row)
            self.extent.add(row)
            yield [
                f"urn:uuid:{row.id}",
                "HumanObservation",
                "present",
                row.scientific_name,
                row.common_name,
                row.rank,
                row.kingdom,
                event_date(row),
                row.latitude,
                row.longitude,
                "WGS84" if row.latitude is not None else "",
                None if row.uncertainty_m is None else round(row.uncertainty_m),
                place.country_code,
                place.state_province,
                place.water_body,
                recorded_by,
                self._identified_by(row),
                VERIFICATION.get(row.quality_grade, ""),
                self._machine_suggestion(row),
                LICENSE_URIS[row.license],
                recorded_by,
                moment_text(row.updated_at),
                self._withheld(row),
                GENERALIZED if row.coordinates == Coordinates.GENERALIZED else "",
                f"urn:uuid:{row.dataset_id}",
                row.dataset_name,
                f"urn:uuid:{row.individual_id}" if row.individual_id else "",
            ]

    def _multimedia(self):
        header = ["coreid"] + [term.rsplit("/", 1)[1] for term in MULTIMEDIA_TERMS]
        return self._table(header, self._multimedia_values())

    def _multimedia_values(self):
        # Permanent public addresses of published photos only (sightings.published_photos).
        with_photo = self.selection.queryset.exclude(public_photo="")
        selection = replace(self.selection, queryset=with_photo)
        for row in export_rows(selection=selection, people=True):
            if not photo_is_published(
                license=row.license, geoprivacy=row.geoprivacy, public_photo=row.public_photo
            ):
                continue
            credit = self.credits.of(row.owner_id)
            yield [
                f"urn:uuid:{row.id}",
                "StillImage",
                "image/jpeg",
                published_photo_url(sighting_id=row.id),
                event_date(row),
                credit,
                LICENSE_URIS[row.license],
                credit,
            ]

    @staticmethod
    def _withheld(row):
        notes = [WITHHELD.get(row.coordinates, "")]
        if row.public_photo and row.geoprivacy == Sighting.Geoprivacy.PRIVATE:
            notes.append(PHOTO_WITHHELD)
        return " ".join(note for note in notes if note)

    @staticmethod
    def _machine_suggestion(row):
        # What the classifier said, next to the identification that counts (a person's, or its own).
        if not row.top_name or row.top_score is None:
            return ""
        return f"Machine suggestion: {row.top_name} (score {row.top_score:.3f}, model {row.model_version})."

    def _identified_by(self, row):
        # A person as they chose to be credited; the classifier when no person decided.
        if row.identified_by_id is not None:
            return self.credits.of(row.identified_by_id) or "a contributor"
        return f"classifier {row.model_version}" if row.model_version else ""
