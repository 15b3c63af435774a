"""The copilot: a question in, a grounded answer out, by the language model or the offline
engine, and the offline engine whenever the model fails (`engine: "offline-fallback"`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import structlog

from caredesk.copilot.answers import OFFLINE_PROMPT, Answer, Question
from caredesk.copilot.cases import CaseRecords, age_on, case_codes, needed_facts, snippets
from caredesk.copilot.corpus import CorpusCache
from caredesk.copilot.drafts import Draft, Numbering, assemble
from caredesk.copilot.evidence import Evidence, retrieve
from caredesk.copilot.generation import Generation, LlmAnswerer
from caredesk.copilot.offline import OfflineEngine, Thresholds
from caredesk.copilot.questions import read_question
from caredesk.copilot.verify import Verifier
from caredesk.domain.cases import Case
from caredesk.domain.errors import InputRejected, UpstreamUnavailable
from caredesk.domain.knowledge import Payer
from caredesk.knowledge.embeddings import Embedder
from caredesk.knowledge.service import KnowledgeBase
from caredesk.llm.port import OFFLINE, OFFLINE_FALLBACK, ChatModel
from caredesk.llm.prompts import PromptRegistry

log = structlog.get_logger(__name__)

EventKind = Literal["token", "reset", "answer", "error"]


@dataclass(frozen=True)
class CopilotEvent:
    """One server-sent event: a piece of text, "discard the text so far", or the answer."""

    kind: EventKind
    text: str = ""
    answer: Answer | None = None


@dataclass(frozen=True)
class Prepared:
    """A question read and its evidence gathered, ready to be answered."""

    question: Question
    evidence: Evidence
    case_facts: dict[str, str] = field(default_factory=dict)


class Copilot:
    """Answers questions from one knowledge base (and, given a case id, that case's records)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        chat: ChatModel | None = None,
        prompts: PromptRegistry | None = None,
        embedder: Embedder | None = None,
        cases: CaseRecords | None = None,
        verify_with_llm: bool = False,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.kb = kb
        self.cases = cases
        self.corpus = CorpusCache(kb)
        self.offline = OfflineEngine(kb, thresholds, embedder=embedder)
        self.llm: LlmAnswerer | None = None
        if chat is not None:
            prompts = prompts or PromptRegistry.load()
            verifier = Verifier(embedder, chat=chat if verify_with_llm else None, prompts=prompts)
            self.llm = LlmAnswerer(chat, prompts, verifier)

    @property
    def engine(self) -> str:
        return self.llm.chat.name if self.llm else OFFLINE

    # --- answering --------------------------------------------------------------------------

    def ask(self, question: Question, cases: CaseRecords | None = None) -> Answer:
        """The answer to one question (the model's, verified, or the offline engine's)."""
        return self.answer(self.prepare(question, cases))

    def answer(self, prepared: Prepared) -> Answer:
        if self.llm is None:
            return self._offline(prepared, OFFLINE)
        try:
            generation = self.llm.answer(prepared.evidence, prepared.case_facts)
        except UpstreamUnavailable as error:
            return self._fallback(prepared, error)
        return self._from_model(generation, prepared)

    def _unsupported(self, prepared: Prepared, generation: Generation) -> Answer:
        """The model answered, but no sentence held up against its sources: that is a failed
        generation too, so the offline engine answers (or abstains) instead."""
        failed = UpstreamUnavailable("no sentence of the model's reply was supported")
        answer = self._fallback(prepared, failed)
        return answer.model_copy(update={"dropped_sentences": generation.draft.dropped})

    def stream(self, prepared: Prepared) -> Iterator[CopilotEvent]:
        """Token events as sentences are verified, then the answer event.

        When the model fails part-way, a `reset` event tells the client to discard the text
        so far; the offline engine's answer follows.
        """
        if self.llm is None:
            yield from _replay(self._offline(prepared, OFFLINE))
            return
        numbering, shown = Numbering(), False
        try:
            for item in self.llm.stream(prepared.evidence, prepared.case_facts):
                if isinstance(item, Generation):
                    answer = self._from_model(item, prepared)
                    if answer.engine == OFFLINE_FALLBACK:  # nothing the model said held up
                        yield from _replay(answer)
                    else:
                        yield CopilotEvent("answer", answer=answer)
                    return
                shown = True
                yield CopilotEvent("token", text=numbering.sentence(item).rendered() + " ")
        except UpstreamUnavailable as error:
            if shown:
                yield CopilotEvent("reset")
            yield from _replay(self._fallback(prepared, error))

    def _offline(self, prepared: Prepared, engine: str) -> Answer:
        draft = self.offline.draft(prepared.evidence)
        return _assembled(draft, prepared, engine=engine, prompt=OFFLINE_PROMPT)

    def _fallback(self, prepared: Prepared, error: UpstreamUnavailable) -> Answer:
        log.warning("copilot.llm_fallback", reason=error.code)
        answer = self._offline(prepared, OFFLINE_FALLBACK)
        return answer.model_copy(update={"fallback_reason": error.reason})

    def _from_model(self, generation: Generation, prepared: Prepared) -> Answer:
        assert self.llm is not None
        if generation.draft.abstained and generation.said:
            return self._unsupported(prepared, generation)
        model = generation.result.model or self.llm.chat.model
        return _assembled(
            generation.draft, prepared, engine=generation.result.engine,
            prompt=generation.prompt, model=model,
        )  # fmt: skip

    # --- reading the question ---------------------------------------------------------------

    def prepare(self, question: Question, cases: CaseRecords | None = None) -> Prepared:
        """Read the question (and its case), and gather the evidence to answer it from.

        `cases` reads the case a question names; it is given per call because it reads
        storage the caller owns (the API's or the command line's).
        """
        cases = cases or self.cases
        payer = self._payer(question.payer)
        case = self._case(question.case_id, cases)
        as_of = question.as_of or (case.raw("date_of_service") if case else None) or date.today()
        corpus = self.corpus.get()
        if case is not None:
            payer = payer or self._case_payer(case)
        inquiry = read_question(
            question.question,
            self.kb.payers(),
            as_of=as_of,
            payer=payer,
            codes=case_codes(case) if case else (),
            plan=case.raw("plan") if case else None,
            age=age_on(case, as_of) if case else None,
        )
        evidence = Evidence(inquiry, retrieve(self.kb, inquiry, corpus), [], corpus)
        if case is None:
            return Prepared(question, evidence)
        facts = needed_facts(case, question.question, as_of)
        pages = cases.document_text(case) if cases else []
        found = snippets(pages, question.question)
        evidence = Evidence(inquiry, evidence.hits, found, corpus)
        return Prepared(question, evidence, facts)

    def _payer(self, name: str | None) -> Payer | None:
        if not name:
            return None
        payer = self.kb.resolve_payer(name)
        if payer is None:
            known = [p.id for p in self.kb.payers()]
            raise InputRejected("Unknown payer.", payer=name, payers=known)
        return payer

    def _case(self, case_id: str | None, cases: CaseRecords | None) -> Case | None:
        if case_id is None:
            return None
        if cases is None:
            raise InputRejected("Case grounding is not available here.")
        return cases.case(case_id)

    def _case_payer(self, case: Case) -> Payer | None:
        name = case.raw("payer")
        return self.kb.resolve_payer(str(name)) if name else None


def _assembled(
    draft: Draft, prepared: Prepared, *, engine: str, prompt: str, model: str = ""
) -> Answer:
    return assemble(
        draft, engine=engine, prompt=prompt, model=model, sources=prepared.evidence.passages()
    )


def _replay(answer: Answer) -> Iterator[CopilotEvent]:
    """A finished answer as the events a stream would have sent."""
    for sentence in answer.sentences:
        yield CopilotEvent("token", text=sentence.rendered() + " ")
    if answer.abstained:
        yield CopilotEvent("token", text=answer.answer)
    yield CopilotEvent("answer", answer=answer)
