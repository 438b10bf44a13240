import base64

from ivr.caller import decode_caller


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_plain_caller_id():
    caller = decode_caller(b64("13800138000"), b64("Zhang San"))
    assert caller.number == "13800138000"
    assert caller.name == "Zhang San"


def test_newline_quotes_and_length_are_neutralised():
    caller = decode_caller(b64('138\n00"138000'), b64('evil"\nname\r\n' + "x" * 300))
    assert caller.number == "13800138000"
    assert "\n" not in caller.name and "\r" not in caller.name
    assert len(caller.name) <= 64
    assert "\n" not in caller.raw


def test_garbage_base64_gives_empty_not_crash():
    caller = decode_caller("%%%not base64", None, fallback_number="")
    assert caller.number == ""


def test_env_number_is_the_fallback():
    assert decode_caller(None, None, fallback_number="+86 579 8890").number == "+865798890"
