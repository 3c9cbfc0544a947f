"""The citizen's "Who accessed my data" page (filled in by the access-page work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
