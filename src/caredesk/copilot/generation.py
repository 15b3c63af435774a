"""The language-model path: render `copilot.answer`, parse [n] markers, verify every sentence.

A sentence stays only when the sources it cites support it; what is left is the answer, with
confidence lowered for every sentence dropped. The model is never given tools, so nothing it
writes can act; its text is data to be checked like any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from caredesk.copilot.answers import ABSTAIN_TEXT, ANSWER_PROMPT, Source
from caredesk.copilot.drafts import Claim, Draft
from caredesk.copilot.evidence import Evidence, Quote
from caredesk.copilot.text import sentences
from caredesk.copilot.verify import Verifier
from caredesk.llm.port import ChatModel, LLMResult
from caredesk.llm.prompts import PromptRegistry, RenderedPrompt

MAX_SOURCES = 6
MAX_TOKENS = 400
MAX_CONFIDENCE = 0.9
UNMARKED_DISCOUNT = 0.8  # the model did not say where a sentence came from: trust it less
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# A sentence ends at . ! or ? (then any markers) before white space or the end of the reply;
# "164.502" and "e.g.," do not end one.
_END = re.compile(r"[.!?](?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*(?=\s|$)")


@dataclass(frozen=True)
class ModelSentence:
    """One sentence of a model reply and the source numbers its markers name."""

    text: str
    cites: tuple[int, ...]


@dataclass(frozen=True)
class Generation:
    """What the model said and what survived verification."""

    draft: Draft
    result: LLMResult
    prompt: str  # id@version
    said: int  # sentences in the reply (abstain sentence excluded)


class LlmAnswerer:
    """Answers with a chat model, then keeps only what the cited sources support."""

    def __init__(
        self,
        chat: ChatModel,
        prompts: PromptRegistry,
        verifier: Verifier,
        *,
        max_sources: int = MAX_SOURCES,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        self.chat = chat
        self._prompts = prompts
        self._verifier = verifier
        self._max_sources = max_sources
        self._max_tokens = max_tokens

    def sources(self, evidence: Evidence) -> list[Source]:
        """The numbered sources the model sees: best KB passages, then case snippets."""
        kb = [s for s in evidence.passages() if s.chunk_id is not None]
        case = [s for s in evidence.passages() if s.chunk_id is None]
        chosen = kb[: self._max_sources - len(case[:2])] + case[:2]
        return [s.model_copy(update={"n": n}) for n, s in enumerate(chosen, start=1)]

    def prompt(
        self, evidence: Evidence, sources: list[Source], case_facts: dict[str, str]
    ) -> RenderedPrompt:
        payload = [
            {"n": s.n, "doc_id": f"{s.doc_id}@{s.version}", "section": s.section, "text": s.text}
            for s in sources
        ]
        return self._prompts.render(
            ANSWER_PROMPT, question=evidence.inquiry.text, sources=payload, case_facts=case_facts
        )

    def answer(self, evidence: Evidence, case_facts: dict[str, str]) -> Generation:
        """One whole reply, verified. Raises UpstreamUnavailable when the model fails."""
        sources = self.sources(evidence)
        prompt = self.prompt(evidence, sources, case_facts)
        result = self.chat.complete(prompt.messages, temperature=0.0, max_tokens=self._max_tokens)
        return self.verified(result.text, sources, result, prompt.ref)

    def stream(
        self, evidence: Evidence, case_facts: dict[str, str]
    ) -> Iterator[Claim | Generation]:
        """Verified claims as the reply arrives, then the finished `Generation`.

        Raises UpstreamUnavailable (possibly mid-way) when the model fails; the caller
        discards what it has shown and falls back.
        """
        sources = self.sources(evidence)
        prompt = self.prompt(evidence, sources, case_facts)
        said: list[ModelSentence] = []
        kept: list[Claim] = []
        buffer = ""
        with self.chat.stream(
            prompt.messages, temperature=0.0, max_tokens=self._max_tokens
        ) as stream:
            for delta in stream:
                done, buffer = split_complete(buffer + delta)
                for sentence in done:
                    said.append(sentence)
                    if (claim := self._claim(sentence, sources)) is not None:
                        kept.append(claim)
                        yield claim
            result = stream.result
        assert result is not None
        for sentence in parse_reply(buffer):
            said.append(sentence)
            if (claim := self._claim(sentence, sources)) is not None:
                kept.append(claim)
                yield claim
        yield self._finish(said, kept, sources, result, prompt.ref)

    def verified(
        self, reply: str, sources: list[Source], result: LLMResult, prompt_ref: str
    ) -> Generation:
        """Parse the reply into sentences, keep the supported ones, and score the rest."""
        said = parse_reply(reply)
        kept = [claim for s in said if (claim := self._claim(s, sources)) is not None]
        return self._finish(said, kept, sources, result, prompt_ref)

    def _finish(
        self,
        said: list[ModelSentence],
        kept: list[Claim],
        sources: list[Source],
        result: LLMResult,
        prompt_ref: str,
    ) -> Generation:
        said = [s for s in said if not _is_abstain(s.text)]
        if not kept:
            closest = [_first_quote(s) for s in sources[:3]]
            note = "the model abstained" if not said else "no sentence was supported"
            draft = Draft.abstain(note, [q for q in closest if q], dropped=len(said))
            return Generation(draft, result, prompt_ref, len(said))
        share = len(kept) / len(said)
        mean = sum(claim.score for claim in kept) / len(kept)
        confidence = round(min(MAX_CONFIDENCE, mean * share), 3)
        draft = Draft(kept, confidence, dropped=len(said) - len(kept))
        return Generation(draft, result, prompt_ref, len(said))

    def _claim(self, sentence: ModelSentence, sources: list[Source]) -> Claim | None:
        if _is_abstain(sentence.text):
            return None
        if not sentence.cites:
            return self._placed(sentence, sources)
        cited = [sources[n - 1] for n in sentence.cites if 1 <= n <= len(sources)]
        support = self._verifier.check(sentence.text, cited)
        if not support.supported or support.quote is None:
            return self._placed(sentence, [s for s in sources if s not in cited])
        return Claim(sentence.text, support.kind, (support.quote,), support.score)

    def _placed(self, sentence: ModelSentence, sources: list[Source]) -> Claim | None:
        """A sentence without a marker, or whose marker points at the wrong source (small
        models slip by one): kept only if another source supports it on its own, passing the
        same checks; it is then cited to that source, at a lower score."""
        checked = [self._verifier.check(sentence.text, [source]) for source in sources]
        supported = [s for s in checked if s.supported and s.quote is not None]
        if not supported:
            return None
        best = max(supported, key=lambda s: s.score)
        assert best.quote is not None
        return Claim(sentence.text, best.kind, (best.quote,), best.score * UNMARKED_DISCOUNT)


def parse_reply(reply: str) -> list[ModelSentence]:
    """Sentences of a reply with the source numbers each cites (markers removed)."""
    found, rest = split_complete(reply.strip())
    if rest.strip():
        found.append(_sentence(rest))
    return [s for s in found if s.text]


def split_complete(text: str) -> tuple[list[ModelSentence], str]:
    """Complete sentences at the front of `text`, and the unfinished rest."""
    found: list[ModelSentence] = []
    start = 0
    for end in _END.finditer(text):
        if end.end() == len(text):
            break  # the reply may go on with more markers: wait for the next piece
        found.append(_sentence(text[start : end.end()]))
        start = end.end()
    return found, text[start:]


def _sentence(raw: str) -> ModelSentence:
    cites = tuple(
        int(number) for group in _MARKER.findall(raw) for number in re.split(r"[,;]", group)
    )
    text = " ".join(_MARKER.sub("", raw).split())
    text = re.sub(r"\s+([.!?,;:])", r"\1", text)
    return ModelSentence(text, tuple(dict.fromkeys(cites)))


def _is_abstain(text: str) -> bool:
    return ABSTAIN_TEXT.lower().rstrip(".") in text.lower()


def _first_quote(source: Source) -> Quote | None:
    parts = sentences(source.text, offset=source.start)
    if not parts:
        return None
    return Quote(
        source.kind, source.doc_id, source.version, source.section, parts[0],
        source.chunk_id, title=source.title,
    )  # fmt: skip
