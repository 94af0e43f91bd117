"""The API's one error shape, declared in the OpenAPI schema: a 422 is always FastAPI's
validation list (``{"detail": [{"loc", "msg", "type"}]}``), whoever raised it; every other
error status is ``{"detail": "<reason>"}`` (:class:`Error`), declared once for every route
in ``ERRORS``.  A route that documents an error status of its own names ``Error`` as its
model (a route's ``responses`` replace the router's per status)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel


class Error(BaseModel):
    """Every error but 422: what went wrong, in words."""

    detail: str


_ERROR_STATUSES = {
    400: "The body could not be read",
    401: "No valid bearer token",
    403: "Not allowed for your role, or not your own call, agent or line",
    404: "No such call, agent, queue, extension, customer or number",
    409: "Conflicts with the current state (of the call, the agent, the store)",
    413: "Too large (call-attached data, an uploaded file)",
    415: "An uploaded file's content is of no allowed type, or empty",
    429: "Too many attempts: wait as Retry-After says",
    503: "A service (database, call control, ACD) is not running",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Error, "description": text} for code, text in _ERROR_STATUSES.items()}
"""The error statuses of the API's routes, declared once (not /health's: its 503 is its
own body)."""


def error_response(status_code: int, reason: Any, headers: dict[str, str] | None = None
                   ) -> JSONResponse:
    """The one error shape: a 422 with a reason becomes a one-item validation list."""
    if status_code == 422 and not isinstance(reason, list):
        reason = [{"loc": ["body"], "msg": str(reason), "type": "value_error"}]
    return JSONResponse({"detail": reason}, status_code=status_code, headers=headers)
