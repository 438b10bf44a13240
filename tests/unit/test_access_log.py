"""Credentials never reach the access log, whatever URL a client used."""

import logging

from aiohttp.test_utils import make_mocked_request
from aiohttp.web import Response

from hotline.web.access_log import RedactingAccessLogger, redact


def test_keys_tokens_and_signatures_in_a_query_are_redacted():
    assert redact("/metrics?api_key=hk_secret") == "/metrics?api_key=REDACTED"
    assert redact("/hooks/wechat?timestamp=1&signature=abc&nonce=n") == \
        "/hooks/wechat?timestamp=1&signature=REDACTED&nonce=n"
    assert redact("/open311/v2/requests.json?status=open") == \
        "/open311/v2/requests.json?status=open"


def test_the_access_log_line_holds_the_request_but_not_the_key(caplog):
    logger = logging.getLogger("test.access")
    access = RedactingAccessLogger(logger, "")
    request = make_mocked_request("GET", "/metrics?API_KEY=hk_live_123&x=1")
    with caplog.at_level(logging.INFO, logger="test.access"):
        access.log(request, Response(status=401), 0.01)
    [line] = [r.getMessage() for r in caplog.records]
    assert "GET /metrics?API_KEY=REDACTED&x=1" in line and " 401 " in line
    assert "hk_live_123" not in line
