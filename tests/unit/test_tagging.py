"""Tagger behaviour a dispatcher would notice: right kind/topic, danger first, details."""

from __future__ import annotations

from pathlib import Path

import pytest

from case_store.tagging import Tagger, extract_details, learn_corrections, load_catalog, tag

HERE = Path(__file__).parent


def _rows(name: str) -> list[tuple[str, str, str]]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(line.split("\t")) for line in lines if line.strip()]  # type: ignore[misc]


@pytest.mark.parametrize("name", ["tagging_eval.tsv", "tagging_holdout.tsv"])
def test_accuracy_on_composed_requests(name: str) -> None:
    rows = _rows(name)
    results = [(kind, topic, tag(text)) for kind, topic, text in rows]
    kind_acc = sum(r.kind == k for k, _, r in results) / len(rows)
    topic_acc = sum(r.topic == t for _, t, r in results) / len(rows)
    assert kind_acc >= 0.95, kind_acc
    assert topic_acc >= 0.90, topic_acc


def test_eval_set_covers_every_topic_with_catalog_codes() -> None:
    catalog = load_catalog()
    rows = _rows("tagging_eval.tsv")
    assert {k for k, _, _ in rows} <= set(catalog.kinds)
    assert {t for _, t, _ in rows} == set(catalog.topics)


@pytest.mark.parametrize("text", [
    "我摔倒了起不来 快来人", "喂 嗯 我家老头子晕倒了", "厨房里一股煤气味", "楼下着火了 救命",
    "老伴喘不上气 快叫救护车",
])
def test_danger_words_always_mean_emergency(text: str) -> None:
    result = tag(text)
    assert (result.kind, result.topic) == ("emergency", "elderly_emergency")
    assert result.evidence


@pytest.mark.parametrize("text", ["路上有个大坑 电动车差点摔倒", "燃气灶打不着火了 找人修"])
def test_negated_or_harmless_danger_words_are_not_emergencies(text: str) -> None:
    assert tag(text).kind != "emergency"


@pytest.mark.parametrize(("text", "kind", "topic"), [
    ("修空调的师傅收了钱还是不制冷 我要投诉他", "complaint", "appliance_repair"),
    ("我想表扬一下来修水管的师傅", "praise", "thanks"),
    ("建议冬天路灯早点开", "suggestion", "street_light"),
    ("建议在江边多建几个公共厕所", "suggestion", "city_suggestion"),
    ("我想问一下叫开锁师傅需要带什么证明", "consult", "unlock"),
    ("请问明天计划停水是几点到几点", "consult", "water_outage"),
    ("小区停水了 什么时候能来水", "affairs", "water_outage"),
    ("麻烦尽快派人来修空调 谢谢", "life", "appliance_repair"),
])
def test_text_cues_override_the_topic_default_kind(text: str, kind: str, topic: str) -> None:
    result = tag(text)
    assert (result.kind, result.topic) == (kind, topic)


def test_asr_style_input_with_fillers_and_spaces() -> None:
    result = tag("喂 那个 嗯 我 家 马 通 堵 了 那个")
    assert result.topic == "drain"


def test_clear_request_is_confident_and_noise_needs_confirmation() -> None:
    clear = tag("厨房下水道堵了 找人来疏通一下")
    vague = tag("嗯 那个 就是 你好")
    assert clear.confidence >= 0.6 and not clear.needs_confirmation
    assert vague.needs_confirmation and vague.confidence < clear.confidence
    assert tag("").needs_confirmation


def test_details_for_the_dispatcher() -> None:
    d = extract_details("我住在婺城区宾虹路128号 电话幺三八零五七九一二三四五 明天上午九点左右来")
    assert d.place == "宾虹路128号"
    assert d.phone == "13805791234"
    assert d.time == "明天上午九点左右"
    assert d.district == "婺城区"


@pytest.mark.parametrize(("text", "phone"), [
    ("回电一三九 五七九八 六六五四", "13957986654"),
    ("座机八二三四五六七八", "82345678"),
    ("打 0579-82345678", "057982345678"),
    ("干了三个月 老板不给钱", ""),
])
def test_spoken_callback_numbers(text: str, phone: str) -> None:
    assert extract_details(text).phone == phone


@pytest.mark.parametrize(("text", "place", "district"), [
    ("金东区多湖街道东湄村的路灯坏了", "多湖街道东湄村", "金东区"),
    ("人民路和解放路口的红绿灯坏了", "人民路和解放路口", ""),
    ("我在义乌稠城街道", "稠城街道", "义乌市"),
    ("我们小区停水了", "", ""),
])
def test_places_and_districts(text: str, place: str, district: str) -> None:
    d = extract_details(text)
    assert (d.place, d.district) == (place, district)


def test_time_expressions() -> None:
    assert extract_details("今天下午三点能来吗").time == "今天下午三点"
    assert extract_details("下周三上午").time == "下周三上午"


def test_agent_corrections_extend_the_lexicon(tmp_path: Path) -> None:
    text = "家里的暖气片不热了"
    before = Tagger().tag("暖气片不热")
    store = tmp_path / "learned.json"
    added = learn_corrections([(text, "life", "appliance_repair")], store)
    assert "暖气片" in added["topics"]["appliance_repair"]
    after = Tagger.with_additions(store).tag("暖气片不热")
    assert after.topic == "appliance_repair"
    assert after.confidence > before.confidence
    assert "暖气片" in after.evidence
    # learning the same correction twice adds nothing new
    assert learn_corrections([(text, "life", "appliance_repair")], store) == {"topics": {}}


def test_corrections_reject_unknown_codes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        learn_corrections([("x", "life", "no_such_topic")], tmp_path / "l.json")
