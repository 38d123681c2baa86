"""Writes demo_regions.geojson: a small simplified extract of the Natural Earth files in
/work/shared/data/geo (public domain / CC0).

Run: .venv/bin/python regulations/data/build_demo_regions.py [GEO_DIR]"""

import json
import sys
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry

GEO_DIR = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/geo")
OUT = Path(__file__).resolve().parent / "demo_regions.geojson"
TOLERANCE = 0.01  # degrees, about 1 km


def feature_geometry(file_name, key, value):
    data = json.loads((GEO_DIR / file_name).read_text())
    (feature,) = [f for f in data["features"] if f["properties"].get(key) == value]
    return GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)


def rounded(geometry):
    data = json.loads(geometry.json)

    def walk(item):
        return [walk(part) for part in item] if isinstance(item[0], list) else [round(c, 4) for c in item]

    data["coordinates"] = walk(data["coordinates"])
    return data


def main():
    ohio = feature_geometry("ne_50m_admin_1_us_states.geojson", "iso_3166_2", "US-OH")
    washington = feature_geometry("ne_50m_admin_1_us_states.geojson", "iso_3166_2", "US-WA")
    erie = feature_geometry("ne_10m_great_lakes.geojson", "name", "Lake Erie")
    ohio_erie = erie.intersection(ohio)
    regions = [
        ("us-oh", "Ohio", "state_waters", ohio),
        ("us-wa", "Washington", "state_waters", washington),
        ("lake-erie", "Lake Erie", "lake", erie),
        ("us-oh-lake-erie", "Ohio waters of Lake Erie", "zone", ohio_erie),
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "kind": kind},
            "geometry": rounded(geometry.simplify(TOLERANCE, preserve_topology=True)),
        }
        for code, name, kind, geometry in regions
    ]
    collection = {
        "type": "FeatureCollection",
        "name": "catchlog demo regions from Natural Earth 4.0.0 (public domain, CC0)",
        "features": features,
    }
    OUT.write_text(json.dumps(collection, separators=(",", ":")) + "\n")
    print(OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
