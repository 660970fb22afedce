"""Drift checks as a use case: stored reports, their endpoints and the drift-to-retrain hook."""
