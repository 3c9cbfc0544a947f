"""Public services: catalogue, dossiers, workflow, deadlines (the legal clock), results."""
