"""Request text -> kind, topic, confidence and the words that decided it.

Order of decision (each step explainable by the evidence it records):
1. danger words not negated (差点摔倒 is not one), or a sound-alike of the few that must
   never be missed (云倒, 着伙) -> emergency / elderly_emergency, whatever the model says;
2. the lexicon rules give a reading: topic = best lexicon score, kind = the topic's usual
   kind unless text cues say praise, complaint, suggestion or a plain question;
3. a linear model over character n-grams and lexicon words scores every kind|topic pair
   jointly; the rules' reading adds ``RULE_WEIGHT`` × its own confidence to its pair, and
   the best pair wins. The probability of its kind is the confidence: at or above
   ``CONFIRM_BELOW`` the tag is applied, below it an agent (or the caller, from the top
   two topics in ``alternatives``) confirms.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from case_store.tagging.catalog import Catalog, load_catalog
from case_store.tagging.details import extract_details
from case_store.tagging.lexicon import Lexicon, Match, load_lexicon, read_additions
from case_store.tagging.linear import JointModel, features, posterior
from case_store.tagging.sounds import sound_matcher
from case_store.tagging.text import normalise, strip_fillers
from case_store.tagging.training import default_model, train_model

# Chosen on the development part (requests_dev.tsv), out-of-fold: the lowest confidence
# at which 98% of the auto-applied kinds are right (`hotline bench tagging`, dev_kfold).
CONFIRM_BELOW = 0.9477
RULE_WEIGHT = 4.0
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
    alternatives: list[str] = field(default_factory=list)  # the two likeliest topics
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
    terms: list[str] = field(default_factory=list)


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
        s.terms.append(m.term)
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
    for heard in sound_matcher().find(text):
        m = Match(heard.word, heard.start, heard.end, ())
        if not _negated(text, m, lex):
            s.danger.append(heard.word)
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

    def __init__(self, lexicon: Lexicon | None = None, model: JointModel | None = None,
                 catalog: Catalog | None = None, confirm_below: float = CONFIRM_BELOW,
                 rule_weight: float = RULE_WEIGHT) -> None:
        self.lexicon = lexicon or load_lexicon()
        self.catalog = catalog or load_catalog()
        if model is None:
            model = default_model() if lexicon is None else train_model(self.lexicon)
        self.model = model
        self.confirm_below = confirm_below
        self.rule_weight = rule_weight
        self._ordinary = [c for c in self.catalog.topics if c not in _KIND_TOPICS.values()]
        self._kind_ix = {k: i for i, k in enumerate(self.model.kinds)}
        self._topic_ix = {t: i for i, t in enumerate(self.model.topics)}

    @classmethod
    def with_additions(cls, additions_path: Path | str | None) -> Tagger:
        """A tagger whose lexicon and model include agents' learned corrections (none
        learned yet: the packaged ones, trained once per process)."""
        additions = read_additions(additions_path)
        if not additions:
            return cls()
        lexicon = load_lexicon(additions_path)
        return cls(lexicon=lexicon, model=train_model(lexicon, additions))

    def _rule_topic(self, s: _Signals) -> tuple[str, float]:
        scores = {c: s.topic.get(c, 0.0) for c in self._ordinary}
        best = max(scores, key=scores.__getitem__)
        lexical = scores[best]
        rival = max((v for c, v in scores.items() if c != best), default=0.0)
        return best, _share(lexical, rival)

    def _kind(self, s: _Signals, default: str) -> tuple[str, float]:
        k = s.kind
        praise, complaint = k.get("praise", 0.0), k.get("complaint", 0.0)
        suggestion, consult = k.get("suggestion", 0.0), k.get("consult", 0.0)
        if praise >= 3 and praise > complaint and praise > s.request:
            return "praise", _share(praise, complaint + s.request)
        if complaint >= 3 and complaint >= praise:
            return "complaint", _share(complaint, praise)
        building = bool(s.construction) or s.topic.get("city_suggestion", 0.0) > 0
        if suggestion >= 3 or (suggestion >= 2 and building):
            return "suggestion", _share(suggestion + len(s.construction), 0)
        if consult >= 3 and consult > s.request:
            return "consult", _share(consult, s.request)
        rival = max(praise, complaint, suggestion, consult if consult > s.request else 0.0)
        return default, 1.0 - rival / 6.0

    def _rules(self, s: _Signals) -> tuple[str, str, float]:
        """The lexicon rules' reading (kind, topic, confidence)."""
        topic, topic_conf = self._rule_topic(s)
        kind, kind_conf = self._kind(s, self.catalog.topics[topic].kind)
        if kind in _KIND_TOPICS:
            topic, topic_conf = _KIND_TOPICS[kind], kind_conf
        elif kind == "suggestion" and (s.construction or s.topic.get("city_suggestion", 0.0) > 0
                                       or s.topic.get(topic, 0.0) < 2):
            topic = "city_suggestion"
        elif kind == "complaint" and s.topic.get(topic, 0.0) == 0:
            topic = "gov_efficiency"
        return kind, topic, min(topic_conf, kind_conf)

    def scores(self, clean: str, s: _Signals) -> np.ndarray:
        """Probability of every (kind, topic) pair: the model's grid, with the rules'
        reading adding ``rule_weight`` × its confidence to its pair (half to its kind)."""
        grid = self.model.grid(features(clean, s.terms))
        kind, topic, conf = self._rules(s)
        i, j = self._kind_ix.get(kind), self._topic_ix.get(topic)
        if i is not None and j is not None and conf > 0:
            grid[i, :] += 0.5 * self.rule_weight * conf
            grid[i, j] += 0.5 * self.rule_weight * conf
        return posterior(grid)

    def _alternatives(self, post: np.ndarray) -> list[str]:
        by_topic = post.sum(axis=0)
        first = int(by_topic.argmax())
        by_topic[first] = -1.0
        return [self.model.topics[first], self.model.topics[int(by_topic.argmax())]]

    def tag(self, text: str) -> TagResult:
        """Tag one request (any length; empty text gives a low-confidence guess)."""
        flat = normalise(text)
        clean = strip_fillers(flat, self.lexicon.fillers)
        s = _collect(flat, self.lexicon)
        details = extract_details(clean)
        post = self.scores(clean, s)
        alternatives = self._alternatives(post)
        if s.danger and not _thanks_for_past_help(flat, s):
            kind, topic, conf = "emergency", "elderly_emergency", 0.95
            evidence = list(dict.fromkeys(s.danger))
        else:
            i, j = np.unravel_index(int(post.argmax()), post.shape)
            kind, topic = self.model.kinds[i], self.model.topics[j]
            conf = float(post[i].sum())  # P(kind): what decides the handling and the clock
            words = s.kind_words.get(kind, []) + s.topic_words.get(topic, [])
            evidence = list(dict.fromkeys(words))
        conf = round(max(0.0, min(1.0, conf)), 4)
        return TagResult(
            text=text, kind=kind, topic=topic, confidence=conf, evidence=evidence,
            needs_confirmation=conf < self.confirm_below or not flat,
            alternatives=alternatives, place=details.place, phone=details.phone,
            time=details.time, district=details.district,
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
