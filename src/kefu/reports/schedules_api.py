"""Scheduled reports over HTTP (``/report-schedules``), for supervisors and admins.

Bad input is a 422 with every reason at once (the service's one check); a schedule while
the reports engine or the mail server is missing is a 503 saying which.  ``send-now``
mails the report for the period as of today at once and answers the delivery row (a
failed one included: the reason is in it).  The reports slice's second HTTP adapter
beside ``api.py`` (see ``tests/test_slices.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from kefu.users.service import User
from kefu.web.deps import MAX_INT, ReportSchedulesDep, require_roles

from .schedule import MAX_RECIPIENTS, Delivery, Schedule, Unavailable

router = APIRouter(prefix="/report-schedules", tags=["reports"])

Boss = Annotated[User, Depends(require_roles("supervisor", "admin"))]
Id = Annotated[int, Path(ge=1, le=MAX_INT)]
T = TypeVar("T")

ReportName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$",
                                  description="the report's id, e.g. agent_summary")]
Period = Literal["yesterday", "last_week", "last_month"]
Frequency = Literal["daily", "weekly", "monthly"]
At = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                          description="time of day HH:MM in [reports] timezone")]
Weekday = Annotated[int, Field(ge=0, le=6, description="weekly: 0 Monday … 6 Sunday")]
Day = Annotated[int, Field(ge=1, le=28, description="monthly: the day of the month")]
Email = Annotated[str, Field(min_length=3, max_length=254)]
Recipients = Annotated[list[Email], Field(min_length=1, max_length=MAX_RECIPIENTS)]
Filters = Annotated[dict[str, Any], Field(description="the report's filters (queues, "
                                                      "agents …); from/to come from the period")]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report: ReportName
    filters: Filters = {}
    period: Period
    frequency: Frequency
    at: At
    weekday: Weekday | None = None
    day: Day | None = None
    recipients: Recipients
    lang: Literal["zh", "en"] = "zh"
    enabled: bool = True


class SchedulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report: ReportName | None = None
    filters: Filters | None = None
    period: Period | None = None
    frequency: Frequency | None = None
    at: At | None = None
    weekday: Weekday | None = None
    day: Day | None = None
    recipients: Recipients | None = None
    lang: Literal["zh", "en"] | None = None
    enabled: bool | None = None


class ScheduleOut(BaseModel):
    id: int
    report: str
    filters: dict[str, Any]
    period: str
    frequency: str
    at: str
    weekday: int | None
    day: int | None
    recipients: list[str]
    lang: str
    enabled: bool
    created_by: str
    created_at: float
    updated_at: float
    next_at: float | None = Field(description="the next scheduled sending, epoch seconds")
    failing_since: float | None = Field(description="the pending slot's last failed "
                                                    "attempt (retried), if any")

    @classmethod
    def of(cls, s: Schedule) -> ScheduleOut:
        return cls(id=s.id, report=s.report, filters=s.filters, period=s.period,
                   frequency=s.frequency, at=s.at, weekday=s.weekday, day=s.day,
                   recipients=s.recipients, lang=s.lang, enabled=s.enabled,
                   created_by=s.created_by, created_at=s.created_at,
                   updated_at=s.updated_at, next_at=s.next_at, failing_since=s.failed_at)


class DeliveryOut(BaseModel):
    id: int
    schedule_id: int
    trigger: str = Field(description="schedule, or manual (send-now)")
    slot: float | None = Field(description="the scheduled time it was for (manual: none)")
    at: float
    recipients: list[str]
    ok: bool
    error: str
    size: int = Field(description="bytes of the Excel file")
    filename: str

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls.model_validate(d, from_attributes=True)


def _available(do: Callable[[], T]) -> T:
    """The service's :class:`Unavailable` as a 503 with its reason."""
    try:
        return do()
    except Unavailable as e:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(e)) from None


@router.get("", response_model=list[ScheduleOut])
def list_schedules(service: ReportSchedulesDep, _user: Boss) -> list[ScheduleOut]:
    return [ScheduleOut.of(s) for s in service.list()]


@router.post("", response_model=ScheduleOut, status_code=status.HTTP_201_CREATED)
def create_schedule(body: ScheduleIn, service: ReportSchedulesDep, user: Boss) -> ScheduleOut:
    return ScheduleOut.of(_available(lambda: service.create(user, **body.model_dump())))


@router.get("/{schedule_id}", response_model=ScheduleOut)
def get_schedule(schedule_id: Id, service: ReportSchedulesDep, _user: Boss) -> ScheduleOut:
    return ScheduleOut.of(service.get(schedule_id))


@router.patch("/{schedule_id}", response_model=ScheduleOut)
def update_schedule(schedule_id: Id, body: SchedulePatch, service: ReportSchedulesDep,
                    _user: Boss) -> ScheduleOut:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items()
               if v is not None or k in ("weekday", "day")}     # only those two clear
    return ScheduleOut.of(service.update(schedule_id, **changes))


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_schedule(schedule_id: Id, service: ReportSchedulesDep, _user: Boss) -> None:
    service.delete(schedule_id)


@router.get("/{schedule_id}/deliveries", response_model=list[DeliveryOut],
            summary="The schedule's delivery log, newest first")
def list_deliveries(schedule_id: Id, service: ReportSchedulesDep, _user: Boss,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[DeliveryOut]:
    return [DeliveryOut.of(d) for d in service.deliveries(schedule_id, limit)]


@router.post("/{schedule_id}/send-now", response_model=DeliveryOut,
             summary="Mail the report for the period as of today now (the timetable is "
                     "untouched); a failed delivery is answered too, with its reason")
def send_now(schedule_id: Id, service: ReportSchedulesDep, _user: Boss) -> DeliveryOut:
    return DeliveryOut.of(_available(lambda: service.send_now(schedule_id)))
