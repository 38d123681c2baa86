"""Writes: every change to sightings, identifications and their photos goes through a service here."""
