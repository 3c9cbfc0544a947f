"""schemathesis hooks of ``api_conformance.py``: which bearer token each operation is sent with.

A medical facility's system token for the check-in and FHIR routes (they serve exactly one
facility), a level-2 citizen's access token of the provider for the portal's routes, the
province-wide service token with every permission for everything else."""

from __future__ import annotations

import os
import re
from typing import Any

import schemathesis

FACILITY_ROUTES = re.compile(r"^/api/v1/health/(checkins|fhir)")
CITIZEN_ROUTES = re.compile(r"^/api/v1/portal/")


@schemathesis.auth(refresh_interval=None)
class Tokens:
    def get(self, case: Any, context: Any) -> dict[str, str]:
        return {
            "facility": os.environ["ONCEGOV_CONFORMANCE_FACILITY_TOKEN"],
            "province": os.environ["ONCEGOV_CONFORMANCE_TOKEN"],
            "citizen": os.environ["ONCEGOV_CONFORMANCE_CITIZEN_TOKEN"],
        }

    def set(self, case: Any, data: dict[str, str], context: Any) -> None:
        path = case.operation.path
        if FACILITY_ROUTES.match(path):
            token = data["facility"]
        elif CITIZEN_ROUTES.match(path):
            token = data["citizen"]
        else:
            token = data["province"]
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"
