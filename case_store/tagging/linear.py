"""A linear model over character n-grams and lexicon words, decoding kind and topic jointly.

Two logistic regressions (scikit-learn) read the same features, one for the kind and
one for the topic; a pair prior (how often each kind goes with each topic in the
training material, smoothed) joins them, and the best kind × topic pair is decoded from
the whole grid, so a complaint about a repair company stays a complaint *and* a repair.
Scoring is plain numpy: a request's features index rows of one weight matrix, a few
microseconds and no sklearn call. Character n-grams carry a request past
speech-recognition slips (冰相, 马通) and words no lexicon lists.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NGRAMS = (1, 2, 3)
# Inverse regularisation and feature scaling, chosen on the development part (k-fold):
# the kind reads length-normalised features (a long request is not more of a complaint),
# the topic plain binary ones (every topic word counts).
C_KIND = 256.0
C_TOPIC = 16.0
PAIR_SMOOTHING = 0.5  # pseudo-count of a kind × topic pair never seen in training
Example = tuple[str, str, list[str], float]  # kind, topic, features, sample weight


def features(clean: str, terms: Iterable[str]) -> list[str]:
    """Character 1-3 grams of the filler-free text plus the lexicon words found in it."""
    text = clean.replace(" ", "")
    out = [text[i:i + n] for n in NGRAMS for i in range(len(text) - n + 1)]
    out.extend("w:" + t for t in terms)
    return out


@dataclass
class JointModel:
    """Kind and topic weights side by side, and the log prior of every kind × topic pair."""

    kinds: list[str]
    topics: list[str]
    vocab: dict[str, int]
    weights: np.ndarray  # (features, kinds + topics)
    bias: np.ndarray  # (kinds + topics,)
    pair_prior: np.ndarray  # (kinds, topics), log P(topic | kind) smoothed

    def grid(self, feats: Sequence[str]) -> np.ndarray:
        """Log score (up to a constant) of every (kind, topic) pair: kind logit + topic
        logit + pair prior. The softmax normalisers cancel in ``posterior``."""
        vocab = self.vocab
        idx = [i for i in map(vocab.get, set(feats)) if i is not None]
        nk = len(self.kinds)
        logits = self.bias.copy()
        if idx:
            summed = self.weights[idx].sum(axis=0)
            summed[:nk] /= math.sqrt(len(idx))
            logits += summed
        return logits[:nk, None] + logits[None, nk:] + self.pair_prior


def posterior(grid: np.ndarray) -> np.ndarray:
    """The grid of log scores as probabilities summing to one."""
    p = np.exp(grid - grid.max())
    return p / p.sum()


def _fit(x, y: list[int], w: list[float], c: float) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # small problem: threads only contend on a shared machine
        clf = LogisticRegression(C=c, max_iter=200)
        clf.fit(x, y, sample_weight=w)
    return clf.coef_.T, clf.intercept_


def train(examples: Sequence[Example], c_kind: float = C_KIND,
          c_topic: float = C_TOPIC) -> JointModel:
    """Fit the kind regression on length-normalised and the topic one on binary features."""
    from scipy.sparse import csr_matrix, diags

    kinds = sorted({k for k, _, _, _ in examples})
    topics = sorted({t for _, t, _, _ in examples})
    kind_ix = {k: i for i, k in enumerate(kinds)}
    topic_ix = {t: i for i, t in enumerate(topics)}
    vocab: dict[str, int] = {}
    rows, cols, scale, w = [], [], [], []
    for r, (_kind, _topic, feats, weight) in enumerate(examples):
        ids = sorted({vocab.setdefault(f, len(vocab)) for f in feats})
        rows.extend([r] * len(ids))
        cols.extend(ids)
        scale.append(1.0 / math.sqrt(max(1, len(ids))))
        w.append(weight)
    x = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(examples), len(vocab)))
    kind_w, kind_b = _fit(diags(scale) @ x, [kind_ix[k] for k, _, _, _ in examples], w, c_kind)
    topic_w, topic_b = _fit(x, [topic_ix[t] for _, t, _, _ in examples], w, c_topic)
    pairs = Counter((kind_ix[k], topic_ix[t]) for k, t, _, _ in examples)
    counts = np.full((len(kinds), len(topics)), PAIR_SMOOTHING / len(topics))
    for (i, j), n in pairs.items():
        counts[i, j] += n
    prior = np.log(counts / counts.sum(axis=1, keepdims=True))
    return JointModel(kinds=kinds, topics=topics, vocab=vocab,
                      weights=np.hstack([kind_w, topic_w]).astype(np.float32),
                      bias=np.concatenate([kind_b, topic_b]).astype(np.float32),
                      pair_prior=prior.astype(np.float32))


def save_model(model: JointModel, path: Path) -> None:
    """Write the model as plain arrays (``.npz``, no pickle), atomically."""
    vocab = sorted(model.vocab, key=model.vocab.__getitem__)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        np.savez(handle, kinds=np.array(model.kinds), topics=np.array(model.topics),
                 vocab=np.array(vocab), weights=model.weights, bias=model.bias,
                 pair_prior=model.pair_prior)
    os.replace(tmp, path)


def load_model(path: Path) -> JointModel:
    """A model written by ``save_model``."""
    with np.load(path, allow_pickle=False) as data:
        return JointModel(kinds=[str(k) for k in data["kinds"]],
                          topics=[str(t) for t in data["topics"]],
                          vocab={str(f): i for i, f in enumerate(data["vocab"])},
                          weights=data["weights"], bias=data["bias"],
                          pair_prior=data["pair_prior"])
