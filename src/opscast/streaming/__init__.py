"""Metric ingestion over a broker, the rolling-feature processor and the predictor (seed 4)."""
