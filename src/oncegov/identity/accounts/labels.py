"""What citizens and officers read for the eID codes stored in the database (marked for
translation here, because a code passed to ``_()`` at render time is never extracted)."""

from __future__ import annotations

from oncegov.translatable import N_

ACCOUNT_STATUS = {
    "pending": N_("Pending activation"),
    "active": N_("Active"),
    "locked": N_("Locked"),
    "revoked": N_("Revoked"),
}
LOCKED_BY = {
    "citizen": N_("the citizen"),
    "police": N_("the police"),
}
LOGIN_EVENT = {
    "login": N_("Signed in"),
    "login_failed": N_("Sign-in failed"),
    "login_refused": N_("Sign-in refused: a higher level was required"),
    "lockout": N_("Sign-in paused after repeated failures"),
    "logout": N_("Signed out"),
    "registered": N_("Account registered"),
    "level2_registered": N_("Level 2 registered at a police desk"),
    "activated": N_("Account activated"),
    "passcode_reset": N_("Passcode reset"),
    "locked": N_("Account locked"),
    "unlocked": N_("Account unlocked"),
    "revoked": N_("Account revoked"),
    "token_issued": N_("Signed in to a service"),
    "token_refreshed": N_("Sign-in to a service renewed"),
}
