"""Urgency on referrals and PA requests: the ticked option under its caption, or the one
option a form prints alone in capitals when OCR lost the caption."""

from __future__ import annotations

from collections.abc import Sequence

from caredesk.domain.documents import ExtractedField, OcrWord
from caredesk.ingest.extract.engine import Candidate, DocumentView, best_field, label_score
from caredesk.ingest.extract.layout import close, norm_token
from caredesk.ingest.extract.parsers import GUESS_CONFIDENCE, Parsed

EXTRACTOR = "referral-layout-v1"
URGENCY = ("Priority", "Urgency", "Request Type", "Review Type", "Check one")

# A crossed box OCR read as a dense glyph ("[&!", "#"); an empty one as an open shape ("C)").
_TICKS = frozenset("xX×✗✘☒■☑✔✓K&#@%")
_EMPTY_BOX = frozenset("☐□OoD0ULCc")
_EXPEDITED = {"expedited", "urgent", "stat", "emergent"}
_STANDARD = {"standard", "routine", "non-urgent", "elective"}


def urgency(view: DocumentView) -> ExtractedField | None:
    """`expedited` or `standard`: the option ticked under an urgency caption, else the one
    option the form prints alone in capitals."""
    for hit in view.hits_for(URGENCY):
        words = view.value_right(hit)
        choice = _checked_choice(words)
        if choice is not None:
            value, used, quality = choice
            parsed = Parsed(" ".join(w.text for w in used), value, tuple(used), quality)
            return best_field(
                view.document_id,
                [Candidate("urgency", parsed, hit.row.page, label_score(hit))],
                EXTRACTOR,
            )
    return _urgency_alone(view)


# A form's answer printed in capitals on a row of its own ("STANDARD") when OCR lost the
# "Review type" caption; found, not read under a label, so never auto-accepted.
_ALONE_URGENCY_SCORE = 0.8


def _urgency_alone(view: DocumentView) -> ExtractedField | None:
    """The one urgency the document prints as a word in capitals standing alone on its row;
    none when it prints both options (a checkbox list whose ticks OCR lost)."""
    found = [
        (row, word)
        for row in view.rows
        for word in row.words
        if word.text.isupper()
        and len(word.text) >= 5
        and _option(word) is not None
        and not any(_sure_word(other) for other in row.words if other is not word)
    ]
    everywhere = {
        _option(word) for row in view.rows for word in row.words if word.text.isupper()
    } - {None}
    if len(found) != 1 or len(everywhere) != 1:
        return None
    row, word = found[0]
    parsed = Parsed(word.text, _urgency_value(word), (word,), 1.0)
    return best_field(
        view.document_id, [Candidate("urgency", parsed, row.page, _ALONE_URGENCY_SCORE)], EXTRACTOR
    )


def _sure_word(word: OcrWord) -> bool:
    """A word of four letters or more that OCR did not merely guess at (a caption it read at
    confidence 0, "curyency", is no other word on the row)."""
    return len(word.text) >= 4 and word.text.isalpha() and word.confidence >= GUESS_CONFIDENCE


def _checked_choice(words: Sequence[OcrWord]) -> tuple[str, list[OcrWord], float] | None:
    """Which option is ticked: the mark before each option word, or a plain word ("URGENT")."""
    options = [(i, w) for i, w in enumerate(words) if _option(w) is not None]
    if not options:
        return None
    if len(options) == 1:
        i, word = options[0]
        return _urgency_value(word), [word], 1.0
    marked = [(i, w) for i, w in options if i > 0 and _mark_state(words[i - 1].text) is True]
    blank = [(i, w) for i, w in options if i > 0 and _mark_state(words[i - 1].text) is False]
    if len(marked) == 1:
        i, word = marked[0]
        return _urgency_value(word), [words[i - 1], word], 1.0
    if len(blank) == len(options) - 1:
        i, word = next((i, w) for i, w in options if (i, w) not in blank)
        return _urgency_value(word), [word], 0.85
    return None


def _mark_state(text: str) -> bool | None:
    """Ticked, empty or unknown, from what OCR made of a box: "[X]", "(X])", "{ ])", "☒"."""
    inside = text.strip().strip("[](){}|_!I1l ")
    if not inside:
        return False
    if len(inside) <= 2 and any(ch in _TICKS for ch in inside):
        return True
    if len(inside) <= 2 and all(ch in _EMPTY_BOX for ch in inside):
        return False
    return None


def _option(word: OcrWord) -> str | None:
    """The urgency an option word names, within an OCR slip ("STANOARD", "Fxpedited")."""
    token = norm_token(word.text)
    for value, names in (("expedited", _EXPEDITED), ("standard", _STANDARD)):
        if any(close(token, name) for name in names):
            return value
    return None


def _urgency_value(word: OcrWord) -> str:
    return _option(word) or "standard"
