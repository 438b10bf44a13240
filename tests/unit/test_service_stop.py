"""`hotline run` stops in reverse order, and a step that hangs cannot hold the others up."""

import asyncio

from hotline import service as service_module
from hotline.config import load_config
from hotline.service import HotlineService


def a_service(tmp_path) -> HotlineService:
    return HotlineService(load_config(env={"HOTLINE_STATE_DIR": str(tmp_path)}))


async def test_steps_stop_in_reverse_order_and_a_failing_one_does_not_stop_the_rest(tmp_path):
    svc, stopped = a_service(tmp_path), []

    async def stop(name: str) -> None:
        stopped.append(name)
        if name == "acd":
            raise RuntimeError("AMI already gone")

    for name in ("case store", "acd", "web"):
        svc.on_stop(name, lambda n=name: stop(n))
    svc.on_stop("speech", lambda: stopped.append("speech"), sync=True)
    await svc.stop()
    assert stopped == ["speech", "web", "acd", "case store"]


async def test_a_step_that_ignores_its_cancellation_is_left_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(service_module, "STOP_STEP_S", 0.2)
    svc, stopped, release = a_service(tmp_path), [], asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                continue  # a step that swallows cancellation: wait_for would wait for ever

    async def quick() -> None:
        stopped.append("case store")

    svc.on_stop("case store", quick)
    svc.on_stop("web", stubborn)
    stopping = asyncio.ensure_future(svc.stop())
    done, _ = await asyncio.wait({stopping}, timeout=2)
    release.set()  # let the stubborn step end either way, so the test never hangs
    assert done and stopped == ["case store"]
