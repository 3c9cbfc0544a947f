"""Sync report: how much of each sector database is linked to the registry (counts only)."""
