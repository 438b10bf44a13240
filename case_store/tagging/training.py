"""What the linear model learns from: packaged requests, lexicon words, agents' corrections.

Packaged example requests (``train.yaml`` and the development part of the evaluation
set, ``requests_dev.tsv``) count once each; every strong lexicon word
(weight 2 or more) is a small pseudo-request of its topic's usual kind, so the model knows
the whole lexicon; each request an agent corrected (desk, or the read-back the caller
answered) counts ``CORRECTION_WEIGHT`` times, so the next caller who says it the same way
is tagged the corrected way. Training takes about a second; the packaged model is built
once per process, and cached on disk (``cache_path``) under a digest of everything it
is trained from, so a restart or `hotline tag` loads it in milliseconds.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from case_store.tagging.catalog import load_catalog
from case_store.tagging.lexicon import Lexicon, base_lexicon_data, load_lexicon
from case_store.tagging.linear import (
    Example,
    JointModel,
    features,
    load_model,
    save_model,
    train,
)
from case_store.tagging.model import dev_rows, train_rows
from case_store.tagging.text import normalise, strip_fillers

log = logging.getLogger(__name__)
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


# everything that shapes what the model learns: the material, and the code that reads it
_SOURCES = ("train.yaml", "requests_dev.tsv", "lexicon.yaml", "linear.py", "training.py",
            "text.py", "lexicon.py", "model.py")


def cache_path() -> Path:
    """Where the packaged model is cached: $HOTLINE_CACHE_DIR or ~/.cache/hotline, named
    by a digest of the training material and code (a change retrains)."""
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update(resources.files(__package__).joinpath(name).read_bytes())
    digest.update(resources.files("case_store").joinpath("catalog.yaml").read_bytes())
    base = os.environ.get("HOTLINE_CACHE_DIR") or Path.home() / ".cache" / "hotline"
    return Path(base) / f"tagger-{digest.hexdigest()[:16]}.npz"


@lru_cache(maxsize=1)
def default_model() -> JointModel:
    """The packaged model (no corrections): from the disk cache, else trained and cached."""
    path = cache_path()
    try:
        return load_model(path)
    except (OSError, ValueError, KeyError):
        pass  # not cached yet (or unreadable): train
    model = train_model(load_lexicon())
    try:
        save_model(model, path)
    except OSError as exc:  # a read-only home still tags, it just trains each start
        log.warning("tagger model not cached at %s: %s", path, exc)
    return model
