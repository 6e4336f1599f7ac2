"""Tiny hand-checkable fixtures shared by the tests.

A toy county "500109" made of two square townships side by side near Beibei:
township 500109102 covers lon 106.40–106.45, township 500109104 covers lon 106.45–106.50,
both lat 29.80–29.85. Villages sit at known points inside them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

VILLAGE_HEADER = (
    "village_code,name,township_code,resident_children,left_behind,orphan,unsupported,"
    "illness_disability,dibao_tekun,difficulty_other,key_attention,lon,lat"
)
VILLAGE_ROWS = [
    "500109102001,甲村,500109102,120,20,1,0,2,3,0,5,106.41,29.81",
    "500109102002,乙村,500109102,80,10,0,1,0,1,0,2,106.43,29.83",
    "500109104001,丙村,500109104,60,12,0,0,1,0,0,1,106.47,29.82",
    "500109104002,丁社区,500109104,300,3,0,0,0,2,1,0,106.48,29.84",
]


def square(x0, y0, x1, y1):
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def feature(props, geom_type, coords):
    return {"type": "Feature", "properties": props,
            "geometry": None if coords is None else {"type": geom_type, "coordinates": coords}}


def write_geojson(path: Path, features) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    """A valid toy county on disk: county, townships, villages (CSV with lon/lat)."""
    write_geojson(tmp_path / "county.geojson", [feature(
        {"adcode": "500109", "name": "北碚区", "province": "重庆市", "designations": ""},
        "Polygon", square(106.40, 29.80, 106.50, 29.85))])
    write_geojson(tmp_path / "townships.geojson", [
        feature({"township_code": "500109102", "name": "澄江镇"}, "Polygon",
                square(106.40, 29.80, 106.45, 29.85)),
        feature({"township_code": "500109104", "name": "童家溪镇"}, "Polygon",
                square(106.45, 29.80, 106.50, 29.85)),
    ])
    (tmp_path / "villages.csv").write_text(
        VILLAGE_HEADER + "\n" + "\n".join(VILLAGE_ROWS) + "\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def toy_sources(toy_dir: Path) -> dict[str, Path]:
    return {
        "county": toy_dir / "county.geojson",
        "townships": toy_dir / "townships.geojson",
        "villages": toy_dir / "villages.csv",
    }
