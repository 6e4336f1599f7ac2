"""Geography: read, validate, measure, map and export a county's layers."""
