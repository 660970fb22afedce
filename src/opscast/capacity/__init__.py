"""Scaling recommendations and policy comparisons over HTTP and the CLI (seed 5)."""
