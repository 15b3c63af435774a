"""Check that each answer sentence says only what the passage it cites says.

Three tests, cheapest first: every number and code in the sentence must appear in the passage;
most of its words must too; and its meaning must be close to one of the passage's sentences
(embedding cosine). With a language model configured, a sentence that passes may also be put
to the model as an entailment question (`copilot.verify`); a "no" drops it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from caredesk.copilot.answers import VERIFY_PROMPT, Source, SupportKind
from caredesk.copilot.evidence import Quote
from caredesk.copilot.guard import claims_decision, is_instruction
from caredesk.copilot.text import (
    Sentence,
    is_negative,
    numbers,
    overlap,
    sentences,
    term_set,
)
from caredesk.domain.errors import UpstreamUnavailable
from caredesk.domain.knowledge import codes_in_text
from caredesk.domain.llm import EntailmentVerdict
from caredesk.knowledge.embeddings import Embedder
from caredesk.llm.port import ChatModel
from caredesk.llm.prompts import PromptRegistry

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Thresholds:
    """How much of a sentence its passage must carry; calibrated on the copilot tests."""

    words_alone: float = 0.8  # overlap that needs no embedding to agree
    words_with_meaning: float = 0.5  # overlap that passes when the meaning is close too
    meaning: float = 0.6  # cosine of sentence and its closest passage sentence


@dataclass(frozen=True)
class Support:
    """Whether one sentence is supported, how strongly, and the passage sentence to quote."""

    supported: bool
    score: float
    kind: SupportKind
    quote: Quote | None = None
    reason: str = ""


class Verifier:
    """Checks sentences against cited sources; optionally asks a model to confirm."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        chat: ChatModel | None = None,
        prompts: PromptRegistry | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self._embedder = embedder
        self._chat = chat if prompts is not None else None
        self._prompts = prompts
        self.thresholds = thresholds or Thresholds()

    @property
    def uses_model(self) -> bool:
        return self._chat is not None

    def check(self, sentence: str, cited: Sequence[Source]) -> Support:
        """The verdict on one sentence given the sources it cites."""
        if not cited:
            return Support(False, 0.0, SupportKind.LEXICAL, reason="cites no source")
        if is_instruction(sentence) or claims_decision(sentence):
            return Support(False, 0.0, SupportKind.LEXICAL, reason="not a statement of fact")
        passage = "\n".join(f"{s.title}\n{s.section}\n{s.text}" for s in cited)
        missing = _unmatched_values(sentence, passage)
        if missing:
            return Support(False, 0.0, SupportKind.LEXICAL, reason="a number or code is not cited")
        words = overlap(term_set(sentence), term_set(passage))
        best, similarity = self._closest(sentence, cited)
        if best is not None and _opposite(sentence, best):
            return Support(False, 0.0, SupportKind.LEXICAL, best, "it says the opposite")
        limits = self.thresholds
        supported = words >= limits.words_alone or (
            words >= limits.words_with_meaning and similarity >= limits.meaning
        )
        score = round(min(1.0, 0.6 * words + 0.4 * max(similarity, 0.0)), 4)
        support = Support(supported, score, SupportKind.LEXICAL, best)
        if supported and self._chat is not None and best is not None:
            return self._entailment(sentence, cited, support)
        return support

    def _closest(self, sentence: str, cited: Sequence[Source]) -> tuple[Quote | None, float]:
        """The passage sentence nearest in meaning (or in words, without an embedder)."""
        candidates = [(source, part) for source in cited for part in _parts(source)]
        if not candidates:
            return None, 0.0
        if self._embedder is None:
            claim = term_set(sentence)
            source, part = max(candidates, key=lambda c: overlap(claim, term_set(c[1].text)))
            return _quote(source, part), 0.0
        vectors = self._embedder.embed([sentence, *(part.clean for _, part in candidates)])
        similarity = vectors[1:] @ vectors[0]
        best = int(similarity.argmax())
        source, part = candidates[best]
        return _quote(source, part), float(similarity[best])

    def _entailment(self, sentence: str, cited: Sequence[Source], lexical: Support) -> Support:
        assert self._chat is not None and self._prompts is not None
        passage = "\n\n".join(source.text for source in cited)
        prompt = self._prompts.render(VERIFY_PROMPT, sentence=sentence, passage=passage)
        try:
            result = self._chat.complete(
                prompt.messages, temperature=0.0, max_tokens=16, response_model=EntailmentVerdict
            )
        except UpstreamUnavailable as error:
            log.warning("copilot.verify_unavailable", reason=error.code)
            return lexical  # the lexical verdict stands when the model cannot be asked
        verdict = result.parsed_as(EntailmentVerdict).verdict
        return Support(
            verdict == "yes", lexical.score, SupportKind.ENTAILMENT, lexical.quote,
            reason="" if verdict == "yes" else "the model found the passage does not entail it",
        )  # fmt: skip


def _opposite(sentence: str, quote: Quote) -> bool:
    """A yes where the source says no: "needs PA" against a "do not require" section. Word
    overlap cannot see a flipped negation, so the polarity of each is compared."""
    return is_negative(sentence) != is_negative(f"{quote.section}. {quote.sentence.text}")


def _unmatched_values(sentence: str, passage: str) -> set[str]:
    """Numbers and procedure codes the sentence states that the passage does not."""
    claimed = numbers(sentence) | set(codes_in_text(sentence.upper()))
    present = numbers(passage) | set(codes_in_text(passage.upper()))
    return {value for value in claimed if value not in present}


def _parts(source: Source) -> list[Sentence]:
    return [part for part in sentences(source.text, offset=source.start)] or [
        Sentence(source.text, source.start, source.end)
    ]


def _quote(source: Source, part: Sentence) -> Quote:
    return Quote(
        source.kind, source.doc_id, source.version, source.section, part,
        source.chunk_id, title=source.title,
    )  # fmt: skip
