"""A knowledge-base document's Markdown body as HTML, with one quoted span marked.

Citations point into the body by character offsets, so the renderer keeps every piece of text
at its offset: headings, paragraphs, lists and tables become HTML one line at a time, and the
cited span is wrapped in `<mark>` wherever it falls (the first one gets `id="quote"`). Only
what the knowledge base uses is understood: headings, bullets, numbered lists, pipe tables,
`**bold**`, `` `code` `` and `[links](...)` (shown as their text: no link leaves the site).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

HEADING = re.compile(r"(#{1,6})\s+")
BULLET = re.compile(r"(\s*)(?:[-*+]|\d+[.)])\s+")
_INLINE = (
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
)


def slug(title: str) -> str:
    """A section heading as an anchor: `Codes that require PA` → `sec-codes-that-require-pa`."""
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"sec-{words}" if words else "sec"


@dataclass(frozen=True)
class Line:
    offset: int
    text: str


@dataclass
class Marker:
    """The quoted span [start, end); remembers whether its anchor was placed yet."""

    start: int
    end: int
    anchored: bool = False

    def render(self, offset: int, text: str) -> str:
        """`text` (found at `offset` of the body) as HTML, the quoted part marked."""
        lo = min(max(self.start - offset, 0), len(text))
        hi = min(max(self.end - offset, 0), len(text))
        if lo >= hi:
            return _inline(text)
        anchor = "" if self.anchored else ' id="quote"'
        self.anchored = True
        marked = f"<mark{anchor}>{_inline(text[lo:hi])}</mark>"
        return _inline(text[:lo]) + marked + _inline(text[hi:])


def _inline(text: str) -> str:
    html = escape(text, quote=False)
    for pattern, replacement in _INLINE:
        html = pattern.sub(replacement, html)
    return html


def _blocks(body: str) -> Iterator[list[Line]]:
    """Runs of non-blank lines with the offset each line starts at."""
    block: list[Line] = []
    offset = 0
    for raw in body.splitlines(keepends=True):
        text = raw.rstrip("\r\n")
        if text.strip():
            block.append(Line(offset, text))
        elif block:
            yield block
            block = []
        offset += len(raw)
    if block:
        yield block


def _heading(line: Line, marker: Marker) -> str:
    match = HEADING.match(line.text)
    assert match is not None
    level = min(len(match.group(1)) + 1, 6)  # the page's own title is the h1
    title = line.text[match.end() :]
    content = marker.render(line.offset + match.end(), title)
    return f'<h{level} id="{slug(title)}">{content}</h{level}>'


def _list(lines: list[Line], marker: Marker) -> str:
    items: list[list[str]] = []
    ordered = bool(re.match(r"\s*\d", lines[0].text))
    for line in lines:
        match = BULLET.match(line.text)
        if match is not None:
            items.append([marker.render(line.offset + match.end(), line.text[match.end() :])])
        elif items:
            items[-1].append(marker.render(line.offset, line.text))
    tag = "ol" if ordered else "ul"
    rendered = "".join(f"<li>{' '.join(parts)}</li>" for parts in items)
    return f"<{tag}>{rendered}</{tag}>"


def _cells(line: Line, marker: Marker, tag: str) -> str:
    text = line.text
    pipes = [n for n, char in enumerate(text) if char == "|"] or [-1]
    bounds = list(itertools.pairwise(pipes))
    if not text.rstrip().endswith("|"):
        bounds.append((pipes[-1], len(text)))
    cells = []
    for lo, hi in bounds:
        raw = text[lo + 1 : hi]
        lead = len(raw) - len(raw.lstrip())
        cells.append(f"<{tag}>{marker.render(line.offset + lo + 1 + lead, raw.strip())}</{tag}>")
    return "<tr>" + "".join(cells) + "</tr>"


def _table(lines: list[Line], marker: Marker) -> str:
    rows = [line for line in lines if not re.fullmatch(r"[\s|:-]+", line.text)]
    head = _cells(rows[0], marker, "th") if rows else ""
    body = "".join(_cells(line, marker, "td") for line in rows[1:])
    return f'<table class="table compact"><thead>{head}</thead><tbody>{body}</tbody></table>'


def _block(lines: list[Line], marker: Marker) -> str:
    first = lines[0].text
    if HEADING.match(first) and len(lines) == 1:
        return _heading(lines[0], marker)
    if HEADING.match(first):
        return _heading(lines[0], marker) + _block(lines[1:], marker)
    if first.lstrip().startswith("|"):
        return _table(lines, marker)
    if BULLET.match(first):
        return _list(lines, marker)
    text = "\n".join(marker.render(line.offset, line.text) for line in lines)
    return f"<p>{text}</p>"


def render_body(body: str, start: int | None = None, end: int | None = None) -> Markup:
    """The body as HTML; the span [start, end) (a citation's quote) is marked."""
    marker = Marker(start or 0, end or 0)
    html = "\n".join(_block(lines, marker) for lines in _blocks(body))
    return Markup(html)  # noqa: S704 - every piece of text went through escape() above
