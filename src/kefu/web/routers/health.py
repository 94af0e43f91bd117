"""Liveness for load balancers and the admin page: no auth, cheap, never raises."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kefu import __version__

from ..deps import CtxDep
from ..views import HealthOut

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/health", summary="Service health and live PBX figures",
            responses={200: {"model": HealthOut}, 503: {"model": HealthOut, "description": "The database does not answer (the same body, "
                                            "with status and database error)"}})
async def health(ctx: CtxDep) -> JSONResponse:
    """200 when the database answers, 503 otherwise; live figures from ``status()``.

    Async so that ``status()`` runs on the event loop, where PBX state lives; the database
    ping goes to a worker thread.
    """
    db_ok = await run_in_threadpool(ctx.store.ping)
    extra: dict[str, Any] = {}
    if ctx.status is not None:
        try:
            extra = dict(ctx.status())
        except Exception:
            log.exception("status() failed")
            extra = {"pbx": "error"}
    body = {**extra, "status": "ok" if db_ok else "error", "version": __version__,
            "database": "ok" if db_ok else "error"}
    return JSONResponse(body, status_code=200 if db_ok else 503)
