"""Synthetic counties for the staffing benchmark and tests (villages on a grid, a roster)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from optimization.staffing_rules import (
    _ROSTER_COLUMNS,
)
from optimization.vocab import (
    DIFFICULTY_COLUMNS,
)

# ----------------------------------------------------------------------------- synthetic data


def make_synthetic_county(n_villages: int, candidates_per_village: float = 3.0, *,
                          villages_per_township: int = 20, seed: int = 0,
                          county: str = "990100") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Make an illustrative county for tests and benchmarks (fixed seed; codes only).

    Villages lie on a jittered grid about 2 km apart, townships are square patches of it;
    about 8 % of candidates are township cadres (supervisor candidates), 5 % are in roles that
    are not eligible, 15 % untrained.

    Returns
    -------
    (villages, roster) : tuple of DataFrame
        ``villages`` has the VILLAGES counts and ``lon``/``lat``; ``roster`` the ROSTER columns.
    """
    rng = np.random.default_rng(seed)
    n_town = max(1, math.ceil(n_villages / villages_per_township))
    villages = _synthetic_villages(rng, n_villages, villages_per_township, n_town, county)
    return villages, _synthetic_roster(rng, villages, n_town, candidates_per_village, county)


def _synthetic_villages(rng, n_villages: int, villages_per_township: int, n_town: int,
                        county: str) -> pd.DataFrame:
    """Villages on a jittered 2 km grid, townships as square patches (the rng's first draws)."""
    side_t = math.ceil(math.sqrt(n_town))
    side_v = math.ceil(math.sqrt(villages_per_township))
    step = 2000.0  # metres between villages
    lat0, lon0 = 29.5, 106.0
    mdeg_lat = 1 / 111_195.0
    mdeg_lon = mdeg_lat / math.cos(math.radians(lat0))
    rows = []
    for i in range(n_villages):
        t, k = divmod(i, villages_per_township)
        tx, ty = divmod(t, side_t)
        vx, vy = divmod(k, side_v)
        x = (tx * side_v + vx) * step + rng.normal(0, 300)
        y = (ty * side_v + vy) * step + rng.normal(0, 300)
        kids = int(np.clip(rng.lognormal(5.0, 0.6), 30, 900))
        lb = int(rng.binomial(kids, rng.uniform(0.05, 0.3)))
        diff = rng.poisson([0.3, 0.3, 0.8, 1.5, 0.5])
        rows.append({
            "village_code": f"{county}{t + 1:03d}{k + 1:03d}",
            "township_code": f"{county}{t + 1:03d}",
            "resident_children": kids, "left_behind": lb,
            **dict(zip(DIFFICULTY_COLUMNS, (int(x) for x in diff), strict=True)),
            "key_attention": int(rng.binomial(lb + int(diff.sum()), 0.08)),
            "lon": lon0 + x * mdeg_lon, "lat": lat0 + y * mdeg_lat,
        })
    return pd.DataFrame(rows)


def _synthetic_roster(rng, villages: pd.DataFrame, n_town: int, candidates_per_village: float,
                      county: str) -> pd.DataFrame:
    """Village candidates (by role mix) and township cadres (supervisor candidates)."""
    n_villages = len(villages)
    roles = np.array(["committee_member", "womens_director", "grid_worker",
                      "college_grad_official", "social_worker", "civil_affairs_assistant",
                      "left_behind_woman", "volunteer", "village_doctor", "other"])
    p_roles = np.array([0.25, 0.18, 0.14, 0.08, 0.07, 0.09, 0.09, 0.05, 0.03, 0.02])
    n_people = int(round(candidates_per_village * n_villages))
    n_sup = max(n_town, int(round(0.08 * n_people)))
    people = []
    ref = dt.date(2026, 10, 31)

    def training():
        if rng.uniform() < 0.15:
            return "", ""
        first = ref - dt.timedelta(days=int(rng.integers(30, 1400)))
        last = first + dt.timedelta(days=int(rng.integers(0, max(1, (ref - first).days))))
        return first.isoformat(), last.isoformat()

    vil_for = rng.integers(0, n_villages, size=n_people - n_sup)
    for j, v in enumerate(np.sort(vil_for)):
        role = str(rng.choice(roles, p=p_roles))
        female = rng.uniform() < (0.95 if role in ("womens_director", "left_behind_woman")
                                  else 0.45)
        first, last = training()
        people.append({
            "person_code": f"P{county}{j:06d}", "village_code": villages.at[v, "village_code"],
            "township_code": villages.at[v, "township_code"], "role": role,
            "gender": "F" if female else "M",
            "committee_member": role in ("committee_member", "womens_director"),
            "womens_fed_cadre": role == "womens_director" or (female and rng.uniform() < 0.05),
            "youth_league_cadre": bool(rng.uniform() < 0.08),
            "initial_training_date": first, "last_training_date": last,
            "candidate_for": ("either" if role == "social_worker" and rng.uniform() < 0.4
                              else "director"),
        })
    for j in range(n_sup):
        t = j % n_town
        role = str(rng.choice(["township_civil_affairs", "township_womens_fed"]))
        female = rng.uniform() < (0.9 if role == "township_womens_fed" else 0.5)
        first, last = training()
        people.append({
            "person_code": f"S{county}{j:06d}", "village_code": "",
            "township_code": f"{county}{t + 1:03d}", "role": role,
            "gender": "F" if female else "M", "committee_member": False,
            "womens_fed_cadre": role == "township_womens_fed",
            "youth_league_cadre": bool(rng.uniform() < 0.1),
            "initial_training_date": first, "last_training_date": last,
            "candidate_for": "supervisor",
        })
    return pd.DataFrame(people, columns=list(_ROSTER_COLUMNS))
