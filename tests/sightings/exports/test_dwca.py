"""The Darwin Core Archive: structure GBIF reads, real term URIs, licences, generalization notes."""

import csv
import io
import zipfile
from xml.etree import ElementTree

import pytest

from sightings.exports.dwca_export import KNOWN_TERMS
from tests.conftest import token_client

from .helpers import DWCA_URL, archive, content, download, get, region_make, stored_name

pytestmark = pytest.mark.django_db
TEXT = "{http://rs.tdwg.org/dwc/text/}"

# Term names from the TDWG standards (Darwin Core quick reference, DCMI terms, GBIF Simple
# Multimedia), written out here independently of the code under test.
DWC_TERMS = {
    "Occurrence",
    "occurrenceID",
    "basisOfRecord",
    "scientificName",
    "vernacularName",
    "taxonRank",
    "kingdom",
    "phylum",
    "class",
    "order",
    "family",
    "genus",
    "specificEpithet",
    "eventDate",
    "eventTime",
    "year",
    "month",
    "day",
    "decimalLatitude",
    "decimalLongitude",
    "geodeticDatum",
    "coordinateUncertaintyInMeters",
    "coordinatePrecision",
    "countryCode",
    "country",
    "stateProvince",
    "locality",
    "identifiedBy",
    "dateIdentified",
    "identificationVerificationStatus",
    "informationWithheld",
    "dataGeneralizations",
    "recordedBy",
    "individualCount",
    "occurrenceRemarks",
    "institutionCode",
    "collectionCode",
    "catalogNumber",
    "datasetID",
    "datasetName",
    "organismID",
    "taxonID",
    "associatedMedia",
    "occurrenceStatus",
    "waterBody",
    "identificationRemarks",
}
DC_TERMS = {
    "license",
    "rightsHolder",
    "modified",
    "type",
    "format",
    "identifier",
    "created",
    "creator",
    "references",
    "title",
    "description",
    "language",
    "accessRights",
    "bibliographicCitation",
    "publisher",
}
VALID = (
    {f"http://rs.tdwg.org/dwc/terms/{name}" for name in DWC_TERMS}
    | {f"http://purl.org/dc/terms/{name}" for name in DC_TERMS}
    | {"http://rs.gbif.org/terms/1.0/Multimedia"}
)


def table(zipped, name):
    return list(csv.reader(io.StringIO(zipped.read(name).decode()), delimiter="\t", quoting=csv.QUOTE_NONE))


def records(zipped):
    header, *rows = table(zipped, "occurrence.txt")
    return {row[0].removeprefix("urn:uuid:"): dict(zip(header, row, strict=True)) for row in rows}


def test_every_term_the_code_knows_is_a_real_term():
    assert KNOWN_TERMS <= VALID


def test_meta_xml_maps_every_column_to_a_real_term(three_sightings, researcher):
    zipped = archive(researcher, DWCA_URL)
    assert set(zipped.namelist()) == {"meta.xml", "eml.xml", "occurrence.txt", "multimedia.txt"}
    meta = ElementTree.fromstring(zipped.read("meta.xml"))
    assert meta.get("metadata") == "eml.xml"
    core, extension = meta.find(f"{TEXT}core"), meta.find(f"{TEXT}extension")
    assert core.get("rowType") == "http://rs.tdwg.org/dwc/terms/Occurrence"
    assert extension.get("rowType") == "http://rs.gbif.org/terms/1.0/Multimedia"
    for element in (core, extension):
        assert element.get("fieldsTerminatedBy") == "\\t" and element.get("ignoreHeaderLines") == "1"
        location = element.find(f"{TEXT}files/{TEXT}location").text
        header, *rows = table(zipped, location)
        fields = element.findall(f"{TEXT}field")
        indexes = sorted(int(field.get("index")) for field in fields)
        assert len(indexes) == len(set(indexes))
        terms = [field.get("term") for field in fields]
        assert set(terms) <= VALID, set(terms) - VALID
        for field in fields:
            assert header[int(field.get("index"))] == field.get("term").rsplit("/", 1)[1]
        assert all(len(row) == len(header) for row in rows)
        assert max(indexes) == len(header) - 1
    assert core.find(f"{TEXT}id").get("index") == "0"
    assert extension.find(f"{TEXT}coreid").get("index") == "0"


def test_occurrence_core_values(three_sightings, researcher):
    open_record = records(archive(researcher, DWCA_URL))[str(three_sightings["open"].pk)]
    assert open_record["basisOfRecord"] == "HumanObservation"
    assert open_record["scientificName"] == "Micropterus salmoides"
    # Local time in Cleveland with its offset, as Darwin Core recommends (08:00 UTC).
    assert open_record["eventDate"] == "2026-06-01T04:00:00-04:00"
    assert float(open_record["decimalLatitude"]) == pytest.approx(41.501234)
    assert open_record["geodeticDatum"] == "WGS84"
    assert open_record["taxonRank"] == "species" and open_record["kingdom"] == "Animalia"
    # Neither the angler nor the moderator chose to be credited: no names, nothing that links records.
    assert open_record["recordedBy"] == open_record["rightsHolder"] == ""
    assert open_record["identifiedBy"] == "a contributor"
    assert open_record["identificationVerificationStatus"] == "verified"
    assert open_record["license"] == "http://creativecommons.org/licenses/by/4.0/legalcode"
    assert open_record["informationWithheld"] == open_record["dataGeneralizations"] == ""


def test_obscured_and_private_records_say_what_was_withheld(three_sightings, researcher, trusted_researcher):
    found = records(archive(researcher, DWCA_URL))
    obscured = found[str(three_sightings["obscured"].pk)]
    assert "0.2-degree" in obscured["informationWithheld"] and "0.2-degree" in obscured["dataGeneralizations"]
    assert int(obscured["coordinateUncertaintyInMeters"]) > 20_000
    assert not obscured["decimalLatitude"].startswith("41.1234")
    private = found[str(three_sightings["private"].pk)]
    assert private["decimalLatitude"] == private["decimalLongitude"] == private["geodeticDatum"] == ""
    assert "withheld" in private["informationWithheld"]
    # The default archive is the publishable one, whoever asks.
    default = records(archive(trusted_researcher, DWCA_URL))
    assert default[str(three_sightings["obscured"].pk)]["decimalLatitude"] == obscured["decimalLatitude"]
    assert default[str(three_sightings["private"].pk)]["decimalLatitude"] == ""


def test_the_exact_archive_is_asked_for_and_marked_not_for_publication(
    three_sightings, researcher, trusted_researcher
):
    response = get(trusted_researcher, DWCA_URL, coordinates="true")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dwca-not-for-publication.zip"'
    zipped = zipfile.ZipFile(io.BytesIO(content(response)))
    exact = records(zipped)[str(three_sightings["obscured"].pk)]
    assert exact["decimalLatitude"] == "41.123456" and exact["informationWithheld"] == ""
    eml = zipped.read("eml.xml").decode()
    assert "NOT FOR PUBLICATION" in ElementTree.fromstring(eml).find("dataset/title").text
    assert "must not be shared or published" in eml
    publishable = get(trusted_researcher, DWCA_URL)
    assert publishable["Content-Disposition"] == 'attachment; filename="dwca.zip"'
    assert (
        "NOT FOR PUBLICATION"
        not in zipfile.ZipFile(io.BytesIO(content(publishable))).read("eml.xml").decode()
    )
    asked_generalized = get(trusted_researcher, DWCA_URL, coordinates="generalized")
    assert asked_generalized.status_code == 200
    assert asked_generalized["Content-Disposition"] == 'attachment; filename="dwca.zip"'
    assert get(researcher, DWCA_URL, coordinates="exact").status_code == 400
    refused = get(researcher, DWCA_URL, coordinates="true")
    assert refused.status_code == 400 and "trusted researchers" in str(refused.json()["coordinates"])


def test_only_gbif_licences_are_included_and_the_dataset_licence_is_the_strictest(make_sighting, researcher):
    kept = {make_sighting(license=licence).pk for licence in ("cc0", "cc-by")}
    reserved = make_sighting(license="all-rights-reserved")
    zipped = archive(researcher, DWCA_URL)
    found = records(zipped)
    assert set(found) == {str(pk) for pk in kept}
    assert str(reserved.pk) not in zipped.read("multimedia.txt").decode()
    eml = ElementTree.fromstring(zipped.read("eml.xml"))
    assert (
        eml.find("dataset/intellectualRights/para/ulink").get("url")
        == "http://creativecommons.org/licenses/by/4.0/legalcode"
    )
    make_sighting(license="cc-by-nc")
    eml = ElementTree.fromstring(archive(researcher, DWCA_URL).read("eml.xml"))
    assert "by-nc" in eml.find("dataset/intellectualRights/para/ulink").get("url")


def test_eml_has_title_abstract_contact_and_coordinates_note(three_sightings, researcher):
    researcher.first_name, researcher.last_name, researcher.email = "Ada", "Fisher", "ada@example.org"
    researcher.save()
    eml = ElementTree.fromstring(archive(researcher, DWCA_URL).read("eml.xml"))
    assert eml.find("dataset/title").text
    assert "3 occurrences" in eml.find("dataset/abstract/para").text
    assert eml.find("dataset/contact/individualName/surName").text == "Fisher"
    assert eml.find("dataset/contact/electronicMailAddress").text == "ada@example.org"
    assert "generalized" in eml.find("dataset/additionalInfo/para").text


def test_multimedia_links_are_permanent_public_addresses_of_the_public_copies(
    three_sightings, make_sighting, researcher, settings
):
    settings.SITE_URL = "https://catchlog.example.org"
    unpublished = make_sighting(publish=False)
    reserved = make_sighting(license="all-rights-reserved")
    zipped = archive(researcher, DWCA_URL)
    header, *rows = table(zipped, "multimedia.txt")
    media = {row[0].removeprefix("urn:uuid:"): dict(zip(header, row, strict=True)) for row in rows}
    # The private sighting's photo is withheld with its place, and says so.
    assert set(media) == {str(three_sightings[name].pk) for name in ("open", "obscured")}
    assert str(unpublished.pk) not in media
    private = records(zipped)[str(three_sightings["private"].pk)]
    assert "Photo withheld" in private["informationWithheld"]
    anonymous = token_client(None)
    for name in ("open", "obscured"):
        sighting = three_sightings[name]
        item = media[str(sighting.pk)]
        assert item["type"] == "StillImage" and item["format"] == "image/jpeg"
        assert item["identifier"] == f"https://catchlog.example.org/photos/published/{sighting.pk}.jpg"
        # Anyone (GBIF's crawler) follows it, at any time, to a fresh address of the EXIF-free copy.
        answer = anonymous.get(item["identifier"].removeprefix(settings.SITE_URL))
        assert answer.status_code == 302 and "public" in answer["Cache-Control"]
        assert stored_name(answer["Location"]) == sighting.public_photo.name
        assert download(answer["Location"]) == sighting.public_photo.read()
    for hidden in (three_sightings["private"], unpublished, reserved):
        assert anonymous.get(f"/photos/published/{hidden.pk}.jpg").status_code == 404


def test_country_code_comes_from_the_region_holding_the_shown_point(three_sightings, researcher):
    region_make(code="ohio-waters", bbox=(-85.0, 38.0, -80.0, 42.5), country_code="US")
    found = records(archive(researcher, DWCA_URL))
    assert found[str(three_sightings["open"].pk)]["countryCode"] == "US"
    assert found[str(three_sightings["private"].pk)]["countryCode"] == ""


def test_records_are_linked_only_as_each_person_chose_to_be_credited(
    three_sightings, researcher, angler, moderator
):
    from sightings.credits import pseudonym_of
    from sightings.models import Contributor

    def credits():
        found = records(archive(researcher, DWCA_URL))
        return {(row["recordedBy"], row["rightsHolder"]) for row in found.values()}, found

    people, found = credits()
    assert people == {("", "")}
    assert not any(
        "angler" in value or "moderator" in value for row in found.values() for value in row.values()
    )

    Contributor.objects.create(user=angler, credit=Contributor.Credit.PSEUDONYM)
    Contributor.objects.create(user=moderator, credit=Contributor.Credit.NAME, credit_name="Dr. A. Moderator")
    people, found = credits()
    pseudonym = pseudonym_of(user_id=angler.pk)
    assert people == {(pseudonym, pseudonym)} and "angler" not in pseudonym
    assert {row["identifiedBy"] for row in found.values()} == {"Dr. A. Moderator"}
    assert records(archive(researcher, DWCA_URL)) == found  # stable from one export to the next
