"""The officers' sections, once: the top navigation and each role's home page list the same
ones, each behind the permission that opens it (a role sees what it can do, never a link
that answers 403)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from oncegov.translatable import N_


class HoldsPermissions(Protocol):
    def can(self, permission: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Section:
    permission: str
    path: str
    label: str  # message id
    description: str  # message id: what the officer does there
    also: tuple[str, ...] = ()  # other permissions that open the section too

    def opens_for(self, principal: HoldsPermissions) -> bool:
        return any(principal.can(p) for p in (self.permission, *self.also))


SECTIONS: tuple[Section, ...] = (
    Section(
        "registry.read",
        "/registry/search",
        N_("Citizens"),
        N_("Find a citizen by personal ID or name; see the record, household and history."),
    ),
    Section(
        "quality.read",
        "/quality",
        N_("Data quality"),
        N_("Review the findings of the data-quality rules and resolve them."),
    ),
    Section(
        "registry.corrections",
        "/registry/corrections",
        N_("Correction requests"),
        N_("Handle the errors citizens report in their data."),
    ),
    Section(
        "dossiers.process",
        "/dossiers",
        N_("Dossiers"),
        N_("Your work queue of public-service dossiers: new, yours, due soon, overdue."),
        also=("dossiers.receive", "dossiers.approve"),
    ),
    Section(
        "dossiers.receive",
        "/dossiers/counter",
        N_("Receive a dossier"),
        N_("At the counter: identify the citizen by the chip ID card's QR or personal ID."),
    ),
    Section(
        "audit.read",
        "/audit",
        N_("Audit log"),
        N_("Who read or changed which data, when and why."),
    ),
    Section(
        "identity.cards",
        "/identity/cards",
        N_("ID cards"),
        N_("Receive chip ID-card applications and follow them to delivery."),
    ),
    Section(
        "identity.eid",
        "/identity/eid",
        N_("eID accounts"),
        N_("Verify citizens in person (level 2), lock, unlock and reset eID accounts."),
    ),
    Section(
        "oidc.manage",
        "/admin/oidc/clients",
        N_("Services using eID sign-in"),
        N_("Register the public services that sign citizens in with their eID."),
    ),
    Section(
        "calendar.manage",
        "/admin/calendar",
        N_("Working-day calendar"),
        N_("Holidays of the year and the dates the Government declares off or working."),
    ),
    Section(
        "health.checkin",
        "/health/reception",
        N_("Reception"),
        N_("Check patients in with the chip ID card, the eID QR code or the personal ID number."),
    ),
    Section(
        "health.stats",
        "/health/statistics",
        N_("Check-in statistics"),
        N_("Check-ins of every facility of the province, by day and by method."),
    ),
    Section(
        "linkage.report",
        "/linkage/report",
        N_("Sector data sync"),
        N_("How many records of each sector database are linked to the registry."),
    ),
    Section(
        "linkage.review",
        "/linkage/review",
        N_("Linkage review"),
        N_("Decide the sector records the linkage could not match with confidence."),
    ),
)


def sections_for(principal: HoldsPermissions | None) -> list[Section]:
    if principal is None:
        return []
    return [section for section in SECTIONS if section.opens_for(principal)]
