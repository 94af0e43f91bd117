"""Call detail records, filtered and paged, for supervisors, QA and admins."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, BeforeValidator, Field

from kefu.store import Cdr
from kefu.users.service import User

from ..deps import MAX_INT, StoreDep, require_roles

router = APIRouter(tags=["calls"])


def to_epoch(value: object) -> object:
    """ISO 8601 (naive means UTC) or epoch seconds -> epoch seconds."""
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    try:
        epoch = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(epoch):
            raise ValueError("must be a finite number of epoch seconds")
        return epoch
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be ISO 8601 (2026-01-31T08:00:00Z) or epoch seconds") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


Epoch = Annotated[float, BeforeValidator(to_epoch)]


class CallPage(BaseModel):
    items: list[Cdr] = Field(description="the store's records as they are")
    total: int
    limit: int
    offset: int


@router.get("/calls", response_model=CallPage, summary="CDRs, newest first")
def list_calls(
    store: StoreDep,
    _user: Annotated[User, Depends(require_roles("admin", "supervisor", "qa"))],
    number: Annotated[str | None, Query(max_length=255,
                                        description="caller or callee")] = None,
    since: Annotated[Epoch | None, Query(description="start at or after; ISO 8601 or epoch")] = None,
    until: Annotated[Epoch | None, Query(description="start before; ISO 8601 or epoch")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> CallPage:
    items, total = store.list_calls(number=number or None, since=since, until=until,
                                    limit=limit, offset=offset)
    return CallPage(items=list(items), total=total, limit=limit,
                    offset=offset)
