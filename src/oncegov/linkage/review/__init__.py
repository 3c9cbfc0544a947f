"""The clerical review queue of record linkage: officers decide the records in review."""
