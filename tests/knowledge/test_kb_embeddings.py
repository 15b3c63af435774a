"""The offline embedder: meaningful similarities, a verified model file, a persistent cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from caredesk.domain.errors import UpstreamUnavailable
from caredesk.knowledge.embeddings import CachedEmbedder, Embedder, MiniLmEmbedder, QueryEmbedder


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(model: MiniLmEmbedder) -> None:
    question, paraphrase, unrelated = model.embed(
        [
            "Does a lumbar spine MRI need prior authorization?",
            "Is pre-approval required before an MRI of the lower back?",
            "The cafeteria serves soup on Fridays.",
        ]
    )
    assert float(question @ paraphrase) > 0.6
    assert float(question @ paraphrase) > float(question @ unrelated) + 0.4


def test_vectors_are_unit_length_and_independent_of_batch_order(model: MiniLmEmbedder) -> None:
    texts = ["short", "a somewhat longer sentence about CPAP rental E0601", "PET 78815 staging"]
    forward = model.embed(texts)
    backward = model.embed(texts[::-1])[::-1]
    assert np.allclose(np.linalg.norm(forward, axis=1), 1.0, atol=1e-5)
    assert np.allclose(forward, backward, atol=1e-5)
    assert isinstance(model, Embedder)


def test_a_model_file_with_the_wrong_checksum_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(UpstreamUnavailable, match="not the expected one"):
        MiniLmEmbedder(model_path=fake)


def test_the_cache_survives_a_restart_and_skips_the_model(
    tmp_path: Path, model: MiniLmEmbedder
) -> None:
    texts = ["Brain MRI 70553 needs PA.", "CPAP E0601 after 90 days."]
    first = CachedEmbedder(model, tmp_path)
    vectors = first.embed(texts)
    first.close()
    again = CachedEmbedder(model, tmp_path)
    assert np.allclose(again.embed(texts), vectors)
    assert again.computed == 0
    again.embed([*texts, "a new sentence"])
    assert again.computed == 1


def test_repeated_queries_are_answered_from_memory(model: MiniLmEmbedder) -> None:
    query = QueryEmbedder(model)
    assert query("appeal window") is query("appeal window")
