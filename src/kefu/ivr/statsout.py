"""The IVR statistics' response bodies (``GET /ivr/stats``): :mod:`kefu.ivr.stats`'
figures as typed models."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from .reports import Report
from .stats import Bucket, Figures

StatsInterval = Literal["15m", "hour", "day"]  # kefu.ivr.stats.INTERVALS (a test keeps them equal)


class NamedCount(BaseModel):
    name: str
    count: int


class NodeStatsOut(BaseModel):
    node: str
    type: str
    entered: int = Field(description="times the node was entered (a loop counts each time)")
    calls: int = Field(description="walks that entered it at least once")
    invalid: int
    timeouts: int
    hangups: int = Field(description="callers who hung up here")
    lookup_errors: int


class ChoiceOut(BaseModel):
    node: str = Field(description="the menu")
    key: str
    to: str
    count: int


class FiguresOut(BaseModel):
    entered: int = Field(description="walks that reached the flow (started, sent or called there)")
    ended: int = Field(description="walks that left the IVR in this interval")
    self_served: int = Field(description="ended inside the IVR: hangup node, end of the flow, "
                                         "voicemail, back to the agent, or a caller hang-up "
                                         "after the data was stored")
    completion_rate: float | None = Field(description="self_served / ended (null: none ended)")
    to_queue: int
    transferred: int
    caller_hangups: int
    refused: int = Field(description="hand-offs the queue or number refused (the walk went on)")
    errors: int
    invalid: int
    timeouts: int
    lookups: int
    lookup_errors: int
    surveys: int = Field(description="survey scores given")
    survey_average: float | None
    surveys_unanswered: int
    queues: list[NamedCount] = Field(description="hand-offs per queue")
    exits: list[NamedCount] = Field(description="walks per exit reason")

    @staticmethod
    def fields(f: Figures) -> dict[str, object]:
        counts = {n: getattr(f, n) for n in FiguresOut.model_fields
                  if isinstance(getattr(f, n, None), int)}
        return {**counts, "completion_rate": f.completion_rate,
                "survey_average": f.survey_average,
                "queues": [NamedCount(name=k, count=v) for k, v in sorted(f.queues.items())],
                "exits": [NamedCount(name=k, count=v) for k, v in sorted(f.exits.items())]}


class FlowFiguresOut(FiguresOut):
    flow: str
    nodes: list[NodeStatsOut] = Field(description="by entries, most first")
    choices: list[ChoiceOut]

    @classmethod
    def of(cls, name: str, f: Figures) -> FlowFiguresOut:
        nodes = sorted(f.nodes.items(), key=lambda kv: (-kv[1].entered, kv[0]))
        return cls(flow=name, **cls.fields(f),  # type: ignore[arg-type]
                   nodes=[NodeStatsOut(node=k, **vars(n)) for k, n in nodes],
                   choices=[ChoiceOut(node=n, key=k, to=t, count=c)
                            for (n, k, t), c in sorted(f.choices.items())])


class IntervalOut(BaseModel):
    start: float
    end: float
    label: str = Field(description="the start in the server's local time, ISO 8601")
    total: FiguresOut = Field(description="every flow together (each walk once); with flow, that flow's")
    flows: list[FlowFiguresOut]

    @classmethod
    def of(cls, b: Bucket) -> IntervalOut:
        return cls(start=b.start, end=b.end,
                   label=dt.datetime.fromtimestamp(b.start).astimezone().isoformat(timespec="minutes"),
                   total=FiguresOut(**FiguresOut.fields(b.total)),  # type: ignore[arg-type]
                   flows=[FlowFiguresOut.of(n, f) for n, f in sorted(b.flows.items())])


class StatsOut(BaseModel):
    start: float
    end: float
    interval: StatsInterval
    flow: str | None
    timezone: str = Field(description="the server's time zone the intervals are in")
    intervals: list[IntervalOut] = Field(description="those with events, oldest first")
    whole: IntervalOut = Field(description="the whole range")

    @classmethod
    def of(cls, r: Report) -> StatsOut:
        return cls(start=r.start, end=r.end, interval=r.interval, flow=r.flow, timezone=r.zone,
                   intervals=[IntervalOut.of(b) for b in r.intervals], whole=IntervalOut.of(r.whole))
