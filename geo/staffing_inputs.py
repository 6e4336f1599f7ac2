"""Turn a county's layers into the staffing model's distances, the way siting gets its own.

The staffing model (:mod:`optimization.staffing`) needs how far a candidate's home village is
from each village he or she could serve, and which small villages neighbour each other. Those
distances come from here, computed exactly as the siting model's village–site distances
(:func:`geo.siting_inputs.feasible_pairs`): straight metres in the county's Gauss-Krüger zone
(:func:`geo.crs.metric_crs_for`), and a pair whose straight line crosses a barrier river goes
over the best bridge or ford, or is out of reach. So a director and a 儿童之家 see the same
river.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.siting_inputs import barrier_lines, feasible_pairs

__all__ = ["village_distances"]


def village_distances(villages: gpd.GeoDataFrame, policy, *,
                      waterways: gpd.GeoDataFrame | None = None,
                      crossings: gpd.GeoDataFrame | None = None,
                      cap_m: float | None = None) -> pd.DataFrame:
    """Village-to-village distances in metres within ``cap_m``, rivers and bridges honoured.

    Parameters
    ----------
    villages : GeoDataFrame
        Village points with ``village_code`` (any CRS).
    policy : Policy
        Its ``siting`` section says which waterways are barriers (``rivers_are_barriers``,
        ``barrier_kinds``); its ``staffing`` section gives the default cap, the larger of
        ``max_travel_m`` and ``neighbour_distance_m``.
    waterways, crossings : GeoDataFrame, optional
        The county's waterways and bridges/fords.
    cap_m : float, optional
        Longest distance kept (default from the staffing policy).

    Returns
    -------
    DataFrame
        ``from_code, to_code, distance_m`` (both directions, no self pairs): the distance
        table :func:`optimization.staffing.build_staffing_problem` takes.
    """
    st = policy.staffing
    cap = float(cap_m if cap_m is not None else max(st.max_travel_m, st.neighbour_distance_m))
    v = villages[["village_code", villages.geometry.name]].copy()
    v["village_code"] = v["village_code"].astype(str)
    sites = v.rename(columns={"village_code": "site_id"})
    pairs = feasible_pairs(v, sites, cap, barrier_lines(waterways, policy.siting), crossings)
    pairs = pairs[pairs["village_code"] != pairs["site_id"]]
    return pd.DataFrame({"from_code": pairs["village_code"].to_numpy(),
                         "to_code": pairs["site_id"].to_numpy(),
                         "distance_m": pairs["distance_m"].to_numpy(float)})
