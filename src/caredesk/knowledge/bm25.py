"""Lexical retrieval: BM25 (bm25s) over chunk passages, with codes kept whole as terms."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from numpy.typing import NDArray

from caredesk.domain.knowledge import codes_in_text

# Keeps "72148", "E0601", "M54.16" and "164.502" whole; "x12-278" becomes "x12" and "278".
_TERM = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*")
_STOPWORD_TEXT = (
    "a an and are as at be been but by can do does for from has have if in into is it its "
    "may must of on or our so such than that the their then there these this those to was "
    "were what when where which who will with within would you your"
)
# "not" and "without" stay searchable: "do not require" and "without contrast" carry meaning.
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_IDS_FILE = "chunk_ids.json"


def terms(text: str) -> list[str]:
    """Lower-case search terms: stop words dropped, plurals folded, code ranges spelled out."""
    found = [_fold(term) for term in _TERM.findall(text.lower()) if term not in _STOPWORDS]
    expanded = [code.lower() for code in codes_in_text(text)]
    return found + [code for code in expanded if code not in found]


def _fold(term: str) -> str:
    """A very light stemmer: studies → study, requests → request; codes are left alone."""
    if not term.isalpha() or len(term) <= 4:
        return term
    if term.endswith("ies"):
        return term[:-3] + "y"
    if term.endswith("s") and not term.endswith(("ss", "us", "is")):
        return term[:-1]
    return term


class Bm25Index:
    """BM25 scores of every chunk; filtering is a boolean mask over chunk positions."""

    def __init__(self, model: Any, chunk_ids: Sequence[str]) -> None:
        self._model = model
        self.chunk_ids = list(chunk_ids)
        self._vocabulary: dict[str, int] = dict(model.vocab_dict)

    @classmethod
    def build(cls, chunk_ids: Sequence[str], passages: Sequence[str]) -> Bm25Index:
        model = bm25s.BM25()
        model.index([terms(passage) or ["\u2205"] for passage in passages], show_progress=False)
        return cls(model, chunk_ids)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._model.save(str(folder), show_progress=False)
        (folder / _IDS_FILE).write_text(json.dumps(self.chunk_ids), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        model = bm25s.BM25.load(str(folder), show_progress=False)
        chunk_ids = json.loads((folder / _IDS_FILE).read_text(encoding="utf-8"))
        return cls(model, chunk_ids)

    def scores(self, query: str) -> NDArray[np.float32]:
        """The BM25 score of every chunk for `query` (zero where no term matches)."""
        known = [term for term in dict.fromkeys(terms(query)) if term in self._vocabulary]
        if not known or not self.chunk_ids:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def search(
        self, query: str, k: int, mask: NDArray[np.bool_] | None = None
    ) -> list[tuple[int, float]]:
        """(chunk position, score) of the k best chunks the mask admits, best first."""
        if k <= 0:
            return []
        scores = self.scores(query)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        ordered = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [(int(i), float(scores[i])) for i in ordered]
