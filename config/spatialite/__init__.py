"""Django's SpatiaLite backend with one fix: rebuilding a table drops only the spatial indexes it has.

SQLite changes a column by rebuilding its table, and Django's SpatiaLite schema editor then drops
`idx_<table>_<column>` for every geometry column, even one declared `spatial_index=False` that has
no such table ("no such table: idx_sightings_sighting_cell"). Selected by settings.py for
spatialite:// database URLs.
"""
