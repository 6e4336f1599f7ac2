"""A planned, under-construction or closed facility is shown as such on the county map."""
import dataclasses
import json
import re

from geo.layers import load_demo
from geo.maps import build_county_map


def _facility_features(html: str) -> list[dict]:
    feats = []
    for m in re.finditer(r"_add\((\{\"features\".*?\})\);", html, re.S):
        try:
            fc = json.loads(m.group(1))
        except ValueError:
            continue
        feats += [f["properties"] for f in fc.get("features", []) if "facility_id" in f["properties"]]
    return feats


def test_planned_and_closed_facilities_are_labelled_and_hollow():
    data = load_demo("500109")
    f = data.facilities.copy()
    homes = f.index[f["kind"] == "children_home"][:2]
    f["status"] = "existing"
    f.loc[homes[0], "status"] = "planned"
    f.loc[homes[1], "status"] = "closed"
    data = dataclasses.replace(data, facilities=f)
    html = build_county_map(data, lang="zh").get_root().render()
    props = {p["facility_id"]: p for p in _facility_features(html)}
    planned, closed = f.loc[homes[0], "facility_id"], f.loc[homes[1], "facility_id"]
    assert props[planned]["kind_label"] == "儿童之家（拟建）" and props[planned]["built"] is False
    assert props[closed]["kind_label"] == "儿童之家（已撤并/关闭）" and props[closed]["built"] is False
    others = [p for k, p in props.items() if k not in (planned, closed) and p["kind_label"] == "儿童之家"]
    n_existing = int((f["kind"] == "children_home").sum()) - 2
    assert len(others) == n_existing and all(p["built"] is True for p in others)
