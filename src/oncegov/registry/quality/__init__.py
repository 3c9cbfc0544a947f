"""Data-quality review of the registry: rules, runs, findings and their resolution."""
