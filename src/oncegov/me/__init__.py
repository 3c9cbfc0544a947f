"""The citizen's own pages (``/me…``): they read the domains below through their services."""
