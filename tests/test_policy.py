"""Policy loading, sources, overrides and bad values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from optimization.policy import DEFAULT_POLICY_FILE, PolicyError, load_policy

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def test_defaults_match_the_policy_texts():
    p = load_policy()
    assert p.siting.own_home_threshold == 100  # 004 二(一)
    assert p.staffing.directors_min_per_village == 1  # 003 §16
    assert p.staffing.targets_per_director == 30  # 003 §16
    assert p.staffing.supervisors_per_township == 1  # 001, 002, 004
    assert p.staffing.contacts_per_month == 1  # 003 §8
    assert p.staffing.home_visit_interval_months == 3  # 003 §8
    assert p.hazards.four_ones == ("warning_sign", "life_buoy", "rescue_rope", "rescue_pole")
    assert set(p.funding.tilt) >= {"old_base", "central_soviet", "poverty_lifted",
                                   "key_assistance", "poverty_village", "old_base_village"}


def test_every_parameter_cites_a_seed_document():
    p = load_policy()
    assert len(p.params) >= 35
    for name, param in p.params.items():
        assert re.search(r"\b00[0-4]\b|planning|solver", param.source), name
        assert param.zh and param.en and param.unit, name


def test_cited_numbers_appear_in_the_seed_texts():
    if not SEEDS.exists():
        pytest.skip("shared/seeds not beside the repository")
    def squash(name):  # the texts are hard-wrapped: drop all whitespace before searching
        return re.sub(r"\s+", "", (SEEDS / name).read_text(encoding="utf-8"))

    text003 = squash("003_national_three_year_action_plan_2023.txt")
    assert "困境儿童总人数超过30人的村（社区），根据实际需要增配儿童主任" in text003
    assert "每三个月入户走访一次" in text003
    assert "一个警示牌、一个救生圈、一根救生绳、一根救生杆" in text003
    text004 = squash("004_jilin_notice_2018.txt")
    assert "儿童数量在100个以上的村（社区）应设立儿童之家" in text004


def test_overrides_return_a_new_policy_and_keep_defaults():
    p = load_policy()
    q = p.with_overrides({"siting.travel_cap_m": 2500, "staffing": {"targets_per_director": 25}})
    assert (p.siting.travel_cap_m, q.siting.travel_cap_m) == (3000, 2500)
    assert q.staffing.targets_per_director == 25
    assert q.overrides == {"siting.travel_cap_m": 2500, "staffing.targets_per_director": 25}
    assert [r["name"] for r in q.table() if r["overridden"]] == [
        "siting.travel_cap_m", "staffing.targets_per_director"]
    with pytest.raises(ValidationError, match="frozen"):
        p.siting.travel_cap_m = 1  # frozen


def test_override_file(tmp_path):
    f = tmp_path / "scenario.toml"
    f.write_text("[siting]\nown_home_threshold = 80\n[funding]\ntilt_scale = 0.5\n",
                 encoding="utf-8")
    p = load_policy(overrides=f)
    assert p.siting.own_home_threshold == 80 and p.funding.tilt_scale == 0.5


@pytest.mark.parametrize("name,value,fragment", [
    ("siting.travel_cap_m", -5, "siting.travel_cap_m"),
    ("siting.travel_cap_m", "three km", "siting.travel_cap_m"),
    ("siting.own_home_threshold", 0, "siting.own_home_threshold"),
    ("staffing.targets_per_director", 2.5, "staffing.targets_per_director"),
    ("siting.host_kinds", ["service_station", "网吧"], "siting.host_kinds"),
    ("funding.tilt", {"old_base": -0.1}, "funding.tilt"),
    ("hazards.water_kind_weights", {"ocean": 2.0}, "hazards.water_kind_weights"),
])
def test_bad_values_are_refused_with_a_named_parameter(name, value, fragment):
    with pytest.raises(PolicyError, match=re.escape(fragment)) as exc:
        load_policy().with_overrides({name: value})
    assert "参数" in str(exc.value) and "parameter" in str(exc.value)


def test_unknown_parameter_and_section():
    with pytest.raises(PolicyError, match="unknown parameter siting.cap"):
        load_policy().with_overrides({"siting.cap": 1})
    with pytest.raises(PolicyError, match="section"):
        load_policy().with_overrides({"roads.speed": 1})


def test_broken_policy_files(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text("[siting.own_home_threshold\nvalue = 1", encoding="utf-8")
    with pytest.raises(PolicyError, match="TOML"):
        load_policy(bad)
    nosrc = tmp_path / "q.toml"
    nosrc.write_text(DEFAULT_POLICY_FILE.read_text(encoding="utf-8").replace(
        'source = "004 二(一) (villages with 100 or more children should set up a children\'s home; '
        'DOMAIN §Facilities)"', 'source = ""'),
        encoding="utf-8")
    with pytest.raises(PolicyError, match="siting.own_home_threshold has no source"):
        load_policy(nosrc)
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "missing.toml")
