"""Real SIP seat phones (pjsua2) for tests and the ACD benchmark.

`SeatPhones` (in `farm`) is the asyncio handle; each phone process is
``python -m testkit.phones --seats 8001,8002 --talk 20`` (`process`), which also
works on its own as scripted seat phones for a demo.
"""

from testkit.phones.farm import SeatPhones, SoftphoneError
from testkit.phones.protocol import MAX_SEATS_PER_PROCESS

__all__ = ["MAX_SEATS_PER_PROCESS", "SeatPhones", "SoftphoneError"]
