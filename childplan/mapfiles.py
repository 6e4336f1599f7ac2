"""``childplan map``: each map as one standalone offline HTML file, to share on the intranet.

The maps are the app's own (:mod:`geo.maps`, :mod:`geo.maps_plans`, :mod:`geo.maps_hazards`)
with Leaflet inlined (:func:`geo.offline.map_html`), so a file opens from a USB stick or a
shared folder with no network and no server. Every name in them went through
:mod:`geo.safe`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PLANS", "build_maps", "write_maps"]

#: What ``--plan`` may name; ``county`` is the overview map.
PLANS = ("county", "siting", "staffing", "funding", "hazards")


def build_maps(data, policy, plans=("county",), *, lang: str = "zh", solver: str = "cbc",
               budget: int = 5_000_000) -> dict:
    """Plan name -> :class:`folium.Map`, solving each plan the map shows (as the pages do).

    The funding budget is raised to just above the county's earmarks when it is smaller
    (as the briefing does), so a map is always drawn.
    """
    from childplan import workflows as wf
    from geo.i18n import t
    from geo.maps import build_county_map
    from geo.maps_plans import build_choropleth_map, build_siting_map, build_staffing_map

    unknown = [p for p in plans if p not in PLANS]
    if unknown:
        raise ValueError(f"unknown plan {unknown}; choose from {PLANS}")
    data.require_ok()
    maps = {}
    siting = None
    for plan in dict.fromkeys(plans):
        if plan == "county":
            maps[plan] = build_county_map(data, lang=lang)
        elif plan == "siting":
            siting = wf.run_siting(data, policy, solver=solver)
            maps[plan] = build_siting_map(data, siting.homes, siting.assignments, lang=lang)
        elif plan == "staffing":
            staffing = wf.run_staffing(data, policy, solver=solver)
            maps[plan] = build_staffing_map(data, staffing.villages, lang=lang)
        elif plan == "funding":
            units = wf.township_units(data, policy, homes=None if siting is None
                                      else siting.homes)
            money = max(int(budget), int(float(units.table["earmark"].sum())) + 1)
            table = wf.run_funding(units, money, policy).table
            maps[plan] = build_choropleth_map(data, table.set_index("unit_code")["amount"],
                                              title=t("map_funding_amount", lang), lang=lang)
        elif plan == "hazards":
            from geo.hazards import analyse_hazards
            from geo.maps_hazards import build_hazard_map

            if not len(data.waterways):
                continue
            analysis = analyse_hazards(data, policy)
            maps[plan] = build_hazard_map(data, analysis.segments, analysis.spots, lang=lang)
    return maps


def write_maps(maps: dict, out: str | Path, adcode: str) -> list[Path]:
    """Write ``map_<plan>_<adcode>.html`` per map into ``out`` (atomically); return the paths."""
    from geo.exports import atomic_write_bytes
    from geo.offline import map_html
    from geo.safe import file_name

    out = Path(out)
    return [atomic_write_bytes(out / f"map_{plan}_{file_name(adcode, default='county')}.html",
                               map_html(m).encode("utf-8"))
            for plan, m in maps.items()]
