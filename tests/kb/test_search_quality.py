"""Search quality as a table of cases (issue 17): what a query must find, and in which order.

One small corpus of articles written like a shop's support base, Chinese and English,
some in traditional characters.  Each case names the query and the ids that must come
first, in order (``top``), or the ids that must be found / must not be (``has``, ``not``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.kb.search import Document, SearchIndex
from kefu.kb.search.text import tokens

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _doc(i: str, title: str, body: str, kw: tuple[str, ...] = (), cat: str = "售后", age: int = 30,
         views: int = 10, vis: str = "internal") -> Document:
    return Document(i, title, body, kw, cat, NOW - timedelta(days=age), views, vis)  # type: ignore[arg-type]


CORPUS = [
    _doc("return", "如何申请退货", "在**我的订单**中找到商品，点击“申请退货”，填写退货原因并上传照片。", ("退货", "售后")),
    _doc("refund-time", "退款多久到账", "退款审核通过后，一般在3个工作日内原路返回到支付账户。", ("退款",)),
    _doc("exchange", "换货流程说明", "商品质量问题可在七天内申请换货，快递费由商家承担。", ("换货",)),
    _doc("invoice", "發票開錯了怎麼辦", "請聯繫客服重新開具發票，電子發票會發送到您的郵箱。", ("發票",), cat="财务"),
    _doc("logistics", "快递物流查询", "在订单详情页查看物流信息，或拨打快递公司电话。", ("物流", "快递"), cat="物流"),
    _doc("band", "小米手环无法同步", "小米手环连接手机后无法同步数据时，请重启蓝牙并更新应用。", ("手环",), cat="产品"),
    _doc("password", "忘记密码怎么办", "在登录页点击忘记密码，通过手机验证码重置密码。", ("密码", "登录"), cat="账户"),
    _doc("en-refund", "How to request a refund", "Open your order and choose *Request refund*. Refunds are "
         "processed within three business days.", ("refund",), cat="billing", vis="public"),
    _doc("en-shipping", "Shipping times and delivery", "Orders ship within 24 hours. Delivery takes two to five "
         "days depending on the carrier.", ("shipping", "delivery"), cat="logistics", vis="public"),
    _doc("en-password", "Resetting your password", "Click *Forgot password* on the sign-in page and follow the "
         "link we send to your email.", ("password",), cat="account", vis="public"),
    # two answers to the same question: the fresher and more viewed should win
    _doc("refund-old", "退款到账时间（旧）", "退款到账时间说明：退款通常需要7个工作日。", ("退款",), age=900, views=1),
    _doc("refund-new", "退款到账时间", "退款到账时间说明：退款通常需要3个工作日。", ("退款",), age=5, views=500),
    # the word in the title counts more than the same word deep in a long body
    _doc("coupon", "优惠券使用规则", "优惠券在结算页自动抵扣，每个订单限用一张。", ("优惠券",), cat="营销"),
    _doc("points", "积分规则", "积分可以在结算时抵扣现金，积分的有效期为一年；积分不能与部分活动同时使用，"
         "例如某些满减活动、秒杀活动，以及优惠券叠加的情况下，请以页面提示为准。", ("积分",), cat="营销"),
]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    ix = SearchIndex()
    for doc in CORPUS:
        ix.add(doc)
    ix.set_synonyms([["退款", "退钱"], ["快递", "物流"], ["refund", "reimburse"]])
    return ix


CASES = [
    # (name, query, options, expectation)
    ("segmentation: word inside a sentence", "退货", {}, {"top": ["return"]}),
    ("segmentation: a question", "退货要怎么申请", {}, {"top": ["return"]}),
    ("segmentation: 优惠 is not 优惠券's own word", "优惠券", {}, {"top": ["coupon", "points"]}),
    ("pinyin full", "tuihuo", {}, {"top": ["return"]}),
    ("pinyin full, two words", "tuikuan daozhang", {}, {"has": ["refund-time", "refund-new"], "not": ["return"]}),
    ("pinyin initials", "th", {}, {"top": ["return"]}),
    ("pinyin initials of a longer word", "yhq", {}, {"top": ["coupon", "points"]}),
    ("pinyin run together", "tuikuanduojiu", {}, {"top": ["refund-time"]}),
    ("pinyin initials run together", "tkdz", {}, {"has": ["refund-time", "refund-new"], "not": ["return"]}),
    ("pinyin run together, typing", "tuihuoshen", {"prefix": True}, {"top": ["return"]}),
    ("run together but no such words", "qqqqzzzz", {}, {"top": []}),
    ("run together: single syllables are not words", "youge", {}, {"top": []}),
    ("typo: homophone characters", "推货", {}, {"top": ["return"]}),
    ("typo: English letter dropped", "pasword", {}, {"top": ["en-password"]}),
    ("typo: English letters swapped", "shpiping", {}, {"top": ["en-shipping"]}),
    ("synonym: 退钱 finds 退款", "退钱", {}, {"has": ["refund-time", "refund-new", "refund-old"], "not": ["return"]}),
    ("synonym: English", "reimburse", {}, {"top": ["en-refund"]}),
    ("synonym: 快递 = 物流", "物流", {}, {"has": ["logistics", "exchange"]}),
    ("traditional document, simplified query", "发票开错", {}, {"top": ["invoice"]}),
    ("traditional query", "退貨", {}, {"top": ["return"]}),
    ("English stem: plural and -ing", "refunding", {}, {"top": ["en-refund"]}),
    ("English stem: shipped → ship", "shipped", {}, {"top": ["en-shipping"]}),
    ("full-width letters", "ｒｅｆｕｎｄ", {}, {"top": ["en-refund"]}),
    ("ranking: fresher and more viewed first", "退款到账时间", {}, {"top": ["refund-new", "refund-old"]}),
    ("ranking: title beats body", "优惠券", {}, {"top": ["coupon"]}),
    ("ranking: all words beat some", "忘记密码", {}, {"top": ["password"]}),
    ("mixed Chinese and English", "password 密码", {}, {"has": ["password", "en-password"]}),
    ("prefix: a partial Chinese word", "退", {"prefix": True}, {"has": ["return", "refund-time"]}),
    ("prefix: partial pinyin", "tuih", {"prefix": True}, {"top": ["return"]}),
    ("prefix: partial English", "passw", {"prefix": True}, {"top": ["en-password"]}),
    ("prefix off: a partial word is no word", "passw", {}, {"top": []}),
    ("category filter", "退款", {"categories": ["billing"]}, {"top": []}),
    ("category filter, English", "refund", {"categories": ["billing"]}, {"top": ["en-refund"]}),
    ("public only", "password 密码", {"public_only": True}, {"top": ["en-password"]}),
    ("nothing", "天气预报", {}, {"top": []}),
]


@pytest.mark.parametrize(("name", "query", "options", "expect"), CASES, ids=[c[0] for c in CASES])
def test_quality(index: SearchIndex, name: str, query: str, options: dict, expect: dict) -> None:
    found = [h.id for h in index.search(query, now=NOW, limit=20, **options).hits]
    if "top" in expect:
        top = expect["top"]
        assert found[: len(top)] == top, f"{name}: {query!r} found {found}"
        if not top:
            assert found == []
    for doc_id in expect.get("has", []):
        assert doc_id in found, f"{name}: {query!r} found {found}"
    for doc_id in expect.get("not", []):
        assert doc_id not in found, f"{name}: {query!r} found {found}"


def test_product_name_dictionary() -> None:
    """Before the product name is a word, 手环 alone finds a band article only through its
    parts; after ``add_words`` the name is one term and a query for it ranks that article."""
    ix = SearchIndex()
    ix.add(_doc("band", "华米手环说明", "华米手环支持心率监测。"))
    ix.add(_doc("other", "米粉活动", "华为手机和小米手机的活动说明。"))
    assert ix.add_words(["华米手环"]) == 1
    assert "华米手环" in [t.term for t in tokens("华米手环")]
    hits = ix.search("华米手环", now=NOW).hits
    assert [h.id for h in hits][:1] == ["band"]
    assert hits[0].title_spans[0] == (0, 4)
