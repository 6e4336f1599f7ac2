"""Policy as configuration: every planning rule is a named, typed, cited, overridable parameter.

The values, units, sources and bilingual descriptions live in one TOML file
(``optimization/policy.toml``). :func:`load_policy` reads it into a frozen, validated
:class:`Policy`; a scenario passes overrides (a TOML file or a mapping of dotted names) and gets
a new object — the defaults are never edited.

Examples
--------
>>> p = load_policy()
>>> p.siting.own_home_threshold
100
>>> p.source("siting.own_home_threshold").startswith("004")
True
>>> p2 = p.with_overrides({"siting.travel_cap_m": 2500})
>>> (p.siting.travel_cap_m, p2.siting.travel_cap_m)
(3000.0, 2500.0)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from optimization.vocab import (
    CHILD_WEIGHT_KEYS,
    COUNTY_DESIGNATIONS,
    COVERAGE_WEIGHT_KEYS,
    FACILITY_KINDS,
    ROAD_KINDS,
    ROSTER_ROLES,
    TARGET_TYPES,
    TOWNSHIP_DESIGNATIONS,
    VILLAGE_DESIGNATIONS,
    WATER_KINDS,
)

__all__ = [
    "DEFAULT_POLICY_FILE",
    "Document",
    "FundingPolicy",
    "HazardsPolicy",
    "Param",
    "Policy",
    "PolicyError",
    "SitingPolicy",
    "StaffingPolicy",
    "TravelPolicy",
    "load_documents",
    "load_policy",
]

DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.toml")

_FACILITY_KEYS = set(FACILITY_KINDS)
_WATER_KEYS = set(WATER_KINDS)
_ROLE_KEYS = set(ROSTER_ROLES)


class PolicyError(ValueError):
    """A policy file or override is invalid. The message is bilingual and names the parameter."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def _check_keys(value, allowed: set[str], what: str):
    bad = sorted(set(value) - allowed)
    if bad:
        raise ValueError(f"unknown {what}: {bad}; allowed: {sorted(allowed)}")
    return value


def _check_date(value: str) -> str:
    """Accept an ISO date ``YYYY-MM-DD`` (as text, so overrides and TOML agree)."""
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None
    return value


_ROAD_KEYS = set(ROAD_KINDS)
_METRICS = ("straight", "road_m", "walk_min")


class SitingPolicy(_Section):
    """儿童之家 siting rules (004 二(一), 二(三))."""

    own_home_threshold: int = Field(ge=1)
    keep_existing_home: bool
    travel_cap_m: float = Field(gt=0)
    travel_cap_min: float = Field(gt=0)
    travel_metric: str
    host_kinds: tuple[str, ...]
    allow_new_build: bool
    cost_yuan: dict[str, float]
    default_capacity: int = Field(ge=0)
    capacity_defaults_on: bool = False
    budget_carry_over: bool = False
    capacity_by_kind: dict[str, int] = Field(default_factory=dict)
    new_build_sizes: dict[str, dict[str, float]] = Field(default_factory=dict)
    stay_within_township: bool
    rivers_are_barriers: bool
    barrier_kinds: tuple[str, ...]
    max_new_homes: int = Field(ge=-1)
    coverage_weights: dict[str, float]
    time_limit_s: float = Field(gt=0)
    gap_rel: float = Field(ge=0, lt=1)

    @field_validator("host_kinds")
    @classmethod
    def _hosts(cls, v):
        return _check_keys(v, _FACILITY_KEYS, "facility kind")

    @field_validator("travel_metric")
    @classmethod
    def _metric(cls, v):
        if v not in _METRICS:
            raise ValueError(f"metric must be one of {list(_METRICS)}")
        return v

    @field_validator("barrier_kinds")
    @classmethod
    def _barriers(cls, v):
        return _check_keys(v, _WATER_KEYS, "water kind")

    @field_validator("cost_yuan")
    @classmethod
    def _costs(cls, v):
        _check_keys(v, _FACILITY_KEYS | {"new_build"}, "cost key")
        if any(c < 0 for c in v.values()):
            raise ValueError("costs must be >= 0")
        return v

    @field_validator("capacity_by_kind")
    @classmethod
    def _caps(cls, v):
        _check_keys(v, _FACILITY_KEYS, "facility kind")
        if any(c < 0 for c in v.values()):
            raise ValueError("capacities must be >= 0")
        return v

    @field_validator("new_build_sizes")
    @classmethod
    def _sizes(cls, v):
        _check_keys(v, {"small", "large"}, "new-build size")
        for size, spec in v.items():
            _check_keys(spec, {"cost_yuan", "capacity"}, f"key of new-build size {size}")
            if set(spec) != {"cost_yuan", "capacity"} or min(spec.values()) < 0:
                raise ValueError(f"new-build size {size} needs cost_yuan >= 0 and capacity >= 0")
        return v

    @field_validator("coverage_weights")
    @classmethod
    def _cov(cls, v):
        _check_keys(
            v, set(COVERAGE_WEIGHT_KEYS), "coverage weight",
        )
        if any(w < 0 for w in v.values()):
            raise ValueError("weights must be >= 0")
        return v


class StaffingPolicy(_Section):
    """儿童主任 / 儿童督导员 rules (003 §8, §16; 001; 002; 004)."""

    directors_min_per_village: int = Field(ge=1)
    targets_per_director: int = Field(ge=1)
    many_children_threshold: int = Field(ge=1)
    supervisors_per_township: int = Field(ge=1)
    eligible_director_roles: tuple[str, ...]
    eligible_supervisor_roles: tuple[str, ...]
    preference_weights: dict[str, float]
    max_villages_per_director: int = Field(ge=1)
    contacts_per_month: float = Field(ge=0)
    home_visit_interval_months: float = Field(gt=0)
    key_attention_visit_interval_months: float = Field(gt=0)
    minutes_per_contact: float = Field(ge=0)
    minutes_per_home_visit: float = Field(ge=0)
    travel_speed_kmh: float = Field(gt=0)
    annual_training_interval_months: int = Field(ge=1)
    initial_training_required: bool
    national_directors_2019: int = Field(ge=0)
    national_supervisors_2019: int = Field(ge=0)
    start_date: str
    initial_training_sessions: tuple[str, ...]
    initial_training_lead_months: int = Field(ge=0)
    stay_within_township: bool
    max_travel_m: float = Field(ge=0)
    home_visits_per_trip: float = Field(gt=0)
    small_village_max_targets: int = Field(ge=0)
    neighbour_distance_m: float = Field(ge=0)
    time_limit_s: float = Field(gt=0)
    gap_rel: float = Field(ge=0, lt=1)

    @field_validator("start_date")
    @classmethod
    def _start(cls, v):
        return _check_date(v)

    @field_validator("initial_training_sessions")
    @classmethod
    def _sessions(cls, v):
        return tuple(_check_date(d) for d in v)

    @field_validator("eligible_director_roles", "eligible_supervisor_roles")
    @classmethod
    def _roles(cls, v):
        return _check_keys(v, _ROLE_KEYS, "role")

    @field_validator("preference_weights")
    @classmethod
    def _prefs(cls, v):
        return _check_keys(
            v,
            {"female_committee_member", "womens_fed_cadre", "youth_league_cadre", "female",
             "committee_member"},
            "preference",
        )


class HazardsPolicy(_Section):
    """Drowning-prevention rules (003 §13–14)."""

    buffer_m: float = Field(gt=0)
    segment_length_m: float = Field(gt=0)
    four_ones: tuple[str, ...]
    water_kind_weights: dict[str, float]
    flood_inspection_distance_m: float = Field(gt=0)
    danger_spots_top_n: int = Field(ge=1)
    reach_min_score: float = Field(ge=0)
    safety_activities_per_village_per_year: int = Field(ge=0)
    distance_decay_m: float = Field(gt=0)
    child_weights: dict[str, float]
    facility_weights: dict[str, float]
    height_scale_m: float = Field(gt=0)
    slope_scale_deg: float = Field(gt=0)
    population_raster_weight: float = Field(ge=0)
    chief_level: str
    flood_institution_kinds: tuple[str, ...]

    @field_validator("water_kind_weights")
    @classmethod
    def _kinds(cls, v):
        _check_keys(v, _WATER_KEYS, "water kind")
        if any(w < 0 for w in v.values()):
            raise ValueError("weights must be >= 0")
        return v

    @field_validator("child_weights")
    @classmethod
    def _children(cls, v):
        _check_keys(v, set(CHILD_WEIGHT_KEYS), "child weight")
        if any(w < 0 for w in v.values()):
            raise ValueError("weights must be >= 0")
        return v

    @field_validator("facility_weights")
    @classmethod
    def _facilities(cls, v):
        _check_keys(v, _FACILITY_KEYS, "facility kind")
        if any(w < 0 for w in v.values()):
            raise ValueError("weights must be >= 0")
        return v

    @field_validator("chief_level")
    @classmethod
    def _level(cls, v):
        if v not in ("township", "village"):
            raise ValueError("expected 'township' or 'village'")
        return v

    @field_validator("flood_institution_kinds")
    @classmethod
    def _flood_kinds(cls, v):
        return _check_keys(v, _FACILITY_KEYS, "facility kind")


class FundingPolicy(_Section):
    """Funding allocation rules (001 三(二); 002 五(二); 000)."""

    target_weights: dict[str, float]
    institution_weight: float = Field(ge=0)
    tilt: dict[str, float]
    tilt_scale: float = Field(ge=0)
    floor_yuan: float = Field(ge=0)
    cap_share: float = Field(gt=0, le=1)
    director_subsidy_yuan: float = Field(ge=0)
    tilt_scale_max: float = Field(gt=0)

    @field_validator("target_weights")
    @classmethod
    def _tw(cls, v):
        _check_keys(
            v,
            set(TARGET_TYPES), "target type",
        )
        if any(w < 0 for w in v.values()):
            raise ValueError("weights must be >= 0")
        return v

    @field_validator("tilt")
    @classmethod
    def _tilt(cls, v):
        _check_keys(
            v,
            {*COUNTY_DESIGNATIONS, *TOWNSHIP_DESIGNATIONS, *VILLAGE_DESIGNATIONS}, "designation",
        )
        if any(w < 0 for w in v.values()):
            raise ValueError("tilts must be >= 0")
        return v


class TravelPolicy(_Section):
    """How a child walks: road speeds by class, Tobler off road, off-road legs (geo.travel)."""

    road_speed_kmh: dict[str, float]
    child_factor: float = Field(gt=0, le=2)
    offroad_factor: float = Field(gt=0, le=1)
    access_max_m: float = Field(gt=0)
    access_links: int = Field(ge=1)
    profile_step_m: float = Field(gt=0)
    crossing_snap_m: float = Field(ge=0)
    use_dem: bool

    @field_validator("road_speed_kmh")
    @classmethod
    def _speeds(cls, v):
        _check_keys(v, _ROAD_KEYS, "road class")
        if set(v) != _ROAD_KEYS or any(s <= 0 for s in v.values()):
            raise ValueError(f"give a speed > 0 for every road class {sorted(_ROAD_KEYS)}")
        return v


class DataPolicy(_Section):
    """Plausibility bounds on the planner's counts (a value beyond them is an input error)."""

    max_resident_children_per_village: int = Field(gt=0, le=10_000_000)
    max_target_share: float = Field(gt=0, le=10)


_SECTIONS: dict[str, type[_Section]] = {
    "siting": SitingPolicy,
    "staffing": StaffingPolicy,
    "hazards": HazardsPolicy,
    "funding": FundingPolicy,
    "travel": TravelPolicy,
    "data": DataPolicy,
}


@dataclass(frozen=True)
class Param:
    """Documentation of one parameter: its unit, source citation and meaning (zh/en).

    ``source`` is the citation with its note in English, ``source_zh`` the same in Chinese.
    """

    name: str
    unit: str
    source: str
    zh: str
    en: str
    source_zh: str = ""


class Policy(BaseModel):
    """All policy parameters, frozen. Build with :func:`load_policy`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    siting: SitingPolicy
    staffing: StaffingPolicy
    hazards: HazardsPolicy
    funding: FundingPolicy
    travel: TravelPolicy
    data: DataPolicy
    params: dict[str, Param]
    overrides: dict[str, Any] = Field(default_factory=dict)

    def source(self, name: str) -> str:
        """Return the source citation of a dotted parameter name."""
        return self.params[name].source

    def value(self, name: str) -> Any:
        """Return the value of a dotted parameter name, e.g. ``"siting.travel_cap_m"``."""
        section, key = _split(name)
        return getattr(getattr(self, section), key)

    def with_overrides(self, overrides: dict[str, Any], origin: str = "overrides") -> Policy:
        """Return a new Policy with dotted-name overrides applied and validated."""
        values = {s: dict(getattr(self, s).model_dump()) for s in _SECTIONS}
        merged = dict(self.overrides)
        for name, v in _flatten(overrides).items():
            section, key = _split(name, origin)
            if key not in _SECTIONS[section].model_fields:
                raise PolicyError(
                    f"{origin}: 未知参数 {name}（可用：{', '.join(sorted(self.params))}）/ "
                    f"unknown parameter {name}"
                )
            values[section][key] = v
            merged[name] = v
        return _build(values, self.params, merged, origin)

    def table(self) -> list[dict[str, Any]]:
        """Rows (name, value, unit, source, source_zh, zh, en, overridden) for display and export."""
        rows = []
        for name, p in self.params.items():
            rows.append(
                {
                    "name": name,
                    "value": _plain(self.value(name)),
                    "unit": p.unit,
                    "source": p.source,
                    "source_zh": p.source_zh or p.source,
                    "zh": p.zh,
                    "en": p.en,
                    "overridden": name in self.overrides,
                }
            )
        return rows


def _plain(v):
    if isinstance(v, tuple):
        return list(v)
    return v


def _split(name: str, origin: str = "policy") -> tuple[str, str]:
    parts = name.split(".")
    if len(parts) != 2 or parts[0] not in _SECTIONS:
        raise PolicyError(
            f"{origin}: 参数名 {name!r} 应为“分类.名称”，分类为 {list(_SECTIONS)} / "
            f"parameter name {name!r} must be 'section.name' with section in {list(_SECTIONS)}"
        )
    return parts[0], parts[1]


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten ``{"siting": {"travel_cap_m": 2500}}`` to ``{"siting.travel_cap_m": 2500}``.

    Dict-valued parameters (``cost_yuan``, ``tilt``…) are kept whole at depth 2.
    """
    out: dict[str, Any] = {}
    for k, v in d.items():
        name = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and "." not in name and name in _SECTIONS:
            out.update(_flatten(v, name))
        else:
            out[name] = v
    return out


def _coerce(section: str, values: dict[str, Any]) -> dict[str, Any]:
    """Lists from TOML become tuples; ints given for float fields become floats."""
    model = _SECTIONS[section]
    out = {}
    for k, v in values.items():
        field = model.model_fields.get(k)
        ann = str(field.annotation) if field else ""
        if isinstance(v, list):
            v = tuple(v)
        elif ann == "<class 'float'>" and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        elif ann.startswith("dict[str, float]") and isinstance(v, dict):
            v = {
                kk: float(vv) if isinstance(vv, int) and not isinstance(vv, bool) else vv
                for kk, vv in v.items()
            }
        out[k] = v
    return out


def _build(values, params, overrides, origin) -> Policy:
    sections = {}
    for section, model in _SECTIONS.items():
        try:
            sections[section] = model(**_coerce(section, values[section]))
        except ValidationError as exc:
            msgs = []
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"])
                name = f"{section}.{loc}"
                got = err.get("input")
                msgs.append(
                    f"{origin}: 参数 {name} 的值 {got!r} 无效（{err['msg']}），请按 policy.toml "
                    f"中的单位与说明修改 / parameter {name}: invalid value {got!r} ({err['msg']}); "
                    f"fix it following the unit and description in policy.toml"
                )
            raise PolicyError("\n".join(msgs)) from None
    return Policy(**sections, params=params, overrides=dict(overrides))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise PolicyError(f"找不到政策文件 {path} / policy file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(
            f"{path}: TOML 格式错误（{exc}），请检查引号与等号 / TOML syntax error ({exc})"
        ) from None


@dataclass(frozen=True)
class Document:
    """A source document (seed): its title, 文号 and issuer, in Chinese and English."""

    code: str
    title: str
    number: str
    issuer: str
    title_en: str = ""
    issuer_en: str = ""

    def cite(self, article: str = "", lang: str = "zh") -> str:
        """``《title》（文号）article`` (issuer instead of a 文号 the document does not carry).

        >>> Document("004", "某通知", "吉民发〔2018〕41号", "吉林省民政厅").cite("二(一)")
        '《某通知》（吉民发〔2018〕41号）二(一)'
        """
        if lang == "zh":
            ref = self.number or self.issuer
            return f"《{self.title}》（{ref}）{article}".rstrip()
        ref = self.number or self.issuer_en or self.issuer
        return f"{self.title_en or self.title} ({ref}) {article}".rstrip()


def load_documents(path: str | Path | None = None) -> dict[str, Document]:
    """The ``[documents]`` table of the policy file: seed code -> :class:`Document`."""
    raw = _read_toml(Path(path) if path else DEFAULT_POLICY_FILE).get("documents", {})
    return {str(code): Document(code=str(code), title=str(d.get("title", "")),
                                number=str(d.get("number", "")), issuer=str(d.get("issuer", "")),
                                title_en=str(d.get("title_en", "")),
                                issuer_en=str(d.get("issuer_en", "")))
            for code, d in raw.items()}


def load_policy(
    path: str | Path | None = None,
    overrides: dict[str, Any] | str | Path | None = None,
) -> Policy:
    """Load the policy file and apply overrides.

    Parameters
    ----------
    path : path, optional
        A full policy file (same structure as ``optimization/policy.toml``). Defaults to it.
    overrides : mapping or path, optional
        Dotted names (``{"siting.travel_cap_m": 2500}``), nested sections
        (``{"siting": {"travel_cap_m": 2500}}``), or a TOML file of either form.

    Raises
    ------
    PolicyError
        With a bilingual message naming the file and parameter.
    """
    path = Path(path) if path else DEFAULT_POLICY_FILE
    raw = _read_toml(path)
    values: dict[str, dict[str, Any]] = {s: {} for s in _SECTIONS}
    params: dict[str, Param] = {}
    for section in _SECTIONS:
        block = raw.get(section)
        if not isinstance(block, dict):
            raise PolicyError(f"{path}: 缺少 [{section}] 部分 / missing section [{section}]")
        for key, entry in block.items():
            name = f"{section}.{key}"
            if not isinstance(entry, dict) or "value" not in entry:
                raise PolicyError(
                    f"{path}: 参数 {name} 需要 value、unit、source、source_zh、zh、en 字段 / "
                    f"parameter {name} needs value, unit, source, source_zh, zh and en"
                )
            if not str(entry.get("source", "")).strip():
                raise PolicyError(
                    f"{path}: 参数 {name} 缺少政策出处 source / parameter {name} has no source"
                )
            values[section][key] = entry["value"]
            params[name] = Param(
                name=name,
                unit=str(entry.get("unit", "")),
                source=str(entry["source"]),
                source_zh=str(entry.get("source_zh", "")),
                zh=str(entry.get("zh", "")),
                en=str(entry.get("en", "")),
            )
    policy = _build(values, params, {}, str(path))
    if overrides is None:
        return policy
    if isinstance(overrides, (str, Path)):
        origin = str(overrides)
        overrides = _read_toml(Path(overrides))
        overrides.pop("version", None)
    else:
        origin = "overrides"
    return policy.with_overrides(overrides, origin=origin)
