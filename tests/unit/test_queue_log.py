"""The queue_log the hotline writes: app_queue's line format, read back by a reader that
follows the documented format, and a bounded file that rolls over."""

from __future__ import annotations

import asyncio

import pytest

from acd.queue_log import Handover, QueueLog, attended_to_app, blind, field, line
from acd.queue_log_file import QueueLogFile
from testkit.queue_log_reader import QueueLogFormatError, parse_line, read, totals


def recorded() -> tuple[QueueLog, list[str]]:
    lines: list[str] = []
    return QueueLog(lines.append, clock=lambda: 1700000000.7), lines


def test_a_line_is_pipe_separated_with_a_whole_second_epoch():
    assert line(1700000000.9, "1700000000.12", "8890", "PJSIP/8001", "CONNECT", 3, "", 2) \
        == "1700000000|1700000000.12|8890|PJSIP/8001|CONNECT|3||2"


def test_caller_text_cannot_break_the_line_or_add_fields():
    qlog, lines = recorded()
    qlog.enter("17.1", "张三|x\nEVIL|1", 1, 1700000000)
    parsed = parse_line(lines[0])
    assert parsed.event == "ENTERQUEUE" and len(parsed.data) == 3
    assert "\n" not in lines[0] and parsed.field("callerid") == "张三 x EVIL 1"
    assert len(field("9" * 500)) == 80


def test_an_answered_call_reads_as_app_queue_writes_it():
    qlog, lines = recorded()
    qlog.enter("17.1", "13900000001", 1, 1700000000)
    qlog.ring_ended("17.1", "8002", "NOANSWER", 8000)
    qlog.connect("17.1", "8001", hold_s=9.6, ring_s=1.2, at=1700000010)
    qlog.complete("17.1", "8001", hold_s=9.6, talk_s=61.4, by_agent=False, at=1700000071)
    parsed = [parse_line(text) for text in lines]
    assert [p.event for p in parsed] == ["ENTERQUEUE", "RINGNOANSWER", "CONNECT",
                                         "COMPLETECALLER"]
    ring, connect, complete = parsed[1:]
    assert ring.agent == "PJSIP/8002" and ring.field("ringtime") == "8000"  # milliseconds
    assert (connect.field("holdtime"), connect.field("ringtime")) == ("10", "1")
    assert (complete.field("holdtime"), complete.field("calltime")) == ("10", "61")
    assert complete.epoch == 1700000071


def test_endings_and_callbacks_count_like_a_report_tool():
    qlog, lines = recorded()
    for callid in ("a", "b", "c"):
        qlog.enter(callid, "139", 1, 1700000000)
    qlog.abandon("a", 4.2)
    qlog.exit_timeout("b", 14.0)
    qlog.callback_requested("b", "callback-1", 1700000300, False)
    qlog.ring_ended("c", "8001", "CANCEL", 2000)
    qlog.abandon("c", 2)
    counts = totals([parse_line(text) for text in lines], "8890")
    assert (counts.entered, counts.answered, counts.abandoned, counts.timed_out,
            counts.callbacks_requested) == (3, 0, 2, 1, 1)
    assert counts.events["RINGCANCELED"] == 1 and counts.unfinished == ()
    abandon = parse_line(lines[3])
    assert abandon.field("waittime") == "4" and abandon.field("position") == "1"


def test_a_transferred_call_ends_with_the_transfer_not_a_completion():
    qlog, lines = recorded()
    for callid in ("b", "a"):
        qlog.enter(callid, "139", 1, 1700000000)
        qlog.connect(callid, "8001", hold_s=4.4, ring_s=1, at=1700000004)
    qlog.transferred("b", "8001", blind("8002", "transfer"), hold_s=4.4, talk_s=30.2,
                     at=1700000034)
    qlog.transferred("a", "8001", attended_to_app("ConfBridge"), hold_s=4.4, talk_s=12,
                     at=1700000016)
    parsed = [parse_line(text) for text in lines]
    moved, consulted = parsed[4:]
    assert lines[4] == "1700000034|b|8890|PJSIP/8001|BLINDTRANSFER|8002|transfer|4|30|1"
    assert (moved.field("extension"), moved.field("context"), moved.field("calltime")) == \
        ("8002", "transfer", "30")
    assert lines[5] == "1700000016|a|8890|PJSIP/8001|ATTENDEDTRANSFER|APP|ConfBridge|4|12|1"
    assert (consulted.field("method"), consulted.field("methoddata"),
            consulted.field("holdtime"), consulted.field("calltime")) == \
        ("APP", "ConfBridge", "4", "12")
    counts = totals(parsed, "8890")
    assert counts.answered == 2 and counts.unfinished == ()  # a transfer is an ending


def test_a_handover_is_kept_as_text_and_read_back_only_as_a_transfer():
    kept = blind("8002", "transfer|x\n").text()
    assert kept == "BLINDTRANSFER|8002|transfer x "  # no separator smuggled into the line
    assert Handover.of_text(kept) == Handover("BLINDTRANSFER", ("8002", "transfer x "))
    assert Handover.of_text(attended_to_app("ConfBridge").text()) == \
        Handover("ATTENDEDTRANSFER", ("APP", "ConfBridge"))
    assert Handover.of_text("COMPLETEAGENT|1|2") is None


def test_an_attended_transfer_by_link_reads_its_times_from_the_end():
    linked = parse_line("1700000016|a|8890|PJSIP/8001|ATTENDEDTRANSFER|LINK|PJSIP/8001-1|"
                        "PJSIP/8002-2|4|12|1")
    assert (linked.field("method"), linked.field("holdtime"), linked.field("calltime"),
            linked.field("origposition")) == ("LINK", "4", "12", "1")


def test_seat_events_are_member_lines_with_their_reason():
    qlog, lines = recorded()
    for event, reason in (("login", ""), ("pause", "午休"), ("unpause", "午休"),
                          ("logout", "")):
        qlog.seat("8003", event, reason)
    parsed = [parse_line(text) for text in lines]
    assert [(p.callid, p.agent, p.event, p.data) for p in parsed] == [
        ("NONE", "PJSIP/8003", "ADDMEMBER", ("",)),
        ("NONE", "PJSIP/8003", "PAUSE", ("午休",)),
        ("NONE", "PJSIP/8003", "UNPAUSE", ("午休",)),
        ("NONE", "PJSIP/8003", "REMOVEMEMBER", ("",))]


def test_a_failing_sink_never_reaches_the_caller():
    def broken(_text: str) -> None:
        raise OSError("disk gone")
    QueueLog(broken).abandon("a", 1)  # no exception


@pytest.mark.parametrize("bad", ["x|1|8890|NONE|ENTERQUEUE||1|1", "1|1|8890|NONE",
                                 "1|1|8890|NONE|ABANDON|one|1|3"])
def test_the_reader_refuses_lines_off_the_documented_format(bad):
    with pytest.raises(QueueLogFormatError):
        parse_line(bad)


async def test_the_file_is_written_off_the_caller_and_rolls_over_when_full(tmp_path):
    path = tmp_path / "queue_log"
    sink = QueueLogFile(path, max_bytes=400, keep=2)
    sink.start()
    qlog = QueueLog(sink)
    for n in range(40):
        qlog.enter(f"17.{n}", "13900000001", 1, 1700000000 + n)
    await sink.flush()
    await sink.stop()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["queue_log", "queue_log.1", "queue_log.2"]  # older ones went
    assert all(p.stat().st_size < 400 + 100 for p in tmp_path.iterdir())
    newest = read(path)
    assert newest[-1].callid == "17.39"
    assert sink.written == 40 and sink.dropped == 0


async def test_a_full_backlog_drops_lines_instead_of_waiting(tmp_path):
    sink = QueueLogFile(tmp_path / "queue_log", queue_lines=3)  # not started: no drain
    qlog = QueueLog(sink)
    for n in range(5):
        qlog.abandon(str(n), 1)
    assert sink.queue.qsize() == 3 and sink.dropped == 2
    await asyncio.sleep(0)
