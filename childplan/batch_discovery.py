"""Batch step 1, discovery: which counties to plan and where their layer files are."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


def default_province_dir(province: str) -> Path:
    """Where ``data/make_demo.py --province`` writes a province: ``~/.cache/childplan-province/<pp>``."""
    return Path.home() / ".cache" / "childplan-province" / str(province)[:2]


# --- which counties, from which folders ---------------------------------------------------


@dataclass(frozen=True)
class CountyJob:
    """One county to plan: its adcode and the paths of its layers (never the data).

    Attributes
    ----------
    adcode : str
        6-digit county code.
    name : str
        County name when known before loading (from its boundary file), else ``""``.
    sources : tuple of (layer, path)
        Layer name -> file, as :func:`geo.layers.load_county` takes them.
    missing_zh, missing_en : str
        Why there is no data for the county (then ``sources`` is empty).
    """

    adcode: str
    name: str = ""
    sources: tuple[tuple[str, str], ...] = ()
    missing_zh: str = ""
    missing_en: str = ""

    @property
    def has_data(self) -> bool:
        """True when the county has layer files to plan on."""
        return bool(self.sources) and not self.missing_en

    def source_dict(self) -> dict[str, Path]:
        """Layer -> path."""
        return {layer: Path(path) for layer, path in self.sources}

    def input_bytes(self) -> int:
        """Total size of the layer files (to start the biggest counties first)."""
        return sum(Path(p).stat().st_size for _, p in self.sources if Path(p).exists())


def _is_province(selection) -> bool:
    if not isinstance(selection, str):
        return False
    s = selection.strip()
    return (len(s) == 2 and s.isdigit()) or (len(s) == 6 and s.isdigit() and s.endswith("0000"))


def _county_name(path: Path, adcode: str) -> str:
    if path.suffix.lower() not in (".geojson", ".json"):
        return ""
    try:
        props = json.loads(path.read_text(encoding="utf-8"))["features"][0]["properties"]
        return str(props.get("name") or "")
    except (OSError, KeyError, IndexError, ValueError, TypeError):
        return ""


def _sources_in(root: Path, adcode: str) -> dict[str, Path] | None:
    """A county's layer files under ``root``: the ``data/`` layout or one folder per county."""
    from geo.layers import demo_sources

    if (root / "boundaries" / adcode / "county.geojson").is_file():
        return demo_sources(adcode, root)
    folder = root / adcode
    if folder.is_dir():
        from childplan.sources import resolve_sources

        found, _unknown = resolve_sources([str(folder)])
        if "county" in found:
            return {k: Path(v.path) for k, v in found.items()}
    return None


def _adcodes_in(root: Path, prefix: str) -> list[str]:
    out = set()
    for base in (root / "boundaries", root):
        if base.is_dir():
            out.update(p.name for p in base.iterdir()
                       if p.is_dir() and len(p.name) == 6 and p.name.isdigit()
                       and p.name.startswith(prefix))
    return sorted(a for a in out if _sources_in(root, a) is not None)


def _job(adcode: str, sources: dict[str, Path]) -> CountyJob:
    return CountyJob(adcode=adcode, name=_county_name(sources["county"], adcode),
                     sources=tuple(sorted((k, str(v)) for k, v in sources.items())))


def list_counties(root: str | Path, prefix: str = "") -> list[CountyJob]:
    """Every county in a folder (adcode starting with ``prefix``), sorted by adcode.

    Counties ``data/make_demo.py`` listed in the folder's ``province.json`` but did not build
    come back without sources, with the generator's reason (bilingual).
    """
    root = Path(root)
    jobs = {a: _job(a, _sources_in(root, a)) for a in _adcodes_in(root, prefix)}
    manifest = root / "province.json"
    if manifest.is_file():
        try:
            listed = json.loads(manifest.read_text(encoding="utf-8")).get("counties", [])
        except ValueError:
            listed = []
        for c in listed:
            a = str(c.get("adcode", ""))
            if c.get("status") != "built" and a.startswith(prefix) and a not in jobs:
                jobs[a] = CountyJob(adcode=a, name=c.get("name", ""),
                                    missing_zh=c.get("reason_zh", "没有数据"),
                                    missing_en=c.get("reason_en", "no data"))
    return [jobs[a] for a in sorted(jobs)]


def find_counties(selection: str | Iterable[str],
                  data_root: str | Path | Sequence[str | Path] | None = None) -> list[CountyJob]:
    """The counties a selection names, with the paths of their layers.

    Parameters
    ----------
    selection : str or iterable of str
        A province (``"35"`` or ``"350000"``): every county found under the roots, plus the
        counties ``data/make_demo.py`` listed in ``province.json`` but could not build (they
        come back without data, with the generator's reason). Or 6-digit adcodes.
    data_root : path or list of paths, optional
        Folders to look in, first match wins: the ``data/`` layout
        (``boundaries/<adcode>/``, ``facilities/<adcode>/``, as written by ``make_demo.py``)
        or one folder per county (``<adcode>/`` with files named by layer, e.g.
        ``villages.csv``). Adcodes are also looked up in the embedded demo data. Default for
        a province: its generated folder (:func:`default_province_dir`) when it exists, else
        the embedded demo data.

    Returns
    -------
    list of CountyJob
        Sorted by adcode; a county found nowhere has no sources and says so.
    """
    from geo.layers import DATA_DIR

    if isinstance(data_root, (str, Path)):
        roots = [Path(data_root)]
    else:
        roots = [Path(r) for r in (data_root or ())]
    if _is_province(selection):
        pp = selection.strip()[:2]
        if not roots:
            gen = default_province_dir(pp)
            roots = [gen] if gen.is_dir() else [Path(DATA_DIR)]
        jobs: dict[str, CountyJob] = {}
        for root in roots:  # first root wins; a county built anywhere beats a listed gap
            for job in list_counties(root, pp):
                if job.adcode not in jobs or (job.has_data and not jobs[job.adcode].has_data):
                    jobs[job.adcode] = job
        return [jobs[a] for a in sorted(jobs)]
    codes = [selection] if isinstance(selection, str) else list(selection)
    roots = roots + [Path(DATA_DIR)]
    out = []
    for a in codes:
        a = str(a).strip()
        for root in roots:
            src = _sources_in(root, a)
            if src is not None:
                out.append(_job(a, src))
                break
        else:
            where = "、".join(str(r) for r in roots)
            out.append(CountyJob(
                adcode=a, missing_zh=f"在 {where} 中找不到区县 {a} 的数据",
                missing_en=f"no data for county {a} under {', '.join(str(r) for r in roots)}"))
    return sorted(out, key=lambda j: j.adcode)
