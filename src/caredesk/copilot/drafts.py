"""Answer drafts: claims with the quotes that back them, numbered into a cited `Answer`."""

from __future__ import annotations

from dataclasses import dataclass, field

from caredesk.copilot.answers import (
    ABSTAIN_TEXT,
    Answer,
    AnswerSentence,
    Citation,
    Source,
    SupportKind,
    render_answer,
)
from caredesk.copilot.evidence import Quote


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer and the quotes that support it."""

    text: str
    support: SupportKind
    quotes: tuple[Quote, ...]
    score: float = 1.0


@dataclass(frozen=True)
class Draft:
    """An answer before numbering: claims (empty when abstaining) and a confidence."""

    claims: list[Claim]
    confidence: float
    abstained: bool = False
    note: str = ""  # why it abstained, for people (never question text)
    closest: list[Quote] = field(default_factory=list)
    dropped: int = 0

    @classmethod
    def abstain(cls, note: str, closest: list[Quote] | None = None, dropped: int = 0) -> Draft:
        return cls([], 0.0, abstained=True, note=note, closest=closest or [], dropped=dropped)


class Numbering:
    """Numbers quotes [1], [2]… in order of first use; a quote used twice keeps its number."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, str, str, int, int], int] = {}
        self.citations: list[Citation] = []

    def number(self, quote: Quote) -> int:
        key = (quote.kind.value, quote.doc_id, quote.version, quote.sentence.start,
               quote.sentence.end)  # fmt: skip
        if key not in self._numbers:
            self._numbers[key] = len(self._numbers) + 1
            self.citations.append(quote.citation(self._numbers[key]))
        return self._numbers[key]

    def sentence(self, claim: Claim) -> AnswerSentence:
        return AnswerSentence(
            text=claim.text,
            citations=tuple(dict.fromkeys(self.number(q) for q in claim.quotes)),
            support=claim.support,
            score=round(min(1.0, max(0.0, claim.score)), 4),
        )


def assemble(
    draft: Draft, *, engine: str, prompt: str, model: str = "", sources: list[Source] | None = None
) -> Answer:
    """Number the draft's quotes [1], [2]… in order of first use and render the answer."""
    numbering = Numbering()
    if draft.abstained:
        for quote in draft.closest:
            numbering.number(quote)
        text = ABSTAIN_TEXT
        sentences: list[AnswerSentence] = []
    else:
        sentences = [numbering.sentence(claim) for claim in draft.claims]
        text = render_answer(sentences)
    citations = numbering.citations
    return Answer(
        answer=text,
        abstained=draft.abstained,
        confidence=round(0.0 if draft.abstained else draft.confidence, 3),
        engine=engine,
        model=model,
        prompt=prompt,
        citations=citations,
        sentences=sentences,
        dropped_sentences=draft.dropped,
        fallback_reason="",
        sources=sources or [],
    )
