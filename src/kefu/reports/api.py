"""The reports' HTTP API: the list, a report as JSON, CSV and Excel (.xlsx).  Who may
run what is the service's rule (:mod:`kefu.reports.service`): a refusal is a 403 with its reason, a
bad filter a 422, an unknown report a 404."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Callable, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status

from kefu.users.service import User
from kefu.web.deps import ReportsDep, require_roles

from . import excel
from .records import Report
from .schemas import ReportEntryOut, ReportOut
from .service import Refused, to_csv

router = APIRouter(prefix="/reports", tags=["reports"])

Caller = Annotated[User, Depends(require_roles("agent", "supervisor", "admin"))]
Name = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$")]
Text = Annotated[str | None, Query(max_length=4000)]


def _params(from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
            to: Annotated[str | None, Query(max_length=40)] = None,
            queues: Text = None, agents: Text = None, groups: Text = None,
            extensions: Text = None,
            business_hours: Annotated[str | None, Query(max_length=20)] = None,
            weekdays: Annotated[str | None, Query(max_length=20)] = None,
            interval: Annotated[str | None, Query(max_length=10)] = None
            ) -> dict[str, str | None]:
    """The filters (docs/kpis.md, "Filters"): checked by the service, a 422 with a reason."""
    return {"from": from_, "to": to, "queues": queues, "agents": agents, "groups": groups,
            "extensions": extensions, "business_hours": business_hours,
            "weekdays": weekdays, "interval": interval}


Params = Annotated[dict[str, str | None], Depends(_params)]


def _run(do: Callable[[], Report]) -> Report:
    try:
        return do()
    except Refused as e:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(e)) from None
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report") from None


@router.get("", response_model=list[ReportEntryOut],
            summary="The reports the caller may run, with the filters each reads")
def list_reports(service: ReportsDep, user: Caller) -> list[ReportEntryOut]:
    return [ReportEntryOut(name=e.name, title_zh=e.title_zh, title_en=e.title_en,
                           filters=list(e.filters)) for e in service.catalog(user.role)]


@router.get("/{name}.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}},
            summary="A report as CSV (labels in Chinese, lang=en: English)")
def report_csv(name: Name, service: ReportsDep, user: Caller, params: Params,
               lang: Literal["zh", "en"] = "zh") -> Response:
    report = _run(lambda: service.run(name, params, user.username, user.role))
    # a BOM: Excel opens UTF-8 CSV (the Chinese labels) right only with one
    return Response("\ufeff" + to_csv(report, lang), media_type="text/csv; charset=utf-8",
                    headers=_attachment(f"{report.title_zh if lang == 'zh' else report.name}.csv",
                                        f"{report.name}.csv"))


@router.get("/{name}.xlsx", response_class=Response,
            responses={200: {"content": {excel.MIME: {}}}},
            summary="A report as an Excel file with native charts (labels in Chinese, "
                    "lang=en: English); the file a scheduled delivery mails")
def report_xlsx(name: Name, service: ReportsDep, user: Caller, params: Params,
                lang: Literal["zh", "en"] = "zh") -> Response:
    report = _run(lambda: service.run(name, params, user.username, user.role))
    made = datetime.fromtimestamp(service.clock(), service.tz)
    data = excel.to_bytes(report, lang=lang, tz=service.tz, made_at=made)
    return Response(data, media_type=excel.MIME,
                    headers=_attachment(excel.filename(report, lang, made.date()),
                                        excel.filename(report, "en", made.date())))


def _attachment(filename: str, ascii_name: str) -> dict[str, str]:
    """Content-Disposition of a download: ``filename`` in UTF-8 (RFC 5987: the Chinese
    titles), ``ascii_name`` for a client without it (it must hold no quote)."""
    return {"Content-Disposition": f'attachment; filename="{ascii_name}"; '
                                   f"filename*=UTF-8''{quote(filename)}"}


@router.get("/{name}", response_model=ReportOut, summary="A report: columns, rows (drill: the row's detail), totals, "
                               "charts and the filters it was made with")
def report_json(name: Name, service: ReportsDep, user: Caller,
                params: Params) -> ReportOut:
    return ReportOut.model_validate(asdict(_run(lambda: service.run(
        name, params, user.username, user.role))))
