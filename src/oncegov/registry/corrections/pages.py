"""Pages for correction requests (filled in by the correction-requests work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
