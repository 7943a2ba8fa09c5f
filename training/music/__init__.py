"""Checking the catalogue's hand estimates against a reference catalogue (docs/music.md)."""
