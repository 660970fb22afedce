"""Alerting: rules as data, Alertmanager-style lifecycle, delivery channels and feedback."""
