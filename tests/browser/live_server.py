"""The real web app (or the whole `hotline run`) served from its own thread and event loop,
so blocking Selenium calls in a test never stall the server they talk to."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from hotline.service import HotlineService
from tests.integration.web_support import WebStack, build_stack, close_stack


class LiveServer:
    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stack: WebStack = self.run(build_stack(url))

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    @property
    def base(self) -> str:
        return self.stack.base

    def close(self) -> None:
        self.run(close_stack(self.stack))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class ServiceThread:
    """`hotline run` (Asterisk link, ACD, IVR, web) in its own thread and loop."""

    def __init__(self, cfg) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.service = HotlineService(cfg)
        self.run(self.service.start())
        self.run(asyncio.wait_for(self.service.ami.connected.wait(), 10))

    @property
    def base(self) -> str:
        return f"http://{self.service.cfg.web_host}:{self.service.cfg.web_port}"

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 60.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine on the service's loop without waiting (a concurrent future)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        self.run(self.service.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
