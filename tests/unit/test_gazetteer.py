"""Where the gazetteer puts a request: the place a dispatcher would point to on a map."""

from __future__ import annotations

import pytest
import yaml

from case_store.dispatch import distance_km
from case_store.gazetteer import GAZETTEER_PATH, locate
from case_store.seed import region_names
from case_store.tagging import extract_details


def _at(text: str, context: str = "") -> tuple[str, str]:
    spot = locate(text, context)
    assert spot is not None, text
    return spot.name, spot.region


@pytest.mark.parametrize(("text", "name", "kind"), [
    ("义乌国际商贸城附近家里水管爆了", "义乌国际商贸城", "place"),
    ("东阳市横店镇的路灯不亮", "横店镇", "street"),
    ("东阳横店影视城门口堵车", "横店影视城", "place"),
    ("我在义乌佛堂古镇", "佛堂古镇", "place"),
    ("磐安县城停电了", "磐安县", "district"),
    ("义乌市中心医院门口", "义乌市中心医院", "place"),  # not 金华市中心医院 (市中心医院)
])
def test_the_most_specific_name_wins(text: str, name: str, kind: str) -> None:
    spot = locate(text)
    assert spot is not None and (spot.name, spot.kind) == (name, kind)


@pytest.mark.parametrize(("alias", "name"), [
    ("金华火车站", "金华站"), ("金华高铁站", "金华站"), ("小商品城", "义乌国际商贸城"),
    ("福田市场", "义乌国际商贸城"), ("浙师大", "浙江师范大学"), ("佛堂", "佛堂镇"),
])
def test_aliases_name_the_same_place(alias: str, name: str) -> None:
    assert locate(f"我在{alias}这边") == locate(name)
    assert _at(alias)[0] == name


def test_a_district_named_in_the_request_tells_same_named_streets_apart() -> None:
    assert _at("义乌市城西街道停水了") == ("城西街道", "yiwu")
    assert _at("东阳城东街道") == ("城东街道", "dongyang")
    assert _at("永康江南街道") == ("江南街道", "yongkang")
    # the tagger's place alone, with the whole request as context
    assert _at("城西街道", context="我是义乌的，城西街道这边停水了") == ("城西街道", "yiwu")
    # none named: the city's own street
    assert _at("城西街道停水了") == ("城西街道", "wucheng")


@pytest.mark.parametrize("text", [
    "", "水管爆了请派个师傅", "我要投诉噪音扰民", "幺三八零零零零幺幺幺幺",
    "武义江边的步道灯坏了",  # a river through the city, not 武义县
    "永康街上有人占道经营",  # a city street, not 永康市
])
def test_text_naming_no_jinhua_place_has_no_location(text: str) -> None:
    assert locate(text) is None


@pytest.mark.parametrize("text", [
    "喂，你好。义 乌 国际 商贸城 三区，二号门，电话幺三八零零零零幺幺幺幺",
    "ＹＩＷＵ义乌国际商贸城（5区）",
    "嗯那个那个义乌国际商贸城附近啊",
])
def test_asr_spacing_digits_and_punctuation_do_no_harm(text: str) -> None:
    assert _at(text) == ("义乌国际商贸城", "yiwu")


def test_the_taggers_place_is_located() -> None:
    place = extract_details("我家在义乌稠城街道工人路三百号，水管爆了").place
    assert _at(place) == ("稠城街道", "yiwu")


def test_every_entry_lies_in_jinhua_inside_its_own_district() -> None:
    rows = yaml.safe_load(GAZETTEER_PATH.read_text(encoding="utf-8"))["places"]
    regions = region_names()
    districts = {r["name"]: r for r in rows if r["kind"] == "district"}
    assert set(districts) == set(regions.values())
    for row in rows:
        assert row["region"] in regions, row
        assert 28.5 < row["lat"] < 29.7 and 119.2 < row["lon"] < 120.8, row
        if row["kind"] == "street":
            seat = districts[row["parent"]]
            assert seat["region"] == row["region"], row
            assert distance_km((row["lat"], row["lon"]), (seat["lat"], seat["lon"])) < 60, row
