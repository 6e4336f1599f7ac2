"""Funding units of a county that has no facilities layer (found by the spreadsheet cases)."""
import dataclasses

import geopandas as gpd
import pytest

from childplan.workflows import township_units
from geo.layers import load_demo
from optimization.policy import load_policy


@pytest.mark.parametrize("empty", ["loader", "bare"])
def test_township_units_without_a_facilities_layer(empty):
    from geo.layers import _empty

    data = load_demo("500109")
    full = township_units(data, load_policy()).table.set_index("unit_code")
    none = _empty("facilities") if empty == "loader" else gpd.GeoDataFrame(geometry=[], crs=4326)
    bare = dataclasses.replace(data, facilities=none)
    t = township_units(bare, load_policy()).table.set_index("unit_code")
    assert len(t) == len(data.townships) == 17
    assert (t["institutions"] == 0).all()
    # the demo county has 1 rescue-protection and 1 welfare institution
    assert int(full["institutions"].sum()) == 2
    # everything that does not come from facilities is the same
    for col in ("left_behind", "designations", "poverty_village_share"):
        if col in t.columns:
            assert t[col].tolist() == full[col].tolist()
