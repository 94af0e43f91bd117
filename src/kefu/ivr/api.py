"""The IVR API under /api/v1/ivr."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/ivr", tags=["ivr"])
