"""Pure planning models (siting, staffing, funding) and the cited policy parameters."""
