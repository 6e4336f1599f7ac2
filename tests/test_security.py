"""Nothing in a name can run: the escaping helper, the builders that use it, and the names
that used to crash figures or overwrite each other's files."""

from __future__ import annotations

import ast
import html as std_html
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo import safe
from tests.hostile import HOSTILE, hostile_county

REPO = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- the helper
@pytest.mark.parametrize("name", HOSTILE)
def test_text_leaves_nothing_html_js_or_jinja_can_read(name):
    out = str(safe.text(name))
    for ch in "<>\"'`${}\\\u2028\u2029":
        assert ch not in out, (name, ch)
    # ... and a browser (entities decoded) shows the name exactly as typed.
    assert std_html.unescape(out) == name


def test_text_keeps_markup_made_here_and_blanks_missing_values():
    m = safe.html("<b>{}</b>", "<i>")
    assert str(safe.text(m)) == "<b>&lt;i&gt;</b>"
    assert str(safe.text(None)) == "" and str(safe.text(float("nan"))) == ""
    assert str(safe.html("{:.1f} h · {}", 2.25, 3)) == "2.2 h · 3"  # numbers keep formats


@pytest.mark.parametrize("name", HOSTILE)
def test_script_json_round_trips_and_cannot_end_the_script(name):
    obj = {"name": name, "nested": [name, {"k": name}], "n": 3}
    out = str(safe.script_json(obj))
    assert json.loads(out) == obj
    low = out.lower()
    assert "</script" not in low and "<!--" not in low and "<" not in out
    assert "\u2028" not in out and "\u2029" not in out
    assert "{{" not in out and "{%" not in out and "{#" not in out


def test_file_names_are_safe_and_unique():
    names = ["河长/甲", "河长_甲", "河长:甲", "河长?甲", "../../etc/passwd", "CON", "nul.txt",
             "a\x00b", "..", "", "A", "a", "村\u2028x"]
    got = safe.file_names(names, default="chief")
    # worked out by hand: / : ? and NUL become _, dots/spaces stripped at the ends,
    # reserved device names prefixed, case-insensitive duplicates suffixed ~2, ~3 ...
    assert got == ["河长_甲", "河长_甲~2", "河长_甲~3", "河长_甲~4", "_.._etc_passwd", "_CON",
                   "_nul.txt", "a_b", "chief", "chief~2", "A", "a~2", "村_x"]
    assert len({g.lower() for g in got}) == len(names)
    for g in got:
        assert "/" not in g and "\\" not in g and not g.startswith(".")


def test_long_names_are_cut_on_a_character_boundary():
    stem = safe.file_name("河" * 200)
    assert len(stem.encode("utf-8")) <= 150 and set(stem) == {"河"}


# ------------------------------------------------------------------- builders, by construction
_RAW_FOLIUM = {"Tooltip", "DivIcon", "GeoJsonTooltip", "GeoJsonPopup", "Popup"}


def _builder_files():
    return [*sorted((REPO / "geo").glob("*maps*.py")), *sorted((REPO / "app_pages").glob("*.py"))]


@pytest.mark.parametrize("path", _builder_files(), ids=lambda p: p.name)
def test_no_builder_makes_html_for_the_browser_itself(path):
    """Tooltips, popups and div icons are made only by geo.safe (which escapes)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in _RAW_FOLIUM and not (
                isinstance(f.value, ast.Name) and f.value.id == "safe"):
            bad.append(f"{path.name}:{node.lineno} {f.attr}")
        for kw in node.keywords:
            if kw.arg in ("tooltip", "popup", "html") and not (
                    isinstance(kw.value, ast.Call) and isinstance(kw.value.func, ast.Attribute)
                    and isinstance(kw.value.func.value, ast.Name)
                    and kw.value.func.value.id == "safe"):
                bad.append(f"{path.name}:{node.lineno} {kw.arg}=")
    assert bad == []


def test_every_map_drops_leaflets_attribution_prefix():
    from geo.layers import load_demo
    from geo.maps import build_county_map

    out = build_county_map(load_demo("500109")).get_root().render()
    assert "attributionControl.setPrefix(false)" in out


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    return hostile_county(tmp_path_factory.mktemp("hostile") / "county")


def test_a_jinja_name_is_not_evaluated(hostile_files):
    """branca renders script output as a template again: ``{{7*7}}`` must stay literal."""
    from childplan.sources import resolve_sources
    from geo.layers import load_county
    from geo.maps import build_county_map

    data = load_county(resolve_sources([str(f) for f in hostile_files])[0])
    assert "{{7*7}}" in "".join(data.townships["name"])
    out = build_county_map(data).get_root().render()
    # the township whose name starts with {{7*7}} must not read "49<iframe…" anywhere
    assert "49\\u0026lt;iframe" not in out and "49&lt;iframe" not in out
    assert "&#123;&#123;7*7&#125;&#125;" in out.replace("\\u0026", "&")


# ------------------------------------------------------------- names in figures and files
def _cli(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "childplan.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("command", [("fund", "--budget", "5000000"), ("hazards",), ("brief",)])
def test_dollar_names_do_not_crash_figures(hostile_files, tmp_path, command):
    """``$\\frac{$`` (and every other hostile name) in every name field: figures still made."""
    assert any("$\\frac{$" in n for n in HOSTILE)
    r = _cli(command[0], *hostile_files, *command[1:], "--out", tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    made = {"fund": ["funding_tilt.png"], "hazards": ["patrol_lists.xlsx"],
            "brief": ["briefing_500109.pdf", "map_500109.png", "map_500109.pdf"]}[command[0]]
    for f in made:
        assert (tmp_path / f).stat().st_size > 1000, f
    if command[0] == "hazards":
        assert list((tmp_path / "patrol_pdf").glob("*.pdf"))


def test_a_dollar_title_prints_literally():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from geo.fonts import use_cjk_font

    use_cjk_font()
    fig = Figure()
    txt = fig.text(0.1, 0.5, "$\\frac{$ 河长 $x$")
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
    import io

    fig.savefig(io.BytesIO(), format="png")  # mathtext would raise ValueError here
    assert txt.get_parse_math() is False


def test_chiefs_whose_names_clean_alike_get_one_file_each(tmp_path):
    """河长/甲, 河长_甲, 河长:甲 and 河长?甲 all clean to 河长_甲: four files, not one."""
    from childplan.workflows import run_hazards
    from geo.layers import demo_sources, load_county
    from optimization.policy import load_policy

    src = demo_sources("500109")
    fc = json.loads(src["waterways"].read_text(encoding="utf-8"))
    by_kind = {"river": "河长/甲", "stream": "河长_甲", "canal": "河长:甲"}
    for f in fc["features"]:
        f["properties"]["chief"] = by_kind.get(f["properties"]["kind"], "河长?甲")
    p = tmp_path / "waterways.geojson"
    p.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    data = load_county({**src, "waterways": p})
    files = run_hazards(data, load_policy(), tmp_path / "out")
    chiefs = set(pd.read_csv(files["danger_spots"], encoding="utf-8-sig")["chief"])
    assert len(chiefs) >= 2 and chiefs <= {"河长/甲", "河长_甲", "河长:甲", "河长?甲"}
    pdfs = sorted((tmp_path / "out" / "patrol_pdf").glob("*.pdf"))
    reported = [k for k in files if k.startswith("pdf:")]
    assert len(pdfs) == len(reported) == len(chiefs)
    assert {files[k] for k in reported} == set(pdfs)  # each chief its own file
    assert all(q.stem.startswith("河长_甲") for q in pdfs)


def test_cli_reports_as_many_patrol_pdfs_as_it_writes(tmp_path):
    src = REPO / "data" / "facilities" / "500109" / "waterways.geojson"
    fc = json.loads(src.read_text(encoding="utf-8"))
    for i, f in enumerate(fc["features"]):
        f["properties"]["chief"] = ("河长/甲", "河长_甲")[i % 2]
    p = tmp_path / "waterways.geojson"
    p.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    r = _cli("hazards", f"waterways={p}", "--base", "500109", "--out", tmp_path / "out")
    assert r.returncode == 0, r.stdout + r.stderr
    n_files = len(list((tmp_path / "out" / "patrol_pdf").glob("*.pdf")))
    assert f"{n_files} PDF patrol lists" in r.stdout and n_files == 2


@pytest.mark.parametrize("name", HOSTILE + ("![](http://203.0.113.9/t.png)", ":red[x] **b**"))
def test_md_leaves_no_markdown(name):
    """Titles and captions are Markdown in Streamlit: every markup character is escaped."""
    out = safe.md(name)
    # removing the escapes gives the name back, and no markup character is left unescaped
    assert re.sub(r"\\(.)", r"\1", out) == name
    assert not re.search(r"(?<!\\)[\[\]()!$*_`:<>]", re.sub(r"\\\\", "", out))


def test_pages_put_names_into_titles_through_md():
    for page in sorted((REPO / "app_pages").glob("*.py")):
        for line in page.read_text(encoding="utf-8").splitlines():
            if "st.title(" in line and "data.name" in line:
                assert "md(data.name)" in line, (page.name, line)
