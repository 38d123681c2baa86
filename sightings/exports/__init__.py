"""Researcher exports: CSV, GeoJSON, Darwin Core Archive and ML datasets, streamed and private.

One module per format, each registered in `registry`; `filters` and `selectors` choose the
sightings and what of them a viewer may learn; `services` builds the background snapshots.
"""
