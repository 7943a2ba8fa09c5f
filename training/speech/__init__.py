"""Scoring speech recognition on recorded sets (docs/speech.md)."""
