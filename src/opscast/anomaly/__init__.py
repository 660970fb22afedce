"""Anomaly detection kernel: causal detectors, explanations, time to failure, NAB scoring."""
