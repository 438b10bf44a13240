"""`hotline call NUMBER`: place a test call into the hotline through AMI Originate.

The call enters the dialplan as if from the PSTN trunk (context from-trunk), with the
caller ID given. With --wav the caller's side runs `[caller-speaks]`: it waits for the
hotline to talk, keys 1 (a callback, if the IVR asks), waits for the quiet after the
record tone (or the agent's greeting), speaks the file and keys #. The file is converted
to 8 kHz mono for Asterisk first, its leading and trailing silence cut and long pauses
shortened, because the IVR stops recording after RECORD_SILENCE_S of silence. Without
--wav the caller stays on the line, silent, for a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

from acd.ami_link import ClosableManager
from hotline.asterisk import layout_for
from hotline.config import Config, load_config
from ivr.caller import dialable, printable
from ivr.incoming import RECORD_SILENCE_S

SPEAKER_CONTEXT = "caller-speaks"  # asterisk_conf/extensions.conf
SOUND_VARIABLE = "HOTLINE_CALLER_SOUND"
PAUSE_KEPT_MS = 700  # a longer pause in the file is cut to this (the IVR would stop there)
SILENCE_DBFS = -45.0
STAGED_PREFIX = "testcall-"
STAGED_KEEP_S = 86400  # staged files older than a day are removed when the next is staged


def speakable(audio):  # pydub AudioSegment in and out (pydub has no type hints)
    """The request as a caller says it: no silence before it, no pause long enough for
    the IVR to take it as the end of the request, a short one after it."""
    from pydub import AudioSegment
    from pydub.silence import detect_nonsilent

    spans = detect_nonsilent(audio, min_silence_len=RECORD_SILENCE_S * 1000 // 2,
                             silence_thresh=SILENCE_DBFS)
    if not spans:
        return audio
    pause = AudioSegment.silent(duration=PAUSE_KEPT_MS, frame_rate=audio.frame_rate)
    spoken = audio[spans[0][0]:spans[0][1]]
    for start, end in spans[1:]:
        spoken += pause + audio[start:end]
    # a breath before the # key: the IVR cuts the last 200 ms of a recording ended by a key
    return spoken + pause


def stage_wav(cfg: Config, wav: Path) -> str:
    """Copy a WAV where Asterisk can play it; returns the sound name for Playback."""
    from pydub import AudioSegment

    audio = AudioSegment.from_file(wav).set_frame_rate(8000).set_channels(1).set_sample_width(2)
    layout = layout_for(cfg)
    name = f"{STAGED_PREFIX}{uuid.uuid4().hex[:12]}"
    target = layout.host(f"{layout.sounds_dir}/{name}.wav")
    target.parent.mkdir(parents=True, exist_ok=True)
    _forget_old(target.parent)
    speakable(audio).export(target, format="wav")
    return f"hotline/{name}"


def staged_file(cfg: Config, sound: str) -> Path:
    """Where `stage_wav` put a sound, on this machine (to remove it after the call)."""
    layout = layout_for(cfg)
    return layout.host(f"{layout.sounds_dir}/{sound.removeprefix('hotline/')}.wav")


def _forget_old(folder: Path) -> None:
    """Bounded: the files earlier test calls staged go after a day."""
    cutoff = time.time() - STAGED_KEEP_S
    for old in folder.glob(f"{STAGED_PREFIX}*.wav"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            continue


def originate_action(cfg: Config, number: str, caller: str, sound: str | None) -> dict:
    """The AMI Originate that makes Asterisk call NUMBER as if from the trunk."""
    action = {
        "Action": "Originate",
        "Channel": f"Local/{dialable(number)}@from-trunk",
        "CallerID": f'"{printable(caller, 64)}" <{dialable(caller)}>',
        "Async": "true",
        "Timeout": "30000",
    }
    if sound:  # the caller speaks when asked (see [caller-speaks]), not on answer
        action.update({"Context": SPEAKER_CONTEXT, "Exten": "s", "Priority": "1",
                       "Variable": f"{SOUND_VARIABLE}={sound}"})
    else:
        action.update({"Application": "Wait", "Data": "60"})
    return action


async def originate(cfg: Config, action: dict) -> dict:
    """Send one Originate on a connection of its own; the reply as a plain dict."""
    manager = ClosableManager(host=cfg.ami_host, port=cfg.ami_port, username=cfg.ami_user,
                      secret=cfg.ami_secret, loop=asyncio.get_running_loop(),
                      reconnect_timeout=1, ping_delay=60)
    await asyncio.wait_for(manager.connect(), timeout=5)
    try:
        reply = await asyncio.wait_for(manager.send_action(action, as_list=False), timeout=10)
        return {key: reply[key] for key in reply}
    finally:
        manager.shut()


def place_call(cfg: Config, number: str, caller: str, wav: str | None) -> int:
    if not dialable(number):
        print(f"hotline call: {number!r} is not a phone number", file=sys.stderr)
        return 2
    sound = None
    if wav:
        try:
            sound = stage_wav(cfg, Path(wav))
        except Exception as exc:  # pydub raises several kinds for unreadable audio
            print(f"hotline call: cannot read {wav}: {exc}", file=sys.stderr)
            return 2
    try:
        reply = asyncio.run(originate(cfg, originate_action(cfg, number, caller, sound)))
    except (OSError, TimeoutError) as exc:
        print(f"hotline call: Asterisk AMI not reachable at {cfg.ami_host}:{cfg.ami_port}"
              f" ({exc}); is `hotline asterisk up` done?", file=sys.stderr)
        return 1
    ok = reply.get("Response") == "Success"
    print(json.dumps({"placed": ok, "number": number, "caller": caller,
                      "message": reply.get("Message", "")}, ensure_ascii=False))
    return 0 if ok else 1


def _call(args: argparse.Namespace) -> int:
    return place_call(load_config(args.config), args.number, args.caller, args.wav)


def add_commands(sub: argparse._SubParsersAction) -> None:
    call = sub.add_parser("call", help="place a test call into the running hotline")
    call.add_argument("number", help="number to dial, e.g. 88900000")
    call.add_argument("--from", dest="caller", default="13800138000", help="caller ID")
    call.add_argument("--wav", help="WAV file the caller speaks: after the record tone when "
                      "the IVR answers (keying 1 for a callback first), after the greeting "
                      "when an agent does")
    call.set_defaults(handler=_call)
