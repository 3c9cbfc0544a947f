"""Public services: the procedure catalogue, dossiers, workflow, deadlines, results, delivery."""
