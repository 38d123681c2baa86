"""The answer of a regulations lookup, as plain values the sightings app can store as JSON."""

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

NO_RULES_MESSAGE = "No rules known for this place."


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True)
class RegionRef:
    id: int
    code: str
    name: str
    kind: str
    authority: str | None


@dataclass(frozen=True)
class SeasonInForce:
    kind: str  # open | catch_and_release | closed
    start: str | None = None  # the day specs; None for "all year" or "outside every listed period"
    end: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    description: str = ""


@dataclass(frozen=True)
class Rule:
    regulation_id: int
    code: str
    region: str
    region_code: str
    authority: str | None
    status: str
    species: list[str]
    group_name: str
    season: SeasonInForce
    harvest_allowed: bool
    daily_bag_limit: int | None
    possession_limit: int | None
    min_length_cm: Decimal | None
    max_length_cm: Decimal | None
    slot_min_cm: Decimal | None
    slot_max_cm: Decimal | None
    length_unit: str
    catch_and_release_only: bool
    invasive_action: str
    sensitive: bool
    notes: str
    source_url: str
    last_checked: date
    summary: str

    def as_dict(self):
        return _plain(asdict(self))


@dataclass(frozen=True)
class SpeciesRef:
    id: int
    scientific_name: str
    common_name: str
    venomous: bool
    merged_from: str | None = None  # the name asked for, when it was merged into this species


@dataclass
class RegulationsResult:
    known: bool
    message: str
    on_date: date
    longitude: float
    latitude: float
    species: SpeciesRef | None
    length_cm: Decimal | None
    regions: list[RegionRef] = field(default_factory=list)
    # The unit most of the place's regulations write lengths in ("in" or "cm"), whatever the species.
    length_unit: str = "cm"
    rules: list[Rule] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    @property
    def sensitive(self) -> bool:
        return any(rule.sensitive for rule in self.rules)

    def as_dict(self):
        data = _plain(asdict(self))
        data["sensitive"] = self.sensitive
        return data
