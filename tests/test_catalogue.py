"""Every literal key the code asks the catalogue for exists in it, in both languages.

``geo.i18n.t`` returns the key itself when it is missing, so a typo or an entry put in the
wrong table shows an identifier on screen (the siting page once printed ``siting_gaps``).
"""
import ast
from pathlib import Path

from geo.i18n import T

ROOT = Path(__file__).resolve().parents[1]


def _literal_t_calls():
    files = list(ROOT.glob("*.py"))
    for d in ("geo", "childplan", "app_pages", "optimization"):
        files += sorted((ROOT / d).rglob("*.py"))
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "t" and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                yield path.relative_to(ROOT).as_posix(), node.lineno, node.args[0].value


def test_every_literal_key_is_in_the_catalogue():
    calls = list(_literal_t_calls())
    assert len(calls) > 50  # the scan sees the pages
    assert [c for c in calls if c[2] not in T] == []


def test_every_entry_has_both_languages():
    assert [k for k, (zh, en) in T.items() if not zh.strip() or not en.strip()] == []


def test_no_catalogue_key_is_defined_twice():
    # T is built from one literal and several T.update({...}) blocks: a key written twice
    # silently replaced the first ("brief_title": the map page's field label became the
    # briefing's "{county}…" title pattern)
    import ast
    from collections import Counter

    from tests.conftest import REPO

    tree = ast.parse((REPO / "geo" / "i18n.py").read_text(encoding="utf-8"))
    keys = []
    for node in ast.walk(tree):
        d = None
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "T":
            d = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "update" and getattr(node.func.value, "id", None) == "T"):
            d = node.args[0] if node.args else None
        if isinstance(d, ast.Dict):
            keys += [k.value for k in d.keys if isinstance(k, ast.Constant)]
    assert len(keys) > 500
    assert [k for k, n in Counter(keys).items() if n > 1] == []
