"""Public services: the procedure catalogue, dossiers, workflow, deadlines (the legal clock),
results, delivery."""
