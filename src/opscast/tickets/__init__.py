"""Tickets: CRUD, status workflow, audit trail, classification, ITIL priority, analytics."""
