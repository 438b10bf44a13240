"""The console's access log, with credentials cut out of the URLs it records.

Keys belong in headers, but a client may still put one in a query string (an old
integration, a copied link); the log, which operators ship and keep, must not hold it.
"""

from __future__ import annotations

import re

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

SECRET_PARAMS = re.compile(
    r"(?i)([?&](?:api_key|apikey|key|token|access_token|password|signature|echostr)=)[^&#]*")


def redact(path_qs: str) -> str:
    """The path and query with every credential-like parameter's value replaced."""
    return SECRET_PARAMS.sub(r"\1REDACTED", path_qs)


class RedactingAccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info('%s "%s %s HTTP/%d.%d" %d %d %.3fs', request.remote, request.method,
                         redact(request.path_qs), request.version.major,
                         request.version.minor, response.status, response.body_length, time)
