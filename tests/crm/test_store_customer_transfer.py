"""Import and export of customers on SQLite and PostgreSQL: good and bad rows, a second
import updates, an interrupted import leaves whole rows only, the files' formats."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from kefu.config import CrmSettings
from kefu.crm.service import Crm
from kefu.store import Invalid, NotFound, Store
from kefu.users.service import Users

E164 = "+8613800138000"
OTHER = "+8613900139000"


@pytest.fixture
def crm_now(store: Store, users: Users) -> Crm:
    """The CRM with imports run at once in the caller, two rows a batch."""
    users.create_user("ann", "password1", "agent")
    crm = Crm(store.db, users, CrmSettings(import_batch=2, import_max_bytes=16384),
              spawn=lambda run: run())
    crm.create_field("vip_level", "VIP 等级", "choice", choices=["A", "B"])
    return crm


def _csv(rows: list[list[str]], bom: bool = True) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def _count(store: Store, table: str) -> int:
    with store._engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


FIRST = [
    ["姓名", "电话", "手机", "邮箱", "公司", "生日", "标签", "负责人", "VIP 等级", "备用"],
    ["张三", "138 0013 8000", "", "ZS@x.cn", "ACME", "1990-01-02", "vip;回访", "ann", "A", "x"],
    ["李四", "bad-number", "", "", "", "", "", "", "", ""],
    ["王五", "010-6552 9988", "13900139000", "w@x.cn; w2@x.cn", "", "", "", "", "", ""],
    ["", "", "", "", "", "", "", "", "", ""],                       # blank: not counted
    ["赵六", "", "", "", "", "1990-13-01", "", "", "", ""],
    ["钱七", "", "", "", "", "", "", "nobody", "", ""],
    ["孙八", "1001", "", "", "", "", "", "", "C", ""],
]


def test_import_good_and_bad_rows(store: Store, crm_now: Crm) -> None:
    job_id = crm_now.start_import("sue", "客户.csv", _csv(FIRST))
    job = crm_now.import_job(job_id)
    assert (job.state, job.total, job.done, job.created, job.updated, job.failed) == (
        "done", 6, 6, 2, 0, 4)
    errors = {(e.row, e.column) for e in job.errors}
    assert errors == {(1, "备用"), (3, "电话"), (6, "生日"), (7, "负责人"), (8, "VIP 等级")}
    assert "not a user" in next(e.message for e in job.errors if e.row == 7)
    assert [e.message for e in job.errors if e.row == 1] == ["unknown column, ignored"]
    [zs] = crm_now.find_customers("13800138000")
    assert (zs.name, zs.company, zs.birthday, zs.owner, zs.emails, set(zs.tags),
            zs.fields) == ("张三", "ACME", "1990-01-02", "ann", ("zs@x.cn",),
                           {"vip", "回访"}, {"vip_level": "A"})
    [ww] = crm_now.find_customers("13900139000")
    assert [(p.number, p.label) for p in ww.phones] == [("+861065529988", ""),
                                                        (OTHER, "mobile")]
    assert ww.emails == ("w@x.cn", "w2@x.cn")
    assert _count(store, "customers") == 2
    [audit] = crm_now.audit_log(action="import")
    assert audit.username == "sue" and audit.detail == {"job": job_id, "filename": "客户.csv",
                                                        "rows": 6}


def test_a_second_import_updates(store: Store, crm_now: Crm) -> None:
    crm_now.start_import("sue", "a.csv", _csv(FIRST))
    again = [["name", "phone", "email", "tags", "company"],
             ["张三 (new)", "+86 138-0013-8000; 13700137000", "other@x.cn", "新", ""],
             ["nobody", "13900139000;13800138000", "", "", ""],          # two customers
             ["new one", "13600136000", "", "", "NEWCO"]]
    job = crm_now.import_job(crm_now.start_import("sue", "b.csv", _csv(again, bom=False)))
    assert (job.state, job.created, job.updated, job.failed) == ("done", 1, 1, 1)
    [ambiguous] = job.errors
    assert (ambiguous.row, ambiguous.column) == (3, "phone")
    assert ambiguous.message.startswith("ambiguous")
    [zs] = crm_now.find_customers("13800138000")
    assert zs.name == "张三 (new)" and zs.company == "ACME"          # empty cell: kept
    assert zs.numbers == (E164, "+8613700137000")
    assert zs.emails == ("zs@x.cn", "other@x.cn") and set(zs.tags) == {"vip", "回访", "新"}
    assert _count(store, "customers") == 3


def test_an_interrupted_import_leaves_whole_rows(store: Store, crm_now: Crm,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The third row's write fails mid-batch (rows 3-4): the first batch is in, whole;
    nothing of the second; the job says failed and how far it got."""
    write = Crm._write
    calls = []

    def failing(s, row, data, now):  # type: ignore[no-untyped-def]
        calls.append(row.id)
        write(s, row, data, now)
        if len(calls) == 3:
            raise OSError("disk gone")

    monkeypatch.setattr(Crm, "_write", staticmethod(failing))
    rows = [["姓名", "电话", "邮箱"]] + [[f"c{i}", f"1380013800{i}", f"c{i}@x.cn"]
                                       for i in range(6)]
    job = crm_now.import_job(crm_now.start_import("sue", "c.csv", _csv(rows)))
    assert (job.state, job.done, job.created) == ("failed", 2, 2)
    assert job.errors[-1].row == 4
    assert _count(store, "customers") == 2 and _count(store, "customer_numbers") == 2
    assert _count(store, "customer_emails") == 2
    assert [c.name for c in crm_now.search_customers()[0]] == ["c0", "c1"]
    assert all(c.numbers and c.emails for c in crm_now.search_customers()[0])


def test_a_stop_fails_running_jobs(store: Store, users: Users) -> None:
    crm = Crm(store.db, users, spawn=lambda run: None)        # the thread never runs
    job_id = crm.start_import("sue", "d.csv", _csv([["name"], ["a"]]))
    assert crm.import_job(job_id).state == "running"
    assert crm.fail_stale_imports() == 1
    job = crm.import_job(job_id)
    assert job.state == "failed" and job.finished_at and job.errors[-1].row == 2
    with pytest.raises(NotFound):
        crm.import_job(job_id + 1)


def test_import_xlsx(crm_now: Crm) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone 1", "Phone 2", "Birthday", "vip_level"])
    sheet.append(["Excel", 13800138000, "13900139000", dt.datetime(1991, 5, 6), "B"])
    out = io.BytesIO()
    book.save(out)
    job = crm_now.import_job(crm_now.start_import("sue", "x.xlsx", out.getvalue()))
    assert (job.state, job.created, job.failed) == ("done", 1, 0), job.errors
    [c] = crm_now.find_customers(OTHER)
    assert (c.name, c.numbers, c.birthday, c.fields) == (
        "Excel", (E164, OTHER), "1991-05-06", {"vip_level": "B"})


@pytest.mark.parametrize("filename,data,reason", [
    ("a.csv", "姓名\n张三\n".encode("gbk"), "UTF-8"),
    ("a.xlsx", b"PK not really", "xlsx"),
    ("a.csv", b"", "empty"),
    ("a.csv", _csv([["公司", "备注"], ["ACME", "x"]]), "姓名/name"),
    ("a.csv", b"name\n" + b"x\n" * 9000, "larger"),
])
def test_files_refused(store: Store, crm_now: Crm, filename: str, data: bytes,
                       reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        crm_now.start_import("sue", filename, data)
    assert _count(store, "crm_imports") == 0 and _count(store, "customers") == 0


# ---------------------------------------------------------------------- export

def test_export_csv_is_formula_safe_and_imports_back(store: Store, crm_now: Crm) -> None:
    crm_now.create_customer("13800138000", name="=HYPERLINK(\"x\")", company="ACME",
                            tags=["vip"], emails=["a@x.cn"], fields={"vip_level": "A"})
    crm_now.create_customer("13900139000", name="@other", company="Other")
    data, count = crm_now.export("sue", "csv", company="ACME")
    assert count == 1 and data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "姓名", "电话"] and rows[0][-1] == "vip_level"
    assert rows[1][1] == "'=HYPERLINK(\"x\")" and rows[1][2] == E164
    assert rows[1][-1] == "A" and len(rows) == 2
    [audit] = crm_now.audit_log(action="export")
    assert audit.detail == {"format": "csv", "q": "", "company": "ACME", "count": 1}
    job = crm_now.import_job(crm_now.start_import("sue", "back.csv", data))
    assert (job.created, job.updated, job.failed) == (0, 1, 0)
    assert _count(store, "customers") == 2


def test_export_xlsx(crm_now: Crm) -> None:
    crm_now.create_customer("13800138000", name="=1+1", birthday="1990-01-02")
    data, count = crm_now.export("sue", "xlsx")
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert count == 1 and rows[1][1] == "=1+1" and rows[1][5] == "1990-01-02"
    with pytest.raises(Invalid):
        crm_now.export("sue", "pdf")
