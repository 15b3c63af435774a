"""Document type: the shipped model, its numpy inference, and the title rules."""

from __future__ import annotations

import numpy as np

from caredesk.domain.documents import BoundingBox, DocType, OcrWord, PageResult, PageSource
from caredesk.ingest.classify import classify, load_model, rule_votes, tokens, train_model


def page_of(text: str) -> PageResult:
    box = BoundingBox(x0=0, y0=0, x1=10, y1=10, page_width=100, page_height=100)
    words = tuple(OcrWord(text=t, bbox=box, confidence=95, line=0, block=0) for t in text.split())
    return PageResult(number=1, source=PageSource.OCR, width=100, height=100, dpi=300, words=words)


def test_numpy_inference_matches_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [
        "invoice total due subtotal",
        "referral order form patient",
        "progress note assessment",
        "invoice amount due vat",
        "referral request for services",
        "clinic note plan assessment",
    ]
    labels = [DocType.INVOICE, DocType.REFERRAL, DocType.CLINICAL_NOTE] * 2
    model = train_model(texts * 2, labels * 2)
    vectorizer = TfidfVectorizer(analyzer=tokens, sublinear_tf=True, min_df=2, max_features=4000)
    classifier = LogisticRegression(C=8.0, max_iter=3000).fit(
        vectorizer.fit_transform(texts * 2), [label.value for label in labels * 2]
    )
    sample = "total due on this invoice"
    expected = classifier.predict_proba(vectorizer.transform([sample]))[0]
    ours = model.probabilities(sample)
    assert np.allclose([ours[DocType(c)] for c in classifier.classes_], expected, atol=1e-6)


def test_the_shipped_model_reads_typical_pages() -> None:
    assert load_model() is not None, "src/caredesk/ingest/models/doctype.json must ship"
    doc_type, confidence = classify(
        [page_of("TAX INVOICE Invoice No. SI-1 Net amount VAT Total due")]
    )
    assert doc_type is DocType.INVOICE and confidence > 0.6
    doc_type, _ = classify([page_of("PROGRESS NOTE Patient Name: DOE, JANE Assessment Plan")])
    assert doc_type is DocType.CLINICAL_NOTE
    assert classify([]) == (DocType.OTHER, 0.0)
    assert rule_votes("*** TRANSMISSION REPORT *** fax cover") == {DocType.OTHER: 1.0}
