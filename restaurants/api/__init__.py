"""The restaurants API: restaurants, their tables, hours, closures, turn times and staff."""
