"""The typed dependency of the officers' dossier pages: an officer holding at least one of the
dossier roles' permissions, with the communes each role covers (its unit scope)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from oncegov.auth.dependencies import CurrentPrincipal
from oncegov.auth.roles import DOSSIERS_APPROVE, DOSSIERS_PROCESS, DOSSIERS_RECEIVE
from oncegov.auth.schemas import Principal
from oncegov.errors import PermissionDenied
from oncegov.kit.actor import Actor
from oncegov.translatable import N_
from oncegov.units.schemas import UnitScope

# The workflow roles of the catalogue and the permission each needs.
ROLE_PERMISSIONS: dict[str, str] = {
    "receiver": DOSSIERS_RECEIVE,
    "processor": DOSSIERS_PROCESS,
    "approver": DOSSIERS_APPROVE,
}


@dataclass(frozen=True)
class DossierOfficer:
    principal: Principal
    roles: dict[str, UnitScope]  # workflow role -> the communes it covers

    def actor(self, channel: str = "web") -> Actor:
        return self.principal.actor(channel)

    @property
    def receives(self) -> bool:
        return "receiver" in self.roles


def _dossier_officer(principal: CurrentPrincipal) -> DossierOfficer:
    roles = {
        role: principal.scope_for(permission)
        for role, permission in ROLE_PERMISSIONS.items()
        if principal.can(permission)
    }
    if not roles:
        raise PermissionDenied(
            N_("You do not have permission for this"), permission=DOSSIERS_PROCESS
        )
    return DossierOfficer(principal, roles)


# The route walk (tests/auth/test_route_permissions.py) reads the permission it names.
_dossier_officer.required_permission = DOSSIERS_PROCESS  # type: ignore[attr-defined]


def _receiver(officer: Annotated[DossierOfficer, Depends(_dossier_officer)]) -> DossierOfficer:
    if not officer.receives:
        raise PermissionDenied(
            N_("You do not have permission for this"), permission=DOSSIERS_RECEIVE
        )
    return officer


_receiver.required_permission = DOSSIERS_RECEIVE  # type: ignore[attr-defined]

Officer = Annotated[DossierOfficer, Depends(_dossier_officer)]
Receiver = Annotated[DossierOfficer, Depends(_receiver)]
