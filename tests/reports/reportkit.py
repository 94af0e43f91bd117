"""Hand-made reports for the output tests (the engine's are tested beside it)."""

from __future__ import annotations

from kefu.reports.records import Chart, Column, Report

AGENTS = Report(
    name="agent_summary", title_zh="座席话务统计报表", title_en="Agent traffic summary",
    columns=(Column("agent", "座席", "Agent"),
             Column("answered", "接听", "Answered", "int"),
             Column("missed", "未接", "Missed", "int"),
             Column("talk", "通话时长", "Talk time", "seconds"),
             Column("occupancy", "占用率", "Occupancy", "percent")),
    rows=[{"agent": "1001 张三", "answered": 40, "missed": 2, "talk": 7322, "occupancy": 0.8125},
          {"agent": "1002 李四", "answered": 25, "missed": 5, "talk": 3600, "occupancy": 0.5},
          {"agent": "1003 王五", "answered": 10, "missed": 0, "talk": 59, "occupancy": None}],
    totals={"answered": 75, "missed": 7, "talk": 10981, "occupancy": 0.66},
    charts=(Chart("pie", "接听分布", "Answered by agent", "agent", ("answered",)),
            Chart("column", "接听与未接", "Answered and missed", "agent",
                  ("answered", "missed"))),
    filters={"from": "2026-11-23", "to": "2026-11-29", "queues": ["sales", "support"],
             "business_hours": True})

INTERVALS = Report(
    name="intervals", title_zh="分时段话务量统计表", title_en="Traffic by interval",
    columns=(Column("start", "时段", "Interval", "datetime"),
             Column("offered", "呼入", "Offered", "int"),
             Column("abandoned", "放弃", "Abandoned", "int")),
    rows=[{"start": 1_764_547_200.0 + 3600 * h, "offered": 10 + 3 * h, "abandoned": h % 3}
          for h in range(8)],
    totals={"start": None, "offered": sum(10 + 3 * h for h in range(8)),
            "abandoned": sum(h % 3 for h in range(8))},
    charts=(Chart("line", "每小时呼入", "Offered per hour", "start", ("offered", "abandoned")),),
    filters={"interval": "hour"})


def big(rows: int) -> Report:
    """A detail report of ``rows`` calls with a bar chart: the streaming path."""
    return Report(
        name="extension_detail", title_zh="分机话务量统计表", title_en="Extension traffic detail",
        columns=(Column("ext", "分机", "Extension"), Column("talk", "通话", "Talk", "seconds")),
        rows=[{"ext": f"{1000 + i % 50}", "talk": i % 600} for i in range(rows)],
        charts=(Chart("bar", "通话", "Talk", "ext", ("talk",)),))
