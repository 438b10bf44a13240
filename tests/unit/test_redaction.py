"""What the public sees of a citizen's request: the problem, not the person."""

import pytest

from case_store.redaction import redact_personal


@pytest.mark.parametrize("said,hidden", [
    ("路灯坏了，电话13812340123", "13812340123"),
    ("请回电 138 1234 0123 谢谢", "138 1234 0123"),
    ("联系我+86 138-1234-0123", "138-1234-0123"),
    ("座机0579-82345678", "82345678"),
    ("打82345678找我", "82345678"),
    ("身份证330702199001011234办社保", "330702199001011234"),
    ("我的身份证是33070219900101123X", "33070219900101123X"),
    ("邮箱wang.lei@example.com", "wang.lei@example.com"),
    ("我叫王小明，小区停水了", "王小明"),
    ("我姓李，门口井盖丢了", "我姓李"),
    ("联系人：张三", "张三"),
    ("李先生反映噪音扰民", "李先生"),
])
def test_personal_data_is_hidden(said, hidden):
    shown = redact_personal(said)
    assert hidden not in shown
    assert "***" in shown or "某" in shown


def test_the_problem_itself_stays_readable():
    said = "金华市婺城区八一南街路灯坏了3天了，晚上很黑"
    assert redact_personal(said) == said
