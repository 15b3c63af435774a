"""What the loaded knowledge base says, sentence by sentence: term weights, codes, sections."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from caredesk.copilot.text import Sentence, sentences, term_set
from caredesk.domain.knowledge import KbDocument, codes_in_text
from caredesk.knowledge.chunker import sections
from caredesk.knowledge.service import KnowledgeBase

PREFIX = 5


@dataclass(frozen=True)
class DocSentence:
    """A sentence of one document version with the section it sits in."""

    doc: KbDocument
    section: str
    sentence: Sentence

    @property
    def text(self) -> str:
        return self.sentence.text


class Corpus:
    """Sentence-level statistics of every loaded document version, built once per load."""

    def __init__(self, documents: Iterable[KbDocument]) -> None:
        self.documents = list(documents)
        frequency: Counter[str] = Counter()
        self.codes: set[str] = set()
        self._sentences: dict[str, list[DocSentence]] = {}
        self._doc_terms: dict[str, set[str]] = {}
        for doc in self.documents:
            found = split_document(doc)
            self._sentences[doc.key] = found
            titles = {item.section for item in found} | {doc.front_matter.title}
            doc_terms = set().union(*(term_set(title) for title in titles))
            for item in found:
                own = term_set(item.text)
                frequency.update(own)
                doc_terms |= own
            frequency.update(doc_terms - set().union(*(term_set(i.text) for i in found)))
            self._doc_terms[doc.key] = doc_terms
            self.codes.update(codes_in_text(doc.body))
            self.codes.update(_front_matter_codes(doc))
        self._by_key = {doc.key: doc for doc in self.documents}
        self._titles = {doc.doc_id: term_set(doc.front_matter.title) for doc in self.documents}
        self._title_frequency = Counter(t for terms in self._titles.values() for t in terms)
        self.sentence_count = max(1, sum(len(found) for found in self._sentences.values()))
        self._frequency = frequency
        # Crude stems miss some forms ("forgetting" / "forget"): a shared prefix counts as known.
        self._prefixes = {term[:PREFIX] for term in frequency if len(term) >= PREFIX}

    def weight(self, term: str) -> float:
        """Inverse sentence frequency: rare terms say more about what a question asks."""
        return math.log(1 + self.sentence_count / (1 + self._frequency.get(term, 0)))

    def knows(self, term: str) -> bool:
        """True when the knowledge base uses the term (or a word sharing its first letters)."""
        return term in self._frequency or (len(term) >= PREFIX and term[:PREFIX] in self._prefixes)

    def named_documents(self, terms: set[str], most: int = 2) -> set[str]:
        """Ids of documents whose title carries a distinctive word of `terms` ("CMS-0057-F",
        "HIPAA"): a word in at most `most` titles."""
        distinctive = {t for t in terms if 0 < self._title_frequency.get(t, 0) <= most}
        return {doc_id for doc_id, title in self._titles.items() if title & distinctive}

    def document(self, doc_key: str) -> KbDocument | None:
        return self._by_key.get(doc_key)

    def doc_terms(self, doc_key: str) -> set[str]:
        """Every term of one document version: title, section titles and body."""
        return self._doc_terms.get(doc_key, set())

    def sentences_of(self, doc: KbDocument) -> list[DocSentence]:
        return self._sentences.get(doc.key) or split_document(doc)


def split_document(doc: KbDocument) -> list[DocSentence]:
    """Every quotable sentence of a document body, labelled with its section title."""
    found: list[DocSentence] = []
    for section in sections(doc.body, doc.front_matter.title):
        text = doc.body[section.content_start : section.end]
        title = section.path[-1]
        for sentence in sentences(text, offset=section.content_start):
            found.append(DocSentence(doc, title, sentence))
    return found


def _front_matter_codes(doc: KbDocument) -> set[str]:
    meta = doc.front_matter
    entries = [*meta.service_codes, *meta.pa_required, *meta.pa_not_required]
    entries += [code for condition in meta.pa_conditions for code in condition.codes]
    return {entry for entry in entries if "-" not in entry}


class CorpusCache:
    """One `Corpus` per knowledge-base load; rebuilt when another load has happened since."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._lock = threading.Lock()
        self._built: tuple[datetime | None, int, Corpus] | None = None

    def get(self) -> Corpus:
        status = self._kb.status()
        stamp = (status.last_load, status.versions)
        with self._lock:
            if self._built is None or self._built[:2] != stamp:
                self._built = (*stamp, Corpus(self._kb.list_documents()))
            return self._built[2]
