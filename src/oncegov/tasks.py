"""Imports every domain's jobs so they are declared (the worker runs them; the app enqueues
them). The one list: a domain with a ``tasks.py`` adds it here."""

from oncegov.integrations import tasks as integration_tasks
from oncegov.jobs import maintenance as maintenance_tasks
from oncegov.procedures.dossiers import tasks as dossier_tasks

TASK_MODULES = [integration_tasks, dossier_tasks, maintenance_tasks]

__all__ = ["TASK_MODULES", "dossier_tasks", "integration_tasks", "maintenance_tasks"]
