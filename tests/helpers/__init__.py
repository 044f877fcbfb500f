"""Helpers shared by test modules in several folders (one job per module)."""
