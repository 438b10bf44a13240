"""What a dispatcher needs besides the tags: place, callback number, time, district.

Pure functions over the (filler-free) transcript; regular expressions compiled once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Spoken digits as an ASR writes them; 幺/洞/拐/勾 are the telephone forms of 1/0/7/9.
_DIGITS = str.maketrans({
    "零": "0", "〇": "0", "洞": "0", "○": "0", "幺": "1", "一": "1", "二": "2", "两": "2",
    "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8", "九": "9",
    "勾": "9", "０": "0", "１": "1", "２": "2", "３": "3", "４": "4", "５": "5", "６": "6",
    "７": "7", "８": "8", "９": "9",
})
_DIGIT_CHARS = "0-9零〇洞○幺一二两三四五六七拐八九勾０-９"
_SEP = r"[\s\-—－,，、]{1,2}"
_NUMBER_RUN = re.compile(rf"[{_DIGIT_CHARS}](?:[{_DIGIT_CHARS}]|{_SEP}(?=[{_DIGIT_CHARS}]))*")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"(?:0\d{2,3})?[2-8]\d{7}")

DISTRICTS: dict[str, str] = {
    "婺城区": "婺城区", "婺城": "婺城区", "金东区": "金东区", "金东": "金东区",
    "兰溪市": "兰溪市", "兰溪": "兰溪市", "东阳市": "东阳市", "东阳": "东阳市",
    "义乌市": "义乌市", "义乌": "义乌市", "永康市": "永康市", "永康": "永康市",
    "浦江县": "浦江县", "浦江": "浦江县", "武义县": "武义县", "武义": "武义县",
    "磐安县": "磐安县", "磐安": "磐安县", "开发区": "开发区", "金华开发区": "开发区",
    "金华经济技术开发区": "开发区", "经济开发区": "开发区", "经开区": "开发区",
}
_DISTRICT_RE = re.compile("|".join(sorted(map(re.escape, DISTRICTS), key=len, reverse=True)))

_NUM = "0-9零〇一二两三四五六七八九十百幺"
_NAME = r"[\u4e00-\u9fa5A-Za-z0-9]"
# Words that end a place-name prefix (a place name does not contain them).
_STOP = set(
    "我你他她它们在住是的了到去从和跟与及或这那个有就都也"
    "还又被把给对向往边旁里上下前后说要想能会请问帮家条段"
)
_UNIT = r"(?:小区|新村|花园|公寓|大厦|家园|苑|府|村|社区|街道|镇|乡)"
_PLACE_PATTERNS = [
    # 宾虹路128号, 八一北街三百号, 解放东路12弄3号
    re.compile(rf"{_NAME}{{1,8}}?(?:路|街|大道|巷|弄)(?:[{_NUM}]+弄)?[{_NUM}]+号(?:楼)?"),
    # 多湖街道东湄村, 江南街道丹溪小区5幢
    re.compile(rf"(?:{_NAME}{{1,8}}?{_UNIT}(?:[{_NUM}]+(?:幢|栋|号楼|单元|号|室))*)+"),
    # 人民路和解放路口
    re.compile(rf"{_NAME}{{1,6}}?(?:路|街)[和与跟]{_NAME}{{1,6}}?(?:路口|路|街口|街)"),
    re.compile(rf"{_NAME}{{1,8}}?(?:路口|路|街|大道|公园|广场|医院|学校|小学|中学|车站|火车站|菜市场|超市|商场|桥)"),
]
_PLACE_HEAD_JUNK = ("我们", "这个", "那个", "浙江省", "金华市", "金华")
_GENERIC = {
    "小区", "村", "社区", "街道", "镇", "乡", "路", "街", "公园", "医院", "学校", "桥",
    "广场", "路口", "超市", "商场", "车站", "马路", "村口", "大道", "花园", "新村",
}

_CN = "0-9一二两三四五六七八九十"
_WEEKDAY = "[一二三四五六日天]"
_DAY = (
    r"(?:今天|明天|后天|大后天|昨天|前天|今晚|明晚|昨晚|今早|明早|"
    rf"这周{_WEEKDAY}|下周{_WEEKDAY}?|周{_WEEKDAY}|星期{_WEEKDAY}|礼拜{_WEEKDAY}|"
    rf"[{_CN}]{{1,3}}月[{_CN}]{{1,3}}[号日])"
)
_PART = r"(?:上午|下午|中午|晚上|早上|凌晨|傍晚|夜里|半夜|早晨|白天)"
_CLOCK = (
    rf"(?:[{_CN}]{{1,3}}点(?:半|[{_CN}]{{1,3}}分?|一刻|三刻)?(?:钟)?"
    r"(?:左右|以前|之前|以后|之后)?)"
)
_TIME_RE = re.compile(
    rf"{_DAY}{_PART}?{_CLOCK}?|{_PART}{_CLOCK}|{_CLOCK}(?=[到至前后左]|$|\s)|{_PART}(?=[{_CN}])"
)

@dataclass(frozen=True)
class Details:
    """Dispatcher fields found in a request; empty string when absent."""

    place: str = ""
    phone: str = ""
    time: str = ""
    district: str = ""


def find_phone(text: str) -> str:
    """A callback number spoken as digits: 11-digit mobile first, else a landline."""
    for run in _NUMBER_RUN.findall(text):
        digits = re.sub(r"\D", "", run.translate(_DIGITS))
        if len(digits) < 7:
            continue
        mobile = _MOBILE.search(digits)
        if mobile:
            return mobile.group(0)
        land = _LANDLINE.fullmatch(digits)
        if land:
            return digits
    return ""


def find_district(text: str) -> str:
    """The first Jinhua district or county-level city named."""
    m = _DISTRICT_RE.search(text)
    return DISTRICTS[m.group(0)] if m else ""


def _trim_prefix(candidate: str) -> str:
    """Cut a match back to the place name: drop everything up to the last stop char."""
    cut = 0
    head = len(candidate) - 1
    for i, ch in enumerate(candidate[:-1]):
        if ch in "路街" and i > 0:
            head = i
            break
    for i, ch in enumerate(candidate[:head]):
        if ch in _STOP:
            cut = i + 1
    name = candidate[cut:]
    for junk in _PLACE_HEAD_JUNK:
        if name.startswith(junk):
            name = name[len(junk):]
    return name


def find_place(text: str) -> str:
    """The most specific address or place name (house number beats estate beats road)."""
    for pattern in _PLACE_PATTERNS:
        for m in pattern.finditer(text):
            name = _trim_prefix(m.group(0))
            for dist in DISTRICTS:
                if name.startswith(dist) and len(name) > len(dist) + 1:
                    name = name[len(dist):]
                    break
            if len(name) >= 2 and name not in _GENERIC:
                return name
    return ""


def find_time(text: str) -> str:
    """A day/part-of-day/clock expression such as 明天上午 or 今天下午三点."""
    m = _TIME_RE.search(text)
    return m.group(0) if m else ""


def extract_details(text: str) -> Details:
    """All dispatcher fields of one request."""
    return Details(place=find_place(text), phone=find_phone(text),
                   time=find_time(text), district=find_district(text))
