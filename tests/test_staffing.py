"""Staffing: hand-checked rules (003 §8, §16; 001; 002; 004), invariants, demo county.

Every expected value is worked out by hand in a comment next to it. Default policy unless a
test overrides it: 1 director minimum, 30 targets per director, +1 at 400 resident children,
weights female committee member 8, women's-federation cadre 6, Youth League cadre 4, woman 2,
committee member 1; 1 contact/month x 15 min, home visit every 3 months (key cases monthly)
x 60 min, 4 visits per trip, 15 km/h, start 2027-01-01, initial training one month before.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimization.policy import load_policy
from optimization.staffing import (
    RECRUIT_COLUMNS,
    STAFFING_COLUMNS,
    SUPERVISOR_COLUMNS,
    TRAINING_COLUMNS,
    StaffingInputError,
    build_staffing_problem,
    make_synthetic_county,
    plan_staffing,
    preference_scores,
    solve_staffing,
    staffing_tables,
    training_schedule,
    travel_hours,
    village_demand,
    write_staffing_lp,
)

REPO = Path(__file__).resolve().parents[1]
T1, T2 = "500109102", "500109104"
LAT_1KM = 1000 / 111_195.0  # degrees of latitude per kilometre (mean Earth radius)


def pol(**overrides):
    return load_policy().with_overrides({f"staffing.{k}": v for k, v in overrides.items()})


def village(code, *, lb=5, kids=100, km=0.0, **counts):
    """A village on a north-south line, ``km`` kilometres north of 29.80 N, 106.45 E."""
    return {"village_code": code, "township_code": code[:9], "resident_children": kids,
            "left_behind": lb, "lon": 106.45, "lat": 29.80 + km * LAT_1KM, **counts}


def person(code, home, role="committee_member", gender="M", *, township=None, **kw):
    row = {"person_code": code, "village_code": home, "township_code": township or home[:9],
           "role": role, "gender": gender,
           "committee_member": role in ("committee_member", "womens_director"),
           "womens_fed_cadre": False, "youth_league_cadre": False,
           "initial_training_date": "2024-03-01", "last_training_date": "2026-05-12",
           "candidate_for": "director"}
    row.update(kw)
    return row


def solve(villages, roster, policy=None, **kw):
    return plan_staffing(pd.DataFrame(villages), pd.DataFrame(roster),
                         policy or load_policy(), **kw)


def assigned(plan) -> dict[str, list[str]]:
    return plan.directors.groupby("village_code")["person_code"].agg(sorted).to_dict()


# ----------------------------------------------------------------------------- demand


def test_thirty_target_threshold_gives_one_director_at_30_and_two_at_31():
    v = pd.DataFrame([
        village(f"{T1}001", lb=25, orphan=2, dibao_tekun=3),                       # 30
        village(f"{T1}002", lb=25, orphan=2, dibao_tekun=3, difficulty_other=1),   # 31
        village(f"{T1}003", lb=60),                                                 # 60
        village(f"{T1}004", lb=55, unsupported=3, illness_disability=3),            # 61
        village(f"{T1}005", lb=0),                                                  # 0
    ])
    d = village_demand(v, load_policy())
    assert d["targets"].tolist() == [30, 31, 60, 61, 0]
    # max(1, ceil(n / 30)): 1, 2, 2, 3 and the minimum 1 for an empty village
    assert d["directors_needed"].tolist() == [1, 2, 2, 3, 1]


def test_many_resident_children_add_one_director():
    v = pd.DataFrame([
        village(f"{T1}001", lb=10, kids=399),   # 1
        village(f"{T1}002", lb=10, kids=400),   # 1 + 1 (常住儿童数量较多)
        village(f"{T1}003", lb=31, kids=400),   # 2 + 1
    ])
    d = village_demand(v, load_policy())
    assert d["many_children_extra"].tolist() == [0, 1, 1]
    assert d["directors_needed"].tolist() == [1, 2, 3]
    d2 = village_demand(v, pol(many_children_threshold=500))
    assert d2["directors_needed"].tolist() == [1, 1, 2]


def test_workload_hours_worked_out_by_hand():
    # Village A: 10 left-behind + 2 orphans = 12 targets, 3 of them key-attention cases.
    # contacts 12/month x 15 min = 3.0 h; visits (12 - 3)/3 + 3/1 = 6/month x 60 min = 6.0 h;
    # hours 9.0; trips ceil(6 / 4) = 2.
    villages = [village(f"{T1}001", lb=10, orphan=2, key_attention=3),
                village(f"{T1}002", lb=3)]
    d = village_demand(pd.DataFrame(villages), load_policy())
    a = d.iloc[0]
    assert a["contacts_per_month"] == pytest.approx(12)
    assert a["home_visits_per_month"] == pytest.approx(6)
    assert a["trips_per_month"] == 2
    assert a["hours_per_month"] == pytest.approx(9.0)
    # Both candidates live in B, 3000 m from A by the distance table: whoever serves A adds
    # 2 trips x 2 x 3 km / 15 km/h = 0.8 h, total 9.8 h.
    assert travel_hours(2, 1, 3000, 15) == pytest.approx(0.8)
    dist = pd.DataFrame({"from_code": [f"{T1}002", f"{T1}001"],
                         "to_code": [f"{T1}001", f"{T1}002"], "distance_m": [3000.0, 3000.0]})
    roster = [person("P1", f"{T1}002"), person("P2", f"{T1}002")]
    plan = solve(villages, roster, distance_m=dist)
    at_a = plan.directors[plan.directors["village_code"] == f"{T1}001"].iloc[0]
    assert at_a["distance_m"] == pytest.approx(3000)
    assert at_a["travel_hours"] == pytest.approx(0.8)
    assert at_a["hours_per_month"] == pytest.approx(9.8)
    # B: 3 targets: contacts 0.75 h + visits 1/month x 60 min = 1.75 h, served from home.
    at_b = plan.directors[plan.directors["village_code"] == f"{T1}002"].iloc[0]
    assert at_b["hours_per_month"] == pytest.approx(1.75)
    assert staffing_tables(plan)["staffing"]["hours_per_month"].tolist() == [9.8, 1.8]


def test_a_villages_share_is_split_between_its_directors():
    # 31 targets, no key cases: 31 x 15 min = 7.75 h + 31/3 visits x 60 min = 10.333 h
    # = 18.083 h over 2 directors = 9.042 h each (both live there: no travel).
    plan = solve([village(f"{T1}001", lb=31)],
                 [person("P1", f"{T1}001"), person("P2", f"{T1}001")])
    assert plan.directors["hours_per_month"].tolist() == pytest.approx([18.0833 / 2] * 2,
                                                                       rel=1e-4)


# ----------------------------------------------------------------------------- preference


def test_preference_scores_and_ranks():
    roster = pd.DataFrame([
        person("FCM", f"{T1}001", gender="F"),                     # 8 + 2 + 1 = 11, rank 1
        person("WF", f"{T1}001", "grid_worker", womens_fed_cadre=True),   # 6, rank 2
        person("YL", f"{T1}001", "grid_worker", youth_league_cadre=True),  # 4, rank 3
        person("W", f"{T1}001", "volunteer", gender="F"),          # 2, rank 4
        person("MCM", f"{T1}001"),                                 # 1, rank 5
        person("V", f"{T1}001", "volunteer"),                      # 0, rank 6 (none)
    ])
    s = preference_scores(roster, load_policy())
    assert s["preference_score"].tolist() == [11, 6, 4, 2, 1, 0]
    assert s["preference_rank"].tolist() == [1, 2, 3, 4, 5, 6]


def test_female_committee_member_beats_male_committee_member_beats_volunteer():
    v = [village(f"{T1}001")]
    fcm = person("FCM", f"{T1}001", gender="F")   # score 11
    mcm = person("MCM", f"{T1}001")               # score 1
    vol = person("VOL", f"{T1}001", "volunteer")  # score 0 (a male volunteer)
    assert assigned(solve(v, [vol, mcm, fcm])) == {f"{T1}001": ["FCM"]}
    assert assigned(solve(v, [vol, mcm])) == {f"{T1}001": ["MCM"]}
    assert assigned(solve(v, [vol])) == {f"{T1}001": ["VOL"]}
    plan = solve(v, [vol, mcm, fcm])
    assert staffing_tables(plan)["staffing"]["preference_rank"].tolist() == [1]


def test_womens_federation_cadre_over_youth_league_cadre():
    v = [village(f"{T1}001")]
    wf = person("WF", f"{T1}001", "grid_worker", womens_fed_cadre=True)    # 6
    yl = person("YL", f"{T1}001", "grid_worker", youth_league_cadre=True)  # 4
    assert assigned(solve(v, [yl, wf])) == {f"{T1}001": ["WF"]}
    # Reversing the weights reverses the choice: preference is configuration.
    p = pol(preference_weights={"female_committee_member": 8, "womens_fed_cadre": 3,
                                "youth_league_cadre": 5, "female": 2, "committee_member": 1})
    assert assigned(solve(v, [yl, wf], p)) == {f"{T1}001": ["YL"]}


# ----------------------------------------------------------------------------- eligibility


def test_ineligible_roles_are_never_assigned_even_leaving_a_gap():
    # A female committee-member village doctor would score 11, but the role is not eligible.
    roster = [person("DOC", f"{T1}001", "village_doctor", gender="F", committee_member=True),
              person("OTH", f"{T1}001", "other", gender="F")]
    plan = solve([village(f"{T1}001")], roster)
    assert plan.directors.empty
    rec = plan.recruit[plan.recruit["position"] == "director"]
    assert rec[["level", "code", "count"]].values.tolist() == [["village", f"{T1}001", 1]]
    assert "no eligible candidate within reach" in rec["reason"].iloc[0]
    assert "2 local candidate(s) in a role not eligible" in rec["reason"].iloc[0]
    assert set(plan.candidates["reason"]) == {"role_not_eligible"}


def test_supervisor_only_candidate_is_never_a_director():
    # SW: a social worker (an eligible director role) listed as supervisor candidate only;
    # CM: a committee member listed as supervisor candidate only (not a supervisor role).
    roster = [person("SW", f"{T1}001", "social_worker", gender="F", candidate_for="supervisor"),
              person("CM", f"{T1}001", candidate_for="supervisor")]
    plan = solve([village(f"{T1}001")], roster)
    assert plan.directors.empty                                  # the village stays open
    assert plan.supervisors["person_code"].tolist() == ["SW"]    # SW supervises the township
    reasons = dict(zip(plan.candidates["person_code"], plan.candidates["reason"], strict=True))
    assert reasons == {"SW": "", "CM": "supervisor_only"}
    assert plan.recruit["position"].tolist() == ["director"]


def test_one_supervisor_per_township_best_preference_and_missing_one_recruited():
    villages = [village(f"{T1}001"), village(f"{T2}001", km=3)]
    roster = [
        person("D1", f"{T1}001"), person("D2", f"{T2}001"),
        person("CA", "", "township_civil_affairs", township=T1, candidate_for="supervisor"),
        person("WF", "", "township_womens_fed", "F", township=T1, womens_fed_cadre=True,
               candidate_for="supervisor"),              # 6 + 2 = 8: the best
        person("CA2", "", "township_civil_affairs", "F", township=T1,
               candidate_for="supervisor"),              # 2
        person("SW", f"{T2}001", "village_doctor", township=T2, candidate_for="either"),
    ]
    plan = solve(villages, roster)
    assert plan.supervisors[["township_code", "person_code"]].values.tolist() == [[T1, "WF"]]
    sup = plan.recruit[plan.recruit["position"] == "supervisor"]
    assert sup[["level", "code", "count"]].values.tolist() == [["township", T2, 1]]
    assert "乡镇（街道）民政干部" in sup["looking_for"].iloc[0]
    assert "township civil-affairs cadre" in sup["looking_for"].iloc[0]
    assert plan.supervisors.columns.tolist()[:2] == ["township_code", "person_code"]
    assert staffing_tables(plan)["supervisors"].columns.tolist() == list(SUPERVISOR_COLUMNS)


def test_a_person_is_never_both_director_and_supervisor():
    # E: a social worker who may be either; one village, one township: both are first posts,
    # only one can be filled.
    plan = solve([village(f"{T1}001")],
                 [person("E", f"{T1}001", "social_worker", candidate_for="either")])
    assert len(plan.directors) + len(plan.supervisors) == 1
    assert plan.recruit["count"].sum() == 1


def test_stay_within_township_and_travel_reach():
    # T2's village has no candidate; P lives in T1, 2 km away.
    villages = [village(f"{T1}001", lb=0), village(f"{T2}001", km=2)]
    roster = [person("P", f"{T1}001"), person("Q", f"{T1}001")]
    plan = solve(villages, roster)
    assert f"{T2}001" not in assigned(plan)                 # 属地管理: not across townships
    plan2 = solve(villages, roster, pol(stay_within_township=False))
    assert len(assigned(plan2)[f"{T2}001"]) == 1
    plan3 = solve(villages, roster, pol(stay_within_township=False, max_travel_m=1500))
    assert f"{T2}001" not in assigned(plan3)                # 2 km > 1.5 km reach


# ----------------------------------------------------------------------------- coverage


def test_every_village_gets_its_first_director_before_any_gets_a_second():
    # C needs 2 (31 targets), D needs 1; both candidates live in C, D is 1 km away.
    villages = [village(f"{T1}001", lb=31), village(f"{T1}002", km=1)]
    plan = solve(villages, [person("P1", f"{T1}001"), person("P2", f"{T1}001")])
    got = plan.villages.set_index("village_code")["directors_assigned"].to_dict()
    assert got == {f"{T1}001": 1, f"{T1}002": 1}
    rec = plan.recruit[plan.recruit["level"] == "village"]
    assert rec[["code", "count"]].values.tolist() == [[f"{T1}001", 1]]
    assert rec["reason"].iloc[0].startswith("需2名、已配1名")


def test_recruitment_list_when_a_village_lacks_candidates():
    villages = [village(f"{T1}001", lb=31), village(f"{T1}002", km=10)]
    plan = solve(villages, [person("P", f"{T1}002", gender="F")])
    rec = plan.recruit
    assert rec.columns.tolist() == list(RECRUIT_COLUMNS)
    row = rec.iloc[0]
    assert (row["level"], row["code"], row["township_code"], row["position"], row["count"]) == (
        "village", f"{T1}001", T1, "director", 2)
    assert row["looking_for"].startswith("女性村（居）委会委员或妇联干部")
    assert "a female committee member or a women's-federation cadre" in row["looking_for"]
    assert "no eligible candidate within reach" in row["reason"]
    totals = plan.totals.set_index("position")
    assert totals.loc["director", "required"] == 3
    assert totals.loc["director", "assigned"] == 1
    assert totals.loc["director", "to_recruit"] == 2
    assert totals.loc["director", "national_2019"] == 620_000    # seed 000
    assert totals.loc["supervisor", "national_2019"] == 45_000


# ----------------------------------------------------------------------------- training


def test_untrained_candidate_is_assigned_with_the_session_before_start():
    roster = [person("U", f"{T1}001", initial_training_date="", last_training_date="")]
    plan = solve([village(f"{T1}001")], roster)
    assert plan.directors["trained_by"].tolist() == ["planned 2026-12"]   # 1 month before
    tr = plan.training
    assert tr[["person_code", "kind", "due_month"]].values.tolist() == [
        ["U", "initial", "2026-12"], ["U", "annual", "2027-12"]]
    assert tr.columns.tolist() == list(TRAINING_COLUMNS)


def test_untrained_candidate_without_a_session_before_start_is_flagged():
    p = pol(initial_training_sessions=["2027-03-15"])
    roster = [person("U", f"{T1}001", initial_training_date="", last_training_date="")]
    plan = solve([village(f"{T1}001")], roster, p)
    assert plan.directors.empty
    cand = plan.candidates.set_index("person_code").loc["U"]
    assert (cand["status"], cand["reason"]) == ("excluded", "untrained")
    assert cand["trained_by"] == "flagged: next session 2027-03"
    assert "1 local candidate(s) await initial training (2027-03)" in plan.recruit["reason"][0]
    assert plan.training[["person_code", "position", "kind", "due_month"]].values.tolist() == [
        ["U", "candidate", "initial", "2027-03"]]
    # When initial training is not required first, the same person serves, trained later.
    plan2 = solve([village(f"{T1}001")], roster,
                  pol(initial_training_sessions=["2027-03-15"], initial_training_required=False))
    assert plan2.directors["trained_by"].tolist() == ["planned 2027-03"]
    # With a listed session before the start, the earliest one is used.
    plan3 = solve([village(f"{T1}001")], roster,
                  pol(initial_training_sessions=["2026-12-10", "2026-11-20", "2027-04-01"]))
    assert plan3.directors["trained_by"].tolist() == ["planned 2026-11"]


def test_annual_training_months():
    people = pd.DataFrame([
        # last 2026-05-12 -> due 2027-05
        ("A", "director", "done", None, pd.Timestamp("2024-03-01"), pd.Timestamp("2026-05-12")),
        # last 2025-06-01 -> due 2026-06, overdue: listed at the start month 2027-01; the next
        # one, 2028-01, lies outside the window 2027-01..2027-12
        ("B", "director", "done", None, pd.Timestamp("2025-06-01"), pd.Timestamp("2025-06-01")),
        # no annual yet: 12 months after the initial training of 2026-02-10 -> 2027-02
        ("C", "supervisor", "done", None, pd.Timestamp("2026-02-10"), pd.NaT),
    ], columns=["person_code", "position", "training", "initial_month",
                "initial_training_date", "last_training_date"])
    tr = training_schedule(people, load_policy())
    rows = tr[["person_code", "due_month", "overdue", "organiser"]].values.tolist()
    assert rows == [["B", "2027-01", True, "county"], ["C", "2027-02", False, "prefecture"],
                    ["A", "2027-05", False, "county"]]
    # Every 6 months: A due 2026-11 (overdue -> 2027-01) then 2027-07.
    tr6 = training_schedule(people.iloc[:1], pol(annual_training_interval_months=6))
    assert tr6[["due_month", "overdue"]].values.tolist() == [["2027-01", True],
                                                             ["2027-07", False]]


# ----------------------------------------------------------------------------- several villages


def test_neighbouring_small_villages_may_share_a_director():
    p = pol(max_villages_per_director=2)
    near = [village(f"{T1}001", lb=4), village(f"{T1}002", lb=4, km=1)]
    plan = solve(near, [person("P", f"{T1}001")], p)
    assert assigned(plan) == {f"{T1}001": ["P"], f"{T1}002": ["P"]}
    # each: 4 x 15 min + 4/3 x 60 min = 2.333 h; trips ceil(1.333/4) = 1, from 1 km away:
    # 1 x 2 x 1 km / 15 km/h = 0.1333 h; P carries 2.333 + 2.333 + 0.133 = 4.8 h
    assert plan.directors["person_hours_per_month"].iloc[0] == pytest.approx(4.8, abs=1e-2)
    far = [village(f"{T1}001", lb=4), village(f"{T1}002", lb=4, km=4)]   # 4 km > 3 km
    plan2 = solve(far, [person("P", f"{T1}001")], p)
    assert assigned(plan2) == {f"{T1}001": ["P"]}          # the home village: no travel
    big = [village(f"{T1}001", lb=4), village(f"{T1}002", lb=20, km=1)]  # 20 > 10: not small
    plan3 = solve(big, [person("P", f"{T1}001")], p)
    assert len(plan3.directors) == 1


def test_a_director_serves_at_most_k_villages():
    # Three small villages in a row 1 km apart, one candidate in the middle one.
    v = [village(f"{T1}001", lb=4), village(f"{T1}002", lb=4, km=1),
         village(f"{T1}003", lb=4, km=2)]
    plan2 = solve(v, [person("P", f"{T1}002")], pol(max_villages_per_director=2))
    assert len(plan2.directors) == 2                      # K = 2: home + one neighbour
    assert f"{T1}002" in assigned(plan2)
    plan3 = solve(v, [person("P", f"{T1}002")], pol(max_villages_per_director=3))
    assert len(plan3.directors) == 3                      # 0-2 km apart: pairwise neighbours
    plan1 = solve(v, [person("P", f"{T1}002")])
    assert assigned(plan1) == {f"{T1}002": ["P"]}       # K = 1


def test_balance_spreads_villages_between_equal_candidates():
    # Two neighbouring small villages, one equal candidate in each: either one serves both or
    # each serves their own. Coverage (2) and preference (0 + 0) tie; squared hours decide:
    # 2.333^2 + 2.333^2 = 10.9 < (2.333 + 2.333 + 0.133)^2 = 23.0.
    p = pol(max_villages_per_director=2)
    v = [village(f"{T1}001", lb=4), village(f"{T1}002", lb=4, km=1)]
    plan = solve(v, [person("P", f"{T1}001", "volunteer"), person("Q", f"{T1}002", "volunteer")],
                 p)
    assert assigned(plan) == {f"{T1}001": ["P"], f"{T1}002": ["Q"]}


# ----------------------------------------------------------------------------- inputs, privacy


def test_input_problems_are_reported_together():
    v = pd.DataFrame([village(f"{T1}001")])
    bad = pd.DataFrame([person("P", f"{T1}001", "chief"), person("P", f"{T1}001", gender="X")])
    with pytest.raises(StaffingInputError, match="duplicate person codes") as exc:
        build_staffing_problem(v, bad, load_policy())
    text = str(exc.value)
    assert "unknown roles chief" in text and "gender must be F or M" in text
    with pytest.raises(StaffingInputError, match="column left_behind is missing"):
        village_demand(v.drop(columns="left_behind"), load_policy())


def test_coordinates_all_or_none():
    v = pd.DataFrame([village(f"{T1}001"), village(f"{T1}002", km=1)])
    r = pd.DataFrame([person("P", f"{T1}001"), person("Q", f"{T1}001")])
    with pytest.raises(StaffingInputError, match=f"villages without lon/lat: {T1}002"):
        build_staffing_problem(v.assign(lon=[106.45, None]), r, load_policy())
    # Without any coordinates (and no distance table) a candidate serves the home village only.
    problem = build_staffing_problem(v.drop(columns=["lon", "lat"]), r, load_policy())
    assert problem.distance_source == "none"
    assert problem.pairs["village"].tolist() == [0, 0]


def test_an_annual_training_on_record_counts_as_trained():
    roster = [person("P", f"{T1}001", initial_training_date="", last_training_date="2026-05-12")]
    plan = solve([village(f"{T1}001")], roster, pol(initial_training_sessions=["2027-03-15"]))
    assert plan.directors["trained_by"].tolist() == ["done 2026-05-12"]
    assert plan.training[["kind", "due_month"]].values.tolist() == [["annual", "2027-05"]]


def test_names_are_never_read_or_written():
    roster = pd.DataFrame([person("P1", f"{T1}001", gender="F")])
    roster["name"] = "张三"
    roster["id_number"] = "500109199001011234"
    plan = solve([village(f"{T1}001")], roster)
    for df in (*staffing_tables(plan).values(), plan.candidates, plan.directors, plan.recruit):
        assert not {"name", "id_number", "phone"} & set(df.columns)
        assert not df.astype(str).isin(["张三", "500109199001011234"]).any().any()


def test_lp_file_names_every_constraint_by_code(tmp_path):
    problem = build_staffing_problem(
        pd.DataFrame([village(f"{T1}001")]),
        pd.DataFrame([person("P-1", f"{T1}001"),
                      person("E-1", f"{T1}001", "social_worker", candidate_for="either"),
                      person("S", "", "township_civil_affairs", township=T1,
                             candidate_for="supervisor")]), load_policy())
    text = Path(write_staffing_lp(problem, tmp_path / "m.lp")).read_text()
    assert "cover_v500109102001:" in text
    assert "supervise_t500109102:" in text
    assert "assign_once_pE_1:" in text            # director or supervisor, not both
    assert "assign_once_pP_1:" not in text        # one pair only: the bound x <= 1 suffices


# ----------------------------------------------------------------------------- invariants


def check_invariants(plan, problem, policy):
    pol_ = policy.staffing
    c = problem.candidates.set_index("person_code")
    d = plan.directors
    # every assignment eligible
    roles = c.loc[d["person_code"], "role"]
    assert roles.isin(pol_.eligible_director_roles).all()
    assert (c.loc[d["person_code"], "candidate_for"] != "supervisor").all()
    assert (c.loc[d["person_code"], "training"] != "flagged").all()
    assert (d["distance_m"].fillna(0) <= pol_.max_travel_m + 1e-6).all()
    if pol_.stay_within_township:
        assert (c.loc[d["person_code"], "township_code"].to_numpy()
                == d["township_code"].to_numpy()).all()
    # no person over their village limit; nobody both director and supervisor
    assert d.groupby("person_code").size().max() <= pol_.max_villages_per_director
    assert not set(d["person_code"]) & set(plan.supervisors["person_code"])
    s = plan.supervisors
    assert c.loc[s["person_code"], "role"].isin(pol_.eligible_supervisor_roles).all()
    assert c.loc[s["person_code"], "candidate_for"].isin(["supervisor", "either"]).all()
    assert s.groupby("township_code").size().max() <= pol_.supervisors_per_township
    assert (c.loc[s["person_code"], "township_code"].to_numpy() == s["township_code"]).all()
    # demand met or listed for recruitment
    v = plan.villages.set_index("village_code")
    assert (v["directors_assigned"] <= v["directors_needed"]).all()
    rec = plan.recruit
    listed = rec[rec["level"] == "village"].set_index("code")["count"]
    short = v.loc[v["shortfall"] > 0, "shortfall"]
    assert listed.sort_index().to_dict() == short.sort_index().to_dict()
    n_town = len(problem.townships)
    assert len(s) + rec.loc[rec["level"] == "township", "count"].sum() == \
        n_town * pol_.supervisors_per_township
    # a village left open has no eligible candidate to spare within reach
    tables = staffing_tables(plan)
    assert tables["staffing"].columns.tolist() == list(STAFFING_COLUMNS)
    assert tables["recruit"].columns.tolist() == list(RECRUIT_COLUMNS)
    assert tables["training"].columns.tolist() == list(TRAINING_COLUMNS)
    assert set(tables["training"]["due_month"]) <= {f"2026-{m:02d}" for m in range(1, 13)} | {
        f"2027-{m:02d}" for m in range(1, 13)}


def unused_reachable(plan, problem):
    """Shortfall villages that an unassigned, eligible candidate could still reach."""
    pairs = problem.pairs
    codes = problem.candidates["person_code"].to_numpy()
    vcodes = problem.demand["village_code"].to_numpy()
    busy = set(plan.directors["person_code"]) | set(plan.supervisors["person_code"])
    short = set(plan.villages.loc[plan.villages["shortfall"] > 0, "village_code"])
    return {(codes[p], vcodes[v]) for p, v in zip(pairs["person"], pairs["village"], strict=True)
            if vcodes[v] in short and codes[p] not in busy}


@pytest.mark.parametrize("solver", ["PULP_CBC_CMD", "HiGHS"])
def test_invariants_on_a_synthetic_county(solver):
    villages, roster = make_synthetic_county(300, 2.5, seed=7)
    policy = load_policy()
    problem = build_staffing_problem(villages, roster, policy)
    plan = solve_staffing(problem, solver)
    assert plan.stats.status == "optimal"
    check_invariants(plan, problem, policy)
    # maximal coverage: no open post could take an idle eligible candidate
    assert unused_reachable(plan, problem) == set()


def test_lp_path_matches_the_milp_and_both_solvers_agree():
    villages, roster = make_synthetic_county(120, 3.0, seed=3)
    problem = build_staffing_problem(villages, roster, load_policy())
    lp = solve_staffing(problem, "PULP_CBC_CMD")
    mip = solve_staffing(problem, "PULP_CBC_CMD", method="mip")
    hi = solve_staffing(problem, "HiGHS")
    assert lp.stats.lp_batches == lp.stats.batches and mip.stats.lp_batches == 0

    def stage(plan, name):
        return {s.name: s.objective for s in plan.stats.stages}[name]

    # stage A is integer and exact in all three; B within the MILP gap (1e-4)
    assert stage(lp, "coverage+preference") == stage(mip, "coverage+preference") == \
        stage(hi, "coverage+preference")
    assert stage(lp, "balance") == pytest.approx(stage(mip, "balance"), rel=2e-4)
    assert stage(lp, "balance") == pytest.approx(stage(hi, "balance"), rel=1e-6)
    assert lp.stats.slots_filled == mip.stats.slots_filled == hi.stats.slots_filled


def test_batches_do_not_change_the_optimum():
    villages, roster = make_synthetic_county(120, 3.0, seed=5)
    problem = build_staffing_problem(villages, roster, load_policy())
    one = solve_staffing(problem, max_batch_pairs=10**9)
    many = solve_staffing(problem, max_batch_pairs=1)
    assert many.stats.batches == many.stats.blocks > one.stats.batches == 1
    for a, b in zip(one.stats.stages, many.stats.stages, strict=True):
        assert a.objective == pytest.approx(b.objective, rel=1e-6)


def test_invariants_with_several_villages_per_director():
    villages, roster = make_synthetic_county(80, 1.2, seed=11)
    policy = pol(max_villages_per_director=3, small_village_max_targets=40)
    problem = build_staffing_problem(villages, roster, policy)
    plan = solve_staffing(problem)
    assert plan.stats.lp_batches == 0
    check_invariants(plan, problem, policy)
    d = plan.directors
    # villages served by one director are neighbours (pairwise within 3 km) and small
    lonlat = villages.set_index("village_code")[["lon", "lat"]]
    for _, grp in d.groupby("person_code"):
        if len(grp) > 1:
            pts = lonlat.loc[grp["village_code"]].to_numpy()
            dy = (pts[:, None, 1] - pts[None, :, 1]) * 111_195.0
            dx = (pts[:, None, 0] - pts[None, :, 0]) * 111_195.0 * np.cos(np.radians(29.5))
            assert np.hypot(dx, dy).max() <= 3000 * 1.01
            small = plan.villages.set_index("village_code").loc[grp["village_code"]]
            assert (small["directors_needed"] == 1).all() and (small["targets"] <= 40).all()


# ----------------------------------------------------------------------------- demo county

DEMO_VILLAGES = REPO / "data" / "boundaries" / "500109" / "villages.geojson"
DEMO_ROSTER = REPO / "data" / "facilities" / "500109" / "roster.csv"


@pytest.mark.skipif(not (DEMO_VILLAGES.exists() and DEMO_ROSTER.exists()),
                    reason="demo county 500109 not generated yet")
def test_invariants_on_the_demo_county():
    gpd = pytest.importorskip("geopandas")
    g = gpd.read_file(DEMO_VILLAGES)
    villages = pd.DataFrame(g.drop(columns="geometry")).assign(lon=g.geometry.x,
                                                                lat=g.geometry.y)
    roster = pd.read_csv(DEMO_ROSTER, dtype=str, keep_default_na=False)
    policy = load_policy()
    problem = build_staffing_problem(villages, roster, policy)
    plan = solve_staffing(problem)
    assert plan.stats.status == "optimal"
    check_invariants(plan, problem, policy)
    assert unused_reachable(plan, problem) == set()
    # every village of the demo county is in the plan, each township once in the totals
    assert len(plan.villages) == len(villages)
    assert plan.totals.set_index("position").loc["supervisor", "units"] == \
        villages["township_code"].nunique()
