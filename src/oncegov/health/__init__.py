"""Health insurance at medical facilities: insurance cards, facilities, check-in, FHIR."""
