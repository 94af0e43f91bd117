"""The reports API's bodies and answers: the scheduled reports (``/report-schedules``),
the list of reports and a report as JSON (``/reports``: the :class:`Report` value as it
is; rows are open dicts, their keys the columns' plus ``drill``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .schedule import MAX_RECIPIENTS, Delivery, Schedule

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


class ReportEntryOut(BaseModel):
    name: str
    title_zh: str
    title_en: str
    filters: list[str]


class ColumnOut(BaseModel):
    key: str
    label_zh: str
    label_en: str
    kind: str


class ChartOut(BaseModel):
    kind: str
    title_zh: str
    title_en: str
    category: str
    values: list[str]


class ReportOut(BaseModel):
    name: str
    title_zh: str
    title_en: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None
    charts: list[ChartOut]
    filters: dict[str, Any]
