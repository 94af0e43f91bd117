"""The seven reports of the seed and the KPI overview, each a function from a session and
what was asked to a :class:`~kefu.reports.records.Report`.  The figures come from :mod:`kefu.reports.kpis`
over sums of the summary tables (the CDRs and the event log for the detail reports);
a summary row links to its detail (``drill``: the detail report with the row's filter)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, tzinfo
from typing import Any, Callable
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from . import queries as q
from .filters import Filters, bucket, keeps
from .fold import ABANDON_BUCKETS, COMPLETIONS, COUNTS, HANDLE_BUCKETS, MAXIMA, SECONDS, labels
from .kpis import derive
from .outside import OUTSIDE, Outside
from .records import Chart, Column, Report

PREFIX = "/api/v1/reports"


@dataclass(frozen=True)
class Asked:
    """A report's request once the caller's scope is applied: ``queues`` (empty: all),
    ``agents`` (None: all), the zone and the filters as given; ``outside``: the
    tickets and CRM services the KPI overview reads."""

    filters: Filters
    queues: tuple[str, ...]
    agents: tuple[str, ...] | None
    tz: tzinfo | None
    outside: Outside = field(default_factory=Outside)
    daily: bool = False     # the range is whole local days that report_days holds

    def link(self, name: str, **params: str) -> str:
        """The URL of report ``name`` over the same range with these filters."""
        return f"{PREFIX}/{name}?{self._base}&" + urlencode(params)

    @cached_property
    def _base(self) -> str:
        f = self.filters
        base = {"from": _iso(f.start, self.tz), "to": _iso(f.end, self.tz)}
        if f.hours is not None:
            base["business_hours"] = self.described()["business_hours"]
        if f.weekdays:
            base["weekdays"] = ",".join(map(str, f.weekdays))
        return urlencode(base)

    def described(self) -> dict[str, Any]:
        return self.filters.describe(self.tz)


def _iso(ts: float, tz: tzinfo | None) -> str:
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="minutes")


def col(key: str, zh: str, en: str, kind: str = "int") -> Column:
    return Column(key, zh, en, kind)  # type: ignore[arg-type]


MEASURES = COUNTS + SECONDS + MAXIMA


def _add(into: dict[str, Any], row: dict[str, Any]) -> None:
    for m in MEASURES:
        v = row.get(m) or 0
        into[m] = max(into.get(m, 0), v) if m in MAXIMA else into.get(m, 0) + v


def _summed(s: Session, ask: Asked, by: tuple[str, ...], agent_time: bool = False,
            label: Callable[[dict[str, Any]], Any] | None = None) -> dict[Any, dict[str, Any]]:
    """Measures summed per ``by`` (or per ``label(row)`` over the rows grouped by
    interval too, when the rows must be cut by local time or bucketed): from the daily
    rollup when nothing finer than a day is asked, else the 15-minute facts."""
    f = ask.filters
    per_agent = "agent" in by
    days = ask.daily and f.hours is None and (label is None or f.interval in ("day", "weekday"))
    table = q.DAYS if days else q.F
    where = q.fact_where(f.start, f.end, ask.queues, ask.agents if per_agent else None,
                         per_agent, agent_time, table)
    needs_interval = f.by_time or label is not None
    hours = (fixed_offset(ask.tz, f.start, f.end)
             if label is not None and f.interval == "hour" and f.hours is None else None)
    rows = q.sums(s, where, by + (("interval",) if needs_interval else ()), table, hours)
    out: dict[Any, dict[str, Any]] = {}
    for row in rows:
        if needs_interval and not keeps(f, row["interval"], ask.tz):
            continue
        key = label(row) if label is not None else tuple(row[b] for b in by)
        acc = out.get(key)
        if acc is None:
            out[key] = {m: row[m] or 0 for m in MEASURES}
        else:
            _add(acc, row)
    return out


def fixed_offset(tz: tzinfo | None, start: float, end: float) -> int | None:
    """The zone's offset from UTC in seconds if it is the same all through [start, end)
    (checked at each day's start and the end: no change of clocks inside), else None."""
    offsets = {int(datetime.fromtimestamp(ts, tz).astimezone(tz)  # None: the server's zone
                   .utcoffset().total_seconds())  # type: ignore[union-attr]
               for ts in [*range(int(start), int(end), 86400), end - 1]}
    return offsets.pop() if len(offsets) == 1 else None


def _total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for row in rows:
        _add(total, row)
    return derive(total)


# --- 3. 分时段话务量统计表: traffic by interval -------------------------------------------------
INTERVAL_COLUMNS = (
    col("period", "时段", "Period", "text"), col("offered", "呼入量", "Offered"),
    col("answered", "接通", "Answered"), col("abandoned", "放弃", "Abandoned"),
    col("short_abandoned", "短时放弃", "Short abandons"),
    col("overflowed", "溢出", "Overflowed"),
    col("callbacks_requested", "预约回呼", "Callbacks requested"),
    col("service_level", "服务水平", "Service level", "percent"),
    col("answer_rate", "接通率", "Answer rate", "percent"),
    col("asa", "平均应答速度", "ASA", "seconds"),
    col("max_wait", "最长等待", "Longest wait", "seconds"),
    col("aht", "平均处理时长", "AHT", "seconds"))


def traffic_by_interval(s: Session, ask: Asked) -> Report:
    grain = ask.filters.interval
    sums = _summed(s, ask, (), label=lambda r: bucket(grain, r["interval"], ask.tz))
    rows = [{"period": k, **derive(v)} for k, v in sorted(sums.items())]
    for row in rows:
        if grain in ("15m", "hour", "day"):
            row["drill"] = ask.link("abandon", interval=grain)
    return Report("traffic_by_interval", "分时段话务量统计表", "Traffic by interval",
                  INTERVAL_COLUMNS, rows, _total(rows),
                  (Chart("line", "话务量", "Calls", "period",
                         ("offered", "answered", "abandoned")),
                   Chart("column", "服务水平", "Service level", "period", ("service_level",))),
                  ask.described())


# --- 4. 座席话务统计报表: agent traffic summary ---------------------------------------------------
AGENT_COLUMNS = (
    col("agent", "座席", "Agent", "text"),
    col("agent_offered", "分配", "Offered"), col("agent_answered", "接听", "Answered"),
    col("ring_no_answer", "未接", "Missed"), col("rejected", "拒接", "Rejected"),
    col("outbound", "外呼", "Outbound"),
    col("transfers", "转接", "Transfers"), col("consults", "咨询", "Consultations"),
    col("callbacks_made", "回呼", "Callbacks made"),
    col("talk", "通话时长", "Talk time", "seconds"), col("hold", "保持时长", "Hold time", "seconds"),
    col("wrap_up", "话后处理", "Wrap-up", "seconds"),
    col("aht", "平均处理时长", "AHT", "seconds"),
    col("login", "登录时长", "Logged in", "seconds"),
    col("ready", "就绪时长", "Ready", "seconds"), col("paused", "小休时长", "Paused", "seconds"),
    col("occupancy", "占用率", "Occupancy", "percent"),
    col("utilisation", "利用率", "Utilisation", "percent"),
    col("csat", "满意度", "CSAT", "float"))


def agent_summary(s: Session, ask: Asked) -> Report:
    sums = _summed(s, ask, ("agent",), agent_time=True)
    pauses: dict[str, dict[str, float]] = defaultdict(dict)
    for c in q.counts(s, "pause", ask.filters.start, ask.filters.end, ask.agents or ()):
        pauses[c["key"]][c["sub"]] = pauses[c["key"]].get(c["sub"], 0.0) + c["seconds"]
    reasons = sorted({r for p in pauses.values() for r in p})
    rows = []
    for (agent,), v in sorted(sums.items()):
        if not agent:
            continue
        row = {"agent": agent, **derive(v),
               "drill": ask.link("agent_detail", agents=agent)}
        for r in reasons:
            row[f"pause:{r}"] = round(pauses.get(agent, {}).get(r, 0.0), 1)
        rows.append(row)
    total = _total(rows)
    for r in reasons:
        total[f"pause:{r}"] = round(sum(row[f"pause:{r}"] for row in rows), 1)
    columns = AGENT_COLUMNS + tuple(col(f"pause:{r}", f"小休:{r}", f"Paused: {r}", "seconds")
                                    for r in reasons)
    return Report("agent_summary", "座席话务统计报表", "Agent traffic summary", columns, rows,
                  total, (Chart("bar", "接听量", "Calls answered", "agent", ("agent_answered",)),
                          Chart("pie", "通话时长", "Talk time", "agent", ("talk",)),
                          Chart("column", "占用率", "Occupancy", "agent", ("occupancy",))),
                  ask.described())


# --- 6. 座席平均服务时间统计表: average service time -------------------------------------------------
HANDLES = labels(HANDLE_BUCKETS)
_MINUTES = {f"<={b}": f"≤{b // 60}" for b in HANDLE_BUCKETS} | {
    f">{HANDLE_BUCKETS[-1]}": f">{HANDLE_BUCKETS[-1] // 60}"}
SERVICE_COLUMNS = (
    col("agent", "座席", "Agent", "text"), col("queue", "队列", "Queue", "text"),
    col("handled", "处理量", "Handled"), col("avg_talk", "平均通话", "Avg talk", "seconds"),
    col("avg_hold", "平均保持", "Avg hold", "seconds"),
    col("avg_wrap_up", "平均话后处理", "Avg wrap-up", "seconds"),
    col("aht", "平均处理时长", "AHT", "seconds"),
    *(col(f"handle{b}", f"处理{_MINUTES[b]}分钟", f"Handled in {_MINUTES[b]} min")
      for b in HANDLES))


def service_time(s: Session, ask: Asked) -> Report:
    """Per agent and queue: the averages, and how many calls fell in each bar of the
    handle-time histogram (talk + hold + wrap-up of each call, ``report_counts``)."""
    f = ask.filters
    sums = _summed(s, ask, ("agent", "queue"))
    bars: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for c in q.counts(s, "handle", f.start, f.end, ask.agents or (), by_interval=f.by_time):
        queue, _, bar = str(c["sub"]).rpartition(" ")
        if (ask.queues and queue not in ask.queues) or \
                (f.by_time and not keeps(f, c["interval"], ask.tz)):
            continue
        cell = bars[(c["key"], queue)]
        cell[bar] = cell.get(bar, 0) + int(c["n"])
    rows = [{"agent": a, "queue": qn, **derive(v),
             **{f"handle{b}": bars.get((a, qn), {}).get(b, 0) for b in HANDLES},
             "drill": ask.link("agent_detail", agents=a, queues=qn)}
            for (a, qn), v in sorted(sums.items()) if a and qn and v.get("handled")]
    total = _total(rows)
    total.update({f"handle{b}": sum(r[f"handle{b}"] for r in rows) for b in HANDLES})
    return Report("service_time", "座席平均服务时间统计表", "Average service time",
                  SERVICE_COLUMNS, rows, total,
                  (Chart("bar", "平均处理时长", "AHT", "agent",
                         ("avg_talk", "avg_hold", "avg_wrap_up")),
                   Chart("column", "处理时长分布", "Handle-time distribution", "agent",
                         tuple(f"handle{b}" for b in HANDLES))), ask.described())


# --- 7. 用户放弃率统计表: caller abandon rate --------------------------------------------------------
BUCKETS = labels(ABANDON_BUCKETS)
ABANDON_COLUMNS = (
    col("queue", "队列", "Queue", "text"), col("period", "时段", "Period", "text"),
    col("offered", "呼入量", "Offered"), col("abandoned", "放弃", "Abandoned"),
    col("short_abandoned", "短时放弃", "Short abandons"),
    col("abandon_rate", "放弃率", "Abandon rate", "percent"),
    col("avg_abandon_wait", "放弃前平均等待", "Avg wait to abandon", "seconds"),
    col("max_wait", "最长等待", "Longest wait", "seconds"),
    *(col(f"wait{b}", f"等待{b}秒", f"Waited {b} s") for b in BUCKETS))


def abandon(s: Session, ask: Asked) -> Report:
    f, grain = ask.filters, ask.filters.interval
    sums = _summed(s, ask, ("queue",),
                   label=lambda r: (r["queue"], bucket(grain, r["interval"], ask.tz)))
    waits: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for c in q.counts(s, "abandon_wait", f.start, f.end, ask.queues, by_interval=True):
        if keeps(f, c["interval"], ask.tz):
            cell = waits[(c["key"], bucket(grain, c["interval"], ask.tz))]
            cell[c["sub"]] = cell.get(c["sub"], 0) + int(c["n"])
    rows = []
    for (queue, period), v in sorted(sums.items()):
        if not queue:
            continue
        row = {"queue": queue, "period": period, **derive(v)}
        row.update({f"wait{b}": waits.get((queue, period), {}).get(b, 0) for b in BUCKETS})
        rows.append(row)
    total = _total(rows)
    total.update({f"wait{b}": sum(r[f"wait{b}"] for r in rows) for b in BUCKETS})
    return Report("abandon", "用户放弃率统计表", "Caller abandon rate", ABANDON_COLUMNS, rows,
                  total, (Chart("line", "放弃率", "Abandon rate", "period", ("abandon_rate",)),
                          Chart("column", "放弃前等待分布", "Wait before abandon", "period",
                                tuple(f"wait{b}" for b in BUCKETS))),
                  ask.described())


# --- 8. 关键指标: the KPI overview ------------------------------------------------------------------
KPI_COLUMNS = (
    col("queue", "队列/流程", "Queue / flow", "text"),
    col("offered", "呼入量", "Offered"), col("answered", "接通", "Answered"),
    col("abandoned", "放弃", "Abandoned"), col("short_abandoned", "短时放弃", "Short abandons"),
    col("service_level", "服务水平", "Service level", "percent"),
    col("asa", "平均应答速度", "ASA", "seconds"),
    col("max_wait", "最长等待", "Longest wait", "seconds"),
    col("abandon_rate", "放弃率", "Abandon rate", "percent"),
    col("overflowed", "溢出", "Overflowed"), col("aht", "平均处理时长", "AHT", "seconds"),
    col("transfers", "转接", "Transfers"), col("consults", "咨询", "Consultations"),
    col("callbacks_requested", "预约回呼", "Callbacks requested"),
    col("callbacks_made", "已回呼", "Callbacks made"),
    col("callbacks_connected", "回呼接通", "Callbacks connected"),
    col("callbacks_failed", "回呼失败", "Callbacks failed"),
    col("surveys", "评价数", "Surveys"), col("csat", "满意度", "CSAT", "float"),
    col("fcr", "首次解决率", "First-contact resolution", "percent"),
    col("tickets_opened", "新建工单", "Tickets opened"),
    col("tickets_closed", "已结工单", "Tickets closed"),
    col("tickets_overdue", "超时工单", "Tickets overdue"),
    col("complaints", "投诉", "Complaints"),
    col("occupancy", "占用率", "Occupancy", "percent"),
    col("utilisation", "利用率", "Utilisation", "percent"),
    col("ivr_started", "IVR进入", "IVR started"),
    col("ivr_completion", "IVR完成率", "IVR completion", "percent"),
    col("ivr_dropped", "IVR挂机", "IVR drop-outs"),
    col("drop_points", "挂机节点", "Drop-out points", "text"))
IVR_ROW = "IVR "            # an IVR flow's row: its name after this


def _counted(s: Session, ask: Asked, kind: str) -> list[dict[str, Any]]:
    """``report_counts`` of ``kind`` in the range, kept by the time-of-day filters."""
    f = ask.filters
    return [c for c in q.counts(s, kind, f.start, f.end, by_interval=f.by_time)
            if not f.by_time or keeps(f, c["interval"], ask.tz)]


def _ivr_rows(s: Session, ask: Asked) -> list[dict[str, Any]]:
    """One row per IVR flow: started, completion, drop-outs and where (node × count)."""
    flows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"ivr_started": 0, "ivr_completed": 0, "ivr_dropped": 0, "points": {}})
    for c in _counted(s, ask, "ivr_start"):
        flows[c["key"]]["ivr_started"] += int(c["n"])
    for c in _counted(s, ask, "ivr_exit"):
        if c["sub"] in COMPLETIONS:
            flows[c["key"]]["ivr_completed"] += int(c["n"])
    for c in _counted(s, ask, "ivr_drop"):
        flow = flows[c["key"]]
        flow["ivr_dropped"] += int(c["n"])
        flow["points"][c["sub"]] = flow["points"].get(c["sub"], 0) + int(c["n"])
    rows = []
    for name, v in sorted(flows.items()):
        points = sorted(v.pop("points").items(), key=lambda p: (-p[1], p[0]))
        rows.append({"queue": IVR_ROW + name, **v,
                     "ivr_completion": derive(v)["ivr_completion"],
                     "drop_points": ", ".join(f"{node} {n}" for node, n in points)})
    return rows


def kpis(s: Session, ask: Asked) -> Report:
    """Every KPI of docs/kpis.md for the range: a row per queue (calls, handling,
    callbacks, surveys, first-contact resolution, tickets and complaints), a row per IVR
    flow when no queue is asked for, and the totals with the agents' occupancy (of the
    queues' agents when a supervisor's scope or groups name them, else every agent's)."""
    f = ask.filters
    sums = _summed(s, ask, ("queue",))
    for queue, extra in ask.outside.by_queue(f.start, f.end).items():
        if not ask.queues or queue in ask.queues:
            _add_outside(sums.setdefault((queue,), {}), extra)
    rows = [{"queue": queue or "-", **derive(v), "occupancy": None, "utilisation": None}
            for (queue,), v in sorted(sums.items())
            if queue or any(v.get(m) for m in OUTSIDE)]      # agents' time has no queue
    for row in rows:
        if row["queue"] != "-":
            row["drill"] = ask.link("traffic_by_interval", queues=row["queue"])
    total = _total(rows)
    for m in OUTSIDE:
        total[m] = sum(r.get(m) or 0 for r in rows)
    total = derive(total)
    agents = _total(list(_summed(s, ask, ("agent",), agent_time=True).values()))
    total.update({k: agents[k] for k in ("occupancy", "utilisation")})
    if not ask.queues:
        ivr = _ivr_rows(s, ask)
        rows += ivr
        started = sum(r["ivr_started"] for r in ivr)
        done = sum(r["ivr_completed"] for r in ivr)
        total.update(ivr_started=started, ivr_completed=done,
                     ivr_dropped=sum(r["ivr_dropped"] for r in ivr),
                     ivr_completion=derive({"ivr_started": started,
                                            "ivr_completed": done})["ivr_completion"])
    return Report("kpis", "关键指标", "KPI overview", KPI_COLUMNS, rows, total,
                  (Chart("column", "服务水平与放弃率", "Service level and abandon rate",
                         "queue", ("service_level", "abandon_rate")),
                   Chart("pie", "呼入量", "Offered", "queue", ("offered",))),
                  ask.described())


def _add_outside(into: dict[str, Any], extra: dict[str, int]) -> None:
    for m, v in extra.items():
        into[m] = into.get(m, 0) + v


# --- 5. 座席话务统计详细表: agent traffic detail -------------------------------------------------
DETAIL_COLUMNS = (
    col("time", "时间", "Time", "datetime"), col("agent", "座席", "Agent", "text"),
    col("what", "事件", "What", "text"), col("queue", "队列", "Queue", "text"),
    col("call_id", "通话", "Call", "text"), col("detail", "说明", "Detail", "text"),
    col("seconds", "时长", "Seconds", "seconds"))


def agent_detail(s: Session, ask: Asked) -> Report:
    rows: list[dict[str, Any]] = []
    wanted = set(ask.agents) if ask.agents is not None else None
    for e in q.agent_events(s, ask.filters.start, ask.filters.end):
        d = e.data or {}
        agent = str(d.get("agent") or "")
        if not agent or (wanted is not None and agent not in wanted):
            continue
        queue = str(d.get("queue") or "")
        if ask.queues and queue and queue not in ask.queues:
            continue
        if not keeps(ask.filters, e.ts, ask.tz):
            continue
        what, detail, secs = e.type.partition(".")[2], "", None
        if e.type == "agent.state":
            what, detail = "state", f"{d.get('previous')} → {d.get('state')} {d.get('reason') or ''}".strip()
        elif e.type == "queue.connect":
            secs, detail = d.get("wait"), str(d.get("caller") or "")
        elif e.type == "queue.complete":
            secs, detail = d.get("talk"), f"by {d.get('by') or ''}"
        elif e.type == "queue.ring_no_answer":
            detail = f"{d.get('code')} {d.get('reason') or ''}"
        rows.append({"time": _iso(e.ts, ask.tz), "agent": agent, "what": what, "queue": queue,
                     "call_id": e.call_id or "", "detail": detail, "seconds": secs})
        if len(rows) >= q.DETAIL_LIMIT:
            break
    return Report("agent_detail", "座席话务统计详细表", "Agent traffic detail", DETAIL_COLUMNS,
                  rows, None, (), {**ask.described(), "truncated": len(rows) >= q.DETAIL_LIMIT})


# --- 1. 分机话务量总统计表 and 2. 分机话务量统计表: extensions ---------------------------------------
EXT_COLUMNS = (
    col("extension", "分机", "Extension", "text"), col("calls_in", "呼入", "Calls in"),
    col("calls_out", "呼出", "Calls out"), col("internal", "内部", "Internal"),
    col("answered", "接听", "Answered"), col("missed", "未接", "Missed"),
    col("talk", "通话时长", "Talk time", "seconds"))


def _numbers(s: Session, ask: Asked) -> list[str]:
    known = q.extensions(s)
    return [n for n in known if n in ask.filters.extensions] if ask.filters.extensions \
        else known


def extension_summary(s: Session, ask: Asked) -> Report:
    f = ask.filters
    traffic = q.extension_traffic(s, f.start, f.end, _numbers(s, ask))
    rows = [{**traffic[n], "talk": round(traffic[n]["talk"], 1),
             "drill": ask.link("extension_detail", extensions=n)} for n in sorted(traffic)]
    keys = ("calls_in", "calls_out", "internal", "answered", "missed", "talk")
    total = {k: sum(r[k] for r in rows) for k in keys}
    return Report("extension_summary", "分机话务量总统计表", "Extension traffic summary",
                  EXT_COLUMNS, rows, total,
                  (Chart("column", "分机话务量", "Calls per extension", "extension",
                         ("calls_in", "calls_out", "internal")),
                   Chart("pie", "通话时长", "Talk time", "extension", ("talk",))),
                  ask.described())


CDR_COLUMNS = (
    col("start", "开始时间", "Start", "datetime"), col("caller", "主叫", "Caller", "text"),
    col("callee", "被叫", "Callee", "text"), col("answered", "接听时间", "Answered", "datetime"),
    col("duration", "通话时长", "Duration", "seconds"),
    col("disposition", "结果", "Disposition", "text"),
    col("hangup_by", "挂断方", "Hung up by", "text"), col("call_id", "通话", "Call", "text"))


def extension_detail(s: Session, ask: Asked) -> Report:
    f = ask.filters
    numbers = list(f.extensions)
    rows = []
    for c in q.cdrs(s, f.start, f.end, numbers):
        if not keeps(f, c.start_ts, ask.tz):
            continue
        rows.append({"start": _iso(c.start_ts, ask.tz), "caller": c.caller,
                     "callee": c.callee,
                     "answered": _iso(c.answer_ts, ask.tz) if c.answer_ts else "",
                     "duration": round(c.duration, 1), "disposition": c.disposition or "",
                     "hangup_by": c.hangup_by or "", "call_id": c.call_id})
    truncated = len(rows) > q.DETAIL_LIMIT
    return Report("extension_detail", "分机话务量统计表", "Extension traffic detail",
                  CDR_COLUMNS, rows[:q.DETAIL_LIMIT], None, (),
                  {**ask.described(), "truncated": truncated})


@dataclass(frozen=True)
class Entry:
    """A report in the list: its function, whose it is (``agent``: agents may run it for
    themselves), the filters it reads, and ``members``: whether it needs the agents of
    the queues asked for (their time, as the agent reports do) without being one."""

    name: str
    title_zh: str
    title_en: str
    run: Callable[[Session, Asked], Report]
    filters: tuple[str, ...]
    agent: bool = False
    members: bool = False


COMMON = ("from", "to", "business_hours", "weekdays")
CATALOG: dict[str, Entry] = {e.name: e for e in (
    Entry("extension_summary", "分机话务量总统计表", "Extension traffic summary",
          extension_summary, COMMON + ("extensions",)),
    Entry("extension_detail", "分机话务量统计表", "Extension traffic detail", extension_detail,
          COMMON + ("extensions",)),
    Entry("traffic_by_interval", "分时段话务量统计表", "Traffic by interval",
          traffic_by_interval, COMMON + ("queues", "groups", "interval")),
    Entry("agent_summary", "座席话务统计报表", "Agent traffic summary", agent_summary,
          COMMON + ("queues", "groups", "agents"), agent=True),
    Entry("agent_detail", "座席话务统计详细表", "Agent traffic detail", agent_detail,
          COMMON + ("queues", "groups", "agents"), agent=True),
    Entry("service_time", "座席平均服务时间统计表", "Average service time", service_time,
          COMMON + ("queues", "groups", "agents"), agent=True),
    Entry("abandon", "用户放弃率统计表", "Caller abandon rate", abandon,
          COMMON + ("queues", "groups", "interval")),
    Entry("kpis", "关键指标", "KPI overview", kpis, COMMON + ("queues", "groups"),
          members=True),
)}
