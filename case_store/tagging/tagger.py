"""Request text -> kind, topic, confidence and the words that decided it.

Order of decision (each step explainable by the evidence it records):
1. danger words not negated (差点摔倒 is not one) -> emergency / elderly_emergency;
2. topic = best lexicon score, plus a naive Bayes second opinion;
3. kind = the topic's usual kind unless text cues say praise, complaint,
   suggestion or a plain question (consult).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from case_store.tagging.catalog import Catalog, load_catalog
from case_store.tagging.details import extract_details
from case_store.tagging.lexicon import Lexicon, Match, load_lexicon
from case_store.tagging.model import NaiveBayes, default_model, words
from case_store.tagging.text import compact, strip_fillers

CONFIRM_BELOW = 0.6
NB_WEIGHT = 1.5
# Topics a kind decides, not words alone.
_KIND_TOPICS = {"emergency": "elderly_emergency", "praise": "thanks"}


@dataclass
class TagResult:
    """Everything the case needs from one request."""

    text: str
    kind: str
    topic: str
    confidence: float
    evidence: list[str] = field(default_factory=list)
    needs_confirmation: bool = False
    place: str = ""
    phone: str = ""
    time: str = ""
    district: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Signals:
    topic: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    topic_words: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    kind: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    kind_words: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    request: float = 0.0
    danger: list[str] = field(default_factory=list)
    construction: list[str] = field(default_factory=list)


def _negated(text: str, m: Match, lex: Lexicon) -> bool:
    before = text[max(0, m.start - lex.negator_window):m.start]
    return any(neg in before for neg in lex.negators)


def _collect(text: str, lex: Lexicon) -> _Signals:
    s = _Signals()
    seen: set[str] = set()
    for m in lex.scan(text):
        if m.term in seen:
            continue
        seen.add(m.term)
        for axis, label, weight in m.entries:
            if axis == "topic":
                s.topic[label] += weight
                s.topic_words[label].append(m.term)
            elif axis == "kind":
                s.kind[label] += weight
                s.kind_words[label].append(m.term)
            elif axis == "request":
                s.request += weight
            elif axis == "danger" and not _negated(text, m, lex):
                s.danger.append(m.term)
            elif axis == "construction":
                s.construction.append(m.term)
    return s


_PAST = ("上次", "之前", "那天", "昨天", "前几天", "上个月", "上周", "去年")


def _thanks_for_past_help(text: str, s: _Signals) -> bool:
    """"上次老人摔倒你们马上来了 非常感谢" is praise about a past emergency, not a new one."""
    praise = s.kind.get("praise", 0.0)
    return praise >= 3 and praise > s.request and any(p in text for p in _PAST)


def _share(top: float, rest: float) -> float:
    """Confidence from how far the winner stands above the rest (0..1)."""
    return top / (top + rest + 1.0) if top > 0 else 0.0


class Tagger:
    """Holds the lexicon and model (built once); ``tag`` is pure per request."""

    def __init__(self, lexicon: Lexicon | None = None, model: NaiveBayes | None = None,
                 catalog: Catalog | None = None) -> None:
        self.lexicon = lexicon or load_lexicon()
        self.model = model if model is not None else default_model()
        self.catalog = catalog or load_catalog()
        self._ordinary = [c for c in self.catalog.topics if c not in _KIND_TOPICS.values()]

    @classmethod
    def with_additions(cls, additions_path: Path | str | None) -> Tagger:
        """A tagger whose lexicon includes agents' learned corrections."""
        return cls(lexicon=load_lexicon(additions_path))

    def _topic(self, s: _Signals, tokens: list[str]) -> tuple[str, float, list[str]]:
        scores = {c: s.topic.get(c, 0.0) for c in self._ordinary}
        nb_words: list[str] = []
        lex_ranked = sorted(scores.values(), reverse=True)
        decided = lex_ranked[0] - lex_ranked[1] > NB_WEIGHT  # the model cannot change it
        if self.model is not None and tokens and not decided:
            post = self.model.scores(tokens)
            for c in self._ordinary:
                scores[c] += NB_WEIGHT * post.get(c, 0.0)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best, top = ranked[0]
        evidence = list(s.topic_words.get(best, []))
        if self.model is not None and tokens and not decided and s.topic.get(best, 0.0) < 3:
            nb_words = [w for w in self.model.explain(tokens, best) if w not in evidence]
        lexical = s.topic.get(best, 0.0)
        rival = max((v for c, v in s.topic.items() if c != best and c in scores), default=0.0)
        conf = _share(lexical, rival) if lexical > 0 else min(0.5, top / 3)
        return best, conf, evidence + nb_words

    def _kind(self, s: _Signals, default: str) -> tuple[str, float, list[str]]:
        k = s.kind
        praise, complaint = k.get("praise", 0.0), k.get("complaint", 0.0)
        suggestion, consult = k.get("suggestion", 0.0), k.get("consult", 0.0)
        if praise >= 3 and praise > complaint and praise > s.request:
            return "praise", _share(praise, complaint + s.request), s.kind_words["praise"]
        if complaint >= 3 and complaint >= praise:
            return "complaint", _share(complaint, praise), s.kind_words["complaint"]
        building = bool(s.construction) or s.topic.get("city_suggestion", 0.0) > 0
        if suggestion >= 3 or (suggestion >= 2 and building):
            return "suggestion", _share(suggestion + len(s.construction), 0), (
                s.kind_words["suggestion"] + s.construction)
        if consult >= 3 and consult > s.request:
            return "consult", _share(consult, s.request), s.kind_words["consult"]
        rival = max(praise, complaint, suggestion, consult if consult > s.request else 0.0)
        return default, 1.0 - rival / 6.0, []

    def tag(self, text: str) -> TagResult:
        """Tag one request (any length; empty text gives a low-confidence guess)."""
        flat = compact(text)
        clean = strip_fillers(flat, self.lexicon.fillers)
        s = _collect(flat, self.lexicon)
        details = extract_details(clean)
        tokens = words(clean) if clean else []
        if s.danger and not _thanks_for_past_help(flat, s):
            kind, topic, conf = "emergency", "elderly_emergency", 0.95
            evidence = list(dict.fromkeys(s.danger))
        else:
            topic, topic_conf, topic_ev = self._topic(s, tokens)
            default = self.catalog.topics[topic].kind
            kind, kind_conf, kind_ev = self._kind(s, default)
            if kind in _KIND_TOPICS:
                topic, topic_conf = _KIND_TOPICS[kind], kind_conf
                topic_ev = []
            elif kind == "suggestion" and (s.construction or s.topic.get("city_suggestion", 0.0) > 0
                                           or s.topic.get(topic, 0.0) < 2):
                topic = "city_suggestion"
            elif kind == "complaint" and s.topic.get(topic, 0.0) == 0:
                topic = "gov_efficiency"
            conf = min(topic_conf, kind_conf)
            evidence = list(dict.fromkeys(kind_ev + topic_ev))
        conf = round(max(0.0, min(1.0, conf)), 2)
        return TagResult(
            text=text, kind=kind, topic=topic, confidence=conf, evidence=evidence,
            needs_confirmation=conf < CONFIRM_BELOW or not flat,
            place=details.place, phone=details.phone, time=details.time,
            district=details.district,
        )


_DEFAULT: Tagger | None = None


def default_tagger() -> Tagger:
    """The process-wide tagger (lexicon, jieba and model initialised once)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Tagger()
    return _DEFAULT


def tag(text: str) -> TagResult:
    """Tag one request with the process-wide tagger."""
    return default_tagger().tag(text)
