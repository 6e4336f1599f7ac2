"""Which file is which layer: the same rules for the CLI's paths and the app's uploads.

A file's layer is taken from its name (``villages.csv``, ``村.xlsx``, ``乡镇边界.shp``...) unless
the planner says it (``villages=path`` on the command line, a select box in the app).
"""

from __future__ import annotations

import re
from pathlib import Path

from geo.io import TABLE_SUFFIXES, VECTOR_SUFFIXES
from geo.layers import LayerSource, demo_sources

__all__ = ["LAYER_HINTS", "guess_layer", "resolve_sources"]

#: Substrings of a file name that name its layer (checked in this order).
LAYER_HINTS: list[tuple[str, tuple[str, ...]]] = [
    ("children", ("children", "儿童数", "儿童统计", "counts")),
    ("roster", ("roster", "花名册", "人员", "候选")),
    ("crossings", ("crossing", "bridge", "桥")),
    ("roads", ("road", "道路", "路网")),
    ("waterways", ("waterway", "water", "river", "水系", "河流", "河道", "水体")),
    ("facilities", ("facilit", "设施", "儿童之家", "学校")),
    ("villages", ("village", "村", "社区")),
    ("townships", ("township", "town", "street", "乡镇", "街道")),
    ("county", ("county", "boundary", "区县", "县界", "边界")),
    ("dem", ("dem", "高程", "elevation")),
]

_SUFFIXES = VECTOR_SUFFIXES + TABLE_SUFFIXES + (".tif", ".tiff")


def guess_layer(filename: str) -> str | None:
    """Guess a file's layer from its name; None if nothing matches.

    >>> guess_layer("北碚区_村点位.csv"), guess_layer("roster_2024.xlsx"), guess_layer("x.csv")
    ('villages', 'roster', None)
    """
    name = Path(filename).stem.lower()
    if Path(filename).suffix.lower() in (".tif", ".tiff"):
        return "dem"
    for layer, hints in LAYER_HINTS:
        if layer == "dem":
            if re.search(r"(^|[^a-z])dem([^a-z]|$)", name) or "高程" in name:
                return "dem"
            continue
        if any(h in name for h in hints):
            return layer
    return None


def resolve_sources(
    paths: list[str],
    *,
    base_adcode: str | None = None,
    coord_system: str = "wgs84",
    declared_crs=None,
) -> tuple[dict[str, LayerSource], list[str]]:
    """Map command-line paths to layer sources.

    Parameters
    ----------
    paths : list of str
        Files, directories (every recognised file inside), or ``layer=path`` pairs; a
        worksheet or GeoPackage layer is chosen with ``layer=path#sheet``.
    base_adcode : str, optional
        Fill layers not given from this embedded county (e.g. check a villages CSV against
        the demo county's townships).
    coord_system, declared_crs
        Applied to every given file.

    Returns
    -------
    sources : dict
        Layer -> LayerSource.
    unknown : list of str
        Paths whose layer could not be told (the caller reports them).
    """
    sources: dict[str, LayerSource] = {}
    unknown: list[str] = []
    if base_adcode:
        sources.update({k: LayerSource(path=v) for k, v in demo_sources(base_adcode).items()})

    def add(layer: str, path: Path, sheet=None):
        sources[layer] = LayerSource(path=path, coord_system=coord_system,
                                     declared_crs=declared_crs, sheet=sheet)

    for item in paths:
        if "=" in item and not Path(item).exists():
            layer, _, p = item.partition("=")
            sheet = None
            if "#" in p and not Path(p).exists():  # villages=file.xlsx#Sheet2, x.gpkg#layer
                p, _, sheet = p.rpartition("#")
            add(layer.strip(), Path(p), sheet or None)
            continue
        p = Path(item)
        if p.is_dir():
            for child in sorted(p.iterdir()):
                if child.suffix.lower() not in _SUFFIXES or child.name.startswith("."):
                    continue
                layer = guess_layer(child.name)
                if layer:
                    add(layer, child)
            continue
        layer = guess_layer(p.name)
        if layer is None:
            unknown.append(item)
        else:
            add(layer, p)
    return sources, unknown
