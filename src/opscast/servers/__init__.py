"""Servers: lifecycle state machine, stored servers with their event log, fleet simulator."""
