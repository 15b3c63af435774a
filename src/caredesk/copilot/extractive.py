"""Pick the retrieved sentences that answer a question: score, re-rank, choose, or refuse.

A sentence scores by the question words it contains (rare words count more), the words of the
section and document around it, the section a question of its kind is answered in, and, when an
embedder is at hand, the meaning it shares with the question. It answers only if what is around
it covers the question's specific words and it holds the kind of value asked for (a number for
"how many", an amount for "how much does it pay").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from caredesk.copilot.corpus import Corpus
from caredesk.copilot.evidence import Evidence, Quote
from caredesk.copilot.questions import INTENT_SECTIONS, Inquiry
from caredesk.copilot.text import GENERIC_TERMS, fold, stem, term_set, terms
from caredesk.knowledge.embeddings import Embedder

GENERIC_STEMS = frozenset(stem(word) for word in GENERIC_TERMS)
# Words a question uses for what the knowledge base says otherwise; they count at half weight.
_RELATED_WORDS: dict[str, tuple[str, ...]] = {
    "mri": ("imaging",), "ct": ("imaging",), "pet": ("imaging",), "scan": ("imaging",),
    "x-ray": ("imaging",), "respond": ("decide",), "decision": ("decide",),
    "pt": ("physical", "therapy"), "authorization": ("approval",), "approval": ("authorization",),
    "read": ("unreadable",), "extra": ("additional", "further"), "lab": ("laboratory",),
    "denied": ("denial",), "document": ("documentation",), "long": ("length", "last"),
    "forgetting": ("forgot",),
}  # fmt: skip
RELATED = {stem(k): tuple(stem(v) for v in vs) for k, vs in _RELATED_WORDS.items()}
RELATED_WEIGHT = 0.5
DOC_WEIGHT = 0.6  # a word found elsewhere in the document, not in the section, counts this much
INTENT_BONUS = 0.3
TITLE_BONUS = 0.1
PREAMBLE_PENALTY = 0.15
GENERAL_BONUS = 0.25  # a question naming no payer asks for the general rule
FRAGMENT_PENALTY = 0.1
COVERAGE_WEIGHT = 0.5  # the document and section speak of what the question names
SECTION_TITLE_WEIGHT = 0.3  # the section's title says what the question asks
RERANK_DEPTH = 6
EMBED_WEIGHT = 0.4

_QUANTITY = re.compile(r"\bhow (?:long|many|soon|fast|quickly)\b|^(?:when|by when)\b")
_MONEY_ASKED = re.compile(
    r"\bhow much\b.*\b(?:pay|paid|cost|charge|reimburs\w*)\b|\bcopay\w*|\breimbursement|"
    r"\bfee\b|\bprice\b|\brate for\b"
)
_PHONE_ASKED = re.compile(r"\b(?:number|fax|phone|pager)\b.*\b(?:call|fax|phone|pager|number)\b")
_DIGITS = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve)\b")
_MONEY = re.compile(r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:dollars|usd)\b")
_PHONE = re.compile(r"\d{3}-\d{4}")


@dataclass(frozen=True)
class Scored:
    """A candidate sentence and how well it answers."""

    quote: Quote
    score: float
    coverage: float  # share of the question's specific weight its surroundings cover
    similarity: float = 0.0  # cosine of question and sentence embeddings (when computed)


@dataclass(frozen=True)
class QuestionTerms:
    """The question's words with weights: all of them, and the specific ones."""

    weights: dict[str, float]
    salient: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.weights.values()) or 1.0

    @property
    def salient_total(self) -> float:
        return sum(self.salient.values()) or 1.0


def question_terms(inquiry: Inquiry, corpus: Corpus) -> QuestionTerms:
    """Each content word weighted by rarity; payer and plan names weigh nothing (filters
    already apply them) and generic words of the trade little."""
    skip = {stem(word) for word in inquiry.payer_terms}
    weights: dict[str, float] = {}
    own = [term for term in terms(inquiry.text) if term not in skip]
    for term in own:
        weights[term] = corpus.weight(term) * (0.3 if term in GENERIC_STEMS else 1.0)
    salient = {t: w for t, w in weights.items() if t not in GENERIC_STEMS}
    return QuestionTerms(weights, salient)


def unknown_share(question: QuestionTerms, corpus: Corpus) -> float:
    """Share of the specific weight on words no knowledge-base document ever uses."""
    missing = sum(w for t, w in question.salient.items() if not corpus.knows(t))
    return missing / question.salient_total if question.salient else 0.0


def rank(
    evidence: Evidence, question: QuestionTerms, embedder: Embedder | None = None
) -> list[Scored]:
    """Every candidate sentence, best first."""
    inquiry = evidence.inquiry
    sections = _section_terms(evidence)
    general = {d.doc_id for d in evidence.corpus.documents if d.front_matter.payer is None}
    scored: list[Scored] = []
    for quote in evidence.quotes():
        own = term_set(quote.sentence.text)
        section = sections.get(quote.key, set()) | own
        document = evidence.corpus.doc_terms(f"{quote.doc_id}@{quote.version}") | section
        cover = _covered(question.weights, own) / question.total
        around = _covered(question.weights, section) / question.total
        coverage = _coverage(question, section, document)
        titled = _covered(question.weights, term_set(quote.section)) / question.total
        score = 0.55 * cover + 0.25 * around + 0.12 / (1 + quote.rank)
        score += COVERAGE_WEIGHT * coverage + SECTION_TITLE_WEIGHT * titled
        score += _bonus(quote, inquiry, question, general)
        scored.append(Scored(quote, score, coverage))
    ranked = sorted(_distinct(scored), key=lambda s: -s.score)
    return rerank(inquiry, ranked, embedder) if embedder is not None else ranked


def _distinct(scored: list[Scored]) -> list[Scored]:
    """One candidate per wording: policies repeat sentences ("Portal …, fax …"), and the copy
    in the document that best matches the question is the one to cite."""
    best: dict[str, Scored] = {}
    for candidate in scored:
        text = " ".join(fold(candidate.quote.sentence.text).split())
        held = best.get(text)
        if held is None or (candidate.score, candidate.coverage) > (held.score, held.coverage):
            best[text] = candidate
    return list(best.values())


def _covered(weights: dict[str, float], present: set[str]) -> float:
    total = 0.0
    for term, weight in weights.items():
        if term in present:
            total += weight
        elif any(related in present for related in RELATED.get(term, ())):
            total += weight * RELATED_WEIGHT
    return total


def _coverage(question: QuestionTerms, section: set[str], document: set[str]) -> float:
    if not question.salient:
        return _covered(question.weights, section) / question.total
    here = _covered(question.salient, section)
    elsewhere = _covered(question.salient, document) - here
    return (here + DOC_WEIGHT * max(0.0, elsewhere)) / question.salient_total


def rerank(inquiry: Inquiry, ranked: list[Scored], embedder: Embedder) -> list[Scored]:
    """Add meaning to the lexical score of the leading sentences ("cannot be read" is
    "unreadable"): cosine similarity of question and sentence embeddings."""
    head, tail = ranked[:RERANK_DEPTH], ranked[RERANK_DEPTH:]
    if not head:
        return ranked
    # The section title gives a bare list item its meaning ("Authorization length: 8 visits").
    texts = [f"{s.quote.section}: {s.quote.sentence.clean}" for s in head]
    vectors = embedder.embed([inquiry.text, *texts])
    similarity = vectors[1:] @ vectors[0]
    rescored = [
        replace(s, score=s.score + EMBED_WEIGHT * float(cos), similarity=float(cos))
        for s, cos in zip(head, similarity, strict=True)
    ]
    return sorted(rescored, key=lambda s: -s.score) + tail


def _section_terms(evidence: Evidence) -> dict[tuple[str, str, str], set[str]]:
    """Terms a sentence inherits from its passage: document title, section path, section."""
    found: dict[tuple[str, str, str], set[str]] = {}
    for hit in evidence.hits:
        chunk = hit.chunk
        key = (chunk.doc_id, chunk.version, chunk.section_title)
        found.setdefault(key, set()).update(term_set(chunk.passage()))
    for source in evidence.case_sources:
        key = (source.doc_id, source.version, source.section)
        found.setdefault(key, set()).update(term_set(f"{source.title}\n{source.text}"))
    for quote in evidence.quotes():
        if quote.key not in found:  # a section added for the question's kind, not retrieved
            found[quote.key] = term_set(f"{quote.title}\n{quote.section}")
        found[quote.key] |= term_set(quote.sentence.text)
    return found


def _bonus(quote: Quote, inquiry: Inquiry, question: QuestionTerms, general: set[str]) -> float:
    bonus = 0.0
    title = fold(quote.section)
    if any(any(hint in title for hint in INTENT_SECTIONS[i]) for i in inquiry.intents):
        bonus += INTENT_BONUS  # each section answers one kind of question
    named = term_set(quote.title) & set(question.salient)
    if named:
        bonus += TITLE_BONUS  # the question names the document ("under CMS-0057-F")
    if inquiry.payer is None and quote.doc_id in general:
        bonus += GENERAL_BONUS
    if title == fold(quote.title):
        bonus -= PREAMBLE_PENALTY  # the summary above the first heading answers nothing exactly
    if quote.sentence.text[:1].islower():
        bonus -= FRAGMENT_PENALTY  # the tail of a list a colon introduced
    text = fold(quote.sentence.text)
    if _QUANTITY.search(fold(inquiry.text)) and _DIGITS.search(text):
        bonus += 0.05
    if any(code.lower() in text for code in inquiry.codes):
        bonus += 0.05
    return bonus


def holds_answer_type(inquiry: Inquiry, text: str) -> bool:
    """Whether the sentence holds the kind of value the question asks for, if it asks one."""
    asked = fold(inquiry.text)
    if _MONEY_ASKED.search(asked):
        return _MONEY.search(text) is not None
    if _PHONE_ASKED.search(asked):
        return _PHONE.search(text) is not None
    if _QUANTITY.search(asked):
        return _DIGITS.search(fold(text)) is not None
    return True


def choose(ranked: Sequence[Scored], *, runner_up: float, most: int) -> list[Scored]:
    """The best sentence, strong runners-up from its section, the lead-in of a list item, and
    the items a colon announces: without them such a sentence says nothing."""
    best = ranked[0]
    chosen = [best]
    for candidate in ranked[1:]:
        if len(chosen) >= most:
            break
        if candidate.quote.key == best.quote.key and candidate.score >= runner_up * best.score:
            chosen.append(candidate)
    chosen += [lead for s in chosen if (lead := _lead_in(s, ranked)) is not None]
    chosen += [item for s in list(chosen) for item in _announced(s, ranked)]
    unique = {(s.quote.key, s.quote.sentence.start): s for s in chosen}
    return sorted(unique.values(), key=lambda s: (s.quote.rank, s.quote.sentence.start))


def _same_section_after(anchor: Scored, ranked: Sequence[Scored]) -> list[Scored]:
    start = anchor.quote.sentence.start
    after = [
        s for s in ranked if s.quote.key == anchor.quote.key and s.quote.sentence.start > start
    ]
    return sorted(after, key=lambda s: s.quote.sentence.start)


def _announced(anchor: Scored, ranked: Sequence[Scored]) -> list[Scored]:
    if not anchor.quote.sentence.text.rstrip().endswith(":"):
        return []
    return _same_section_after(anchor, ranked)[:3]


def _lead_in(item: Scored, ranked: Sequence[Scored]) -> Scored | None:
    """The sentence ending in a colon that a list item (or a lower-case fragment) continues."""
    sentence = item.quote.sentence
    if not (sentence.item or sentence.text[:1].islower()):
        return None
    before = [
        s for s in ranked
        if s.quote.key == item.quote.key and s.quote.sentence.start < item.quote.sentence.start
    ]  # fmt: skip
    before.sort(key=lambda s: -s.quote.sentence.start)
    for candidate in before:
        if candidate.quote.sentence.text.rstrip().endswith(":"):
            return candidate
        if not candidate.quote.sentence.item:
            return None  # a plain sentence in between: the item belongs to no lead-in
    return None


def speaks_for(quote: Quote, inquiry: Inquiry, payer_docs: set[str]) -> bool:
    """A sentence answers for the question's payer when it is from that payer's document or
    names the payer; a general document's sentence about nobody in particular does not."""
    if inquiry.payer is None or quote.doc_id in payer_docs:
        return True
    text = fold(quote.sentence.text)
    names = (inquiry.payer.id, inquiry.payer.name, *inquiry.payer.aliases)
    return any(re.search(rf"\b{re.escape(fold(name))}\b", text) for name in names)
