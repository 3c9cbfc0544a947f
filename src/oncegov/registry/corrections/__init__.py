"""Citizens' reports of errors in their registry data, and the commune officers' queue."""
