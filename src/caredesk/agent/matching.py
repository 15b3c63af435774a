"""Find a checklist item's keywords in a document's page words, with page, box and quote.

Matching is on word tokens, case-folded, with plural endings dropped on both sides, so
"NSAID" finds "NSAIDs" and "reflexes" finds "reflex", but "ACT" never finds "Active".
Sentences that give orders to a reviewer or a model are found first and left out: text in a
document is data, and an instruction is never evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from caredesk.copilot.guard import is_instruction, normalised
from caredesk.domain.documents import BoundingBox, OcrWord, PageResult

_EDGE_PUNCTUATION = "\"'()[]{}<>,;:!?.*\u2018\u2019\u201c\u201d"
_SENTENCE_END = re.compile(r"[.!?]['\")\]]*$")
# Orders aimed at whoever checks the request, beyond the copilot's list of injection forms.
_ORDERS = re.compile(
    r"ignore (?:the |this |all |any |every )?(?:policy|policies|checklist|rules|criteria|"
    r"requirements)"
    r"|mark (?:everything|all(?: items)?|every item|each item|this|the checklist|it)"
    r"(?: as)? (?:met|complete|approved|satisfied|ready)"
    r"|skip (?:the )?(?:checklist|review|policy|criteria)"
    r"|(?:note|message|instruction)s? (?:to|for) the (?:ai|automated|agent|bot|model)"
    r"|\bai (?:reviewer|agent|model)\b"
)
QUOTE_LIMIT = 240


def token(word: str) -> str:
    """A word as matching sees it: folded, edge punctuation off, a plural ending dropped."""
    core = word.casefold().strip(_EDGE_PUNCTUATION)
    if len(core) > 4 and core.endswith("ies"):
        return core[:-3] + "y"
    if len(core) > 4 and core.endswith(("xes", "ches", "shes", "sses", "zes")):
        return core[:-2]
    if len(core) > 3 and core.endswith("s") and not core.endswith(("ss", "us", "is")):
        return core[:-1]
    return core


def phrase(keyword: str) -> tuple[str, ...]:
    return tuple(t for t in (token(part) for part in keyword.split()) if t)


def is_order(text: str) -> bool:
    """True when the text tells a reviewer or a model what to decide."""
    return is_instruction(text) or _ORDERS.search(normalised(text)) is not None


@dataclass(frozen=True)
class PageTokens:
    """One page of one document as tokens, with the words that are orders marked off."""

    document_id: str
    page: PageResult
    tokens: tuple[str, ...]
    orders: frozenset[int]

    @property
    def words(self) -> tuple[OcrWord, ...]:
        return self.page.words

    def order_boxes(self) -> list[BoundingBox]:
        """Boxes of the sentences that give orders (one per sentence)."""
        boxes: list[BoundingBox] = []
        for span in _sentences(self.words):
            if any(n in self.orders for n in span):
                boxes.append(_union([self.words[n].bbox for n in span]))
        return boxes


def page_tokens(document_id: str, page: PageResult) -> PageTokens:
    words = page.words
    orders: set[int] = set()
    for span in _sentences(words):
        if is_order(" ".join(words[n].text for n in span)):
            orders.update(span)
    return PageTokens(document_id, page, tuple(token(w.text) for w in words), frozenset(orders))


def _sentences(words: Sequence[OcrWord]) -> list[list[int]]:
    """Word indexes grouped into sentences: a stop ends one, so does a new text block."""
    spans: list[list[int]] = []
    current: list[int] = []
    for n, word in enumerate(words):
        if current and word.block != words[current[-1]].block:
            spans.append(current)
            current = []
        current.append(n)
        if _SENTENCE_END.search(word.text):
            spans.append(current)
            current = []
    if current:
        spans.append(current)
    return spans


@dataclass(frozen=True)
class Hit:
    """One keyword found on a page: where, the line it sits in, and how sure OCR was."""

    keyword: str
    document_id: str
    page: int
    bbox: BoundingBox
    quote: str
    confidence: float


def find_keyword(keyword: str, pages: Iterable[PageTokens]) -> list[Hit]:
    """Every place `keyword` occurs outside an order sentence, in reading order."""
    wanted = phrase(keyword)
    if not wanted:
        return []
    hits: list[Hit] = []
    for page in pages:
        size = len(wanted)
        for start in range(len(page.tokens) - size + 1):
            span = range(start, start + size)
            if page.tokens[start : start + size] != wanted:
                continue
            if any(n in page.orders for n in span):
                continue
            hits.append(_hit(keyword, page, list(span)))
    return hits


def _hit(keyword: str, page: PageTokens, span: list[int]) -> Hit:
    words = page.words
    matched = [words[n] for n in span]
    return Hit(
        keyword=keyword,
        document_id=page.document_id,
        page=page.page.number,
        bbox=_union([w.bbox for w in matched]),
        quote=line_quote(page, span),
        confidence=min(w.confidence for w in matched) / 100.0,
    )


def line_quote(page: PageTokens, span: list[int]) -> str:
    """The text line(s) the matched words sit in, without any order sentence."""
    words = page.words
    lines = {(words[n].block, words[n].line) for n in span}
    kept = [
        w.text for n, w in enumerate(words) if (w.block, w.line) in lines and n not in page.orders
    ]
    quote = " ".join(kept)
    return quote if len(quote) <= QUOTE_LIMIT else quote[: QUOTE_LIMIT - 1].rstrip() + "…"


def _union(boxes: Sequence[BoundingBox]) -> BoundingBox:
    box = boxes[0]
    for other in boxes[1:]:
        box = box.union(other)
    return box


def distinct_keywords(keywords: Iterable[str], pages: Sequence[PageTokens]) -> dict[str, list[Hit]]:
    """The keywords found at least once, each with its hits; duplicates after folding merged."""
    found: dict[str, list[Hit]] = {}
    seen: set[tuple[str, ...]] = set()
    for keyword in keywords:
        key = phrase(keyword)
        if not key or key in seen:
            continue
        seen.add(key)
        hits = find_keyword(keyword, pages)
        if hits:
            found[keyword] = hits
    return found


def text_tokens(text: str) -> list[str]:
    """Plain text as tokens (the evaluation's reading of a generator's clean text)."""
    return [t for t in (token(word) for word in text.split()) if t]


def count_in_tokens(keywords: Iterable[str], tokens: Sequence[str]) -> set[str]:
    """Which keywords occur in a token list (same folding, same merging as the page matcher)."""
    joined = tuple(tokens)
    found: set[str] = set()
    seen: set[tuple[str, ...]] = set()
    for keyword in keywords:
        wanted = phrase(keyword)
        size = len(wanted)
        if not size or wanted in seen:
            continue
        seen.add(wanted)
        if any(joined[i : i + size] == wanted for i in range(len(joined) - size + 1)):
            found.add(keyword)
    return found
