"""The 数据 page reads as a planner reads policy: 是/否, kinds in words, units, 文号; no Python reprs."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from geo.i18n import policy_source, policy_value, unit_label
from tests.conftest import REPO

REPR = re.compile(r"^(True|False|None|nan)$|\['|\{'|^\[\]$|^\{\}$")


@pytest.fixture
def data_page(tmp_path, monkeypatch):
    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.run()

    def show(lang):
        at.radio(key="lang_radio").set_value(lang).run()
        at.switch_page("app_pages/data.py").run()
        assert not at.exception, [str(e.value)[:300] for e in at.exception]
        return [d.value for d in at.dataframe]
    return show


def cells(frame):
    return [str(v) for c in frame.columns for v in frame[c].tolist()]


@pytest.mark.slow  # the app headless
def test_policy_table_in_chinese(data_page):
    frames = data_page("中文")
    policy = next(f for f in frames if "取值" in f.columns)
    assert list(policy.columns) == ["含义", "取值", "单位", "依据", "已调整", "参数代码（调整文件中使用）"]
    by = policy.set_index("参数代码（调整文件中使用）")
    # hand-read from optimization/policy.toml
    assert by.loc["siting.travel_cap_m", "取值"] == "3,000" and by.loc["siting.travel_cap_m", "单位"] == "米"
    assert by.loc["siting.keep_existing_home", "取值"] == "是"
    assert by.loc["siting.stay_within_township", "取值"] == "否"
    assert by.loc["siting.barrier_kinds", "取值"] == "河流"
    assert by.loc["hazards.four_ones", "取值"] == "警示牌、救生圈、救生绳、救生杆"
    assert by.loc["staffing.national_directors_2019", "取值"] == "620,000"
    assert by.loc["staffing.start_date", "取值"] == "2027年1月1日"
    assert by.loc["staffing.initial_training_sessions", "取值"] == "（无）"
    assert by.loc["hazards.chief_level", "取值"] == "乡镇（街道）"
    assert "吉民发〔2018〕41号" in by.loc["siting.own_home_threshold", "依据"]
    assert set(by["已调整"]) == {"否"}
    shown = cells(policy.drop(columns="参数代码（调整文件中使用）"))
    assert [c for c in shown if REPR.search(c)] == []
    assert not [c for c in shown if "_" in c and re.search(r"\b[a-z]+_[a-z_]+\b", c)]
    assert not [c for c in shown if re.search(r"seeds|[\w-]+/[\w.-]+\.py", c)]


@pytest.mark.slow  # the app headless
def test_layer_table_shows_file_names_and_words(data_page):
    frames = data_page("中文")
    layers = next(f for f in frames if "记录数" in f.columns)
    assert list(layers.columns) == ["图层", "记录数", "文件", "示意数据"]
    assert set(layers["示意数据"]) <= {"是", "否"}
    assert not [f for f in layers["文件"] if "/" in str(f) or "\\" in str(f)]
    assert "villages.geojson" in set(layers["文件"]) or all(layers["文件"] == "")


@pytest.mark.slow  # the app headless
def test_policy_table_in_english_has_no_chinese_words_of_ours(data_page):
    frames = data_page("English")
    policy = next(f for f in frames if "Value" in f.columns)
    by = policy.set_index("Parameter code (for an overrides file)")
    assert by.loc["siting.keep_existing_home", "Value"] == "yes"
    assert by.loc["siting.barrier_kinds", "Value"] == "river"
    assert by.loc["siting.travel_cap_m", "Unit"] == "m"
    assert [c for c in cells(policy) if REPR.search(c)] == []
    cjk = re.compile(r"[\u4e00-\u9fff]")
    # Chinese only as a term of art: in brackets after the English (原建档立卡贫困村), 低保/特困
    assert not [v for v in policy["Value"]
                if cjk.search(re.sub(r"\([^)]*\)|低保/特困", "", v))]
    assert not [v for v in policy["Unit"] if cjk.search(v)]
    # sources: the 文号 of the documents, then English (parts and items as "section 2(1)", "item 16")
    numbers = re.compile(r"吉民发〔2018〕41号|闽民童〔2019〕128号|北碚民发〔2021〕1号|民发〔2019〕34号")
    assert [v for v in policy["Source"] if cjk.search(numbers.sub("", v))] == []
    assert by.loc["staffing.home_visit_interval_months", "Source"] == (
        "Ministry of Civil Affairs and 14 other departments, 15 November 2023 item 8 (a home visit every three months)")


def test_value_and_unit_words_hand_checked():
    assert policy_value({"left_behind": 1.0, "orphan": 1.5}) == "留守 1；孤儿 1.5"
    assert policy_value(["grid_worker", "social_worker"], "en") == "grid worker, social worker"
    assert policy_value(-1) == "-1"
    assert policy_value(2400.0) == "2,400"
    assert unit_label("yuan per home") == "元/处" and unit_label("km/h") == "公里/小时"
    docs = {"003": type("D", (), {"number": "民发〔2023〕80号", "issuer": "", "issuer_en": ""})()}
    assert policy_source("003 §16 (每个村至少一名)", docs) == "民发〔2023〕80号 第16项 (每个村至少一名)"
    # the 000 of "10,000" is a number, not document 000
    assert "10,000" in policy_source("some 10,000 residents", {"000": docs["003"]})
    assert policy_source("see geo/hazards.py", docs) == ""


# English allowed in a Chinese note: the 文号-free names a note cites (Tobler's walking function,
# its report number NCGIA TR 93-1, the WorldPop grid) and titles in 《》; units are in Chinese.
ALLOWED_LATIN = {"Tobler", "NCGIA", "TR", "WorldPop"}
LATIN_WORD = re.compile(r"[A-Za-z]+")


def latin_words(text: str) -> set[str]:
    return set(LATIN_WORD.findall(re.sub(r"《[^》]*》", "", text))) - ALLOWED_LATIN


def test_latin_words_finds_english():
    assert latin_words("规划默认值（planning default）") == {"planning", "default"}
    assert latin_words("Tobler（1993），《Three presentations》（NCGIA TR 93-1）") == set()


def test_every_parameter_has_a_chinese_note():
    from optimization.policy import load_documents, load_policy

    policy, docs = load_policy(), load_documents()
    terms = {r["name"].rpartition(".")[2]: r["zh"] for r in policy.table()}
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for name, p in policy.params.items():
        # a note in Chinese, or a bare citation ("003 §14")
        assert cjk.search(p.source_zh) or re.fullmatch(r"00\d §\d+", p.source_zh), name
        assert latin_words(p.source_zh) == set(), name
        # the same documents are cited in both languages
        cited = set(re.findall(r"(?<![\d,.])\b00\d\b(?![\d,])", p.source))
        assert set(re.findall(r"\b00\d\b", p.source_zh)) == cited, name
        shown = policy_source(p.source_zh, docs, "zh", terms)
        assert latin_words(shown) == set(), (name, shown)
    # hand-read from the seeds (004 二(一); 003 第8项)
    assert policy.params["siting.own_home_threshold"].source_zh == (
        "004 二(一)：儿童数量在100个以上的村（社区）应设立儿童之家")
    assert policy_source(policy.params["staffing.home_visit_interval_months"].source_zh, docs).endswith(
        "第8项（每三个月入户走访一次）")
    assert policy_source(policy.params["siting.capacity_defaults_on"].source_zh, docs) == (
        "规划选项（吉民发〔2018〕41号 二(三) 有固定场所）；关闭时与现行方案相同：只采用数据中设施填写的容量和"
        "“共建儿童之家默认容量”")


def test_every_unit_is_worded_in_both_languages():
    from geo.i18n import UNIT_WORDS
    from optimization.policy import load_policy

    assert [p.unit for p in load_policy().params.values() if p.unit not in UNIT_WORDS] == []


@pytest.mark.slow  # the app headless
def test_policy_table_in_chinese_shows_the_chinese_notes(data_page):
    from optimization.policy import load_documents, load_policy

    policy = next(f for f in data_page("中文") if "取值" in f.columns)
    by = policy.set_index("参数代码（调整文件中使用）")["依据"]
    params, docs = load_policy().params, load_documents()
    assert set(by.index) == set(params)
    assert [n for n, v in by.items() if latin_words(v)] == []
    assert by["siting.own_home_threshold"] == "吉民发〔2018〕41号 二(一)：儿童数量在100个以上的村（社区）应设立儿童之家"
    assert by["siting.allow_new_build"] == "吉民发〔2018〕41号 二(一)（无现有场所可利用的村，在村中心新建）"
    assert by["siting.time_limit_s"] == "求解设置"
    assert by["funding.tilt_scale"] == "闽民童〔2019〕128号 三(二)"
    assert docs["004"].number == "吉民发〔2018〕41号"


def test_every_english_note_reads_without_chinese_but_the_document_numbers():
    from optimization.policy import load_documents, load_policy

    policy, docs = load_policy(), load_documents()
    rows = policy.table()
    terms = {r["name"].rpartition(".")[2]: r["en"] for r in rows}
    numbers = [d.number for d in docs.values() if d.number]
    cjk = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
    for r in rows:
        shown = policy_source(r["source"], docs, "en", terms)
        for n in numbers:
            shown = shown.replace(n, "")
        assert not cjk.search(shown), (r["name"], shown)
        assert not cjk.search(r["en"]), r["name"]
    # worked by hand: 004 二(一) is 吉民发〔2018〕41号 part 二, item (一)
    assert policy_source(policy.params["siting.own_home_threshold"].source, docs, "en") == (
        "吉民发〔2018〕41号 section 2(1) (villages with 100 or more children should set up a children's home)")
    assert policy_source("001 二(二)1; 002 五(二)", docs, "en") == (
        "闽民童〔2019〕128号 section 2(2)1; 北碚民发〔2021〕1号 section 5(2)")


def test_chinese_notes_quote_the_seed_texts_word_for_word():
    """The notes' quotations are the documents' own words (whitespace of the hard-wrapped seeds aside)."""
    from pathlib import Path

    from optimization.policy import load_policy

    here = Path(__file__).resolve()
    seeds = next((p / "shared" / "seeds" for p in here.parents[2:4] if (p / "shared" / "seeds").exists()), None)
    if seeds is None:
        pytest.skip("shared/seeds not beside the repository")
    text = {f.name[:3]: re.sub(r"\s+", "", f.read_text(encoding="utf-8")) for f in seeds.glob("00*.txt")}
    params = load_policy().params
    quoted = {  # parameter -> (document, words the note quotes)
        "siting.own_home_threshold": ("004", "儿童数量在100个以上的村（社区）应设立儿童之家"),
        "siting.travel_cap_m": ("004", "儿童数量在100个以下的村（社区）可联合建立区域性儿童之家"),
        "siting.host_kinds": ("004", "充分利用学校少年宫、妇女之家、农家书屋等资源，避免重复建设"),
        "siting.default_capacity": ("004", "有固定场所"),
        "staffing.targets_per_director": ("003", "农村留守儿童和困境儿童总人数超过30人的村（社区）"),
        "staffing.eligible_supervisor_roles": ("004", "乡镇（街道）民政办干部或妇联干部兼任，也可由专人担任"),
        "staffing.preference_weights": ("002", "优先安排村（居）民委员会妇联干部及女性委员、共青团干部担任"),
        "staffing.contacts_per_month": ("003", "儿童主任至少每个月联系一次"),
        "staffing.home_visit_interval_months": ("003", "每三个月入户走访一次"),
        "staffing.initial_training_required": ("002", "初任儿童督导员和儿童主任经培训考核合格后方可开展工作"),
        "staffing.start_date": ("001", "初任儿童督导员和儿童主任经培训合格方可开展工作"),
        "hazards.four_ones": ("003", "一个警示牌、一个救生圈、一根救生绳、一根救生杆“四个一”"),
        "hazards.flood_institution_kinds": ("003", "对各类涉儿童机构场所周边的建筑物、围墙、山体、水域等进行细致排查"),
        "funding.tilt": ("001", "向老区、苏区和贫困地区倾斜"),
        "funding.institution_weight": ("001", "充分考虑"),
        "funding.director_subsidy_yuan": ("003", "有条件的地方可加大对儿童主任的补助力度"),
    }
    for name, (doc, words) in quoted.items():
        assert words in params[name].source_zh, name
        assert words in text[doc], (name, doc, words)
