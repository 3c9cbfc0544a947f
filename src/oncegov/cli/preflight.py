"""What ``oncegov serve`` checks before it listens: the schema is the code's, and a production
configuration holds no development secret, no insecure cookie and no demo officer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from oncegov.config import Settings, env_name
from oncegov.demo import service as demo_service


def production_refusals(settings: Settings, session: Session) -> list[str]:
    """One line per reason a production server must not start (empty outside production).
    Settings are named by their environment variable; values are never shown."""
    if not settings.is_production:
        return []
    refusals = [
        f"{name} is at its development value: set it (see docs/operations.md)"
        if name != env_name("cookie_secure")
        else f"{name} must be true in production (cookies only over HTTPS)"
        for name in settings.production_problems()
    ]
    demo_officers = demo_service.demo_officers_present(session)
    if demo_officers:
        refusals.append(
            "demo officer accounts exist (their passwords derive from a published seed): "
            f"deactivate or delete {', '.join(demo_officers)}"
        )
    return refusals
