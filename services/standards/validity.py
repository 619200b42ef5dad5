"""Filled in by the standards work (issue 3)."""
