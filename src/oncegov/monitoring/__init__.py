"""Monitoring will hold indicators and reports; today, the officers' view of the audit log."""
