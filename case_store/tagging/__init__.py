"""Tagging: a request's text -> kind, topic, confidence, evidence and dispatcher details.

Plain logic over a packaged lexicon (lexicon.yaml), jieba words and a linear model of
kind x topic (linear.py, trained from training.py's material); no I/O except reading
packaged data, the learned-additions file and the cached model.
"""

from case_store.tagging.catalog import Catalog, Topic, load_catalog
from case_store.tagging.corrections import learn_corrections, lexicon_additions
from case_store.tagging.details import Details, extract_details
from case_store.tagging.tagger import CONFIRM_BELOW, Tagger, TagResult, default_tagger, tag

__all__ = [
    "CONFIRM_BELOW", "Catalog", "Details", "TagResult", "Tagger", "Topic", "default_tagger",
    "extract_details", "learn_corrections", "lexicon_additions", "load_catalog", "tag",
]
