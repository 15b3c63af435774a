"""Who signed a referral: "/s/ Dr. Jane Doe, MD" however fax OCR reads the mark, or the name
on the signature line above a "Signature of ordering provider" caption."""

from __future__ import annotations

import re

from caredesk.ingest.extract.engine import DocumentView, is_stray
from caredesk.ingest.extract.layout import Row, close, gap_split, inked, norm_token
from caredesk.ingest.extract.parsers import Parsed, parse_person
from caredesk.ingest.extract.unlabelled import CLINICIAN_CREDENTIALS


def signer_on(view: DocumentView, row: Row) -> Parsed | None:
    """The full name of the clinician who signed on `row`, or None."""
    return _signer(view, row) or _above_signature_caption(view, row)


_SIGNATURE_MARK = re.compile(r"[\W_]{0,2}[s8$5]?/?")
# "/s/" whose closing slash OCR read as a letter ("/sf", "sf", "s1"), or as a degree sign
# or a quote after an s read as a digit ("3°", "5’").
_MANGLED_MARK = re.compile(r"[\W_]{0,2}[s$5][fl1|]|[s$35][°º'’\"]")


def _signer(view: DocumentView, row: Row) -> Parsed | None:
    """The clinician who signed: "/s/ Dr. Jane Doe, MD", the mark as fax OCR reads it
    ("“8", "‘s/", "3°"), with a full name and a clinical credential after it."""
    words = list(row.words)
    mark = words[0].text if words else ""
    plain = _SIGNATURE_MARK.fullmatch(mark) is not None and not mark.isalnum()
    if len(words) < 3 or not (plain or _MANGLED_MARK.fullmatch(mark)):
        return None
    if norm_token(words[-1].text) not in CLINICIAN_CREDENTIALS:
        return None
    signer = parse_person(words[1:], view.dates)
    return signer if signer is not None and signer.quality >= 1.0 else None


def _above_signature_caption(view: DocumentView, row: Row) -> Parsed | None:
    """The full name on the signature line above a "Signature of ordering provider" caption
    (the signature mark, however OCR read it, and what follows a wide gap left out)."""
    below = view.page_rows(row.page)[row.index + 1 : row.index + 3]
    caption = next((i for i, r in enumerate(below) if _is_signature_caption(r)), None)
    if caption is None or not all(map(is_stray, below[:caption])):
        return None  # a stray mark may stand between, not a line of text (the name's own)
    words = gap_split(list(row.words), factor=3.0)[0]
    if words and (len(words[0].text) <= 3 and not words[0].text[:1].isupper()):
        words = words[1:]  # "/s/", "is’", "if": the mark
    signer = parse_person(words, view.dates) if words else None
    return signer if signer is not None and signer.quality >= 1.0 else None


def _is_signature_caption(row: Row) -> bool:
    tokens = [norm_token(w.text) for w in row.words if inked(w)]
    wanted = ("signature", "of", "ordering", "provider")
    return len(tokens) == len(wanted) and all(map(close, tokens, wanted))
