"""What the citizen's pages need from more than one domain.

"Who accessed my data": the audit log records who acted, not in which role, and audit never
asks auth or the units (it stores what it must show). The officers' current posts (role and
unit name) are added here, above all three.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.auth import service as auth
from oncegov.units import service as units


@dataclass(frozen=True)
class OfficerPost:
    """An officer as a citizen sees them: the role held and where, not who they are."""

    role: str
    unit_kind: str  # province | commune | agency
    unit_name: str


@dataclass(frozen=True)
class MyAccessPage:
    """One page of the entries about the citizen, with the posts of the officers named."""

    page: audit.AccessPage
    officer_posts: dict[str, list[OfficerPost]]  # officer username -> posts


def officer_posts(session: Session, usernames: set[str]) -> dict[str, list[OfficerPost]]:
    """Current role assignments of these officers, with unit names. The log records who
    acted, not in which role; the role held now is the best a citizen can be told."""
    if not usernames:
        return {}
    names: dict[tuple[str, str], str] = {}

    def unit_name(kind: str, code: str) -> str:
        if (kind, code) not in names:
            unit = (
                units.commune(session, code)
                if kind == "commune"
                else units.province(session, code)
                if kind == "province"
                else None
            )
            names[(kind, code)] = unit.name if unit is not None else code
        return names[(kind, code)]

    posts: dict[str, list[OfficerPost]] = {}
    for username, roles in auth.roles_by_username(session, usernames).items():
        posts[username] = [
            OfficerPost(r.role, r.scope_kind, unit_name(r.scope_kind, r.scope_code)) for r in roles
        ]
    return posts


def my_access_page(
    session: Session,
    personal_id: str,
    filters: audit.AccessFilters,
    *,
    before: int | None = None,
    after: int | None = None,
) -> MyAccessPage:
    """``audit.access_page`` (not itself audited: it says why) and the posts of its officers."""
    page = audit.access_page(session, personal_id, filters, before=before, after=after)
    usernames = {e.actor_id for e in page.entries if e.actor_kind == "officer"}
    return MyAccessPage(page, officer_posts(session, usernames))
