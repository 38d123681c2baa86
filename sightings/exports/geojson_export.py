"""GeoJSON: a FeatureCollection, one feature per sighting (no geometry when the place is withheld)."""

from django.core.serializers.json import DjangoJSONEncoder

from .registry import Exporter, TextBuffer, exporter_register
from .selectors import export_rows
from .values import local_moment_text, moment_text, number

NOTES = {
    "true": "Coordinates are exact: this export is for a viewer allowed to see true locations.",
    "generalized": (
        "Coordinates of obscured sightings and of sensitive species are a stable random point in their "
        "0.2-degree grid cell, with an uncertainty that covers the cell; private sightings have no geometry."
    ),
}


@exporter_register
class GeoJsonExporter(Exporter):
    identifier = "geojson"
    label = "GeoJSON"
    path = "sightings.geojson"
    filename = "sightings.geojson"
    content_type = "application/geo+json"
    response_schema = {
        "type": "object",
        "description": "An RFC 7946 FeatureCollection: a Point feature per sighting (none when withheld).",
        "required": ["type", "coordinate_kind", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "coordinate_kind": {"type": "string", "enum": ["true", "generalized"]},
            "note": {"type": "string"},
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "id", "geometry", "properties"],
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "id": {"type": "string", "format": "uuid"},
                        "geometry": {"type": "object", "nullable": True},
                        "properties": {"type": "object"},
                    },
                },
            },
        },
    }

    def chunks(self):
        encoder = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))
        coordinates = self.selection.coordinates
        # A foreign member may not be called "coordinates" outside a geometry (RFC 7946, 7.1).
        header = {"type": "FeatureCollection", "coordinate_kind": coordinates, "note": NOTES[coordinates]}
        buffer = TextBuffer()
        buffer.write(encoder.encode(header)[:-1] + ',"features":[')
        separator = ""
        for row in export_rows(selection=self.selection):
            buffer.write(separator + encoder.encode(self.feature(row)))
            separator = ","
            self.count_row()
            if buffer.full():
                yield buffer.take()
        buffer.write("]}")
        yield buffer.take()
        self.finish()

    def feature(self, row):
        geometry = None
        if row.latitude is not None:
            geometry = {"type": "Point", "coordinates": [row.longitude, row.latitude]}
        return {
            "type": "Feature",
            "id": str(row.id),
            "geometry": geometry,
            "properties": {
                "project": row.project,
                "individual_id": str(row.individual_id) if row.individual_id else None,
                "scientific_name": row.scientific_name,
                "common_name": row.common_name,
                "quality_grade": row.quality_grade,
                "observed_at": moment_text(row.observed_at) or None,
                "observed_at_local": local_moment_text(row.observed_at, row.utc_offset) or None,
                "coordinate_uncertainty_m": row.uncertainty_m,
                "coordinates": row.coordinates,
                "geoprivacy": row.geoprivacy,
                "length_cm": number(row.length_cm),
                "license": row.license,
                "photo_url": self.photo_address(row),
                "top_prediction": row.top_label,
                "top_score": row.top_score,
                "model_version": row.model_version,
            },
        }
