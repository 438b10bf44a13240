"""The tagger every channel uses, and what agents' corrections teach it.

One ``LearningTagger`` per process: it tags with the packaged lexicon and model plus
the additions learned so far (a JSON file in the instance folder), and after an agent
corrects a case it learns the corrected words and request, retrains the model (about a
second) and swaps in the rebuilt tagger, so the next request said the same way is
tagged right without a restart.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from case_store.tagging import Tagger, TagResult, learn_corrections

log = logging.getLogger(__name__)
ADDITIONS_FILE = "tagger-additions.json"


class LearningTagger:
    def __init__(self, additions_path: Path | str) -> None:
        self.path = Path(additions_path)
        self._tagger = Tagger.with_additions(self.path)
        self._lock = threading.Lock()

    def tag(self, text: str) -> TagResult:
        return self._tagger.tag(text)

    def learn(self, text: str, kind: str, topic: str) -> dict[str, Any]:
        """Learn one correction (blocking: file write and retraining); returns the words
        added per topic. Serialised, since two agents may correct at once."""
        with self._lock:
            added = learn_corrections([(text, kind, topic)], self.path)
            self._tagger = Tagger.with_additions(self.path)
            log.info("tagger learned %s/%s from a correction, words %s", kind, topic,
                     added["topics"])
            return added
