"""G.711 decoding and the RMS of 16-bit PCM without `audioop` (removed in Python 3.13).

Pure Python with lookup tables: a recording is at most a few minutes of 8 kHz audio, so
a table lookup per byte is fast enough, and the hotline runs unchanged on 3.11-3.13.
"""

from __future__ import annotations

import math
import struct
from array import array
from sys import byteorder


def _ulaw(byte: int) -> int:
    byte = ~byte & 0xFF
    magnitude = (((byte & 0x0F) << 3) + 0x84) << ((byte & 0x70) >> 4)
    return 0x84 - magnitude if byte & 0x80 else magnitude - 0x84


def _alaw(byte: int) -> int:
    byte ^= 0x55
    exponent = (byte & 0x70) >> 4
    mantissa = (byte & 0x0F) << 4
    magnitude = mantissa + 8 if exponent == 0 else (mantissa + 0x108) << (exponent - 1)
    return magnitude if byte & 0x80 else -magnitude


def _table(decode) -> list[bytes]:
    return [struct.pack("<h", decode(b)) for b in range(256)]


_ULAW = _table(_ulaw)
_ALAW = _table(_alaw)


def ulaw_to_pcm16(raw: bytes) -> bytes:
    """G.711 mu-law bytes -> signed 16-bit little-endian samples."""
    return b"".join(_ULAW[b] for b in raw)


def alaw_to_pcm16(raw: bytes) -> bytes:
    """G.711 A-law bytes -> signed 16-bit little-endian samples."""
    return b"".join(_ALAW[b] for b in raw)


def rms16(pcm: bytes) -> int:
    """Root mean square of signed 16-bit little-endian samples (audioop.rms(pcm, 2))."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if byteorder == "big":
        samples.byteswap()
    if not samples:
        return 0
    return int(math.sqrt(sum(s * s for s in samples) / len(samples)))
