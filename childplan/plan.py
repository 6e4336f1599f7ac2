"""The plan in force: the data it is computed on, the policy, and each result keyed to both.

A page, export or briefing renders from the current plan and names it. A result is *current*
when the data digest and the policy digest it was solved with equal the ones in force now;
otherwise it is *stale* (过期): it is shown as such and cannot be exported or briefed until it
is solved again.

This module imports neither streamlit nor the pages: :mod:`childplan.ui` keeps one
:class:`Plan` in the session, the CLI builds one per command.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pandas as pd

__all__ = [
    "DataRef",
    "Plan",
    "Result",
    "data_digest",
    "policy_digest",
    "plan_from_json",
    "plan_to_json",
]

#: Results a plan holds, by kind.
KINDS = ("siting", "staffing", "funding", "phased")


def _frame_digest(h, frame) -> None:
    if frame is None or len(frame) == 0:
        h.update(b"<empty>")
        return
    df = pd.DataFrame(frame).copy()
    if "geometry" in df.columns:
        df["geometry"] = [None if g is None else g.wkb_hex for g in df["geometry"]]
    df = df.reindex(sorted(df.columns, key=str), axis=1)
    h.update(",".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df.astype(str), index=False).values.tobytes())


def data_digest(county) -> str:
    """A content hash of a loaded county's layers (townships, villages, facilities, waterways).

    Two loads of the same files give the same digest; a changed count in one village gives
    another.
    """
    h = hashlib.sha256()
    h.update(str(getattr(county, "adcode", "")).encode())
    for layer in ("townships", "villages", "facilities", "waterways", "crossings"):
        h.update(layer.encode())
        _frame_digest(h, getattr(county, layer, None))
    return h.hexdigest()[:16]


def policy_digest(overrides: dict | None, options: dict | None = None) -> str:
    """A hash of the policy overrides and, for one result, of its solve options.

    The base file is the same for every plan of a release, so the overrides name the policy;
    ``options`` are a result's own settings (solver, must/never/locked sites, budget).
    """
    payload = json.dumps({"overrides": overrides or {}, "options": options or {}},
                         sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DataRef:
    """The data a plan is computed on: content digest, county and the files' names."""

    digest: str
    adcode: str
    county: str
    files: tuple[str, ...] = ()
    source: str = ""  # "demo:<adcode>" or "upload:<digest>"

    def to_dict(self) -> dict:
        """The reference as plain JSON-able values."""
        return {"digest": self.digest, "adcode": self.adcode, "county": self.county,
                "files": list(self.files), "source": self.source}

    @classmethod
    def from_dict(cls, d: dict) -> DataRef:
        """The reference :meth:`to_dict` wrote (missing keys read as empty)."""
        return cls(digest=d.get("digest", ""), adcode=d.get("adcode", ""),
                   county=d.get("county", ""), files=tuple(d.get("files", ())),
                   source=d.get("source", ""))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Result:
    """One model's result: solved on ``data`` with ``policy`` (digests), its solver status.

    ``options`` are the model's own settings (solver, sites, budget); ``key`` the cache key
    the app solves it with (opaque here).
    """

    kind: str
    data: str
    policy: str
    options: dict = field(default_factory=dict)
    status: str = ""
    at: str = ""
    key: tuple | None = None

    def current(self, data: str, policy: str) -> bool:
        """True when solved on this data digest and this policy digest."""
        return self.data == data and self.policy == policy

    def to_dict(self) -> dict:
        """The result as plain JSON-able values (the cache key is left out)."""
        return {"kind": self.kind, "data": self.data, "policy": self.policy,
                "options": self.options, "status": self.status, "at": self.at}


@dataclass(frozen=True)
class Plan:
    """Data reference, policy overrides, results per model, widget values, and a name.

    ``name`` is the scenario it was opened from or saved as (None: 未保存的方案);
    ``saved_policy`` the policy digest it was saved with, so a changed override un-names it.
    """

    data: DataRef | None = None
    overrides: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)  # kind -> Result
    widgets: dict = field(default_factory=dict)
    name: str | None = None
    saved_policy: str | None = None
    at: str = ""

    @property
    def policy(self) -> str:
        """The digest of the plan's policy overrides (:func:`policy_digest`)."""
        return policy_digest(self.overrides)

    def with_result(self, result: Result) -> Plan:
        """A new plan holding ``result`` in place of any earlier one of its kind."""
        return replace(self, results={**self.results, result.kind: result}, at=_now())

    def result(self, kind: str) -> Result | None:
        """The ``kind`` result, current or stale (None when never solved)."""
        return self.results.get(kind)

    def stale(self, kind: str, data: str, options: dict | None = None) -> bool:
        """True when a ``kind`` result exists but was solved on other data, policy or options."""
        r = self.results.get(kind)
        if r is None:
            return False
        if options is not None and _canon(options) != _canon(r.options):
            return True
        return not r.current(data, self.policy)

    def current(self, kind: str, data: str) -> Result | None:
        """The ``kind`` result when it matches this data and this policy, else None."""
        r = self.results.get(kind)
        return r if r is not None and r.current(data, self.policy) else None

    def stale_kinds(self, data: str) -> list[str]:
        """The kinds whose result no longer matches ``data`` or the plan's policy."""
        return [k for k in KINDS if k in self.results and self.stale(k, data)]

    def display_name(self, unsaved: str) -> str:
        """The scenario name while the policy is the one it was saved with, else ``unsaved``."""
        if self.name and self.saved_policy == self.policy:
            return self.name
        return unsaved


def _canon(d: dict) -> str:
    return json.dumps(d or {}, sort_keys=True, ensure_ascii=False, default=str)


def plan_to_json(plan: Plan) -> str:
    """The plan as JSON (stored with a scenario): data ref, overrides, results, widgets."""
    return json.dumps({"data": plan.data.to_dict() if plan.data else None,
                       "overrides": plan.overrides,
                       "results": {k: r.to_dict() for k, r in plan.results.items()},
                       "widgets": plan.widgets, "at": plan.at or _now()},
                      sort_keys=True, ensure_ascii=False, default=str)


def plan_from_json(text: str, *, name: str | None = None) -> Plan:
    """The plan :func:`plan_to_json` wrote, named ``name`` with the policy it was saved with."""
    d = json.loads(text)
    results = {k: Result(kind=r["kind"], data=r["data"], policy=r["policy"],
                         options=r.get("options", {}), status=r.get("status", ""),
                         at=r.get("at", "")) for k, r in (d.get("results") or {}).items()}
    plan = Plan(data=DataRef.from_dict(d["data"]) if d.get("data") else None,
                overrides=d.get("overrides") or {}, results=results,
                widgets=d.get("widgets") or {}, name=name, at=d.get("at", ""))
    return replace(plan, saved_policy=plan.policy)


#: Name of the one-row table a scenario stores its plan in (column ``json``).
PLAN_TABLE = "plan"


def plan_table(plan: Plan) -> pd.DataFrame:
    return pd.DataFrame({"json": [plan_to_json(plan)]})


def plan_of_tables(tables: dict | None, *, name: str | None = None) -> Plan | None:
    t = (tables or {}).get(PLAN_TABLE)
    if t is None or not len(t) or "json" not in t.columns:
        return None
    return plan_from_json(str(t["json"].iloc[0]), name=name)
