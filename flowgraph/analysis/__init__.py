"""Analyses: pure functions over the current events and the registry (DataFrames in, DataFrames out)."""
