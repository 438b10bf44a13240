#!/usr/bin/env python3
"""Safety net when the FastAGI service is unreachable: answer, record, leave a callback.

Runs inside Asterisk's root as a classic AGI script (pyst2, stdin/stdout). It keeps
no state of its own: the request is a WAV in the recordings folder plus a JSON file
in `<spool>/callbacks/`, both written atomically, which the ACD picks up when it is
back. So no caller meets silence while the Python service restarts.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from asterisk.agi import AGI, AGIException, AGIHangup
from spool_signature import sign

KEY_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hotline-spool.key")

RECORD_MS = 60000
SILENCE_S = 2


def decode_number(b64: str) -> str:
    try:
        raw = base64.b64decode(b64 or "").decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""
    return "".join(ch for ch in raw if ch.isdigit() or ch in "+*#")[:32]


def safe_id(uniqueid: str) -> str:
    return "".join(ch for ch in uniqueid if ch.isalnum() or ch in ".-") or str(time.time())


def read_key() -> str:
    """The spool key Asterisk was given; without one the ACD quarantines the request
    (it is still on disk with its recording, for an operator)."""
    try:
        with open(KEY_FILE, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def main() -> int:
    agi = AGI()
    spool = agi.get_variable("HOTLINE_SPOOL") or "/var/spool/asterisk"
    uniqueid = safe_id(agi.env.get("agi_uniqueid", ""))
    number = decode_number(agi.get_variable("HOTLINE_CID_NUM_B64"))
    arrived = agi.get_variable("HOTLINE_ARRIVAL") or str(int(time.time()))
    origin = agi.get_variable("HOTLINE_ORIGIN") or "trunk"
    recording = f"{spool}/recordings/fallback-{uniqueid}"
    steps = [
        lambda: agi.answer(),
        lambda: agi.stream_file("hotline/record_after_tone"),
        lambda: agi.record_file(recording, format="wav", escape_digits="#", timeout=RECORD_MS,
                                silence=SILENCE_S),
        lambda: agi.stream_file("hotline/thanks_goodbye"),
    ]
    for step in steps:  # a missing prompt must not cost the recording; a hangup ends it
        try:
            step()
        except AGIHangup:
            break
        except AGIException:
            continue
    request = {
        "uniqueid": uniqueid,
        "caller": number,
        "arrived_at": float(arrived) if arrived.replace(".", "", 1).isdigit() else time.time(),
        "recording": f"{recording}.wav",
        "origin": origin,
        "source": "fallback",
    }
    folder = f"{spool}/callbacks"
    os.makedirs(folder, exist_ok=True)
    tmp = f"{folder}/.{uniqueid}.tmp"  # never matched as a request while half-written
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(sign(request, read_key()), handle)
    os.replace(tmp, f"{folder}/{uniqueid}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
