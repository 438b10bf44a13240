"""A small naive Bayes topic model over jieba words: the tagger's second opinion.

Trained at start-up from the packaged ``train.tsv`` plus the lexicon itself, so it
is offline, reproducible and explainable (each word's log-likelihood ratio is the
evidence). It helps where a request uses words the lexicon lacks.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import jieba

_STOPWORDS = frozenset(
    "我 你 他 她 我们 你们 他们 的 了 在 是 有 就 都 也 还 又 一个 一下 这个 那个 "
    "什么 怎么 吗 呢 吧 啊 嗯 喂 想 要 能 能不能 可以 帮 帮忙 麻烦 一直 现在 "
    "今天 明天 已经 没有 不 很 太 请问 家 家里 这 那 个".split()
)


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """One jieba tokenizer per process, with the lexicon words added (initialised once)."""
    from case_store.tagging.lexicon import base_lexicon_data

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

    def scores(self, tokens: Iterable[str]) -> dict[str, float]:
        """Posterior probability per topic."""
        toks = [t for t in tokens if any(t in table for table in self.log_like.values())]
        logs = {}
        for label, prior in self.log_prior.items():
            like, unseen = self.log_like[label], self.log_unseen[label]
            logs[label] = prior + sum(like.get(t, unseen) for t in toks)
        top = max(logs.values())
        exp = {k: math.exp(v - top) for k, v in logs.items()}
        total = sum(exp.values())
        return {k: v / total for k, v in exp.items()}

    def explain(self, tokens: Iterable[str], label: str, limit: int = 3) -> list[str]:
        """Words that most favour ``label`` over the average topic."""
        like = self.log_like[label]
        gains = []
        for t in set(tokens):
            if t in like:
                others = [tbl.get(t, self.log_unseen[k]) for k, tbl in self.log_like.items()]
                gains.append((like[t] - sum(others) / len(others), t))
        return [t for g, t in sorted(gains, reverse=True)[:limit] if g > 0]


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


def training_examples() -> list[tuple[str, list[str]]]:
    """Packaged example requests plus one pseudo-document per lexicon word."""
    from case_store.tagging.lexicon import base_lexicon_data

    out: list[tuple[str, list[str]]] = []
    text = resources.files(__package__).joinpath("train.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] != "kind":
            out.append((parts[1], words(parts[2])))
    for topic, table in base_lexicon_data().get("topics", {}).items():
        for weight, terms in table.items():
            if int(weight) >= 2:
                out.extend((topic, [str(t)]) for t in terms or ())
    return out


@lru_cache(maxsize=1)
def default_model() -> NaiveBayes:
    """The model trained from the packaged data, built once per process."""
    return train(training_examples())
