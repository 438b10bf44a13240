"""What the linear model learns from: packaged requests, lexicon words, agents' corrections.

Packaged example requests (``train.yaml`` and the development part of the evaluation
set, ``requests_dev.tsv``) count once each; every strong lexicon word
(weight 2 or more) is a small pseudo-request of its topic's usual kind, so the model knows
the whole lexicon; each request an agent corrected (desk, or the read-back the caller
answered) counts ``CORRECTION_WEIGHT`` times, so the next caller who says it the same way
is tagged the corrected way. Training takes about a second; the packaged model is built
once per process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from case_store.tagging.catalog import load_catalog
from case_store.tagging.lexicon import Lexicon, base_lexicon_data, load_lexicon
from case_store.tagging.linear import Example, JointModel, features, train
from case_store.tagging.model import dev_rows, train_rows
from case_store.tagging.text import normalise, strip_fillers

LEXICON_WEIGHT = 0.1
CORRECTION_WEIGHT = 3.0


def request_features(text: str, lexicon: Lexicon) -> list[str]:
    """The model's features of a request, as the tagger computes them."""
    flat = normalise(text)
    terms = dict.fromkeys(m.term for m in lexicon.scan(flat))
    return features(strip_fillers(flat, lexicon.fillers), terms)


def examples(lexicon: Lexicon, rows: Iterable[tuple[str, str, str]],
             corrections: Iterable[tuple[str, str, str]] = ()) -> list[Example]:
    """Training examples from (kind, topic, text) rows, lexicon words and corrections."""
    topics = load_catalog().topics
    out: list[Example] = [(k, t, request_features(x, lexicon), 1.0) for k, t, x in rows]
    for topic, table in base_lexicon_data().get("topics", {}).items():
        for weight, terms in table.items():
            if int(weight) >= 2 and topic in topics:
                out.extend((topics[topic].kind, topic, features(str(w), [str(w)]),
                            LEXICON_WEIGHT) for w in terms or ())
    out.extend((k, t, request_features(x, lexicon), CORRECTION_WEIGHT)
               for k, t, x in corrections)
    return out


def corrections_in(additions: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The corrected requests kept in a learned-additions file, as (kind, topic, text)."""
    return [(str(k), str(t), str(x)) for k, t, x in additions.get("examples", [])]


def train_model(lexicon: Lexicon, additions: Mapping[str, Any] | None = None) -> JointModel:
    """The model for ``lexicon``, with the corrections in ``additions`` (if any)."""
    rows = train_rows() + dev_rows()
    return train(examples(lexicon, rows, corrections_in(additions or {})))


@lru_cache(maxsize=1)
def default_model() -> JointModel:
    """The packaged model (no corrections), trained once per process."""
    return train_model(load_lexicon())
