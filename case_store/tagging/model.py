"""A small naive Bayes topic model over jieba words: the tagger's second opinion.

Trained at start-up from the packaged ``train.yaml`` plus the lexicon itself, so it
is offline, reproducible and explainable (each word's log-likelihood ratio is the
evidence). It helps where a request uses words the lexicon lacks.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import jieba
import yaml

_STOPWORDS = frozenset(
    "我 你 他 她 我们 你们 他们 的 了 在 是 有 就 都 也 还 又 一个 一下 这个 那个 "
    "什么 怎么 吗 呢 吧 啊 嗯 喂 想 要 能 能不能 可以 帮 帮忙 麻烦 一直 现在 "
    "今天 明天 已经 没有 不 很 太 请问 家 家里 这 那 个".split()
)


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """One jieba tokenizer per process, with the lexicon words added (initialised once)."""
    from case_store.tagging.lexicon import base_lexicon_data

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for table in base_lexicon_data().get("topics", {}).values():
        for words in table.values():
            for word in words or ():
                if len(str(word)) >= 2:
                    tok.add_word(str(word), freq=2000)
    return tok


def words(text: str) -> list[str]:
    """Content words of a request, as the model sees them."""
    return [w for w in tokenizer().lcut(text, HMM=False) if w not in _STOPWORDS and w.strip()]


@dataclass
class NaiveBayes:
    """Multinomial naive Bayes with add-one smoothing over word counts."""

    log_prior: dict[str, float]
    log_like: dict[str, dict[str, float]]
    log_unseen: dict[str, float]

    def __post_init__(self) -> None:
        # Per word, its gain over "unseen" for every label: scoring is then a few
        # vector additions instead of a dictionary lookup per (word, label).
        self._labels = list(self.log_prior)
        vocab = {t for table in self.log_like.values() for t in table}
        self._gain = {
            t: tuple(self.log_like[k].get(t, self.log_unseen[k]) - self.log_unseen[k]
                     for k in self._labels)
            for t in vocab
        }

    def scores(self, tokens: Iterable[str]) -> dict[str, float]:
        """Posterior probability per topic."""
        gains = [g for g in map(self._gain.get, tokens) if g is not None]
        n = len(gains)
        logs = [self.log_prior[k] + n * self.log_unseen[k] for k in self._labels]
        for g in gains:
            logs = [x + y for x, y in zip(logs, g, strict=True)]
        top = max(logs)
        exp = [math.exp(v - top) for v in logs]
        total = sum(exp)
        return {k: e / total for k, e in zip(self._labels, exp, strict=True)}

    def explain(self, tokens: Iterable[str], label: str, limit: int = 3) -> list[str]:
        """Words that most favour ``label`` over the average topic."""
        i = self._labels.index(label)
        ranked = []
        for t in set(tokens):
            g = self._gain.get(t)
            if g is not None:
                ranked.append((g[i] - sum(g) / len(g), t))
        return [t for gain, t in sorted(ranked, reverse=True)[:limit] if gain > 0]


def train(examples: Iterable[tuple[str, list[str]]]) -> NaiveBayes:
    """Fit from (label, tokens) pairs."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    docs: Counter[str] = Counter()
    for label, toks in examples:
        counts[label].update(toks)
        docs[label] += 1
    vocab = {t for c in counts.values() for t in c}
    total_docs = sum(docs.values())
    log_prior = {k: math.log(docs[k] / total_docs) for k in counts}
    log_like, log_unseen = {}, {}
    for label, c in counts.items():
        denom = sum(c.values()) + len(vocab)
        log_like[label] = {t: math.log((n + 1) / denom) for t, n in c.items()}
        log_unseen[label] = math.log(1 / denom)
    return NaiveBayes(log_prior, log_like, log_unseen)


def train_rows() -> list[tuple[str, str, str]]:
    """The packaged example requests as (kind, topic, text)."""
    text = resources.files(__package__).joinpath("train.yaml").read_text(encoding="utf-8")
    return [(str(k), str(t), str(x)) for k, t, x in yaml.safe_load(text)]


def training_examples() -> list[tuple[str, list[str]]]:
    """Packaged example requests plus one pseudo-document per lexicon word."""
    from case_store.tagging.lexicon import base_lexicon_data

    out: list[tuple[str, list[str]]] = []
    for _kind, topic, text in train_rows():
        out.append((topic, words(text)))
    for topic, table in base_lexicon_data().get("topics", {}).items():
        for weight, terms in table.items():
            if int(weight) >= 2:
                out.extend((topic, [str(t)]) for t in terms or ())
    return out


@lru_cache(maxsize=1)
def default_model() -> NaiveBayes:
    """The model trained from the packaged data, built once per process."""
    return train(training_examples())
