"""Funding allocation: hand-checked splits, bounds, exact sums, equal treatment, monotone tilt."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimization.funding import FundingInfeasible, FundingUnits, allocate, tilt_path
from optimization.policy import load_policy

POLICY = load_policy().funding  # left_behind weight 1.0; tilt old_base 0.2; scale 1.0


def units(**cols):
    n = len(next(iter(cols.values())))
    base = {"unit_code": [f"U{i}" for i in range(n)], "unit_name": [f"乡{i}" for i in range(n)],
            "designations": [""] * n}
    base.update(cols)
    return FundingUnits(pd.DataFrame(base))


def test_proportional_to_targets():
    # needs 10 and 30 -> 1:3 of 400
    assert allocate(units(left_behind=[10, 30]), 400, POLICY).amounts() == {"U0": 100, "U1": 300}


def test_weights_by_target_type_and_institutions():
    # U0: 10 orphans x 1.5 = 15; U1: 5 left-behind x 1 + 1 institution x 50 = 55 -> 15:55 of 7000
    u = units(left_behind=[0, 5], orphan=[10, 0], institutions=[0, 1])
    assert allocate(u, 7000, POLICY).amounts() == {"U0": 1500, "U1": 5500}


def test_tilt_toward_old_base_area():
    # equal needs 10; U0 is 革命老区 (tilt 0.2): weights 12 : 10 of 2200 -> 1200 : 1000
    u = units(left_behind=[10, 10], designations=["old_base", ""])
    plan = allocate(u, 2200, POLICY)
    assert plan.amounts() == {"U0": 1200, "U1": 1000}
    row = plan.table.set_index("unit_code").loc["U0"]
    assert row["base"] == pytest.approx(1100) and row["tilt"] == pytest.approx(100)
    assert row["base"] + row["tilt"] + row["earmark"] == pytest.approx(row["amount"])


def test_stacked_designations_and_village_shares():
    # U0: 原中央苏区 + 脱贫县: 1 + 0.2 + 0.2 = 1.4; U1: half its targets in 脱贫村: 1 + 0.1*0.5
    u = units(left_behind=[100, 100], designations=["central_soviet;poverty_lifted", ""],
              poverty_village_share=[0.0, 0.5])
    plan = allocate(u, 2450, POLICY)
    assert plan.table["multiplier"].tolist() == [pytest.approx(1.4), pytest.approx(1.05)]
    assert plan.amounts() == {"U0": 1400, "U1": 1050}


def test_no_tilt_at_scale_zero():
    u = units(left_behind=[10, 10], designations=["old_base", ""])
    assert allocate(u, 2000, POLICY, tilt_scale=0.0).amounts() == {"U0": 1000, "U1": 1000}


def test_cap_binds_and_the_rest_is_shared_fairly():
    # needs 10, 10, 20 of 1000 -> 250, 250, 500; cap U2 at 300 -> the 200 left split 1:1
    u = units(left_behind=[10, 10, 20], cap=[np.nan, np.nan, 300])
    plan = allocate(u, 1000, POLICY)
    assert plan.amounts() == {"U0": 350, "U1": 350, "U2": 300}
    assert plan.table["binding"].tolist() == ["", "", "cap"]


def test_floor_binds():
    # needs 1 and 99 of 1000 -> 10, 990; floor U0 200 -> 200, 800
    u = units(left_behind=[1, 99], floor=[200, np.nan])
    plan = allocate(u, 1000, POLICY)
    assert plan.amounts() == {"U0": 200, "U1": 800}
    assert plan.table["binding"].tolist() == ["floor", ""]


def test_earmarks_are_funded_first():
    # earmark 500 for U0; the other 1000 split 1:1 by equal needs -> 1000 and 500
    u = units(left_behind=[10, 10], earmark=[500, 0])
    plan = allocate(u, 1500, POLICY)
    assert plan.amounts() == {"U0": 1000, "U1": 500}
    assert plan.table["earmark"].tolist() == [500, 0]


def test_whole_yuan_sum_exactly_with_remainders():
    # 1000 / 3 equal units: 333.33 each -> 334, 333, 333 (largest remainder, ties by code)
    plan = allocate(units(left_behind=[7, 7, 7]), 1000, POLICY)
    assert plan.amounts() == {"U0": 334, "U1": 333, "U2": 333}


@pytest.mark.parametrize("case,budget,match", [
    ({"left_behind": [1, 1], "earmark": [600, 600]}, 1000, "earmarks"),
    ({"left_behind": [1, 1], "floor": [600, 600]}, 1000, "floors"),
    ({"left_behind": [1, 1], "cap": [300, 300]}, 1000, "caps"),
    ({"left_behind": [1, 1], "floor": [500, np.nan], "cap": [400, np.nan]}, 1000, "U0"),
])
def test_infeasible_inputs_are_explained(case, budget, match):
    with pytest.raises(FundingInfeasible, match=match) as exc:
        allocate(units(**case), budget, POLICY)
    assert "元" in str(exc.value) or "单位" in str(exc.value)


def random_units(rng, n):
    r = rng.random(n)
    return pd.DataFrame({
        "unit_code": [f"T{i:03d}" for i in range(n)],
        "unit_name": [f"乡{i}" for i in range(n)],
        "left_behind": rng.integers(0, 400, n),
        "orphan": rng.integers(0, 4, n),
        "dibao_tekun": rng.integers(0, 30, n),
        "institutions": rng.integers(0, 2, n),
        "designations": rng.choice(["", "old_base", "central_soviet;poverty_lifted",
                                    "township_in_difficulty"], n),
        "poverty_village_share": rng.random(n).round(2),
        "floor": np.where(r > 0.9, 30_000, np.nan),
        "cap": np.where(r < 0.1, 60_000, np.nan),
    })


@pytest.mark.parametrize("seed", range(6))
def test_invariants_on_random_instances(seed):
    rng = np.random.default_rng(seed)
    t = random_units(rng, 40)
    budget = int(rng.integers(1_500_000, 4_000_000))
    plan = allocate(FundingUnits(t), budget, POLICY)
    a = plan.table.set_index("unit_code")["amount"]
    assert int(a.sum()) == budget  # to the yuan
    assert all(float(x).is_integer() for x in a)
    fl = t.set_index("unit_code")["floor"].fillna(0)
    cap = t.set_index("unit_code")["cap"].fillna(budget)
    assert (a >= fl).all() and (a <= cap).all()
    # equal data -> equal money (rounding may differ by at most one yuan)
    t2 = pd.concat([t, t.iloc[[5]].assign(unit_code="T999")], ignore_index=True)
    p2 = allocate(FundingUnits(t2), budget, POLICY).table.set_index("unit_code")["amount"]
    assert abs(int(p2["T005"]) - int(p2["T999"])) <= 1


@pytest.mark.parametrize("seed", range(6))
def test_raising_a_units_tilt_never_lowers_its_amount(seed):
    rng = np.random.default_rng(100 + seed)
    t = random_units(rng, 30)
    budget = 3_000_000
    k = int(rng.integers(0, 30))
    before = allocate(FundingUnits(t), budget, POLICY).amounts()[t.unit_code[k]]
    raised = t.copy()
    raised.loc[k, "designations"] = "old_base;central_soviet;key_assistance"
    raised.loc[k, "poverty_village_share"] = 1.0
    after = allocate(FundingUnits(raised), budget, POLICY).amounts()[t.unit_code[k]]
    assert after >= before - 1  # -1: whole-yuan rounding


def test_tilt_path_moves_money_toward_designated_units():
    u = units(left_behind=[10, 10], designations=["old_base", ""])
    path = tilt_path(u, 10_000, POLICY, steps=4)  # scale 0, 1, 2, 3
    a0 = path[path.unit_code == "U0"]["amount"].tolist()
    assert a0 == [5000, 5455, 5833, 6154]  # 10(1+0.2s) / (10(1+0.2s) + 10) of 10,000
    assert (path.groupby("tilt_scale")["amount"].sum() == 10_000).all()
