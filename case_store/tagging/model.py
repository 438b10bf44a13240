"""jieba words of a request (what corrections learn from) and the packaged example requests.

The tagger itself reads character n-grams and lexicon words (``linear.py``); jieba
splits a corrected request into the words the lexicon should learn.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources

import jieba
import yaml

DEV_FILE = "requests_dev.tsv"
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


def train_rows() -> list[tuple[str, str, str]]:
    """The packaged example requests as (kind, topic, text)."""
    text = resources.files(__package__).joinpath("train.yaml").read_text(encoding="utf-8")
    return [(str(k), str(t), str(x)) for k, t, x in yaml.safe_load(text)]


def dev_rows() -> list[tuple[str, str, str]]:
    """The development part of the evaluation set (kind, topic, text): training material.
    Its test part (tests/tagging/test.tsv) is never packaged nor learned from."""
    text = resources.files(__package__).joinpath(DEV_FILE).read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines()[1:] if line.strip()]
    return [(k, t, x) for k, t, x in rows]
