"""Registry events other domains listen to, without the registry importing them.

``on_deceased``: callables ``(session, personal_ids)`` run in the same transaction whenever the
registry marks citizens deceased (an officer's edit, a correction or a bulk import). The
identity domain registers one when ``identity.accounts.locks`` is imported, to revoke eID
accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

DeceasedListener = Callable[[Session, Sequence[str]], object]

on_deceased: list[DeceasedListener] = []


def listen_deceased(listener: DeceasedListener) -> None:
    """Register ``listener`` once (importing a module twice must not run it twice)."""
    if listener not in on_deceased:
        on_deceased.append(listener)


def citizens_deceased(session: Session, personal_ids: Sequence[str]) -> None:
    """Tell every listener that these citizens are now recorded as deceased."""
    if not personal_ids:
        return
    for listener in list(on_deceased):
        listener(session, personal_ids)
