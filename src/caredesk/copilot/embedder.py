"""The sentence model, loaded on first use: building the service must not pay for it."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from caredesk.knowledge.embeddings import MiniLmEmbedder, Vectors


class LazyEmbedder:
    """all-MiniLM-L6-v2, loaded the first time something is embedded; one instance is shared
    by the knowledge base (passages, queries) and the copilot (ranking and verification)."""

    model_id = MiniLmEmbedder.model_id
    dimensions = MiniLmEmbedder.dimensions

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: MiniLmEmbedder | None = None

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._loaded().embed(texts)

    def _loaded(self) -> MiniLmEmbedder:
        with self._lock:
            if self._model is None:
                self._model = MiniLmEmbedder()
            return self._model
