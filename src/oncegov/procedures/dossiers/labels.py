"""What the pages call the dossiers' states, channels, outcomes and queue views."""

from __future__ import annotations

from oncegov.translatable import N_

STATE_LABELS: dict[str, str] = {
    "received": N_("Received"),
    "accepted": N_("Accepted"),
    "refused_to_accept": N_("Refused to accept"),
    "assigned": N_("Assigned"),
    "processing": N_("Being processed"),
    "additions_requested": N_("Waiting for your additions"),
    "submitted_for_approval": N_("Submitted for approval"),
    "approved": N_("Approved"),
    "refused": N_("Refused"),
    "result_ready": N_("Result ready"),
    "returned": N_("Result returned"),
    "withdrawn": N_("Withdrawn"),
}
# The move into a state, as a button says it.
MOVE_LABELS: dict[str, str] = {
    "accepted": N_("Accept the dossier"),
    "refused_to_accept": N_("Refuse to accept (form 03)"),
    "assigned": N_("Send to the handling officer"),
    "processing": N_("Process"),
    "additions_requested": N_("Request additions (form 02)"),
    "submitted_for_approval": N_("Submit for approval"),
    "approved": N_("Approve"),
    "refused": N_("Refuse"),
    "result_ready": N_("Result ready"),
    "returned": N_("Return the result"),
}
CHANNEL_LABELS: dict[str, str] = {
    "online": N_("Online"),
    "counter": N_("At the counter"),
    "post": N_("By post"),
}
OUTCOME_LABELS: dict[str, str] = {
    "early": N_("Early"),
    "on_time": N_("On time"),
    "late": N_("Late"),
}
VIEW_LABELS: dict[str, str] = {
    "all": N_("All open"),
    "new": N_("New"),
    "mine": N_("Mine"),
    "due_soon": N_("Due soon"),
    "overdue": N_("Overdue"),
    "waiting": N_("Waiting for the citizen"),
}


def label(labels: dict[str, str], key: str) -> str:
    return labels.get(key, key)
