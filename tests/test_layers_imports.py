"""Layering: optimization/ imports none of geo/, childplan/, streamlit, folium; geo/ none of
childplan/ or streamlit (every import statement, at module level or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "optimization": ("geo", "childplan", "streamlit", "folium", "streamlit_folium"),
    "geo": ("childplan", "streamlit", "streamlit_folium"),
}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, top-level module) of every import in ``source``.

    >>> imported_modules("import a.b\\nfrom c.d import e\\ndef f():\\n    from g import h")
    [(1, 'a'), (2, 'c'), (4, 'g')]
    """
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name.split(".")[0]) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append((node.lineno, node.module.split(".")[0]))
    return sorted(out)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_up_the_layers(package):
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, mod in imported_modules(path.read_text(encoding="utf-8")):
            if mod in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
    assert not bad, "\n".join(bad)


def test_the_scan_sees_a_nested_import():
    src = "def f():\n    from childplan.store import Store\n    return Store\n"
    assert imported_modules(src) == [(2, "childplan")]
