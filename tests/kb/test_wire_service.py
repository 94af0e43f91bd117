"""The service with the real index on both backends: the admins' vocabulary applied on start
(reindex, built in the background) and views lifting an article's rank."""

from __future__ import annotations

from kbkit import TZ, Kit
from kefu.kb.index import LiveIndex
from kefu.kb.service import Kb


def _publish(kit: Kit, kb: Kb, cat: int, title: str, body: str) -> int:
    a = kb.create(kit.who["agent"], category_id=cat, title=title, body=body, submit=True)
    kb.approve(kit.who["supervisor"], a.id, 1)
    return a.id


def _ready(kb: Kb) -> None:
    assert isinstance(kb.index, LiveIndex) and kb.index.thread is not None
    kb.index.thread.join(30)
    assert not kb.index.building


def test_vocabulary_applied_on_start_and_views_rank(kit: Kit, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = kit.who
    kb = Kb(kit.store.db, files_dir=tmp_path / "kb", clock=kit.clock, tz=TZ)
    cat = kb.create_category(w["admin"], "售后").id
    first = _publish(kit, kb, cat, "退款规则一", "退款说明")
    second = _publish(kit, kb, cat, "退款规则二", "退款说明")
    kb.set_synonyms(w["admin"], [["退款", "退钱"]])
    for _ in range(3):
        kb.view(w["agent"], second)
    assert [h.id for h in kb.search(w["agent"], "退款")] == [second, first]   # popularity

    again = Kb(kit.store.db, files_dir=tmp_path / "kb", clock=kit.clock, tz=TZ)
    assert again.reindex() == 2
    _ready(again)
    hits = again.search(w["agent"], "退钱")
    assert [h.id for h in hits] == [second, first]      # synonyms and views from the tables
    assert hits[0].title_html == "<mark>退款</mark>规则二"
