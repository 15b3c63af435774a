"""Words, sentences and instruction-like text: the lexical tools answers and checks share."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from caredesk.knowledge.chunker import sentence_spans

# Words keep inner hyphens and apostrophes ("x-ray", "cms-0057-f"); decimals keep their point
# ("164.502"); web addresses split at dots so "providers.lanternfish.example" names a provider.
_WORD = re.compile(r"\d+(?:\.\d+)+|[a-z0-9]+(?:['-][a-z0-9]+)*")
_IRREGULAR = {"women": "woman", "men": "man", "children": "child", "feet": "foot", "teeth": "tooth"}
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])")
_POSSESSIVE = re.compile(r"'s?$")
_TABLE_RULE = re.compile(r"^\|?[\s:|-]+\|?$")
_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+")
# Zero-width and bidi controls: invisible, so a reader never sees what they hide.


def _listed(words: str) -> list[str]:
    return words.split()


_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
STOPWORDS = frozenset(
    _listed(
        """a about after again all also am an and any are as at be been before being both but by can
    could did do does doing done during each either else for from had has have having he her here
    him his how i if in into is it its itself just may me might more most must my no nor not of
    off on once only or other our out over own same shall she should so some such than that the
    their them then there these they this those through to too under until up upon us very was
    we were what when where whether which while who whom whose why will with within would you
    your yours i'm it's let's get got one yes"""
    )
)
# Words every question in this domain uses: they locate text but prove nothing about it.
GENERIC_TERMS = frozenset(
    _listed(
        """prior authorization authorisation auth pa pas require required requires requirement need
    needed needs request requests requested member members patient patients payer payers plan
    plans policy policies service services code codes cpt hcpcs
    approve approval approved send sent submit decide decision allow allowed take long many much
    often soon quickly fast time days day number deadline ask asked want wants state"""
    )
)
_NEGATIONS = re.compile(
    r"\b(?:not|no longer|never|cannot|can't|isn't|aren't|doesn't|don't|won't|excluded|"
    r"exempt|no pa|no prior|no authori[sz]ation|need no|needs no|without prior|instead)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    """A quotable span of a source: `text == source_text[start:end]` (start/end in the source)."""

    text: str
    start: int
    end: int
    item: bool = False  # a list item (its bullet left out)

    @property
    def clean(self) -> str:
        """The sentence as a reader sees it: one line, single spaces."""
        return " ".join(self.text.split())


def fold(text: str) -> str:
    """Lower-cased, compatibility-normalised text without invisible characters.

    NFKC maps full-width and other look-alike forms onto plain letters, so "ｉｇｎｏｒｅ" and
    "ignore" compare equal; invisible characters are dropped so they cannot split a word.
    """
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).casefold()


def stem(word: str) -> str:
    """A crude suffix-stripping stem: enough to match "visits" with "visit", "tried" with "try",
    "phoned" with "phone" (a final "e" is always dropped, so both become "phon")."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix, keep in (
        ("ies", "y"), ("ied", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""),
    ):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)] + keep
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def words(text: str) -> list[str]:
    return [_POSSESSIVE.sub("", word) for word in _WORD.findall(fold(text))]


def terms(text: str) -> list[str]:
    """Content-bearing stems of `text`, in order (stopwords dropped)."""
    return [stem(word) for word in words(text) if word not in STOPWORDS]


def term_set(text: str) -> set[str]:
    return set(terms(text))


def numbers(text: str) -> set[str]:
    """Numbers written in `text` ("90", "4.5"), commas in thousands dropped."""
    return {match.replace(",", "") for match in _NUMBER.findall(fold(text))}


def is_negative(text: str) -> bool:
    """True when the text states a negation ("not required", "no longer", "exempt")."""
    return _NEGATIONS.search(fold(text)) is not None


def sentences(source: str, offset: int = 0) -> list[Sentence]:
    """Sentences and list items of `source`, bullets and headings left out.

    Offsets are shifted by `offset`, so a chunk's sentences carry document-body offsets.
    """
    found: list[Sentence] = []
    for start, end in _table_rows(source, sentence_spans(source, 0, len(source))):
        piece = source[start:end]
        if piece.lstrip().startswith("#"):
            continue
        bullet = _BULLET.match(piece)
        if bullet is not None:
            start += bullet.end()
            piece = source[start:end]
        if len(words(piece)) < 3:
            continue
        found.append(Sentence(piece, start + offset, end + offset, item=bullet is not None))
    return found


def _table_rows(source: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans with Markdown tables cut into rows: a row is one quotable fact."""
    rows: list[tuple[int, int]] = []
    for start, end in spans:
        if not source[start:end].lstrip().startswith("|"):
            rows.append((start, end))
            continue
        cursor = start
        for line in source[start:end].split("\n"):
            stripped = line.strip()
            if stripped and not _TABLE_RULE.match(stripped):
                lead = cursor + len(line) - len(line.lstrip())
                rows.append((lead, lead + len(stripped)))
            cursor += len(line) + 1
    return rows


def overlap(claim: Iterable[str], support: set[str]) -> float:
    """Share of the claim's terms that the support contains (1.0 for an empty claim)."""
    wanted = set(claim)
    return len(wanted & support) / len(wanted) if wanted else 1.0
