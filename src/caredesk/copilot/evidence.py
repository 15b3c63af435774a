"""Gather what may answer a question: retrieved passages, their sentences, case snippets."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from caredesk.copilot.answers import Citation, Source, SourceKind
from caredesk.copilot.corpus import Corpus, DocSentence
from caredesk.copilot.guard import claims_decision, is_instruction
from caredesk.copilot.questions import INTENT_SECTIONS, Inquiry
from caredesk.copilot.text import Sentence, fold, sentences, stem, term_set
from caredesk.domain.errors import InputRejected
from caredesk.domain.knowledge import SearchHit
from caredesk.knowledge.service import KnowledgeBase

SEARCH_DEPTH = 8
NAMED_EXTRA = 3


@dataclass(frozen=True)
class Quote:
    """A sentence that can be cited: where it is, in which section, and its exact text."""

    kind: SourceKind
    doc_id: str
    version: str
    section: str
    sentence: Sentence
    chunk_id: str | None = None
    rank: int = 0  # rank of the passage it came from (0: best)
    title: str = ""  # the document's title

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.doc_id, self.version, self.section)

    @classmethod
    def of(cls, found: DocSentence) -> Quote:
        doc = found.doc
        return cls(
            SourceKind.KB, doc.doc_id, doc.version, found.section, found.sentence,
            title=doc.front_matter.title,
        )  # fmt: skip

    def citation(self, n: int) -> Citation:
        return Citation(
            n=n,
            kind=self.kind,
            doc_id=self.doc_id,
            version=self.version,
            section=self.section,
            quote=self.sentence.text,
            start=self.sentence.start,
            end=self.sentence.end,
        )


@dataclass(frozen=True)
class Evidence:
    """Everything one question is answered from."""

    inquiry: Inquiry
    hits: list[SearchHit]
    case_sources: list[Source]
    corpus: Corpus

    def passages(self) -> list[Source]:
        """Retrieved chunks and case snippets as numbered sources (KB first)."""
        found = [_hit_source(n, hit) for n, hit in enumerate(self.hits, start=1)]
        offset = len(found)
        found += [
            s.model_copy(update={"n": offset + i}) for i, s in enumerate(self.case_sources, 1)
        ]
        return found

    def quotes(self) -> list[Quote]:
        """Every candidate sentence of the retrieved passages, instruction-like ones left out."""
        return list(self._quotes)

    @cached_property
    def _quotes(self) -> list[Quote]:
        found: list[Quote] = []
        for rank, hit in enumerate(self.hits):
            chunk = hit.chunk
            for sentence in sentences(chunk.text, offset=chunk.start):
                found.append(
                    Quote(SourceKind.KB, chunk.doc_id, chunk.version, chunk.section_title,
                          sentence, chunk.chunk_id, rank, chunk.title)
                )  # fmt: skip
        found += self._intent_sections({quote.key for quote in found})
        for rank, source in enumerate(self.case_sources, start=len(self.hits)):
            for sentence in sentences(source.text, offset=source.start):
                found.append(
                    Quote(source.kind, source.doc_id, source.version, source.section,
                          sentence, None, rank, source.title)
                )  # fmt: skip
        return [quote for quote in found if not _planted(quote.sentence.text)]

    def _intent_sections(self, present: set[tuple[str, str, str]]) -> list[Quote]:
        """Sentences of the retrieved documents' sections that answer the question's kind
        ("Appeals" for an appeal question) when the search left those sections out."""
        hints = [hint for intent in self.inquiry.intents for hint in INTENT_SECTIONS[intent]]
        if not hints:
            return []
        added: list[Quote] = []
        ranks: dict[str, int] = {}
        for rank, hit in enumerate(self.hits):
            ranks.setdefault(hit.chunk.doc_key, rank)
        for doc_key, rank in ranks.items():
            doc = self.corpus.document(doc_key)
            for found in self.corpus.sentences_of(doc) if doc else []:
                quote = replace(Quote.of(found), rank=rank + 1)
                if quote.key not in present and any(h in fold(found.section) for h in hints):
                    added.append(quote)
        return added


def _planted(text: str) -> bool:
    """A sentence that talks to the model, or announces a decision, is never quoted."""
    return is_instruction(text) or claims_decision(text)


def retrieve(
    kb: KnowledgeBase, inquiry: Inquiry, corpus: Corpus, depth: int = SEARCH_DEPTH
) -> list[SearchHit]:
    """The best passages for the question under its payer, plan and date,
    plus the best of any document the question names by title that the search left out
    ("Is Tumbleweed bound by CMS-0057-F?" ranks Tumbleweed's own policies first)."""
    hits = _search(kb, inquiry, depth)
    payer_words = {stem(word) for word in inquiry.payer_terms}
    named = corpus.named_documents(term_set(inquiry.text) - payer_words)
    missing = named - {hit.chunk.doc_id for hit in hits}
    kinds = {doc.front_matter.kind for doc in corpus.documents if doc.doc_id in missing}
    for kind in sorted(kinds):
        extra = [h for h in _search(kb, inquiry, depth, kind) if h.chunk.doc_id in missing]
        hits += extra[:NAMED_EXTRA]
    return hits


def _search(
    kb: KnowledgeBase, inquiry: Inquiry, depth: int, kind: str | None = None
) -> list[SearchHit]:
    # No service-code filter: the search already ranks passages naming the question's codes
    # first, and a per-code filter costs a pass over every document's code ranges.
    payer = inquiry.payer.id if inquiry.payer else None
    try:
        return kb.search(
            inquiry.text, payer=payer, plan=inquiry.plan, as_of=inquiry.as_of, k=depth, kind=kind
        )
    except InputRejected:
        return []


def _hit_source(n: int, hit: SearchHit) -> Source:
    chunk = hit.chunk
    return Source(
        n=n,
        doc_id=chunk.doc_id,
        version=chunk.version,
        section=chunk.section_title,
        title=chunk.title,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        chunk_id=chunk.chunk_id,
        score=hit.score,
    )
