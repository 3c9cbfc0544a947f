"""The audit chain's public page: the keys that sign its checkpoints (``/audit/jwks.json``).

The inspectors' pages and API (browse, filter, verify) are ``monitoring.auditlog``: they need
auth, which audit never imports.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from oncegov.kit.chain_keys import published_jwks
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/audit", include_in_schema=False)


@router.get("/jwks.json")
def checkpoint_jwks() -> JSONResponse:
    """Public keys that sign the audit chain's checkpoints, so anyone holding a copy of a
    checkpoint can check it. Public: they are public keys."""
    return JSONResponse(published_jwks(), headers={"Cache-Control": "public, max-age=300"})
