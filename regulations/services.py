"""Writes: importing species, region boundaries and regulations. Every import is idempotent
(keyed by scientific name, region code, region code + rule code) and atomic."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from regulations.models import Authority, Region, Regulation, Season, Species
from regulations.rows import (
    REGULATION_COLUMNS,
    REGULATION_OPTIONAL,
    SPECIES_COLUMNS,
    SPECIES_OPTIONAL,
    RowError,
    csv_rows,
    regulation_row_parse,
    species_row_parse,
)

DATA_DIR = Path(__file__).resolve().parent / "data"


class ImportProblem(ValueError):
    pass


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated"


# --- Species ----------------------------------------------------------------------------------


@transaction.atomic
def species_import(*, path: Path) -> ImportCounts:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [
            (number, species_row_parse(number, row))
            for number, row in csv_rows(handle, required=SPECIES_COLUMNS, optional=SPECIES_OPTIONAL)
        ]
    counts, merges = ImportCounts(), []
    for number, values in rows:
        merged_into = values.pop("merged_into")
        _, created = Species.objects.update_or_create(
            scientific_name=values["scientific_name"], defaults=values
        )
        counts.created += created
        counts.updated += not created
        merges.append((number, values["scientific_name"], merged_into))
    for number, name, merged_into in merges:
        target = Species.objects.filter(scientific_name=merged_into).first() if merged_into else None
        if merged_into and target is None:
            raise RowError(number, "merged_into", f'unknown species "{merged_into}".')
        Species.objects.filter(scientific_name=name).update(merged_into=target, updated_at=timezone.now())
    return counts


# --- Regions ----------------------------------------------------------------------------------


def _multipolygon(geometry: GEOSGeometry) -> MultiPolygon:
    if not geometry.valid:
        geometry = geometry.make_valid()
    polygons: list[GEOSGeometry] = []
    if isinstance(geometry, Polygon):
        polygons = [geometry]
    elif hasattr(geometry, "__iter__"):
        for part in geometry:
            if isinstance(part, Polygon):
                polygons.append(part)
            elif isinstance(part, MultiPolygon):
                polygons.extend(part)
    polygons = [polygon for polygon in polygons if not polygon.empty and polygon.area > 0]
    if not polygons:
        raise ImportProblem("the geometry holds no polygon.")
    return MultiPolygon(*polygons, srid=4326)


def _features(path: Path, filters: dict[str, str]) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ImportProblem(f"{path} is not a readable GeoJSON file: {error}") from error
    features = data.get("features") if isinstance(data, dict) else None
    if data.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise ImportProblem(f"{path} is not a GeoJSON FeatureCollection.")
    return [
        feature
        for feature in features
        if all(str((feature.get("properties") or {}).get(key)) == value for key, value in filters.items())
    ]


@transaction.atomic
def regions_import(
    *,
    path: Path,
    kind: str,
    code_property: str = "",
    name_property: str = "",
    code: str = "",
    name: str = "",
    parent_code: str = "",
    authority_name: str = "",
    authority_url: str = "",
    filters: dict[str, str] | None = None,
    clip_to: str = "",
    simplify: float = 0.0,
    source: str = "",
    country_code: str = "",
) -> ImportCounts:
    """Region boundaries from a GeoJSON FeatureCollection in WGS84, keyed by code.

    Either code_property/name_property name the feature properties to read, or code/name give
    the one region that the (filtered) features make together. clip_to intersects each
    boundary with an existing region, e.g. Lake Erie with Ohio for Ohio's waters of the lake.
    `country_code` (ISO 3166-1 alpha-2) is the country the regions lie in, when they lie in one.
    """
    country_code = country_code.strip().upper()
    if country_code and not (len(country_code) == 2 and country_code.isalpha() and country_code.isascii()):
        raise ImportProblem(f'country code "{country_code}": give two letters (ISO 3166-1 alpha-2).')
    if kind not in Region.Kind.values:
        raise ImportProblem(f'unknown kind "{kind}": use one of {", ".join(Region.Kind.values)}.')
    if not (code or code_property) or not (name or name_property):
        raise ImportProblem("give a code (or a code property) and a name (or a name property).")
    features = _features(path, filters or {})
    if not features:
        raise ImportProblem(f"no feature of {path} matches the filter {filters or {}}.")
    parent = _region_by_code(parent_code, "parent") if parent_code else None
    clip = _region_by_code(clip_to, "clip-to").geometry if clip_to else None
    authority = None
    if authority_name:
        authority, _ = Authority.objects.get_or_create(name=authority_name, defaults={"url": authority_url})
    shapes: dict[str, tuple[str, list[GEOSGeometry]]] = {}
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") or {}
        region_code = slugify(code or str(properties.get(code_property) or ""))
        region_name = name or str(properties.get(name_property) or "")
        if not region_code or not region_name:
            raise ImportProblem(f"feature {number}: no value for {code_property or name_property}.")
        try:
            geometry = GEOSGeometry(json.dumps(feature.get("geometry")), srid=4326)
        except (GEOSException, ValueError, TypeError) as error:
            raise ImportProblem(f"feature {number} ({region_name}): unreadable geometry: {error}") from error
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise ImportProblem(f"feature {number} ({region_name}): a {geometry.geom_type} is no area.")
        shapes.setdefault(region_code, (region_name, []))[1].append(geometry)
    counts = ImportCounts()
    for region_code, (region_name, geometries) in shapes.items():
        try:
            geometry = _region_geometry(geometries, clip=clip, simplify=simplify)
        except ImportProblem as error:
            raise ImportProblem(f"{region_name}: {error}") from error
        _, created = Region.objects.update_or_create(
            code=region_code,
            defaults={
                "name": region_name,
                "kind": kind,
                "parent": parent,
                "authority": authority,
                "geometry": geometry,
                "source": source,
                "country_code": country_code,
            },
        )
        counts.created += created
        counts.updated += not created
    return counts


def _region_geometry(
    geometries: list[GEOSGeometry], *, clip: MultiPolygon | None, simplify: float
) -> MultiPolygon:
    merged = _multipolygon(geometries[0])
    for geometry in geometries[1:]:
        merged = _multipolygon(merged.union(_multipolygon(geometry)))
    if clip is not None:
        merged = _multipolygon(merged.intersection(clip))
    if simplify:
        merged = _multipolygon(merged.simplify(simplify, preserve_topology=True))
    return merged


def _region_by_code(code: str, what: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ImportProblem(f'{what}: no region has the code "{code}"; import it first.')
    return region


# --- Regulations ------------------------------------------------------------------------------


@transaction.atomic
def regulations_import(*, path: Path) -> ImportCounts:
    with open(path, newline="", encoding="utf-8") as handle:
        parsed = [
            regulation_row_parse(number, row)
            for number, row in csv_rows(handle, required=REGULATION_COLUMNS, optional=REGULATION_OPTIONAL)
        ]
    regions = {
        region.code: region for region in Region.objects.filter(code__in={row.region_code for row in parsed})
    }
    species = {
        taxon.scientific_name.lower(): taxon
        for taxon in Species.objects.filter(
            scientific_name__in={name for row in parsed for name in row.species}
        )
    }
    seen: dict[tuple[str, str], int] = {}
    for row in parsed:
        if row.region_code not in regions:
            raise RowError(
                row.row, "region_code", f'unknown region "{row.region_code}"; import the region first.'
            )
        for name in row.species:
            if name.lower() not in species:
                raise RowError(
                    row.row, "species", f'unknown species "{name}"; add it to the species list first.'
                )
        key = (row.region_code, row.code)
        if key in seen:
            raise RowError(
                row.row, "rule_code", f'"{row.code}" is already used for this region in row {seen[key]}.'
            )
        seen[key] = row.row
    counts = ImportCounts()
    for row in parsed:
        regulation, created = Regulation.objects.update_or_create(
            region=regions[row.region_code], code=row.code, defaults=row.values
        )
        regulation.species.set([species[name.lower()] for name in row.species])
        regulation.seasons.all().delete()
        Season.objects.bulk_create(
            Season(
                regulation=regulation,
                kind=season.kind,
                start=season.start,
                end=season.end,
                daily_bag_limit=season.daily_bag_limit,
                min_length_cm=season.min_length_cm,
            )
            for season in row.seasons
        )
        counts.created += created
        counts.updated += not created
    return counts


# --- Demo -------------------------------------------------------------------------------------

DEMO_REGIONS = [
    # (filter on the "code" property, kind, parent code, authority, authority url, country code);
    # Lake Erie lies in two countries, so it has none.
    (
        "us-oh",
        "state_waters",
        "",
        "Ohio Department of Natural Resources, Division of Wildlife",
        "https://ohiodnr.gov/",
        "US",
    ),
    ("us-wa", "state_waters", "", "Washington Department of Fish and Wildlife", "https://wdfw.wa.gov/", "US"),
    ("lake-erie", "lake", "", "", "", ""),
    (
        "us-oh-lake-erie",
        "zone",
        "us-oh",
        "Ohio Department of Natural Resources, Division of Wildlife",
        "https://ohiodnr.gov/",
        "US",
    ),
]


@transaction.atomic
def demo_data_load() -> dict[str, ImportCounts]:
    """The demo species list, Natural Earth regions and Ohio/Washington rules: safe to rerun."""
    counts = {"species": species_import(path=DATA_DIR / "species.csv"), "regions": ImportCounts()}
    for code, kind, parent, authority, url, country in DEMO_REGIONS:
        result = regions_import(
            path=DATA_DIR / "demo_regions.geojson",
            kind=kind,
            code_property="code",
            name_property="name",
            parent_code=parent,
            authority_name=authority,
            authority_url=url,
            filters={"code": code},
            country_code=country,
            source="Natural Earth 4.0.0 (public domain), simplified; see regulations/data/README.md",
        )
        counts["regions"].created += result.created
        counts["regions"].updated += result.updated
    counts["regulations"] = regulations_import(path=DATA_DIR / "demo_regulations.csv")
    return counts
