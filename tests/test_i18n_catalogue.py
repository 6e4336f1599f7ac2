"""Enumeration values: every stable code of the vocabulary has a word in both languages."""
import re

from geo.i18n import ENUM_GROUPS, T, enum_label
from geo.schema import FACILITY_STATUS
from optimization.vocab import FACILITY_KINDS, ROSTER_ROLES, WATER_KINDS

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_vocabulary_code_is_labelled():
    for group, table in (("kind", FACILITY_KINDS), ("water", WATER_KINDS),
                         ("role", ROSTER_ROLES), ("status", FACILITY_STATUS)):
        for code in table:
            assert f"{group}.{code}" in T
            assert CJK.search(enum_label(group, code, "zh")), (group, code)
            assert enum_label(group, code, "en").strip()


def test_enum_words_hand_checked():
    assert enum_label("water", "canal", "zh") == "渠道"
    assert enum_label("four_ones", "rescue_rope", "zh") == "救生绳"
    assert enum_label("gender", "M", "zh") == "男"
    assert enum_label("bool", False, "zh") == "否"
    assert enum_label("action", "reuse", "zh") == "改建"
    assert enum_label("solver_status", "feasible", "en") == "feasible plan found (not proven optimal)"
    # unknown codes come back unchanged (no crash, no "None")
    assert enum_label("role", "astronaut", "zh") == "astronaut"
    assert enum_label("gender", None, "zh") == "未填"


def test_english_enum_words_hold_no_chinese_and_chinese_no_snake_case():
    snake = re.compile(r"^[a-z]+(_[a-z]+)+$")
    for group, table in ENUM_GROUPS.items():
        for code, (zh, en) in table.items():
            assert not snake.match(zh), (group, code, zh)
            assert not snake.match(en), (group, code, en)
            if group not in ("target", "designation"):  # 低保/特困 and 原建档立卡 are terms of art
                assert not CJK.search(en), (group, code, en)
