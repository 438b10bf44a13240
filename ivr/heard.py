"""What the IVR understood of a recorded request (transcript and tags)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Heard:
    """What the IVR understood of a recorded request."""

    text: str
    status: str  # ivr.speech Transcript status: ok, no_speech, unreadable, no_model, ...
    kind: str | None = None
    topic: str | None = None
    place: str | None = None
    confidence: float = 0.0
    needs_confirmation: bool = True
    alternatives: tuple[str, ...] = ()  # the two likeliest topics, for a read-back to offer

    def tags(self) -> dict:
        if self.kind is None:
            return {}
        return {"kind": self.kind, "topic": self.topic, "confidence": self.confidence,
                "needs_confirmation": self.needs_confirmation,
                "alternatives": list(self.alternatives)}
