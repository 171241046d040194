"""Benchmarks: they print figures and ratios measured in one run, never assert times."""
