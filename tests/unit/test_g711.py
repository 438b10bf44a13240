import math
import struct

import pytest

from ivr.g711 import alaw_to_pcm16, rms16, ulaw_to_pcm16


def samples(pcm: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(pcm) // 2}h", pcm))


def test_g711_decodes_the_standard_values():
    # ITU-T G.711: mu-law 0xFF and A-law 0xD5 are silence; 0x00 / 0x2A the extremes
    assert samples(ulaw_to_pcm16(bytes([0xFF, 0x7F, 0x00, 0x80]))) == [0, 0, -32124, 32124]
    assert samples(alaw_to_pcm16(bytes([0xD5, 0x55, 0x2A, 0xAA]))) == [8, -8, -32256, 32256]


def test_rms_of_a_square_wave_and_of_nothing():
    loud = struct.pack("<4h", 1000, -1000, 1000, -1000)
    assert rms16(loud) == 1000
    assert rms16(b"") == 0
    assert rms16(loud + b"\x01") == 1000  # a stray half sample is ignored
    tone = struct.pack("<8000h", *(int(8000 * math.sin(i / 5)) for i in range(8000)))
    assert rms16(tone) == pytest.approx(8000 / math.sqrt(2), rel=0.01)


def test_the_same_as_audioop_where_python_still_has_it():
    audioop = pytest.importorskip("audioop")
    every_byte = bytes(range(256))
    assert ulaw_to_pcm16(every_byte) == audioop.ulaw2lin(every_byte, 2)
    assert alaw_to_pcm16(every_byte) == audioop.alaw2lin(every_byte, 2)
    noise = bytes((i * 73 + 11) % 256 for i in range(4000))
    assert rms16(noise) == audioop.rms(noise, 2)
