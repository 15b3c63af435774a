"""Document type from its words: title rules plus a small TF-IDF + logistic regression model.

The model ships as JSON (vocabulary, idf, weights): no pickle to trust, no scikit-learn
version to match at run time, and a diff a reviewer can read. It is trained deterministically
on the synthetic corpus by `python -m caredesk.ingest.classify --corpus DIR` (scikit-learn is
needed only then).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from caredesk.domain.documents import DocType, PageResult, PageStatus

MODEL_PATH = Path(__file__).parent / "models" / "doctype.json"
_TOKEN = re.compile(r"(?u)\b[^\W\d_][^\W\d_]+\b")
MAX_PAGES = 3
RULE_WEIGHT = 0.3

# Phrases that name a document's kind in its title; a hit votes for that kind.
TITLE_RULES: dict[DocType, tuple[str, ...]] = {
    DocType.PA_REQUEST: (
        "prior authorization request",
        "pre-service review request",
        "authorization request form",
        "precertification request",
    ),
    DocType.REFERRAL: (
        "referral / order form",
        "referral form",
        "request for services",
        "i am referring",
        "order form",
    ),
    DocType.INVOICE: (
        "invoice",
        "rechnung",
        "facture",
        "factuur",
        "statement",
        "receipt",
        "total due",
        "amount due",
        "subtotal",
    ),
    DocType.PAYER_LETTER: (
        "authorization status",
        "notice of",
        "determination",
        "your rights",
        "appeal rights",
        "reference number",
        "utilization management department",
    ),
    DocType.CLINICAL_NOTE: (
        "progress note",
        "clinic note",
        "office visit",
        "assessment and plan",
        "history of present illness",
        "physical exam",
        "consultation note",
    ),
    DocType.OTHER: ("fax cover", "transmission report", "cover sheet", "pages including cover"),
}


def tokens(text: str) -> list[str]:
    """Letters-only words and their bigrams, as the model was trained on them."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


@dataclass(frozen=True)
class DocTypeModel:
    """Multinomial logistic regression over sublinear TF-IDF, evaluated with numpy."""

    classes: tuple[DocType, ...]
    vocabulary: dict[str, int]
    idf: NDArray[np.float64]
    coef: NDArray[np.float64]
    intercept: NDArray[np.float64]

    def probabilities(self, text: str) -> dict[DocType, float]:
        vector = np.zeros(len(self.vocabulary))
        for term, count in Counter(tokens(text)).items():
            index = self.vocabulary.get(term)
            if index is not None:
                vector[index] = (1.0 + math.log(count)) * self.idf[index]
        norm = float(np.linalg.norm(vector))
        if norm > 0:
            vector /= norm
        scores = self.coef @ vector + self.intercept
        exp = np.exp(scores - scores.max())
        probs = exp / exp.sum()
        return {doc_type: float(p) for doc_type, p in zip(self.classes, probs, strict=True)}

    def to_json(self) -> dict[str, object]:
        return {
            "format": "caredesk-doctype-v1",
            "classes": [c.value for c in self.classes],
            "vocabulary": sorted(self.vocabulary, key=self.vocabulary.__getitem__),
            "idf": [round(float(v), 6) for v in self.idf],
            "coef": [[round(float(v), 6) for v in row] for row in self.coef],
            "intercept": [round(float(v), 6) for v in self.intercept],
        }


def model_from_json(raw: dict[str, object]) -> DocTypeModel:
    vocabulary = list(raw["vocabulary"])  # type: ignore[call-overload]
    return DocTypeModel(
        classes=tuple(DocType(c) for c in raw["classes"]),  # type: ignore[attr-defined]
        vocabulary={term: i for i, term in enumerate(vocabulary)},
        idf=np.asarray(raw["idf"], dtype=np.float64),
        coef=np.asarray(raw["coef"], dtype=np.float64),
        intercept=np.asarray(raw["intercept"], dtype=np.float64),
    )


@cache
def load_model(path: Path = MODEL_PATH) -> DocTypeModel | None:
    """The shipped model, or None when it has not been trained yet (rules alone then)."""
    if not path.exists():
        return None
    return model_from_json(json.loads(path.read_text(encoding="utf-8")))


def document_text(pages: Sequence[PageResult]) -> str:
    readable = [p for p in pages if p.status is PageStatus.OK][:MAX_PAGES]
    return "\n".join(page.text for page in readable)


def rule_votes(text: str) -> dict[DocType, float]:
    """Share of title-rule hits per type, read from the top of the first page."""
    head = " ".join(text.lower().split())[:1500]
    hits = {t: sum(head.count(p) for p in phrases) for t, phrases in TITLE_RULES.items()}
    total = sum(hits.values())
    return {t: n / total for t, n in hits.items() if n} if total else {}


def classify(
    pages: Sequence[PageResult], model: DocTypeModel | None = None
) -> tuple[DocType, float]:
    """The document's type and a confidence 0–1: model probabilities nudged by title rules."""
    text = document_text(pages)
    if not text.strip():
        return DocType.OTHER, 0.0
    model = model or load_model()
    votes = rule_votes(text)
    scores = model.probabilities(text) if model is not None else {t: 0.0 for t in DocType}
    if votes:
        weight = RULE_WEIGHT if model is not None else 1.0
        scores = {
            t: (1 - weight) * scores.get(t, 0.0) + weight * votes.get(t, 0.0) for t in DocType
        }
    best = max(scores, key=lambda t: scores[t])
    return best, round(scores[best], 4)


def train_model(texts: Sequence[str], labels: Sequence[DocType]) -> DocTypeModel:
    """Fit the model deterministically (fixed vocabulary order, lbfgs, no shuffling)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        analyzer=tokens, sublinear_tf=True, min_df=2, max_features=4000, dtype=np.float64
    )
    matrix = vectorizer.fit_transform(texts)
    classifier = LogisticRegression(C=8.0, max_iter=3000)
    classifier.fit(matrix, [label.value for label in labels])
    return DocTypeModel(
        classes=tuple(DocType(c) for c in classifier.classes_),
        vocabulary={term: int(i) for term, i in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        coef=np.asarray(classifier.coef_, dtype=np.float64),
        intercept=np.asarray(classifier.intercept_, dtype=np.float64),
    )


def with_ocr_noise(text: str, seed: int, rate: float = 0.04) -> str:
    """A copy with fax-like slips (l/1, O/0, rn/m, dropped letters), so the model has seen them."""
    import random

    rng = random.Random(seed)  # noqa: S311 - reproducible noise, not security
    slips = {"l": "1", "1": "l", "O": "0", "0": "O", "m": "rn", "e": "c", "a": "o", "i": "l"}
    out = []
    for char in text:
        roll = rng.random()
        if roll < rate / 2:
            continue
        out.append(slips.get(char, char) if roll < rate else char)
    return "".join(out)


def train_from_corpus(corpus: Path) -> DocTypeModel:
    """Read every document of a synthetic corpus (text-layer PDFs read fast) and fit."""
    from caredesk.ingest.limits import IngestLimits
    from caredesk.ingest.pipeline import read_pages
    from caredesk.ingest.preprocess import PreprocessOptions

    texts: list[str] = []
    labels: list[DocType] = []
    for index, truth_path in enumerate(sorted(corpus.glob("*.truth.json"))):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        document = next(p for p in corpus.glob(f"{truth['doc_id']}.*") if p.suffix != ".json")
        pages = list(read_pages(document, limits=IngestLimits(), options=PreprocessOptions()))
        text = document_text(pages)
        texts += [text, with_ocr_noise(text, seed=index)]
        labels += [DocType(truth["doc_type"])] * 2
    return train_model(texts, labels)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Train the document-type model.")
    parser.add_argument("--corpus", type=Path, required=True, help="synthetic corpus folder")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="model JSON to write")
    arguments = parser.parse_args()
    model = train_from_corpus(arguments.corpus)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(
        json.dumps(model.to_json(), separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"wrote {arguments.out} ({len(model.vocabulary)} terms, {len(model.classes)} classes)")


if __name__ == "__main__":
    main()
