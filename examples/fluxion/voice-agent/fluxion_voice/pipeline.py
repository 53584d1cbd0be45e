"""The voice pipeline's layers, as small stand-ins that do real work of the same shape.

L0 matches commands with regular expressions, L1 picks an intent from keywords, L2 fills slots, L3 searches a
vector index (numpy when it is installed, plain Python otherwise), L4 asks a language model: here a stub that
answers after ``FLUXION_LLM_STUB_MS`` milliseconds (default 40), standing in for the Groq call.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

try:
    import numpy
except ImportError:  # optional: plain Python does the same search, slower
    numpy = None

LLM_DELAY_ENV = "FLUXION_LLM_STUB_MS"

_COMMANDS = {
    "stop": re.compile(r"^\s*(stop|cancel|never ?mind)\b", re.IGNORECASE),
    "repeat": re.compile(r"^\s*(repeat|say (that|it) again)\b", re.IGNORECASE),
    "volume": re.compile(r"\b(volume|louder|quieter)\b", re.IGNORECASE),
}
_INTENTS = {
    "book_appointment": ("book", "appointment", "schedule", "reserve"),
    "cancel_appointment": ("cancel", "appointment", "drop"),
    "opening_hours": ("open", "hours", "close", "closing"),
    "send_message": ("message", "whatsapp", "text", "send"),
}
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow"
_SLOTS = {
    "day": re.compile(rf"\b({_DAYS})\b", re.IGNORECASE),
    "time": re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b", re.IGNORECASE),
    "person": re.compile(r"\b(?:with|for|to)\s+([A-Z][a-z]+)\b"),
}


def match_command(text: str) -> str | None:
    """L0: a control command said at any time ("stop", "repeat"), or None."""
    for name, pattern in _COMMANDS.items():
        if pattern.search(text):
            return name
    return None


def classify(text: str) -> str:
    """L1: the intent whose keywords the utterance shares most, ``unknown`` when none."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    scores = {intent: len(words.intersection(keys)) for intent, keys in _INTENTS.items()}
    best = max(scores, key=lambda intent: scores[intent])
    return best if scores[best] else "unknown"


def fill_slots(text: str) -> dict[str, str]:
    """L2: day, time and person, where the utterance says them."""
    slots: dict[str, str] = {}
    for name, pattern in _SLOTS.items():
        found = pattern.search(text)
        if found:
            slots[name] = found.group(0 if name == "time" else 1).strip()
    return slots


def embed(text: str, dims: int = 64) -> list[float]:
    """A deterministic unit vector for a text (hashed character trigrams), standing in for an encoder."""
    vector = [0.0] * dims
    padded = f"  {text.lower()}  "
    for i in range(len(padded) - 2):
        digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "little") % dims] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


@dataclass
class VectorIndex:
    """L3: nearest neighbours by cosine similarity over unit vectors, like a flat FAISS index."""

    texts: Sequence[str]
    vectors: object  # a numpy matrix, or a list of lists without numpy

    @classmethod
    def build(cls, texts: Sequence[str]) -> VectorIndex:
        rows = [embed(t) for t in texts]
        if numpy is not None:
            return cls(texts, numpy.asarray(rows, dtype=numpy.float32))
        return cls(texts, rows)

    def search(self, query: Sequence[float], k: int = 3) -> list[tuple[str, float]]:
        if numpy is not None and isinstance(self.vectors, numpy.ndarray):
            scores = self.vectors @ numpy.asarray(query, dtype=numpy.float32)
            best = numpy.argsort(-scores)[:k]
            return [(self.texts[i], float(scores[i])) for i in best]
        rows: list[list[float]] = self.vectors  # type: ignore[assignment]
        scored = [(sum(a * b for a, b in zip(row, query)), i) for i, row in enumerate(rows)]
        scored.sort(reverse=True)
        return [(self.texts[i], score) for score, i in scored[:k]]


def llm_reply(prompt: str, environ: Mapping[str, str] | None = None) -> str:
    """L4: the language model's answer. A stub: it waits ``FLUXION_LLM_STUB_MS`` as the network call would."""
    env = os.environ if environ is None else environ
    delay_ms = float(env.get(LLM_DELAY_ENV) or 40)
    time.sleep(delay_ms / 1000.0)
    return f"(reply to {prompt[:40]!r})"
