"""What a menu's prompt says a key stands for (the ``said`` of ``ivr.choice``)."""

from __future__ import annotations

import pytest

from kefu.ivr.flow import Menu
from kefu.ivr.phrase import choice_phrase


@pytest.mark.parametrize(("prompt", "key", "said"), [
    ("查询账单请按1，人工服务请按0。", "1", "查询账单"),
    ("查询账单请按1，人工服务请按0。", "0", "人工服务"),
    ("按1听余额，按2输入订单号。", "2", "输入订单号"),
    ("如需人工服务请按0", "0", "人工服务"),
    ("请按 1 号键办理退货", "1", "退货"),
    ("返回请按星号键", "*", "返回"),
    ("结束请按#", "#", "结束"),
    ("您好${name}，售后请按1", "1", "售后"),
    ("For billing, press 1. For support, press 2.", "2", "support"),
    ("Press 1 for sales, press 2 for support.", "2", "support"),
    ("Say billing or press 1", "1", "billing"),
    ("For the operator say operator or press 2.", "2", "the operator"),
    ("退货请说退货或者按1", "1", "退货"),
    ("中文请按1，English press 2", "2", "English"),
    ("Press 1 for sales, press 2", "2", ""),       # the clause before offers another key
    ("按11退出", "1", ""),                           # 11 is not 1
    ("请输入订单号", "1", ""),
])
def test_choice_phrase(prompt: str, key: str, said: str) -> None:
    assert choice_phrase(prompt, key) == said


def test_a_menu_says_by_its_words_else_by_its_prompt() -> None:
    menu = Menu.model_validate({"type": "menu", "prompt": "退货请按1，其他请按2",
                                "choices": {"1": "a", "2": "b", "3": "c"},
                                "words": {"退款": "3", "其他问题": "2"}})
    assert [menu.said(k) for k in "123"] == ["退货", "其他问题", "退款"]
    recorded = Menu.model_validate({"type": "menu", "prompt": {"file": "main.wav"},
                                    "choices": {"1": "a"}})
    assert recorded.said("1") == ""
