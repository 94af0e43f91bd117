"""LiveIndex: a plain scan answers while the real index builds in its thread; changes made
meanwhile are replayed; after the swap the real index answers with marks."""

from __future__ import annotations

import threading

from kefu.kb.index import LiveIndex
from kefu.kb.records import KbDocument
from kefu.kb.search import Document, SearchIndex


def doc(i: int, title: str, body: str = "", visibility: str = "internal") -> KbDocument:
    return KbDocument(id=i, title=title, body=body, keywords=(), category=1,
                      updated_at=1.7e9, visibility=visibility)


class Slow(SearchIndex):
    """Waits for the test before indexing anything."""

    go = threading.Event()

    def add(self, d: Document) -> None:
        Slow.go.wait(10)
        super().add(d)


def test_scan_while_building_then_real_index() -> None:
    Slow.go.clear()
    ix = LiveIndex(Slow)
    ix.start([doc(1, "退货流程", "七天无理由退货"), doc(2, "营业时间")], [["退货", "退钱"]], [])
    assert ix.building
    found = ix.find("退货")
    assert found.building and [h.id for h in found.hits] == [1]
    assert found.hits[0].title_html == "退货流程"              # no marks from a scan
    assert ix.find("tuihuo").hits == []                         # nor pinyin
    ix.update(doc(3, "退货运费", "运费", visibility="public"))    # queued for the real index
    ix.remove(2)
    ix.set_views(3, 5)
    assert [h.id for h in ix.find("退货", public_only=True).hits] == [3]
    assert ix.similar(1, 5) == []
    Slow.go.set()
    assert ix.thread is not None
    ix.thread.join(10)
    assert not ix.building
    found = ix.find("tuihuo")
    assert not found.building and {h.id for h in found.hits} == {1, 3}
    assert ix.find("营业").total == 0
    assert {h.id for h in ix.find("退钱").hits} == {1, 3}          # the synonyms applied
    assert ix.find("退货流程").hits[0].title_html == "<mark>退货流程</mark>"
    assert [h.id for h in ix.similar(1, 5)] == [3]


def test_many_threads_one_lock() -> None:
    ix = LiveIndex()
    ix.start([doc(i, f"退货流程 {i}", "退货") for i in range(1, 21)])
    assert ix.thread is not None
    ix.thread.join(30)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for k in range(20):
                ix.update(doc(100 + n * 20 + k, f"运费说明 {n} {k}", "运费"))
                ix.find("yunfei", prefix=True)
                ix.find("退货")
        except BaseException as e:  # pragma: no cover - the failure is the assert below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert ix.find("运费", limit=200).total == 80
    assert ix.find("退货", limit=200).total == 20


def test_a_bad_synonym_group_never_stops_a_build() -> None:
    ix = LiveIndex()
    ix.start([doc(1, "邮件设置", "email")], [["e-mail", "邮件"], ["邮件", "电邮"]])
    assert ix.thread is not None
    ix.thread.join(30)
    assert not ix.building
    assert [h.id for h in ix.find("电邮").hits] == [1]
