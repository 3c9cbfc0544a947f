"""The officers' view of the audit log: browse, filter and verify it (pages and /api/v1/audit)."""
