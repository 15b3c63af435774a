"""The offline engine: answers from front matter and verbatim retrieved sentences, or none.

It never writes a fact of its own. A yes/no about a code comes from the governing policy's
front matter and is backed by the body sentence that says it; anything else is the best few
retrieved sentences, quoted. When the sources do not cover what the question asks, it abstains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from caredesk.copilot.answers import SupportKind
from caredesk.copilot.corpus import Corpus
from caredesk.copilot.drafts import Claim, Draft
from caredesk.copilot.evidence import Evidence, Quote
from caredesk.copilot.extractive import (
    Scored,
    choose,
    holds_answer_type,
    question_terms,
    rank,
    speaks_for,
    unknown_share,
)
from caredesk.copilot.questions import Inquiry
from caredesk.copilot.structured import (
    CHANNEL_CONFIDENCE,
    channel_claims,
    channels_asked,
    pa_claims,
    pa_verdicts,
)
from caredesk.copilot.text import is_negative
from caredesk.domain.knowledge import KbDocument, in_force
from caredesk.knowledge.embeddings import Embedder
from caredesk.knowledge.service import KnowledgeBase


@dataclass(frozen=True)
class Thresholds:
    """Where the offline engine stops answering; calibrated on the copilot eval questions."""

    min_coverage: float = 0.45  # share of the question's specific weight the answer must cover
    max_unknown: float = 0.35  # share of specific weight on words the knowledge base never uses
    runner_up: float = 0.75  # a further sentence must score this share of the best one
    max_sentences: int = 3


class OfflineEngine:
    """Composes answers without a language model."""

    def __init__(
        self,
        kb: KnowledgeBase,
        thresholds: Thresholds | None = None,
        *,
        embedder: Embedder | None = None,
    ) -> None:
        self.kb = kb
        self.thresholds = thresholds or Thresholds()
        self._embedder = embedder

    def draft(self, evidence: Evidence) -> Draft:
        inquiry = evidence.inquiry
        refusal = self._refusal(evidence)
        if refusal:
            return Draft.abstain(refusal, self._closest(evidence))
        if inquiry.asks_pa_need and inquiry.payer is not None:
            verdicts = pa_verdicts(self.kb, inquiry)
            if verdicts:
                claims, confidence = pa_claims(verdicts, inquiry, evidence.corpus)
                if claims:
                    return Draft(claims, confidence)
        channel = self._channel(evidence)
        return channel or self._extractive(evidence)

    # --- refusals ---------------------------------------------------------------------------

    def _refusal(self, evidence: Evidence) -> str:
        inquiry, corpus = evidence.inquiry, evidence.corpus
        if inquiry.unknown_payer:
            return "the question names a payer the knowledge base does not cover"
        # Codes that matter: the question's own, and a case's when the question is about PA.
        codes = inquiry.codes if inquiry.asks_pa_need else inquiry.asked_codes
        if any(code not in corpus.codes for code in codes):
            return "the question names a code no knowledge-base document mentions"
        if inquiry.asks_pa_need and inquiry.payer is None:
            return "prior authorization depends on the payer; the question names none"
        if not evidence.hits and not evidence.case_sources:
            return "no source is in force for this payer and date"
        if (
            inquiry.payer is not None
            and codes
            and not self._governed(inquiry.payer.id, codes, inquiry)
        ):
            return "no policy of this payer in force on this date governs the code"
        if inquiry.payer is not None and not _payer_in_force(inquiry, corpus):
            return "no document of this payer is in force on this date"
        return ""

    def _governed(self, payer: str, codes: tuple[str, ...], inquiry: Inquiry) -> bool:
        return any(self.kb.policies_for(payer, code, inquiry.as_of) for code in codes)

    def _closest(self, evidence: Evidence) -> list[Quote]:
        seen: dict[tuple[str, str, str], Quote] = {}
        for quote in evidence.quotes():
            seen.setdefault(quote.key, quote)
        return list(seen.values())[:3]

    # --- submission channels ----------------------------------------------------------------

    def _channel(self, evidence: Evidence) -> Draft | None:
        inquiry = evidence.inquiry
        asked = channels_asked(inquiry)
        if not (inquiry.yes_no and asked and inquiry.payer is not None and evidence.hits):
            return None
        doc = self._top_policy(evidence)
        if doc is None:
            return None
        found = channel_claims(doc, asked, inquiry, evidence.corpus)
        if found is None:
            return None
        return Draft(found[0], CHANNEL_CONFIDENCE)

    def _top_policy(self, evidence: Evidence) -> KbDocument | None:
        """The best-ranked passage's document when it is a policy of the question's payer."""
        payer = evidence.inquiry.payer
        for hit in evidence.hits:
            if hit.chunk.payer is not None and payer is not None and hit.chunk.payer == payer.id:
                versions = self.kb.get_document(hit.chunk.doc_id)
                return next(d for d in versions if d.version == hit.chunk.version)
        return None

    # --- extractive answers -----------------------------------------------------------------

    def _extractive(self, evidence: Evidence) -> Draft:
        inquiry, limits = evidence.inquiry, self.thresholds
        question = question_terms(inquiry, evidence.corpus)
        if unknown_share(question, evidence.corpus) >= limits.max_unknown:
            return Draft.abstain("the question turns on words the knowledge base never uses",
                                 self._closest(evidence))  # fmt: skip
        if unknown_year(inquiry, evidence.corpus):
            return Draft.abstain("the question asks about a year the knowledge base never names",
                                 self._closest(evidence))  # fmt: skip
        ranked = rank(evidence, question, self._embedder)
        payer_docs = _payer_docs(evidence)
        typed = [
            s for s in ranked
            if holds_answer_type(inquiry, s.quote.sentence.text)
            and speaks_for(s.quote, inquiry, payer_docs)
        ]  # fmt: skip
        if not typed or typed[0].coverage < limits.min_coverage:
            return Draft.abstain("the sources do not cover what the question asks",
                                 self._closest(evidence))  # fmt: skip
        chosen = choose([typed[0], *(s for s in ranked if s is not typed[0])],
                        runner_up=limits.runner_up, most=limits.max_sentences)  # fmt: skip
        claims = [Claim(s.quote.sentence.clean, SupportKind.QUOTE, (s.quote,), s.score)
                  for s in chosen]  # fmt: skip
        confidence = extractive_confidence(typed[0], inquiry)
        if inquiry.yes_no:
            claims = [_polarity(typed[0], chosen, inquiry), *claims]
        return Draft(claims, confidence)


def _payer_in_force(inquiry: Inquiry, corpus: Corpus) -> bool:
    assert inquiry.payer is not None
    return any(
        doc.front_matter.payer == inquiry.payer.id and in_force(doc, inquiry.as_of)
        for doc in corpus.documents
    )


def _payer_docs(evidence: Evidence) -> set[str]:
    payer = evidence.inquiry.payer
    if payer is None:
        return set()
    return {doc.doc_id for doc in evidence.corpus.documents if doc.front_matter.payer == payer.id}


def unknown_year(inquiry: Inquiry, corpus: Corpus) -> bool:
    """A year in the question that no document mentions: the rules for it are not known."""
    years = re.findall(r"\b(?:19|20)\d{2}\b", inquiry.text)
    return any(not corpus.knows(year) for year in years)


def extractive_confidence(best: Scored, inquiry: Inquiry) -> float:
    """Confidence of a quoted answer: how much of the question its best sentence covers.

    Capped below the structured answers': a quote can be on topic and still miss the point.
    """
    confidence = 0.3 + 0.4 * best.coverage + 0.2 * max(0.0, best.similarity)
    if inquiry.yes_no:
        confidence = min(confidence, 0.6)  # the yes or no is read off the quote's wording
    return round(min(confidence, 0.78), 3)


def _polarity(best: Scored, chosen: list[Scored], inquiry: Inquiry) -> Claim:
    """The yes or no a quoted answer implies, stated first and cited to the same quote."""
    lead = [s for s in chosen if s.quote.key == best.quote.key
            and s.quote.sentence.text.rstrip().endswith(":")
            and s.quote.sentence.start < best.quote.sentence.start]  # fmt: skip
    text = " ".join(s.quote.sentence.text for s in [*lead[-1:], best])
    negative = is_negative(text)
    if is_negative(inquiry.text):
        negative = not negative
    verdict = (
        "No, according to the source quoted."
        if negative
        else "Yes, according to the source quoted."
    )
    return Claim(verdict, SupportKind.POLARITY, (best.quote,), best.score)
