"""GIS symbology of the county map (issue 17): facility colours off the village ramp."""

from geo import maps


def test_no_facility_colour_in_the_village_ramp():
    ramp = {c.lower() for c in maps._SEQ}
    clashes = {k: c for k, c in maps.FACILITY_COLOURS.items() if c.lower() in ramp}
    assert clashes == {}
    # the home is not drawn in any red (R channel well above G and B)
    r, g, b = (int(maps.FACILITY_COLOURS["children_home"][i:i + 2], 16) for i in (1, 3, 5))
    assert not (r > 150 and g < 80 and b < 80)


def test_facility_colours_distinct():
    assert len(set(maps.FACILITY_COLOURS.values())) == len(maps.FACILITY_COLOURS)
