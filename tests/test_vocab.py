"""One vocabulary: the schema, the policy and every module read the lists of optimization/vocab.py.

Two kinds of check: (1) the schema's and the policy's vocabularies agree (the same keys are
accepted by the data validator and by the policy validator); (2) no module outside
``optimization/vocab.py`` spells one of the lists out again (an AST scan of the package sources
for a literal holding three or more of a list's keys).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from geo import schema
from optimization import policy as policy_mod
from optimization import vocab
from optimization.policy import PolicyError, load_policy

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "optimization", "childplan", "app_pages", "data", "bench")


def test_schema_and_policy_accept_the_same_kinds():
    fac = schema.LAYERS["facilities"].column("kind").choices
    water = schema.LAYERS["waterways"].column("kind").choices
    role = schema.LAYERS["roster"].column("role").choices
    assert set(fac) == policy_mod._FACILITY_KEYS == set(vocab.FACILITY_KINDS)
    assert set(water) == policy_mod._WATER_KEYS == set(vocab.WATER_KINDS)
    assert set(role) == policy_mod._ROLE_KEYS == set(vocab.ROSTER_ROLES)
    # the Chinese labels the readers accept all land on a known key
    assert set(schema.ENUM_LABELS["facility_kind"].values()) <= set(fac)
    assert set(schema.ENUM_LABELS["water_kind"].values()) <= set(water)
    assert set(schema.ENUM_LABELS["role"].values()) <= set(role)


def test_child_categories_agree_between_schema_and_policy():
    counts = {c.name for c in schema.LAYERS["villages"].columns if c.kind == "count"}
    # every difficulty subtype is a count column of the village layer
    assert set(vocab.DIFFICULTY_COLUMNS) <= counts
    assert len(vocab.DIFFICULTY_COLUMNS) == 5  # DOMAIN.md "Who is counted": five subtypes
    p = load_policy()
    # the funding weights name exactly the service-target types
    assert set(p.funding.target_weights) == set(vocab.TARGET_TYPES)
    assert set(vocab.TARGET_TYPES) == {"left_behind", *vocab.DIFFICULTY_COLUMNS}
    # designations: the schema's county/village lists plus the township one are the tilts
    assert set(p.funding.tilt) <= {*schema.COUNTY_DESIGNATIONS, *schema.VILLAGE_DESIGNATIONS,
                                   *vocab.TOWNSHIP_DESIGNATIONS}


def test_policy_rejects_a_kind_the_schema_does_not_know():
    with pytest.raises(PolicyError, match="unknown facility kind"):
        load_policy().with_overrides({"siting.host_kinds": ["children_home", "swimming_pool"]})


def test_one_yes_no_word_list():
    # reconciled: "有" was missing in the siting model, "1.0" in the schema
    for w in ("有", "1.0", "是", "√", "yes", "TRUE", " y "):
        assert vocab.parse_bool(w) is True, w
    for w in ("无", "0", "0.0", "否", "no", "", None, float("nan")):
        assert vocab.parse_bool(w) is False, w
    assert vocab.parse_bool("maybe") is None
    assert not set(vocab.TRUE_WORDS) & set(vocab.FALSE_WORDS)
    assert schema.BOOL_WORDS is vocab.BOOL_WORDS


def test_the_three_readers_agree_on_yes_words():
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    from geo.siting_inputs import village_table
    from geo.validate import _parse_bool
    from optimization.staffing import _bools

    words = ["有", "1.0", "是", "否", "0", "无"]
    want = [True, True, True, False, False, False]
    assert [_parse_bool(w) for w in words] == want
    assert list(_bools(pd.Series(words, dtype=object), "x", [])) == want
    gdf = gpd.GeoDataFrame({"village_code": [f"50010910200{i}" for i in range(6)],
                            "resident_children": 1, "left_behind": 0, "poverty_village": words},
                           geometry=[Point(106.5 + i / 100, 29.5) for i in range(6)],
                           crs=4326)
    assert list(village_table(gdf)["poverty_village"]) == want


def _vocab_lists() -> dict[str, set[str]]:
    return {
        "facility kinds": set(vocab.FACILITY_KINDS),
        "water kinds": set(vocab.WATER_KINDS),
        "roster roles": set(vocab.ROSTER_ROLES),
        "difficulty columns": set(vocab.DIFFICULTY_COLUMNS),
        "county designations": set(vocab.COUNTY_DESIGNATIONS),
        "yes words": {"是", "有", "√", "yes"},
        "no words": {"否", "无", "no", "false"},
        "gender words": {"女", "男", "female", "male"},
    }


def _is_label(node: ast.AST) -> bool:
    return (isinstance(node, ast.Tuple) and len(node.elts) >= 2
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts))


def _literals(tree: ast.AST):
    """Literals that may copy a list: sequences and sets of strings, and label tables (dicts
    of ``key -> (zh, en)``). A dict of per-kind styling (colours, sizes) is not a copy."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            elts = node.elts
        elif isinstance(node, ast.Dict) and node.values and all(map(_is_label, node.values)):
            elts = [k for k in node.keys if k is not None]
        else:
            continue
        words = {e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        if len(words) >= 3:
            yield node.lineno, words


def _copies(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, list name) of every literal holding a whole vocabulary list (or 3 yes/no words)."""
    hits = []
    for line, words in _literals(tree):
        for name, keys in _vocab_lists().items():
            whole = keys <= words if "words" not in name else len(words & keys) >= 3
            if whole:
                hits.append((line, name))
    return hits


def test_nothing_is_listed_twice():
    found = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if path == ROOT / "optimization" / "vocab.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [f"{path.relative_to(ROOT)}:{line} spells out {name}"
                      for line, name in _copies(tree)]
    assert not found, "\n".join(found)


def test_the_scan_finds_a_copy():
    tree = ast.parse(
        'X = ("orphan", "unsupported", "illness_disability", "dibao_tekun", "difficulty_other")\n'
        'Y = {"是", "有", "√"}\n'
        'Z = {"river": ("河", "river"), "stream": ("溪", "s"), "canal": ("渠", "c"),'
        ' "pond": ("塘", "p"), "reservoir": ("库", "r"), "lake": ("湖", "l")}\n'
        'OK = ("orphan", "unsupported")\n'
        'COLOURS = {"river": "#00f", "stream": "#00f", "canal": "#00f", "pond": "#00f",'
        ' "reservoir": "#00f", "lake": "#00f"}\n')
    assert _copies(tree) == [(1, "difficulty columns"), (2, "yes words"), (3, "water kinds")]


def test_code_helpers():
    assert vocab.code_text(500109102001.0) == "500109102001"
    assert vocab.code_text("  500109102001 ") == "500109102001"
    assert vocab.township_of("500109102001") == "500109102"
    assert vocab.township_of("5001091020") == ""
    assert vocab.township_code("500109102000") == "500109102"
    assert vocab.township_code("500109102001") == "500109102001"  # not a township form
    assert vocab.list_codes([str(i) for i in range(5)], limit=3) == "0、1、2 …(+2)"
