"""Administrative units (provinces, communes) and the unit scope of what a subject may see."""
