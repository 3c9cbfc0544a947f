"""Record linkage: match sector extracts (social insurance, health, …) to the registry."""
