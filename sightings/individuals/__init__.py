"""Individuals: one animal followed across sightings, found again by what its photos look like."""
