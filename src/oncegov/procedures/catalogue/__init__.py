"""The procedure catalogue: versioned procedure definitions kept as YAML in ``data/``,
validated when loaded, stored per (code, version) and shown on the public catalogue pages."""
