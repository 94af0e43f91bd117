"""The search index's mechanics: highlights, filters, incremental add/update/remove,
compaction, synonyms changed live, the analyzer's folding and Markdown text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.kb.search import Document, SearchIndex, Weights, fold, mark, plain
from kefu.kb.search.text import tokens

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def doc(i: object, title: str, body: str = "", **kw: object) -> Document:
    kw.setdefault("updated_at", NOW)
    return Document(i, title, body, **kw)  # type: ignore[arg-type]


def ids(ix: SearchIndex, q: str, **kw: object) -> list[object]:
    return [h.id for h in ix.search(q, now=NOW, **kw).hits]  # type: ignore[arg-type]


def test_fold_keeps_length_and_folds_script_width_case() -> None:
    assert fold("發票ＡＢＣ１２") == "发票abc12"
    assert len(fold("退貨與退款 Refund")) == len("退貨與退款 Refund")


def test_plain_drops_markup_keeps_words() -> None:
    md = "# 退货\n\n点击**申请退货**，见[帮助](https://x.invalid/a)。\n\n![截图](a.png)\n\n```\ncode 1\n```"
    assert plain(md) == "退货\n点击申请退货，见帮助。\n截图\ncode 1"


def test_tokens_search_mode_and_stems() -> None:
    terms = [t.term for t in tokens(fold("中华人民共和国 Refunds shipped"))]
    assert {"中华", "人民", "共和国", "中华人民共和国", "refund", "ship"} <= set(terms)


def test_highlights_title_and_snippet_in_original_text() -> None:
    ix = SearchIndex()
    body = "前言。" * 30 + "请在订单页申请退貨，运费 < 10 元时不要直接寄回。"
    ix.add(doc(1, "退貨 & 退款 <說明>", body))
    hit = ix.search("退货", now=NOW).hits[0]
    assert hit.title_spans == [(0, 2)]
    assert mark(hit.title, hit.title_spans) == "<mark>退貨</mark> &amp; 退款 &lt;說明&gt;"
    # the snippet starts 30 characters before the first match in the body
    start = body.index("退貨")
    assert hit.snippet == body[start - 30 : start - 30 + 120]
    assert hit.snippet_spans == [(30, 32)]
    assert "<mark>退貨</mark>，运费 &lt; 10 元" in mark(hit.snippet, hit.snippet_spans)


def test_highlights_english_stems_and_typed_prefix() -> None:
    ix = SearchIndex()
    ix.add(doc(1, "Refunds and returns", "We refunded the order; refunding takes days."))
    hit = ix.search("refund", now=NOW).hits[0]
    assert hit.title_spans == [(0, 7)]
    assert hit.snippet_spans == [(3, 11), (23, 32)]
    typed = ix.search("retu", now=NOW, prefix=True).hits[0]
    assert typed.title_spans == [(12, 19)]


def test_category_and_visibility_filters() -> None:
    ix = SearchIndex()
    ix.add(doc("a", "退货政策", category="售后", visibility="public"))
    ix.add(doc("b", "退货地址", category="物流"))
    ix.add(doc("c", "退货运费", category=None, visibility="public"))
    assert sorted(ids(ix, "退货")) == ["a", "b", "c"]
    assert ids(ix, "退货", categories=["物流"]) == ["b"]
    assert sorted(ids(ix, "退货", categories=["售后", "物流"])) == ["a", "b"]
    assert ids(ix, "退货", categories=[None]) == ["c"]
    assert ids(ix, "退货", categories=["no such"]) == []
    assert sorted(ids(ix, "退货", public_only=True)) == ["a", "c"]
    assert ids(ix, "退货", categories=["物流"], public_only=True) == []
    assert ix.search("退货", now=NOW, limit=1).total == 3


def test_update_replaces_and_remove_drops_without_rebuild() -> None:
    ix = SearchIndex()
    ix.add(doc(1, "发票开具", "电子发票"))
    ix.add(doc(2, "退货流程", "申请退货"))
    assert ids(ix, "发票") == [1]
    ix.update(doc(1, "换货流程", "申请换货"))
    assert len(ix) == 2
    assert ids(ix, "发票") == []
    assert ids(ix, "换货") == [1]
    assert sorted(ids(ix, "流程")) == [1, 2]
    assert ix.remove(2) is True
    assert ix.remove(2) is False
    assert ids(ix, "退货") == [] and ids(ix, "流程") == [1]
    assert 2 not in ix and len(ix) == 1


def test_df_follows_updates_so_scores_match_a_fresh_index() -> None:
    """An index that saw updates scores exactly like one built from the final documents."""
    final = [doc(i, f"退款说明{i}", "退款到账" * (i + 1), updated_at=NOW - timedelta(days=i)) for i in range(5)]
    churned = SearchIndex()
    for i in range(5):
        churned.add(doc(i, "旧标题", "发票 退款"))
    churned.add(doc(99, "临时", "退款"))
    churned.remove(99)
    for d in final:
        churned.update(d)
    churned.compact()
    fresh = SearchIndex()
    for d in final:
        fresh.add(d)
    a = [(h.id, round(h.score, 5)) for h in churned.search("退款", now=NOW).hits]
    b = [(h.id, round(h.score, 5)) for h in fresh.search("退款", now=NOW).hits]
    assert a == b and len(a) == 5
    assert churned.search("发票", now=NOW).total == 0


def test_compaction_runs_by_itself_after_many_updates() -> None:
    ix = SearchIndex()
    for i in range(50):
        ix.add(doc(i, "退货", "退款 " * 10))
    postings = ix._postings
    for _ in range(3000):  # 3,000 updates × 2 terms = 6,000 dead postings: under the 50,000 floor
        ix.update(doc(7, "退货", "退款"))
    assert ix._dead_postings == 3000 * 2  # below the floor: kept, skipped by the scoring
    assert ids(ix, "退货", limit=100).count(7) == 1
    ix.compact()
    assert ix._dead_postings == 0 and ix._postings == postings
    assert len(ix._docs[ix.vocab.ids["退货"]]) == 50


def test_synonyms_change_live_and_bad_groups_refused() -> None:
    ix = SearchIndex()
    ix.add(doc(1, "退款到账时间"))
    assert ids(ix, "退钱") == []
    ix.set_synonyms([["退款", "退钱"]])
    assert ids(ix, "退钱") == [1]
    with pytest.raises(ValueError, match="one word"):
        ix.set_synonyms([["refund", "money back"]])
    with pytest.raises(ValueError, match="two words"):
        ix.set_synonyms([["退款"]])
    assert ids(ix, "退钱") == [1]  # a refused change left the groups as they were
    ix.set_synonyms([])
    assert ids(ix, "退钱") == []


def test_freshness_and_popularity_weights() -> None:
    """Same text: the boost alone orders them, by the documented formula."""
    w = Weights()
    ix = SearchIndex(w)
    ix.add(doc("old", "退货", updated_at=NOW - timedelta(days=180), views=0))
    ix.add(doc("new", "退货", updated_at=NOW, views=0))
    ix.add(doc("popular", "退货", updated_at=NOW - timedelta(days=180), views=99))
    hits = {h.id: h.score for h in ix.search("退货", now=NOW).hits}
    # boost: 1 + 0.2 × 0.5^(age/180) + 0.3 × log(1+views)/log(1+99)
    assert hits["new"] / hits["old"] == pytest.approx((1 + 0.2) / (1 + 0.1), rel=1e-5)
    assert hits["popular"] / hits["old"] == pytest.approx((1 + 0.1 + 0.3) / (1 + 0.1), rel=1e-5)
    ix.set_views("old", 99)
    assert ix.search("退货", now=NOW).hits[0].score == pytest.approx(hits["popular"], rel=1e-5)


def test_bm25_by_hand() -> None:
    """Two documents, one query word: the score is BM25 with the title weighted 3."""
    import math

    ix = SearchIndex(Weights(freshness=0, popularity=0))
    ix.add(doc(1, "退货", "说明"))  # tf 3 (title), length 3 + 1 = 4
    ix.add(doc(2, "规则", "退货 说明 发票"))  # tf 1, length 3 + 3 = 6
    avg = 5.0
    idf = math.log(1 + (2 - 2 + 0.5) / (2 + 0.5))

    def bm25(tf: float, length: float) -> float:
        return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))

    hits = {h.id: h.score for h in ix.search("退货", now=NOW).hits}
    assert hits[1] == pytest.approx(bm25(3, 4), rel=1e-5)
    assert hits[2] == pytest.approx(bm25(1, 6), rel=1e-5)


def test_bad_input_refused() -> None:
    ix = SearchIndex()
    with pytest.raises(ValueError):
        ix.add(doc(1, "x", visibility="secret"))
    with pytest.raises(ValueError):
        ix.search("x", limit=0)
    assert ix.search("   ", now=NOW).total == 0
    assert ix.search("退货", now=NOW).total == 0
