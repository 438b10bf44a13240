"""What one send attempt came to, and the one interface every adapter offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from case_store.deliveries import DeliveryView


@dataclass(frozen=True)
class Outcome:
    """``sent``: the provider took it. ``pending``: it is under way and its end is
    recorded elsewhere (a call's route marks the message heard). Otherwise it failed;
    ``permanent`` failures are not tried again on this channel."""

    sent: bool = False
    pending: bool = False
    ref: str = ""
    error: str = ""
    permanent: bool = False


def failed(error: str, permanent: bool = False) -> Outcome:
    return Outcome(error=error, permanent=permanent)


class Outbound(Protocol):
    """One channel's adapter."""

    channel: str

    async def send(self, message: DeliveryView) -> Outcome: ...
