"""fixnet."""
