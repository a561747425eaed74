"""Synthetic city and outbreak generator for demos, tests and benchmarks."""
