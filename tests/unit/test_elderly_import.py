"""Importing the elderly centres' sheets: CSV in the encodings Excel writes, XLSX, Chinese
and English headers; bad rows reported by the row number Excel shows, good rows written.
The registry runs on a throwaway SQLite file; numbers go through the real dial plan."""

from __future__ import annotations

import csv
import io
from datetime import time

import pytest
from openpyxl import Workbook

from acd.callback_numbers import NumberPlan
from case_store import elderly_sheet
from case_store.db import migrate
from case_store.elderly import ElderlyRegistry
from case_store.errors import InvalidProfileError

PLAN = NumberPlan(terminals=frozenset({"9001", "9002"}))  # Jinhua 0579, other areas off
HEADER_ZH = ["终端号", "姓名", "地址", "社区", "经度", "纬度", "健康状况", "用药", "行动能力",
             "方言", "社区工作者", "社区工作者电话", "服务计划", "签到时段",
             "紧急联系人1", "紧急联系人1电话", "关系1", "紧急联系人2", "紧急联系人2电话", "关系2"]
ZHANG = ["9001", "张桂英", "婺城区八一北街12号3单元", "八一北街社区", "119.6521", "29.0789",
         "高血压，糖尿病", "二甲双胍 每日两次", "拄拐杖", "金华话", "李红", "13905790001",
         "助餐 周一,周三,周五 11:30; 助浴 周六 15:00", "每天 09:00-10:00",
         "王建国", "+86 138-0013-8000", "儿子", "王丽", "82345678", "女儿"]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture
def registry(tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    migrate(url)
    reg = ElderlyRegistry(url, check_number=PLAN.national)
    yield reg
    reg.engine.dispose()


def test_a_chinese_sheet_becomes_a_profile_with_contacts_in_order(registry):
    report = registry.import_bytes(csv_bytes([HEADER_ZH, ZHANG]))
    assert (report.imported, report.bad_rows) == (("9001",), ())
    p = registry.profile("9001")
    assert (p.name, p.address, p.community) == ("张桂英", "婺城区八一北街12号3单元",
                                                "八一北街社区")
    assert (p.lat, p.lon) == (29.0789, 119.6521)  # 纬度 is latitude, 经度 longitude
    assert (p.health_notes, p.medicines, p.mobility) == ("高血压，糖尿病", "二甲双胍 每日两次",
                                                         "拄拐杖")
    assert p.dialect == "jinhua"
    assert (p.worker_name, p.worker_phone) == ("李红", "13905790001")
    assert p.care_plan == ({"service": "助餐", "days": "mon,wed,fri", "time": "11:30"},
                           {"service": "助浴", "days": "sat", "time": "15:00"})
    assert p.checkin_windows == ({"days": "daily", "start": "09:00", "end": "10:00"},)
    # in the order they are to be called, in the national form the callbacks dial
    assert [(c.name, c.relation, c.phone) for c in p.contacts] == [
        ("王建国", "儿子", "13800138000"), ("王丽", "女儿", "057982345678")]
    assert p.active and registry.terminals() == ["9001"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_excel_csv_with_a_bom_or_in_gb18030_reads_the_same(registry, encoding):
    data = csv_bytes([HEADER_ZH, ZHANG], encoding)
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    report = registry.import_bytes(data)
    assert report.imported == ("9001",) and report.ignored_columns == ()
    assert registry.profile("9001").name == "张桂英"
    assert registry.profile("9001").contacts[0].relation == "儿子"


def test_an_xlsx_sheet_keeps_numbers_whole_and_times_as_typed(registry, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["terminal", "name", "lng", "lat", "dialect", "contact1_name",
                  "contact1_phone", "contact1_relation", "care_plan"])
    # Excel stores typed digits as numbers: 13800138000 must not become 1.38e10
    sheet.append([9002, "Li Guilan", 119.65, 29.08, "mandarin", "Li Wei", 13800138000,
                  "son", "meals daily 11:30"])
    sheet.append([None] * 9)  # a blank row Excel leaves behind
    sheet.append([8888, "Zhao", None, None, None, "Zhao Jr", 12345, "son", None])
    path = tmp_path / "centre.xlsx"
    book.save(path)
    report = registry.import_file(path)
    assert report.imported == ("9002",)
    assert [(b.row, b.terminal) for b in report.bad_rows] == [(4, "8888")]
    p = registry.profile("9002")
    assert (p.name, p.lat, p.lon, p.dialect) == ("Li Guilan", 29.08, 119.65, "mandarin")
    assert p.contacts[0].phone == "13800138000"
    assert p.care_plan == ({"service": "meals", "days": "daily", "time": "11:30"},)


def test_an_xlsx_time_cell_is_read_as_the_time_shown():
    assert elderly_sheet._cell(time(9, 5)) == "09:05"
    assert elderly_sheet._cell(13800138000.0) == "13800138000"
    assert elderly_sheet._cell(29.0789) == "29.0789"


def test_bad_rows_are_reported_by_row_number_and_the_good_ones_imported(registry):
    rows = [["终端号", "姓名", "纬度", "紧急联系人1", "紧急联系人1电话"],
            ["9001", "张桂英", "29.07", "王建国", "13800138000"],  # row 2: good
            ["9003", "钱阿婆", "北纬29度", "", ""],  # row 3: latitude not a number
            ["", "", "", "", ""],  # row 4: blank, skipped but counted
            ["9004", "", "", "", ""],  # row 5: no name
            ["9005", "孙大爷", "", "孙小明", ""],  # row 6: a contact without a phone
            ["9006", "周奶奶", "", "", ""],  # row 7: good
            ["9001", "张桂英的重复", "", "", ""]]  # row 8: terminal twice in one file
    report = registry.import_bytes(csv_bytes(rows))
    assert report.imported == ("9001", "9006")
    assert [(b.row, b.terminal) for b in report.bad_rows] == [
        (3, "9003"), (5, "9004"), (6, "9005"), (8, "9001")]
    reasons = [b.reason for b in report.bad_rows]
    assert "not a number" in reasons[0] and "纬度" in reasons[0]
    assert "name is required" in reasons[1]
    assert "contact 1 phone is required" in reasons[2]
    assert "row 2" in reasons[3]
    assert registry.terminals() == ["9001", "9006"]
    assert registry.profile("9001").name == "张桂英"  # the duplicate did not overwrite it
    assert registry.profile("9003") is None and registry.profile("9004") is None


@pytest.mark.parametrize("number", [
    "12345",  # a service number, not a line
    "+12025550123",  # another country
    "01062345678",  # Beijing: long distance is off in this plan
    "1.38001E+10",  # what Excel shows for a long number typed into a CSV
])
def test_a_contact_outside_the_callback_dial_plan_is_refused(registry, number):
    rows = [["terminal", "name", "contact1_name", "contact1_phone"],
            ["9001", "Zhang", "Wang", number],
            ["9002", "Li", "Li Wei", "13800138000"]]
    report = registry.import_bytes(csv_bytes(rows))
    assert report.imported == ("9002",)
    assert [b.row for b in report.bad_rows] == [2]
    assert "outside the callback dial plan" in report.bad_rows[0].reason
    assert registry.profile("9001") is None


def test_other_area_codes_pass_when_the_plan_allows_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    migrate(url)
    wide = ElderlyRegistry(url, check_number=NumberPlan(other_areas=True).national)
    rows = [["terminal", "name", "contact1_name", "contact1_phone"],
            ["9001", "Zhang", "Wang", "+86 10 6234 5678"]]
    assert wide.import_bytes(csv_bytes(rows)).imported == ("9001",)
    assert wide.profile("9001").contacts[0].phone == "01062345678"
    wide.engine.dispose()


def test_a_sheet_without_a_terminal_column_is_refused_at_its_header(registry):
    report = registry.import_bytes(csv_bytes([["编号", "姓名"], ["1", "张桂英"]]))
    assert report.imported == ()
    assert [(b.row, b.reason) for b in report.bad_rows] == [
        (1, "the header row has no 终端号 (terminal) column")]


def test_headers_in_both_languages_and_unknown_columns_are_named(registry):
    rows = [["终端号(terminal)", " Name ", "备注"], ["9001", "Zhang", "喜欢听越剧"]]
    report = registry.import_bytes(csv_bytes(rows))
    assert report.imported == ("9001",)
    assert report.ignored_columns == ("备注",)


def test_an_unquoted_comma_that_shifts_the_columns_is_reported(registry):
    data = "终端号,姓名,地址\n9001,张桂英,八一北街12号,3单元\n9002,李桂兰,人民路1号\n"
    report = registry.import_bytes(data.encode())
    assert report.imported == ("9002",)
    assert report.bad_rows[0].row == 2 and "quoted" in report.bad_rows[0].reason


@pytest.mark.parametrize("data, message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "old .xls"),
    (b"PK\x03\x04not really a zip", "cannot be read"),
    (b"", "empty"),
    ("终端号,姓名\n".encode("utf-16"), "UTF-8 or GB18030"),  # Excel's "Unicode text"
    (b",,\n9001,Zhang\n", "name the columns"),
], ids=["xls", "broken-xlsx", "empty", "utf-16", "no-header"])
def test_a_file_that_is_no_sheet_says_why(registry, data, message):
    with pytest.raises(InvalidProfileError, match=message):
        registry.import_bytes(data)


def test_reimporting_changes_only_the_columns_the_sheet_has(registry):
    registry.import_bytes(csv_bytes([HEADER_ZH, ZHANG]))
    rows = [["终端号", "姓名", "紧急联系人1", "紧急联系人1电话"],
            ["9001", "张桂英", "王丽", "13600001111"]]
    assert registry.import_bytes(csv_bytes(rows)).imported == ("9001",)
    p = registry.profile("9001")
    assert p.care_plan[0]["service"] == "助餐" and p.medicines == "二甲双胍 每日两次"  # kept
    assert [(c.name, c.phone) for c in p.contacts] == [("王丽", "13600001111")]  # replaced


def test_the_form_text_of_a_profile_reads_back_to_the_same_profile(registry):
    registry.import_bytes(csv_bytes([HEADER_ZH, ZHANG]))
    before = registry.profile("9001")
    terminal, fields = elderly_sheet.fields_of_row(elderly_sheet.row_of(before))
    after = registry.upsert(terminal, **fields)
    assert after.fields() == before.fields()


@pytest.mark.parametrize("text, message", [
    ("meals", "service days time"),
    ("meals someday 11:30", "days"),
    ("meals daily 25:00", "time"),
])
def test_a_care_plan_cell_that_cannot_be_read_says_how_to_write_it(registry, text, message):
    rows = [["terminal", "name", "care_plan"], ["9001", "Zhang", text]]
    report = registry.import_bytes(csv_bytes(rows))
    assert report.imported == () and message in report.bad_rows[0].reason


def test_a_checkin_window_must_end_after_it_starts(registry):
    rows = [["terminal", "name", "checkin"], ["9001", "Zhang", "daily 10:00-09:00"],
            ["9002", "Li", "weekdays 9:00-9:30; 周六 15:00～16:00"]]
    report = registry.import_bytes(csv_bytes(rows))
    assert report.imported == ("9002",) and "before it starts" in report.bad_rows[0].reason
    assert registry.profile("9002").checkin_windows == (
        {"days": "weekdays", "start": "09:00", "end": "09:30"},
        {"days": "sat", "start": "15:00", "end": "16:00"})
