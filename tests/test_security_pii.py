"""Nothing personal leaves: ID numbers, phones and names in a roster never reach an output."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pytest

from geo.pii import (
    REDACTED_PREFIX,
    gb11643_check_digit,
    is_personal_header,
    person_code_problem,
)

REPO = Path(__file__).resolve().parents[1]


def test_check_digit_of_the_standard_example():
    # GB 11643-1999's worked example 11010519491231002X: weighted sum of the first 17
    # digits = 1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0*8+0*4+2*2 = 167,
    # 167 mod 11 = 2 -> 'X'.
    assert gb11643_check_digit("11010519491231002") == "X"
    # 44030419900307123?: sum = 4*7+4*9+0+3*5+0+4*4+1*2+9*1+9*6+0+0+3*9+0+7*5+1*8+2*4+3*2 = 244,
    # 244 mod 11 = 2 -> 'X' too; 440304199003071234 (check 4) is therefore no valid ID number.
    assert gb11643_check_digit("44030419900307123") == "X"


@pytest.mark.parametrize("code, why", [
    ("11010519491231002X", "id18"), ("11010519491231002x", "id18"),
    ("ID:11010519491231002X", "id18"),          # embedded in a longer code
    ("440304199003071234", None),              # 18 digits, wrong check digit: not an ID number
    ("110105491231002", "id15"),
    ("13912345678", "phone"), ("+86 139 1234 5678", "phone"), ("8613912345678", "phone"),
    ("023-68251234", "phone"), ("(023)68251234", "phone"),
    ("张秀英0001", "name"), ("P-王-01", "name"),
    ("P-500109001028-01", None), ("P-130102001-01", None),  # a Hebei code is no phone number
    ("D-0007", None), ("", None), (None, None),
])
def test_person_code_problems(code, why):
    assert person_code_problem(code) == why


@pytest.mark.parametrize("header", ["手机号码", "证件号码", "联系方式", "监护人电话", "家庭住址",
                                    "身份证号", "姓名", "父亲手机号", "Phone Number", "E-mail",
                                    "出生日期", "微信号"])
def test_personal_headers(header):
    assert is_personal_header(header)


@pytest.mark.parametrize("header", ["人员编码", "village_code", "乡镇代码", "角色", "性别",
                                    "初次培训日期", "常住儿童数", "名称", "name"])
def test_ordinary_headers(header):
    assert not is_personal_header(header)


# ---------------------------------------------------------------- through every command
ID18 = "11010519491231002X"
ID15 = "110105491231002"
MOBILE = "13912345678"
NAME = "张秀英0001"
LANDLINE = "023-68251234"
EXTRA = {"手机号码": "13800138000", "证件号码": "44030419900307123X", "联系方式": "13700137000",
         "监护人电话": "13600136000", "家庭住址": "北碚区天生路88号", "姓名": "李桂兰"}
SECRETS = [ID18, ID15, MOBILE, "张秀英", "68251234", *EXTRA.values()]


@pytest.fixture(scope="module")
def pii_roster(tmp_path_factory) -> Path:
    """The demo roster with personal codes in five rows and six personal columns."""
    r = pd.read_csv(REPO / "data" / "facilities" / "500109" / "roster.csv", dtype=str)
    directors = r.index[r["candidate_for"] != "supervisor"][:5]
    for i, code in zip(directors, (ID18, NAME, MOBILE, ID15, LANDLINE), strict=True):
        r.loc[i, "person_code"] = code
    sup = r.index[r["candidate_for"] == "supervisor"][0]
    r.loc[sup, "person_code"] = "12345619900101001" + gb11643_check_digit("12345619900101001")
    for k, v in EXTRA.items():
        r[k] = v
    path = tmp_path_factory.mktemp("pii") / "roster.csv"
    r.to_csv(path, index=False)
    return path


def _texts(path: Path) -> list[bytes]:
    """Every byte string a file holds where a value could sit (zip members, PDF streams)."""
    data = path.read_bytes()
    out = [data]
    if zipfile.is_zipfile(path):  # XLSX
        with zipfile.ZipFile(path) as z:
            out += [z.read(n) for n in z.namelist()]
    if data.startswith(b"%PDF"):
        for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
            try:
                out.append(zlib.decompress(m.group(1)))
            except zlib.error:
                out.append(m.group(1))
    if path.suffix == ".gpkg":
        con = sqlite3.connect(path)
        try:
            for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                for row in con.execute(f'SELECT * FROM "{t}"'):
                    out.append(repr(row).encode("utf-8"))
        finally:
            con.close()
    return out


def _leaks(texts: list[bytes]) -> list[str]:
    found = []
    for s in SECRETS:
        forms = {s.encode("utf-8"), s.encode("utf-16-be"), s.encode("unicode_escape")}
        if any(f in t for t in texts for f in forms):
            found.append(s)
    return found


COMMANDS = [
    ("validate", "--format", "json"),
    ("validate", "--format", "csv"),
    ("site",),
    ("staff",),
    ("fund", "--budget", "5000000", "--with-staffing"),
    ("hazards",),
    ("brief",),
    ("map", "--plan", "all"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c))
def test_no_personal_identifier_in_any_output(pii_roster, tmp_path, command):
    out = tmp_path / "out"
    args = [sys.executable, "-m", "childplan.cli", command[0], f"roster={pii_roster}",
            "--base", "500109", *command[1:]]
    if command[0] != "validate":
        args += ["--out", str(out)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=900,
                       env={**__import__("os").environ, "CHILDPLAN_STORE": str(tmp_path / "s.gpkg")})
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    texts = [r.stdout.encode("utf-8"), r.stderr.encode("utf-8")]
    files = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    if command[0] != "validate":
        assert files, "the command wrote nothing"
    for p in files:
        texts += _texts(p)
    assert _leaks(texts) == []
    if command[0] == "staff":
        # the replaced codes are what the plan uses: the rows stay usable, only renamed
        staffing = "".join((out / f).read_text(encoding="utf-8-sig")
                           for f in ("staffing.csv", "recruit.csv", "training.csv"))
        assert REDACTED_PREFIX in staffing
        assert {p.name for p in files} >= {"staffing.csv", "training.csv", "recruit.csv"}


def test_the_warnings_name_the_rows_and_columns(pii_roster):
    r = subprocess.run([sys.executable, "-m", "childplan.cli", "validate", f"roster={pii_roster}",
                        "--base", "500109", "--format", "json"],
                       capture_output=True, text=True, timeout=300)
    import json

    problems = json.loads(r.stdout)["problems"]
    codes = [p for p in problems if p["code"] == "personal_person_code"]
    cols = {p["column"] for p in problems if p["code"] == "personal_column_dropped"}
    assert cols == set(EXTRA)
    roster = pd.read_csv(pii_roster, dtype=str)
    personal = [i + 2 for i, c in enumerate(roster["person_code"])  # header is row 1
                if person_code_problem(c)]
    assert len(personal) == 6 and sorted(p["row"] for p in codes) == personal
    assert all(p["severity"] == "warning" for p in codes + [p for p in problems
                                                              if p["column"] in cols])
    assert _leaks([r.stdout.encode("utf-8")]) == []
