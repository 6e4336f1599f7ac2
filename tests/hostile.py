"""A copy of the demo county 北碚区 with hostile text in every name field.

Every name a planner's file can carry — county, township, village, facility, water body and
river chief — takes the values of :data:`HOSTILE` in turn, so each hostile name appears in
each field. Each script payload calls ``alert(<n>)``: a test that sees a dialog knows which
one ran.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = "500109"

#: Names a hostile (or unlucky) spreadsheet may hold: HTML, script break-outs, JS template
#: literal syntax, line terminators, matplotlib mathtext, path characters, Jinja syntax.
HOSTILE = (
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    "${alert(3)}",
    "`);alert(4);(`",
    "\"'><svg onload=alert(5)>",
    "<!--<script>alert(6)//",
    "村\u2028\u2029alert(7)",
    "$\\frac{$",
    "\\\"};alert(9);//",
    "&lt;img src=x onerror=alert(10)&gt;",
    "<a href=javascript:alert(11)>点我</a>",
    "{{7*7}}<iframe srcdoc='<script>parent.alert(12)</script>'>",
    "{# 注释 {% raw %}",  # Jinja: branca renders script output as a template once more
    "{{ cycler.__init__.__globals__.os.getpid() }}",  # would run Python on the server
)


def _rename(path: Path, field: str, start: int = 0) -> None:
    fc = json.loads(path.read_text(encoding="utf-8"))
    for i, f in enumerate(fc["features"]):
        f["properties"][field] = HOSTILE[(start + i) % len(HOSTILE)]
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")


def hostile_county(folder: Path) -> list[Path]:
    """Write the hostile county into ``folder``; return the files (for ``childplan …``)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for sub, names in (("boundaries", ("county.geojson", "townships.geojson",
                                       "villages.geojson", "dem.tif")),
                       ("facilities", ("facilities.geojson", "waterways.geojson",
                                       "crossings.geojson", "roster.csv"))):
        for n in names:
            src = REPO / "data" / sub / DEMO / n
            if src.exists():
                files.append(Path(shutil.copy(src, folder / n)))
    _rename(folder / "county.geojson", "name")
    _rename(folder / "townships.geojson", "name", 1)
    _rename(folder / "villages.geojson", "name", 2)
    _rename(folder / "facilities.geojson", "name", 3)
    _rename(folder / "waterways.geojson", "name", 4)
    _rename(folder / "waterways.geojson", "chief", 5)
    return files
