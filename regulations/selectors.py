"""Reads: which places hold a point, which rules apply there to a species on a date."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, cast, overload

from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import connections, router
from django.db.models import Count, F, Func, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from regulations import wording
from regulations.dayspecs import day_spec_describe, period_occurrence
from regulations.models import Region, Regulation, Season, Species
from regulations.results import (
    NO_RULES_MESSAGE,
    RegionRef,
    RegulationsResult,
    Rule,
    SeasonInForce,
    SpeciesRef,
)

MAX_MERGE_HOPS = 10
SEASON_PRIORITY: dict[str, int] = {
    Season.Kind.CLOSED: 0,
    Season.Kind.CATCH_AND_RELEASE: 1,
    Season.Kind.OPEN: 2,
}


# --- Places -----------------------------------------------------------------------------------


def _point_wgs84(point: Point) -> Point:
    if point.srid in (None, 4326):
        return Point(point.x, point.y, srid=4326)
    return cast(Point, point.transform(4326, clone=True))


def regions_containing(*, point: Point) -> QuerySet[Region]:
    """Regions whose area or border holds the point, the most specific (smallest) first.

    PostGIS answers `intersects` from the GiST index by itself; SpatiaLite needs its R*Tree
    asked explicitly, through the SpatialIndex virtual table.
    """
    point = _point_wgs84(point)
    regions = Region.objects.filter(geometry__intersects=point)
    connection = connections[router.db_for_read(Region)]
    if connection.vendor == "sqlite":
        regions = regions.filter(
            id__in=RawSQL(
                "SELECT ROWID FROM SpatialIndex WHERE f_table_name = %s AND f_geometry_column = %s"
                " AND search_frame = BuildMbr(%s, %s, %s, %s, 4326)",
                (Region._meta.db_table, "geometry", point.x, point.y, point.x, point.y),
            )
        )
    return regions.defer("geometry").select_related("authority").order_by("area", "-id")


def region_containing(*, point: Point) -> Region | None:
    """The most specific region that holds the point, or None."""
    return regions_containing(point=point).first()


# --- Species ----------------------------------------------------------------------------------


def species_list(*, search: str = "") -> QuerySet[Species]:
    species = Species.objects.all()
    if search:
        species = species.filter(Q(scientific_name__icontains=search) | Q(common_name__icontains=search))
    return species


def species_get_by_key(*, key: str) -> Species | None:
    """A species by id, scientific name or classifier label (snake_case), or None."""
    key = (key or "").strip()
    if not key:
        return None
    if key.isascii() and key.isdigit():
        return Species.objects.filter(pk=int(key)).first()
    return Species.objects.filter(scientific_name__iexact=_label_name(key)).first()


def species_by_labels(*, labels: Iterable[str]) -> dict[str, Species | None]:
    """The species each classifier label (a snake_case scientific name) names, in one query."""
    names = {label: _label_name(label).lower() for label in labels}
    found = {
        species.lowered: species
        for species in Species.objects.annotate(lowered=Lower("scientific_name")).filter(
            lowered__in=set(names.values())
        )
    }
    return {label: found.get(name) for label, name in names.items()}


def species_changes() -> dict[str, Subquery]:
    """Annotations for another query: `species_count` and `species_changed_at` (the newest change).
    Together they move whenever a species is added, edited, merged or deleted, which makes them
    the key of a cached `species_by_labels` answer."""
    count = Species.objects.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return {
        "species_count": Subquery(count),
        "species_changed_at": Subquery(Species.objects.order_by("-updated_at").values("updated_at")[:1]),
    }


def species_stamp() -> tuple[int, datetime | None]:
    """The two values of `species_changes`, read on their own: (species_count, species_changed_at)."""
    row = Species.objects.aggregate(count=Count("pk"), changed_at=Max("updated_at"))
    return row["count"], row["changed_at"]


def _label_name(label: str) -> str:
    return label.replace("_", " ").strip()


def species_accepted(*, species: Species) -> Species:
    """The species that a renamed or merged taxon now counts as."""
    current = species
    for _ in range(MAX_MERGE_HOPS):
        if current.merged_into_id is None:
            return current
        current = Species.objects.get(pk=current.merged_into_id)
    return current


def _taxa_ids(species: Species) -> QuerySet:
    """The species itself plus the genus and family entries whose rules cover it."""
    wanted = Q(pk=species.pk)
    if species.rank == Species.Rank.SPECIES and " " in species.scientific_name:
        wanted |= Q(rank=Species.Rank.GENUS, scientific_name__iexact=species.scientific_name.split()[0])
    if species.family and species.rank in (Species.Rank.SPECIES, Species.Rank.GENUS):
        wanted |= Q(rank=Species.Rank.FAMILY, scientific_name__iexact=species.family)
    return Species.objects.filter(wanted).values("pk")


@dataclass(frozen=True)
class SpeciesKnownHere:
    """The species entries known in the regions holding a place: `region` names the smallest."""

    region: str
    species_ids: frozenset[int]


def species_known_at(
    *, point: Point, recorded_within: Callable[[GEOSGeometry], Iterable[int]] | None = None
) -> SpeciesKnownHere | None:
    """Which species entries are known where the point is: those the rules of its regions name
    (plus those `recorded_within` the smallest region answers, e.g. verified records there), with
    the genera and families holding them and the members of a named genus or family. None where no
    region holds the point."""
    regions = list(regions_containing(point=point).values_list("pk", "name"))
    if not regions:
        return None
    named_ids = set(
        Regulation.objects.filter(region__in=[pk for pk, _ in regions]).values_list("species__pk", flat=True)
    )
    if recorded_within is not None:
        smallest = Region.objects.only("geometry").get(pk=regions[0][0])
        named_ids.update(recorded_within(smallest.geometry))
    named = Species.objects.filter(pk__in={pk for pk in named_ids if pk is not None})
    known = Q(pk__in=named.values("pk"))
    for rank, name, family in named.values_list("rank", "scientific_name", "family"):
        if rank == Species.Rank.SPECIES:
            known |= Q(rank=Species.Rank.GENUS, scientific_name__iexact=name.split()[0])
        elif rank == Species.Rank.GENUS:
            known |= Q(scientific_name__istartswith=f"{name} ")
        elif rank == Species.Rank.FAMILY:
            known |= Q(family__iexact=name)
        if family and rank != Species.Rank.FAMILY:
            known |= Q(rank=Species.Rank.FAMILY, scientific_name__iexact=family)
    known_ids = frozenset(Species.objects.filter(known).values_list("pk", flat=True))
    return SpeciesKnownHere(region=regions[0][1], species_ids=known_ids)


def species_is_sensitive(*, species: Species | None, point: Point) -> bool:
    """True when a regulation at this place marks the species' locations sensitive."""
    if species is None:
        return False
    accepted = species_accepted(species=species)
    region_ids = regions_containing(point=point).values("pk")
    return Regulation.objects.filter(
        region__in=region_ids, species__in=_taxa_ids(accepted), sensitive=True
    ).exists()


def sensitive_species_by_region() -> dict[int, set[int]]:
    """For each region with a sensitive regulation, the ids of every species entry it covers.

    "Covers" is what `species_is_sensitive` asks, the other way round: the taxon a regulation
    names, its genera and families' member species, and every entry merged into any of those.
    Few regions carry sensitive rules, so callers can turn this into a short SQL condition.
    """
    covered: dict[int, set[int]] = {}
    taxa = list(
        Regulation.objects.filter(sensitive=True).values_list(
            "region_id", "species__pk", "species__rank", "species__scientific_name"
        )
    )
    if not taxa:
        return covered
    species = list(Species.objects.values_list("pk", "merged_into_id", "rank", "scientific_name", "family"))
    merged_into = {pk: target for pk, target, *_ in species}
    entries = {pk: (rank, name, family) for pk, _, rank, name, family in species}

    def accepted_id(pk: int) -> int:
        for _ in range(MAX_MERGE_HOPS):
            if merged_into.get(pk) is None:
                return pk
            pk = merged_into[pk]
        return pk

    def matches(pk: int, taxon_pk: int, taxon_rank: str, taxon_name: str) -> bool:
        rank, name, family = entries[accepted_id(pk)]
        if accepted_id(pk) == taxon_pk:
            return True
        if taxon_rank == Species.Rank.GENUS and rank == Species.Rank.SPECIES and " " in name:
            return name.split()[0].lower() == taxon_name.lower()
        if taxon_rank == Species.Rank.FAMILY and rank in (Species.Rank.SPECIES, Species.Rank.GENUS):
            return family.lower() == taxon_name.lower()
        return False

    for region_id, taxon_pk, taxon_rank, taxon_name in taxa:
        if taxon_pk is None:
            continue
        covered.setdefault(region_id, set()).update(
            pk for pk in entries if matches(pk, taxon_pk, taxon_rank, taxon_name)
        )
    return covered


# --- Rules ------------------------------------------------------------------------------------


def _season_in_force(regulation: Regulation, on_date: date) -> tuple[Season | None, SeasonInForce]:
    seasons = list(regulation.seasons.all())
    if not seasons:
        return None, SeasonInForce(kind=Season.Kind.OPEN, description="all year")
    holding = []
    for season in seasons:
        occurrence = period_occurrence(start=season.start, end=season.end, on_date=on_date)
        if occurrence:
            holding.append((SEASON_PRIORITY[season.kind], occurrence[1] - occurrence[0], season, occurrence))
    if not holding:
        return None, SeasonInForce(kind=Season.Kind.CLOSED, description="outside every open period")
    # The most restrictive kind holds; among periods of one kind, the shortest (the exception).
    _, _, season, (starts_on, ends_on) = min(holding, key=lambda item: item[:2])
    return season, SeasonInForce(
        kind=season.kind,
        start=season.start,
        end=season.end,
        starts_on=starts_on,
        ends_on=ends_on,
        description=f"{day_spec_describe(season.start)} to {day_spec_describe(season.end)}",
    )


@overload
def _season_override(
    regulation: Regulation, season: Season | None, field: Literal["daily_bag_limit"]
) -> int | None: ...
@overload
def _season_override(
    regulation: Regulation, season: Season | None, field: Literal["min_length_cm"]
) -> Decimal | None: ...
def _season_override(
    regulation: Regulation, season: Season | None, field: Literal["daily_bag_limit", "min_length_cm"]
) -> int | Decimal | None:
    """The season's value of `field` where it sets one, else the regulation's."""
    value = getattr(season, field) if season is not None else None
    return value if value is not None else getattr(regulation, field)


def _rule_build(regulation: Regulation, *, on_date: date, subject: str) -> Rule:
    period, season = _season_in_force(regulation, on_date)
    harvest_allowed = (
        regulation.status != Regulation.Status.PROTECTED
        and season.kind == Season.Kind.OPEN
        and not regulation.catch_and_release_only
    )
    rule = Rule(
        regulation_id=regulation.pk,
        code=regulation.code,
        region=regulation.region.name,
        region_code=regulation.region.code,
        authority=regulation.region.authority.name if regulation.region.authority else None,
        status=regulation.status,
        species=sorted(species.scientific_name for species in regulation.species.all()),
        group_name=regulation.group_name,
        season=season,
        harvest_allowed=harvest_allowed,
        daily_bag_limit=_season_override(regulation, period, "daily_bag_limit"),
        possession_limit=regulation.possession_limit,
        min_length_cm=_season_override(regulation, period, "min_length_cm"),
        max_length_cm=regulation.max_length_cm,
        slot_min_cm=regulation.slot_min_cm,
        slot_max_cm=regulation.slot_max_cm,
        length_unit=regulation.length_unit,
        catch_and_release_only=regulation.catch_and_release_only,
        invasive_action=regulation.invasive_action,
        sensitive=regulation.sensitive,
        notes=regulation.notes,
        source_url=regulation.source_url,
        last_checked=regulation.last_checked,
        summary="",
    )
    return replace(rule, summary=wording.rule_summary(rule, subject=subject))


def _ancestors(regions: list[Region]) -> dict[int, set[int]]:
    parents = {region.pk: region.parent_id for region in regions}
    missing = {parent for parent in parents.values() if parent and parent not in parents}
    while missing:
        found = dict(Region.objects.filter(pk__in=missing).values_list("pk", "parent_id"))
        parents.update(found)
        missing = {parent for parent in found.values() if parent and parent not in parents}
    ancestors = {}
    for region in regions:
        chain, current = set(), parents.get(region.pk)
        while current and current not in chain:
            chain.add(current)
            current = parents.get(current)
        ancestors[region.pk] = chain
    return ancestors


def _regulations_applying(regions: list[Region], species: Species) -> list[Regulation]:
    order = {region.pk: position for position, region in enumerate(regions)}
    regulations = list(
        Regulation.objects.filter(region__in=list(order), species__in=_taxa_ids(species))
        .distinct()
        .select_related("region__authority")
        .prefetch_related("seasons", "species")
    )
    ancestors = _ancestors(regions)
    ruled = {regulation.region_id for regulation in regulations}
    superseded = set().union(*(ancestors[region_id] for region_id in ruled)) if ruled else set()
    kept = [regulation for regulation in regulations if regulation.region_id not in superseded]
    return sorted(kept, key=lambda regulation: (order[regulation.region_id], regulation.code))


def _length(value: Decimal | float | None) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _subject(species: Species) -> str:
    return species.common_name or species.scientific_name


def _rules_counted(regulations: QuerySet[Regulation]) -> Subquery:
    return Subquery(
        regulations.order_by().values("region").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )


def regulations_for(
    *, point: Point, species: Species | None, on_date: date, length_cm: Decimal | float | None = None
) -> RegulationsResult:
    """The rules that apply to a catch of `species` at `point` (x=longitude, y=latitude) on
    `on_date`, and the warnings: the reasons keeping it would be illegal or handling it dangerous."""
    point = _point_wgs84(point)
    length = _length(length_cm)
    regions = list(
        regions_containing(point=point).annotate(
            rule_count=_rules_counted(Regulation.objects.filter(region=OuterRef("pk"))),
            inch_rule_count=_rules_counted(
                Regulation.objects.filter(region=OuterRef("pk"), length_unit=Regulation.LengthUnit.IN)
            ),
        )
    )
    known = any(region.rule_count for region in regions)
    inches = sum(region.inch_rule_count or 0 for region in regions)
    accepted = species_accepted(species=species) if species is not None else None
    result = RegulationsResult(
        known=known,
        message="" if known else NO_RULES_MESSAGE,
        on_date=on_date,
        longitude=point.x,
        latitude=point.y,
        species=_species_ref(species, accepted),
        length_cm=length,
        regions=[_region_ref(region) for region in regions],
        length_unit=(
            Regulation.LengthUnit.IN
            if inches * 2 > sum(region.rule_count or 0 for region in regions)
            else Regulation.LengthUnit.CM
        ),
    )
    if species is None or accepted is None:
        if known:
            result.message = "The species is not known: no rules can be matched to it."
        return result
    subject = _subject(accepted)
    if accepted.venomous or species.venomous:
        result.warnings.append(
            wording.venomous_warning(subject=subject, danger_note=accepted.danger_note or species.danger_note)
        )
    if not known:
        return result
    for regulation in _regulations_applying([region for region in regions if region.rule_count], accepted):
        rule = _rule_build(regulation, on_date=on_date, subject=subject)
        result.rules.append(rule)
        for warning in wording.rule_warnings(rule, subject=subject, on_date=on_date, length_cm=length):
            if warning not in result.warnings:
                result.warnings.append(warning)
    if not result.rules:
        result.message = f"No rules for {subject} are known at this place."
    return result


def _species_ref(species: Species | None, accepted: Species | None) -> SpeciesRef | None:
    if species is None or accepted is None:
        return None
    return SpeciesRef(
        id=accepted.pk,
        scientific_name=accepted.scientific_name,
        common_name=accepted.common_name,
        venomous=accepted.venomous,
        merged_from=species.scientific_name if species.pk != accepted.pk else None,
    )


def _region_ref(region: Region) -> RegionRef:
    return RegionRef(
        id=region.pk,
        code=region.code,
        name=region.name,
        kind=region.kind,
        authority=region.authority.name if region.authority else None,
    )
