"""Scheduled reports over HTTP (``/report-schedules``), for supervisors and admins.

Bad input is a 422 with every reason at once (the service's one check); a schedule while
the reports engine or the mail server is missing is a 409 saying which (a setting to make
first, not a passing outage).  ``send-now``
mails the report for the period as of today at once and answers the delivery row (a
failed one included: the reason is in it).  The reports slice's second HTTP adapter
beside ``api.py`` (see ``tests/test_slices.py``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from kefu.users.service import User
from kefu.web.deps import MAX_INT, ReportSchedulesDep, require_roles

from .schemas import DeliveryOut, ScheduleIn, ScheduleOut, SchedulePatch

router = APIRouter(prefix="/report-schedules", tags=["reports"])

Boss = Annotated[User, Depends(require_roles("supervisor", "admin"))]
Id = Annotated[int, Path(ge=1, le=MAX_INT)]



@router.get("", response_model=list[ScheduleOut])
def list_schedules(service: ReportSchedulesDep, _user: Boss) -> list[ScheduleOut]:
    return [ScheduleOut.of(s) for s in service.all()]


@router.post("", response_model=ScheduleOut, status_code=status.HTTP_201_CREATED)
def create_schedule(body: ScheduleIn, service: ReportSchedulesDep, user: Boss) -> ScheduleOut:
    return ScheduleOut.of(service.create(user, **body.model_dump()))


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
    return DeliveryOut.of(service.send_now(schedule_id))
