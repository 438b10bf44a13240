"""Call recordings' pure parts: names, the stereo file, the retention rule, who listens,
the Dial options and the dialplan the config renders."""

from __future__ import annotations

import io
import wave
from array import array
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from asterisk_conf.layout import Layout
from asterisk_conf.render import render_config
from case_store.recording_names import (
    Stored,
    call_stem,
    parse_name,
    stems_ready,
    to_delete,
)
from case_store.recordings import RecordingView
from hotline.asterisk import asterisk_values
from hotline.config import load_config
from hotline.web.recordings import may_listen
from ivr.call_recordings import ffmpeg_command, stereo_wav
from ivr.incoming import seat_dial_options

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_a_seats_recording_names_its_call_seat_and_leg():
    name = parse_name(call_stem("1796237378.0", "8001") + "_1796237378.1")
    assert (name.call_uniqueid, name.seat, name.leg, name.callback_id) == (
        "1796237378.0", "8001", "1796237378.1", None)


def test_a_callbacks_recording_names_the_callback():
    name = parse_name("b_cb-1796237378.0-2_1796237399.4")
    assert (name.callback_id, name.leg, name.call_uniqueid, name.seat) == (
        "cb-1796237378.0-2", "1796237399.4", None, None)


@pytest.mark.parametrize("stem", [
    "c_1.0_8001", "x_1.0_8001_1.1", "c_1.0_80a1_1.1", "c_1.0;rm -rf_8001_1.1",
    "c_../../etc_8001_1.1", "b__1.1", "c_" + "9" * 300 + "_8001_1.1", ""])
def test_anything_else_is_not_a_recording_name(stem):
    assert parse_name(stem) is None


def test_a_recording_is_ready_when_mixmonitor_closed_it_or_long_untouched():
    files = [("a", ".done", 100.0), ("b", ".raw", 990.0), ("c", ".raw", 100.0),
             ("d", ".bad", 0.0), ("e", ".tmp", 0.0)]
    assert stems_ready(files, now=1000.0, stale_s=600) == ["a", "c"]


def _raw(pairs):
    return array("h", [s for pair in pairs for s in pair]).tobytes()


def _frames(data):
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 8000)
        samples = array("h")
        samples.frombytes(w.readframes(w.getnframes()))
    return list(zip(samples[0::2], samples[1::2], strict=True))


def test_a_seats_recording_keeps_the_agent_left_and_the_citizen_right():
    pairs = [(100, -7), (200, -8), (300, -9)]
    assert _frames(stereo_wav(_raw(pairs) + b"\x01", citizen_first=False)) == pairs


def test_a_callbacks_recording_made_on_the_citizens_leg_is_swapped():
    pairs = [(100, -7), (200, -8)]
    assert _frames(stereo_wav(_raw(pairs), citizen_first=True)) == [(-7, 100), (-8, 200)]


def test_retention_deletes_the_old_then_the_oldest_beyond_the_size_cap():
    kept = [Stored(1, NOW - timedelta(days=200), 10), Stored(2, NOW - timedelta(days=5), 10),
            Stored(3, NOW - timedelta(days=3), 10), Stored(4, NOW - timedelta(days=1), 10)]
    assert to_delete(kept, NOW, retention_days=180, max_bytes=0) == [(1, "retention")]
    assert to_delete(kept, NOW, retention_days=180, max_bytes=20) == [
        (1, "retention"), (2, "size_cap")]
    assert to_delete(kept, NOW, retention_days=0, max_bytes=0) == []  # both rules off


def _recording(seat):
    return RecordingView(id=1, stem="s", path="p", call_uniqueid="1.0", callback_id=None,
                         seat=seat, audio_format="wav", recorded_at=NOW, duration_ms=1,
                         size=1, deleted_reason=None)


@pytest.mark.parametrize(("session", "allowed"), [
    ({"role": "supervisor"}, True),
    ({"role": "agent", "seat": "8001"}, True),
    ({"role": "agent", "seat": "8002"}, False),
    ({"role": "agent"}, False),
    ({"role": "company", "seat": "8001"}, False),
    ({"role": "department"}, False), ({"role": "admin"}, False), ({"role": "leader"}, False),
    ({"role": "elderly_centre"}, False)])
def test_supervisors_hear_any_recording_agents_only_their_own_seats(session, allowed):
    assert may_listen(session, _recording("8001")) is allowed


def test_the_seat_dial_records_after_the_callers_notice():
    assert seat_dial_options("17.3", "8001", recording=True, notice=True) == (
        "rU(record-answered^c_17.3_8001)aA(:hotline/call_recorded)")
    assert seat_dial_options("17.3", "8001", recording=True, notice=False) == (
        "rU(record-answered^c_17.3_8001)")
    assert seat_dial_options("17.3", "8001", recording=False, notice=True) == "r"
    assert seat_dial_options("", "8001", recording=True, notice=True) == "r"


def _extensions(tmp_path, **env):
    cfg = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path), "HOTLINE_AMI_SECRET": "a",
                           "HOTLINE_SIP_SECRET": "s", **env})
    layout = Layout(root=Path("/"), chrooted=False, instance="main")
    return cfg, render_config(asterisk_values(cfg), layout, "/mods")["extensions.conf"]


def test_recording_and_its_notice_are_on_by_default_and_can_be_turned_off(tmp_path):
    cfg, text = _extensions(tmp_path)
    assert cfg.call_recording_enabled and cfg.call_recording_notice
    assert "HOTLINE_CALLREC = 1" in text and "HOTLINE_REC_NOTICE = 1" in text
    assert "HOTLINE_CALLREC_DIR = /var/spool/hotline/main/call-recordings" in text
    assert "MixMonitor(${HOTLINE_CALLREC_DIR}/${stem}.raw,D," in text
    assert "rU(record-answered^c_${UNIQUEID}_" in text  # transfers
    assert "Gosub(record-answered,s,1(b_${ARG1}))" in text  # callbacks
    _, off = _extensions(tmp_path, HOTLINE_CALL_RECORDING_ENABLED="no")
    assert "HOTLINE_CALLREC = 0" in off and "HOTLINE_REC_NOTICE = 0" in off


def test_the_config_takes_format_retention_and_cap(tmp_path):
    cfg = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path),
                           "HOTLINE_CALL_RECORDING_FORMAT": "mp3",
                           "HOTLINE_CALL_RECORDING_RETENTION_DAYS": "90",
                           "HOTLINE_CALL_RECORDING_MAX_MB": "500",
                           "HOTLINE_CALL_RECORDING_NOTICE": "no"})
    assert (cfg.call_recording_format, cfg.call_recording_retention_days,
            cfg.call_recording_max_mb, cfg.call_recording_notice) == ("mp3", 90, 500, False)
    assert cfg.call_recordings_dir == tmp_path / "instances" / "main" / "call-recordings"


def test_mp3_and_opus_keep_both_channels():
    mp3 = ffmpeg_command(Path("a.wav"), Path("a.mp3"), "mp3")
    assert mp3[mp3.index("-ac") + 1] == "2" and "libmp3lame" in mp3
    assert "libopus" in ffmpeg_command(Path("a.wav"), Path("a.ogg"), "opus")


def test_the_answer_moment_leaves_the_notice_out_of_the_wait():
    from ivr.incoming import answer_moment

    # bridged: ANSWEREDTIME (from the seat's answer, Dial `a`) to the end
    assert answer_moment("ANSWER", 12_000, dialled_at=100.0, ended=113.0, notice_s=1.5) == 101.0
    # the caller left during the notice: at most the notice before the end, never
    # before the Dial
    assert answer_moment("ANSWER", 0, dialled_at=100.0, ended=102.3, notice_s=1.5) == 100.8
    assert answer_moment("ANSWER", 0, dialled_at=100.0, ended=100.5, notice_s=1.5) == 100.0
    assert answer_moment("NOANSWER", 0, dialled_at=100.0, ended=108.0, notice_s=1.5) is None


def test_a_seat_that_just_answered_is_waited_for_until_the_notice_ends():
    from acd.transfer import answered_unbridged

    hearing_notice = [{"Event": "CoreShowChannel", "Channel": "PJSIP/8001-00000002",
                       "ChannelStateDesc": "Up", "BridgeId": ""},
                      {"Event": "CoreShowChannel", "Channel": "PJSIP/trunk-00000001",
                       "ChannelStateDesc": "Up", "BridgeId": ""}]
    assert answered_unbridged(hearing_notice, "8001")
    bridged = [{**row, "BridgeId": "b1"} for row in hearing_notice]
    assert not answered_unbridged(bridged, "8001")
    ringing = [{**hearing_notice[0], "ChannelStateDesc": "Ringing"}]
    assert not answered_unbridged(ringing, "8001") and not answered_unbridged([], "8001")
