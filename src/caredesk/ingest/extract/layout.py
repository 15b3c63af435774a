"""Page geometry for extraction: visual rows, labels on them, and the values labels name."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from statistics import median

from caredesk.domain.documents import BoundingBox, Evidence, OcrWord, PageResult, PageStatus

_STRIP = re.compile(r"[.:;,()\[\]{}'\"“”‘’—–_]")


def inked(word: OcrWord) -> bool:
    """Has the word a letter or digit (not only a mark OCR made of a rule: "|", "_", "—")?"""
    return any(ch.isalnum() for ch in word.text)


def norm_token(text: str) -> str:
    """A word as label matching sees it: lower case, no dots, colons or brackets."""
    return _STRIP.sub("", text.lower()).strip("-")


def label_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(t for t in (norm_token(p) for p in phrase.replace("#", " # ").split()) if t)


@dataclass(frozen=True)
class Row:
    """Words on one visual line of one page, left to right."""

    page: int
    index: int
    words: tuple[OcrWord, ...]

    @property
    def top(self) -> float:
        return min(w.bbox.y0 for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bbox.y1 for w in self.words)

    @property
    def height(self) -> float:
        return median(w.bbox.y1 - w.bbox.y0 for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def rows_of(page: PageResult) -> list[Row]:
    """Cluster a page's words into visual rows by vertical overlap, top to bottom."""
    if page.status is PageStatus.UNREADABLE or not page.words:
        return []
    ordered = sorted(_without_slivers(page.words), key=lambda w: (w.bbox.y0 + w.bbox.y1) / 2)
    groups: list[list[OcrWord]] = []
    for word in ordered:
        centre = (word.bbox.y0 + word.bbox.y1) / 2
        height = word.bbox.y1 - word.bbox.y0
        if groups and _fits_row(groups[-1], centre, height):
            groups[-1].append(word)
        else:
            groups.append([word])
    return [
        Row(page=page.number, index=i, words=tuple(sorted(g, key=lambda w: w.bbox.x0)))
        for i, g in enumerate(groups)
    ]


# A "word" of letters or digits under this share of the page's usual word height is a sliver:
# OCR read a table rule or the edge of a smudge as text ("-05-" 3 px tall beside 19 px
# digits), and in a row it would join the value it touches.
SLIVER = 0.3


def _without_slivers(words: Sequence[OcrWord]) -> list[OcrWord]:
    heights = [w.bbox.y1 - w.bbox.y0 for w in words if inked(w)]
    if not heights:
        return list(words)
    floor = SLIVER * median(heights)
    return [w for w in words if not inked(w) or w.bbox.y1 - w.bbox.y0 >= floor]


def _fits_row(group: list[OcrWord], centre: float, height: float) -> bool:
    row_centre = median((w.bbox.y0 + w.bbox.y1) / 2 for w in group)
    row_height = median(w.bbox.y1 - w.bbox.y0 for w in group)
    return abs(centre - row_centre) <= 0.45 * max(min(height, row_height * 2), row_height * 0.5)


@dataclass(frozen=True)
class LabelHit:
    """A label found on a page: which phrase, its words, and whether a colon closed it."""

    phrase: str
    row: Row
    start: int
    end: int  # exclusive index into row.words
    colon: bool
    leading: bool = True  # first on its row, after a bullet, or after a wide gap
    alone: bool = True  # set apart from what follows: leader dots, a wide gap, or nothing
    slipped: bool = False  # a short one-word caption read with one letter wrong ("bos")

    @property
    def x0(self) -> float:
        return self.row.words[self.start].bbox.x0

    @property
    def x1(self) -> float:
        return self.row.words[self.end - 1].bbox.x1

    @property
    def height(self) -> float:
        return median(w.bbox.y1 - w.bbox.y0 for w in self.row.words[self.start : self.end])


@dataclass
class LabelIndex:
    """Every known label phrase, longest first, so "Date of Service" wins over "Date".

    Matching forgives one OCR slip in a word of four letters or more ("Faciity" is
    "Facility"), and words that OCR glued together ("ID#"). A caption of one short word read
    with one letter wrong ("bos" for "DOS", "Tox" for "Tax") counts only when no other
    caption is one letter from it and it stands apart from what follows (a colon, leader
    dots, a wide gap), so that a name ("Dale Smith") never becomes a label.
    """

    phrases: Sequence[str]
    _by_tokens: list[tuple[tuple[str, ...], str]] = field(init=False)
    _starts: dict[str, list[tuple[tuple[str, ...], str]]] = field(init=False)

    def __post_init__(self) -> None:
        pairs = {label_tokens(p): p for p in self.phrases}
        self._by_tokens = sorted(pairs.items(), key=lambda kv: -len(kv[0]))
        self._starts = {}

    def find(self, rows: Iterable[Row]) -> list[LabelHit]:
        hits: list[LabelHit] = []
        for row in rows:
            hits.extend(self._find_in_row(row))
        return hits

    def _find_in_row(self, row: Row) -> list[LabelHit]:
        tokens = [norm_token(w.text) for w in row.words]
        hits, i = [], 0
        while i < len(tokens):
            hit = self._match_at(row, tokens, i)
            if hit is None:
                i += 1
                continue
            hits.append(hit)
            i = hit.end
        if sum(h.end - h.start for h in hits) == len([t for t in tokens if t]):
            return hits  # a row of labels only: a table header or a row of boxed captions
        return [h for h in hits if h.colon or h.leading]

    def _candidates(self, token: str) -> list[tuple[tuple[str, ...], str]]:
        if token not in self._starts:
            self._starts[token] = [
                (tokens, phrase)
                for tokens, phrase in self._by_tokens
                if token
                and (
                    close(token, tokens[0])
                    or "".join(tokens).startswith(token)
                    or (len(tokens) > 1 and _short_word_slip(token, tokens[0]))
                    or (len(tokens) > 1 and _two_slips(token, tokens[0]))
                    or _glued_slip(token, tokens)
                )
            ]
            if not self._starts[token]:
                slips: list[tuple[tuple[str, ...], str]] = [
                    (tokens, phrase)
                    for tokens, phrase in self._by_tokens
                    if len(tokens) == 1 and _short_word_slip(token, tokens[0])
                ]
                self._starts[token] = slips if len(slips) == 1 else []
        return self._starts[token]

    def _match_at(self, row: Row, tokens: list[str], i: int) -> LabelHit | None:
        for phrase_tokens, phrase in self._candidates(tokens[i]):
            end = _match_tokens(tokens, i, phrase_tokens)
            if end is None:
                continue
            colon = row.words[end - 1].text.rstrip().endswith(":")
            if not colon and end < len(row.words) and row.words[end].text in (":", "#:"):
                # A typed form aligns its colons well right of the captions: a far colon
                # still closes the caption when a value follows it closely.
                far = _spans_a_gap(row, end - 1, end + 1)
                if far and not _value_follows(row, end):
                    continue
                end, colon = end + 1, True
            if _spans_a_gap(row, i, end - colon):
                continue  # "Requesting Provider" and "NPI" in two boxes are two labels
            hit = LabelHit(
                phrase=phrase,
                row=row,
                start=i,
                end=end,
                colon=colon,
                leading=_leads_segment(row, i),
            )
            # Matched only by a short word's one-letter slip ("bos"), not exactly, not within
            # close()'s slack, not glued from pieces ("D OB"): a label only when set apart.
            slipped = (
                len(phrase_tokens) == 1
                and not close(tokens[i], phrase_tokens[0])
                and _short_word_slip(tokens[i], phrase_tokens[0])
            )
            hit = replace(hit, alone=_stands_alone(hit), slipped=slipped)
            if slipped and not hit.alone:
                continue
            return hit
        return None


def _spans_a_gap(row: Row, start: int, end: int) -> bool:
    words = row.words[start:end]
    return any(
        b.bbox.x0 - a.bbox.x1 > 1.5 * (a.bbox.y1 - a.bbox.y0) for a, b in itertools.pairwise(words)
    )


def _value_follows(row: Row, colon: int) -> bool:
    """A word follows the colon at `colon` closely (not the next caption of a table header)."""
    if colon + 1 >= len(row.words):
        return False
    gap = row.words[colon + 1].bbox.x0 - row.words[colon].bbox.x1
    return gap < 1.5 * row.height


def _stands_alone(hit: LabelHit) -> bool:
    """Set apart from what follows: leader dots, a wide gap (a grid cell), or nothing at all
    (a boxed caption). Extractors demand this of bare one-word labels ("Plan", "Member")."""
    if hit.colon:
        return True
    words = hit.row.words
    if hit.end >= len(words):
        return True
    following = words[hit.end]
    if is_leader(following.text):
        return True
    height = hit.height
    return following.bbox.x0 - words[hit.end - 1].bbox.x1 > 2.0 * height


def is_leader(text: str) -> bool:
    """Typewriter forms join caption and value with a run of dots or underscores."""
    return len(text) >= 2 and set(text) <= {".", "_", "…", "-", ","}


# "D" joins "0" and "O" so that fax OCR's "0.0.8." still reads as "D.O.B.".
_LOOKALIKE_LETTERS = str.maketrans(
    {"0": "o", "d": "o", "1": "l", "5": "s", "8": "b", "|": "l", "i": "l"}
)


# Letter pairs fax OCR reads as one letter ("Payrrent", "Buth" for "Birth"), and back.
_LOOKALIKE_PAIRS = (("rn", "m"), ("rr", "m"), ("ir", "u"))


def _lookalike_form(word: str) -> str:
    for pair, single in _LOOKALIKE_PAIRS:
        word = word.replace(pair, single)
    if len(word) >= 4 and word[0] == "b":
        # A capital D whose curve broke reads as B ("Bate"); in a shorter word one letter
        # is too much of it to forgive ("bos" is not "DOS").
        word = "d" + word[1:]
    return word.translate(_LOOKALIKE_LETTERS)


def close(token: str, wanted: str) -> bool:
    """Equal, or one slip apart in a word of five letters or more (two in eight or more).

    Short words get no slack: "Date" must not match the name "Dale".
    """
    if token == wanted:
        return True
    seen, meant = _lookalike_form(token), _lookalike_form(wanted)
    if len(wanted) < 5 or abs(len(token) - len(wanted)) > 2:
        return seen == meant
    allowed = 2 if len(wanted) >= 8 else 1  # by the printed length: "Birth" keeps its slip
    return edit_distance(seen, meant, allowed) <= allowed


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance of two short strings; with `limit`, gives up (returning
    limit + 1) as soon as the distance must exceed it."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if limit is not None and min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


_BULLETS = frozenset({"•", "*", "-", "·", "e", "o", "»", "+"})


def _leads_segment(row: Row, index: int) -> bool:
    """Labels start a segment: a row, a bullet item, or a column after a wide gap."""
    if index == 0:
        return True
    previous, word = row.words[index - 1], row.words[index]
    if index == 1 and (previous.text in _BULLETS or _misread_bullet(previous.text)):
        return True
    if previous.text.rstrip().endswith((":", ".")) and index >= 2:
        return word.bbox.x0 - previous.bbox.x1 > 0.8 * (word.bbox.y1 - word.bbox.y0)
    return word.bbox.x0 - previous.bbox.x1 > 1.2 * (word.bbox.y1 - word.bbox.y0)


def _misread_bullet(text: str) -> bool:
    """Fax OCR reads a bullet as "¢", "«" or "©": one mark that is neither letter nor digit."""
    return len(text) == 1 and not text.isalnum()


def _match_tokens(tokens: list[str], start: int, phrase: tuple[str, ...]) -> int | None:
    """Index after `phrase` when row tokens from `start` spell it, exactly when glued
    ("ID#"), or word by word within OCR slips."""
    end = start + len(phrase)
    if end <= len(tokens) and all(close(tokens[start + k], p) for k, p in enumerate(phrase)):
        return end
    if end <= len(tokens) and _one_short_slip(tokens[start:end], phrase):
        return end
    if len(phrase) == 1 and _short_word_slip(tokens[start], phrase[0]):
        return end
    if end <= len(tokens) and _anchored_slips(tokens[start:end], phrase):
        return end
    joined_phrase = "".join(phrase)
    text, i = "", start
    while i < len(tokens) and len(text) < len(joined_phrase):
        text += tokens[i]
        i += 1
        if text == joined_phrase:
            return i
    if _glued_slip(tokens[start], phrase):
        return start + 1
    if "/" in phrase:  # a bilingual caption whose slash OCR lost ("Klantnummer Account")
        return _match_tokens(tokens, start, tuple(p for p in phrase if p != "/"))
    return None


def _glued_slip(token: str, phrase: tuple[str, ...]) -> bool:
    """Words of a caption OCR ran together, with a slip besides ("Totaldae")."""
    return len(phrase) > 1 and len(token) > len(phrase[0]) and close(token, "".join(phrase))


def _one_short_slip(tokens: Sequence[str], phrase: tuple[str, ...]) -> bool:
    """A caption of several words where one short word has one letter wrong ("Payment Duo",
    "Not amount"): the others must match exactly, one of them a word of five letters or more,
    so that a short word alone ("Dale" for "Date") never becomes a label."""
    slips = [(t, p) for t, p in zip(tokens, phrase, strict=True) if t != p]
    if len(phrase) < 2 or len(slips) != 1:
        return False
    token, wanted = slips[0]
    anchored = any(t == p and len(p) >= 5 for t, p in zip(tokens, phrase, strict=True))
    return anchored and _short_word_slip(token, wanted)


def _anchored_slips(tokens: Sequence[str], phrase: tuple[str, ...]) -> bool:
    """A caption of several words where a long word took two slips ("Payrert Due"): every
    other word must match exactly, one of them of three letters or more."""
    if len(phrase) < 2:
        return False
    exact = [t == p for t, p in zip(tokens, phrase, strict=True)]
    if not any(ok and len(p) >= 3 for ok, p in zip(exact, phrase, strict=True)):
        return False
    return all(ok or _two_slips(t, p) for ok, t, p in zip(exact, tokens, phrase, strict=True))


def _two_slips(token: str, wanted: str) -> bool:
    """A word of six letters or more read with up to two letters wrong."""
    if len(wanted) < 6 or abs(len(token) - len(wanted)) > 2:
        return False
    return edit_distance(_lookalike_form(token), _lookalike_form(wanted), 2) <= 2


def _short_word_slip(token: str, wanted: str) -> bool:
    """A word of three or four letters read with exactly one letter wrong."""
    if len(token) != len(wanted) or not 3 <= len(wanted) <= 4 or not token.isalpha():
        return False
    return sum(a != b for a, b in zip(token, wanted, strict=True)) == 1


def gap_split(words: Sequence[OcrWord], factor: float = 1.6) -> list[list[OcrWord]]:
    """Split a left-to-right run of words where the gap is wider than `factor` × text height."""
    if not words:
        return []
    parts: list[list[OcrWord]] = [[words[0]]]
    for previous, word in itertools.pairwise(words):
        height = max(previous.bbox.y1 - previous.bbox.y0, word.bbox.y1 - word.bbox.y0)
        if word.bbox.x0 - previous.bbox.x1 > factor * height:
            parts.append([word])
        else:
            parts[-1].append(word)
    return parts


def evidence_for(
    document_id: str, page: int, words: Sequence[OcrWord], extractor: str
) -> Evidence | None:
    """Evidence from the words a value was read from: union box, mean OCR confidence."""
    if not words:
        return None
    box: BoundingBox = words[0].bbox
    for word in words[1:]:
        box = box.union(word.bbox)
    confidence = sum(w.confidence for w in words) / len(words)
    return Evidence(
        document_id=document_id, page=page, bbox=box, ocr_confidence=confidence, extractor=extractor
    )
