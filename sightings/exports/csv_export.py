"""CSV: one row per sighting, with the place the viewer may see."""

import csv

from .registry import Exporter, TextBuffer, exporter_register
from .selectors import export_rows
from .values import local_moment_text, moment_text

COLUMNS = [
    "id",
    "project",
    "individual_id",
    "scientific_name",
    "common_name",
    "quality_grade",
    "observed_at",
    "observed_at_local",
    "latitude",
    "longitude",
    "coordinate_uncertainty_m",
    "coordinates",
    "geoprivacy",
    "length_cm",
    "license",
    "photo_url",
    "top_prediction",
    "top_score",
    "model_version",
]


def row_values(row, *, photo_url):
    return [
        row.id,
        row.project,
        row.individual_id or "",
        row.scientific_name,
        row.common_name,
        row.quality_grade,
        moment_text(row.observed_at),
        local_moment_text(row.observed_at, row.utc_offset),
        "" if row.latitude is None else row.latitude,
        "" if row.longitude is None else row.longitude,
        "" if row.uncertainty_m is None else row.uncertainty_m,
        row.coordinates,
        row.geoprivacy,
        "" if row.length_cm is None else row.length_cm,
        row.license,
        photo_url,
        row.top_label,
        "" if row.top_score is None else round(row.top_score, 6),
        row.model_version,
    ]


@exporter_register
class CsvExporter(Exporter):
    identifier = "csv"
    label = "CSV"
    path = "sightings.csv"
    filename = "sightings.csv"
    content_type = "text/csv; charset=utf-8"

    def chunks(self):
        buffer = TextBuffer()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in export_rows(selection=self.selection):
            writer.writerow(row_values(row, photo_url=self.photo_address(row)))
            self.count_row()
            if buffer.full():
                yield buffer.take()
        yield buffer.take()
        self.finish()
