"""JSON API for relying-party management (administrators, permission ``oidc.manage``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from oncegov.auth.dependencies import require
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.identity.oidc import service
from oncegov.identity.oidc.schemas import ClientForm, ClientView, NewClient
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/oidc", tags=["OpenID Connect"])
Manager = Annotated[Authorized, Depends(require("oidc.manage"))]


@router.get("/clients")
def list_clients(db: DbSession, manager: Manager) -> list[ClientView]:
    return service.list_clients(db)


@router.post("/clients", status_code=201)
def register_client(db: DbSession, manager: Manager, form: ClientForm) -> NewClient:
    """Register a relying party; the secret in the answer is shown this once only."""
    return service.register_client(db, form, manager.actor("api"))
