"""The ACD's AMI link: panoramisk Manager that reconnects and resyncs seats on every login.

Seat states come from DeviceStateChange events; after each (re)login the full list is
fetched with DeviceStateList, because events missed while disconnected are gone.
Listeners receive every AMI event (the ACD issue hangs its call tracking here).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from panoramisk import Manager

from acd.seat_board import SeatBoard
from acd.seat_state import seat_from_device

log = logging.getLogger(__name__)

RESYNC_RETRY_S = 1.0
CHANNELS_FRESH_S = 1.0  # a channel list this recent answers channel_up for every flight
ANSWERED_FAMILY = "hotline_cb"  # AstDB family the [callback-answered] dialplan writes
FORGET_CONTEXT = "callback-forget"  # the dialplan that deletes one such mark
EventListener = Callable[[dict], Awaitable[None] | None]


class ClosableManager(Manager):
    """panoramisk reconnects even after close(); this one stays closed when asked."""

    closing = False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closing:
            self._connected = False
            if self.pinger:
                self.pinger.cancel()
                self.pinger = None
            return
        super().connection_lost(exc)

    def connect(self, *args, **kwargs):
        if self.closing:
            return None
        return super().connect(*args, **kwargs)

    def ping(self) -> None:
        if self.protocol is not None and self._connected:
            super().ping()

    def shut(self) -> None:
        """Close for good: no reconnect, no pings."""
        self.closing = True
        self.close()


class AmiLink:
    """Connection to Asterisk's manager interface, with seat state kept on the board."""

    def __init__(self, host: str, port: int, username: str, secret: str,
                 seats: list[str], board: SeatBoard) -> None:
        self.seats = set(seats)
        self.board = board
        self.listeners: list[EventListener] = []
        # every device's state, from events and from each resync's list (e.g. terminals)
        self.device_watchers: list[Callable[[str, str], Awaitable[None]]] = []
        self.logins = 0
        self.last_resync: float | None = None
        self.connected = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._channels: tuple[float, set[str]] = (float("-inf"), set())  # listed at, ids
        self._channels_lock = asyncio.Lock()
        self._board_resync: asyncio.Future | None = None
        self.manager = ClosableManager(
            host=host, port=port, username=username, secret=secret,
            loop=asyncio.get_running_loop(), reconnect_timeout=1, ping_delay=5,
            ping_interval=5, on_login=self._on_login, on_disconnect=self._on_disconnect,
            forgetable_actions=("ping", "login"),
        )
        self.manager.register_event("*", self._on_event)

    async def start(self) -> None:
        self.manager.connect()

    async def stop(self) -> None:
        self.manager.shut()
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_login(self, _manager: Manager) -> None:
        self.logins += 1
        log.info("AMI logged in (login #%d); resyncing seats", self.logins)
        self._spawn(self.resync())

    def _on_disconnect(self, _manager: Manager, exc: Exception | None) -> None:
        self.connected.clear()
        log.warning("AMI connection lost (%s); reconnecting", exc)

    async def resync(self) -> None:
        """Ask Asterisk for every device state; the board then matches reality.

        A login can come while Asterisk is still booting and the list goes unanswered:
        ask again while the connection lasts, so the link never stays half up."""
        while True:
            try:
                replies = await self.action({"Action": "DeviceStateList"}, as_list=True)
                break
            except Exception as exc:
                log.warning("AMI DeviceStateList failed (%s); asking again", exc)
                if not self.manager._connected or self.manager.closing:
                    return  # the next login resyncs
                await asyncio.sleep(RESYNC_RETRY_S)
        seen = set()
        for reply in replies:
            if reply.get("Event") == "DeviceStateChange":
                seat = await self._record_device(reply.get("Device", ""), reply.get("State", ""))
                if seat:
                    seen.add(seat)
        for seat in self.seats - seen:  # a seat never registered has no device state yet
            await self.board.record_device(seat, "UNAVAILABLE")
        self.last_resync = time.time()
        self.connected.set()

    async def action(self, action: dict, as_list: bool | None = None,
                     timeout: float = 10) -> list[dict] | dict:
        """Send an AMI action and return its reply (a list for list actions)."""
        future = self.manager.send_action(action, as_list=as_list)
        reply = await asyncio.wait_for(future, timeout=timeout)
        if isinstance(reply, list):
            return [dict(message) for message in reply]
        return dict(reply)

    async def originate(self, action: dict) -> dict:
        """Queue an Originate (always Async, per panoramisk); reply is 'queued', not 'answered'."""
        return await self.action({**action, "Action": "Originate", "Async": "true"},
                                 as_list=False)

    async def originate_and_wait(self, action: dict, timeout: float) -> bool:
        """Originate and wait for its OriginateResponse: True once the far end answered."""
        replies = await self.action({**action, "Action": "Originate", "Async": "true"},
                                    as_list=True, timeout=timeout)
        return isinstance(replies, list) and any(
            r.get("Event") == "OriginateResponse" and r.get("Response") == "Success"
            for r in replies)

    async def hangup(self, channel: str) -> None:
        """Hang up a channel by name, or every channel a /regex/ matches."""
        await self.action({"Action": "Hangup", "Channel": channel})

    async def channel_up(self, channel_id: str) -> bool | None:
        """Is a channel with this unique id up in Asterisk? None while AMI cannot say.
        One channel list serves every question asked within CHANNELS_FRESH_S."""
        if not self.connected.is_set():
            return None
        async with self._channels_lock:
            listed_at, channels = self._channels
            if time.monotonic() - listed_at > CHANNELS_FRESH_S:
                try:
                    rows = await self.action({"Action": "CoreShowChannels"}, as_list=True)
                except Exception as exc:
                    log.warning("AMI CoreShowChannels failed (%s)", exc)
                    return None
                channels = {r.get("Uniqueid", "") for r in rows
                            if isinstance(r, dict) and r.get("Event") == "CoreShowChannel"}
                self._channels = (time.monotonic(), channels)
        return channel_id in channels

    async def callback_answered(self, channel_id: str) -> bool | None:
        """Did this callback leg reach the citizen (the dialplan's AstDB mark)? None
        while AMI cannot say."""
        if not self.connected.is_set():
            return None
        try:
            # a list when found; one "Database entry not found" error when not
            replies = await self.action({"Action": "DBGet", "Family": ANSWERED_FAMILY,
                                         "Key": channel_id})
        except Exception as exc:
            log.warning("AMI DBGet failed (%r)", exc)
            return None
        if isinstance(replies, dict):
            return replies.get("Response") == "Success" and bool(replies.get("Val"))
        return any(r.get("Event") == "DBGetResponse" and r.get("Val") for r in replies)

    async def forget_callback_answer(self, channel_id: str) -> None:
        """Delete the mark once the callback is closed for good (bounded AstDB).

        The dialplan deletes it ([callback-forget], reached by a Local channel): the
        AMI user has no `system` class, which DBDel would need, and Originate may not
        run such applications itself."""
        if not self.connected.is_set():
            return
        try:
            await self.originate({"Channel": f"Local/{channel_id}@{FORGET_CONTEXT}/n",
                                  "Application": "NoOp", "Timeout": "5000"})
        except Exception as exc:
            log.warning("callback mark %s not cleared (%s)", channel_id, exc)

    def _resync_once_board_is_back(self, exc: Exception) -> None:
        """A device change could not be recorded (Redis away): a seat might stay
        "talking" for good. Resync every seat as soon as the board takes writes again."""
        if self._board_resync is not None and not self._board_resync.done():
            return
        log.warning("seat state not recorded (%s); resyncing once Redis is back", exc)

        async def resync_when_back() -> None:
            while not self.manager.closing:
                try:
                    await self.board.all()  # reachable again?
                    await self.resync()
                    log.info("seats resynced from AMI after Redis came back")
                    return
                except Exception:
                    await asyncio.sleep(RESYNC_RETRY_S)
        self._board_resync = asyncio.ensure_future(resync_when_back())
        self._tasks.add(self._board_resync)
        self._board_resync.add_done_callback(self._tasks.discard)

    async def _record_device(self, device: str, device_state: str) -> str | None:
        for watch in self.device_watchers:
            await watch(device, device_state)
        seat = seat_from_device(device, self.seats)
        if seat is None:
            return None
        await self.board.record_device(seat, device_state)
        return seat

    async def _on_event(self, _manager: Manager, message) -> None:
        event = dict(message)
        if event.get("Event") == "DeviceStateChange":
            try:
                await self._record_device(event.get("Device", ""), event.get("State", ""))
            except Exception as exc:  # Redis away: this change is lost, so ask again later
                self._resync_once_board_is_back(exc)
        for listener in list(self.listeners):
            try:
                result = listener(event)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("AMI listener failed on %s", event.get("Event"))
