"""Split a document body into heading-aware, token-bounded chunks with exact source offsets."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from caredesk.domain.knowledge import Chunk, KbDocument, codes_in_text
from caredesk.knowledge.tokens import count_tokens

DEFAULT_MAX_TOKENS = 200  # MiniLM reads 256 word pieces; 200 tiktoken tokens fit with the heading
DEFAULT_OVERLAP_TOKENS = 30  # ~15%: a sentence cut at a boundary is still whole in one chunk

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
# Boundaries to split an oversized span at, coarsest first.
_SPLITTERS = (
    re.compile(r"\n[ \t]*\n\s*"),  # paragraphs
    re.compile(r"\n(?=[ \t]*(?:[-*+]|\d+[.)])[ \t])"),  # list items
    re.compile(r"(?<=[.!?])\s+"),  # sentences
    re.compile(r"\s+"),  # words
)

Span = tuple[int, int]
TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class Section:
    """A heading and the body text up to the next heading."""

    path: tuple[str, ...]
    start: int
    end: int
    content_start: int  # first character after the heading line


def sections(body: str, document_title: str) -> list[Section]:
    """The sections of a Markdown body by `#` headings; text before the first is a preamble."""
    found: list[Section] = []
    stack: list[tuple[int, str]] = []
    start, content_start = 0, 0
    path: tuple[str, ...] = (document_title,)
    in_fence, offset = False, 0
    for line in body.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line.rstrip("\r\n"))
        if heading is not None:
            found.append(Section(path, start, offset, content_start))
            level = len(heading.group(1))
            stack = [entry for entry in stack if entry[0] < level] + [(level, heading.group(2))]
            path = tuple(title for _, title in stack)
            start, content_start = offset, offset + len(line)
        offset += len(line)
    found.append(Section(path, start, len(body), content_start))
    return [s for s in found if body[s.content_start : s.end].strip()]


def chunk_document(
    doc: KbDocument,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    count: TokenCounter = count_tokens,
) -> list[Chunk]:
    """Chunks of every section, in order; `doc.body[c.start:c.end] == c.text` for each."""
    spans: list[tuple[Section, Span]] = []
    for section in sections(doc.body, doc.front_matter.title):
        for span in chunk_spans(
            doc.body, section.start, section.end, max_tokens, overlap_tokens, count
        ):
            spans.append((section, span))
    return [_chunk(doc, n, section, span) for n, (section, span) in enumerate(spans)]


def chunk_spans(
    body: str, start: int, end: int, max_tokens: int, overlap_tokens: int, count: TokenCounter
) -> list[Span]:
    """Token-bounded spans covering body[start:end], cut at the coarsest boundary that fits."""
    units = _units(body, start, end, max_tokens, 0, count)
    chunks: list[Span] = []
    first = 0
    while first < len(units):
        last = first
        while (
            last + 1 < len(units)
            and count(body[units[first][0] : units[last + 1][1]]) <= max_tokens
        ):
            last += 1
        chunks.append((units[first][0], units[last][1]))
        if last + 1 >= len(units):
            break
        first = _overlap_start(body, units, first, last, overlap_tokens, max_tokens, count)
    return chunks


def _overlap_start(
    body: str,
    units: list[Span],
    first: int,
    last: int,
    overlap: int,
    max_tokens: int,
    count: TokenCounter,
) -> int:
    """First unit of the next chunk: trailing units of this one worth ≤ `overlap` tokens."""
    start = last + 1
    while start - 1 > first:
        candidate = start - 1
        too_long = count(body[units[candidate][0] : units[last][1]]) > overlap
        if too_long or count(body[units[candidate][0] : units[last + 1][1]]) > max_tokens:
            break
        start = candidate
    return start


def _units(
    body: str,
    start: int,
    end: int,
    max_tokens: int,
    level: int,
    count: TokenCounter,
    levels: int = len(_SPLITTERS),
) -> list[Span]:
    """Spans of body[start:end] (whitespace trimmed) each within `max_tokens`, split ever finer.

    `levels` stops the splitting early: quoting wants sentences, never single words.
    """
    start, end = _trim(body, start, end)
    if start >= end:
        return []
    if count(body[start:end]) <= max_tokens:
        return [(start, end)]
    if level >= levels:
        if levels < len(_SPLITTERS):
            return [(start, end)]
        return _hard_cut(body, start, end, max_tokens, count)
    pieces: list[Span] = []
    cursor = start
    for match in _SPLITTERS[level].finditer(body, start, end):
        pieces.append((cursor, match.start()))
        cursor = match.end()
    pieces.append((cursor, end))
    units: list[Span] = []
    for piece_start, piece_end in pieces:
        units += _units(body, piece_start, piece_end, max_tokens, level + 1, count, levels)
    return units


def sentence_spans(body: str, start: int, end: int) -> list[Span]:
    """Paragraphs split into list items and sentences: the smallest spans worth quoting."""
    return _units(body, start, end, 0, 0, lambda _text: 1, levels=3)


def _hard_cut(body: str, start: int, end: int, max_tokens: int, count: TokenCounter) -> list[Span]:
    """A single "word" longer than a chunk (a pasted URL, a table row): cut by characters."""
    spans: list[Span] = []
    while start < end:
        stop = min(end, start + max_tokens)  # most tokens are one character or more
        while stop - start > 1 and count(body[start:stop]) > max_tokens:
            stop -= max(1, (stop - start) // 4)  # some characters take several tokens
        spans.append((start, stop))
        start = stop
    return spans


def _trim(body: str, start: int, end: int) -> Span:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return start, end


def _chunk(doc: KbDocument, n: int, section: Section, span: Span) -> Chunk:
    meta = doc.front_matter
    text = doc.body[span[0] : span[1]]
    return Chunk(
        chunk_id=f"{meta.id}@{meta.version}#{n}",
        doc_id=meta.id,
        version=meta.version,
        title=meta.title,
        kind=meta.kind,
        payer=meta.payer,
        plans=list(meta.plans),
        effective_date=meta.effective_date,
        end_date=meta.end_date,
        section_path=list(section.path),
        section_title=section.path[-1],
        text=text,
        start=span[0],
        end=span[1],
        service_codes=list(meta.service_codes),
        mentioned_codes=codes_in_text(text),
        source_path=doc.source_path,
    )
