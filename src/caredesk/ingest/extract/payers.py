"""Payers and plans of the fictional world, recognised in print even when OCR misspells them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from caredesk.domain.documents import OcrWord
from caredesk.ingest.extract.layout import close, edit_distance
from caredesk.ingest.extract.parsers import Parsed, norm_word, parse_text
from caredesk.ingest.extract.values import DateContext

# The shared fictional world's payers: id, display name, short code, plans.
PAYERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "quillfeather": (
        "Quillfeather Health",
        "QFH",
        ("Quillfeather HMO", "Quillfeather PPO", "Quillfeather Medicare Advantage"),
    ),
    "tumbleweed": (
        "Tumbleweed Mutual",
        "TWM",
        ("Tumbleweed Essential EPO", "Tumbleweed Premier PPO"),
    ),
    "lanternfish": (
        "Lanternfish Community Care",
        "LCC",
        ("Lanternfish Medicaid", "Lanternfish CHIP"),
    ),
}


def payer_id(text: str) -> str | None:
    """quillfeather | tumbleweed | lanternfish from a name, plan or short code in the text."""
    lowered = text.lower()
    for payer, (name, short, _plans) in PAYERS.items():
        if payer in lowered or name.lower() in lowered:
            return payer
        if re.search(rf"\b{short.lower()}\b", lowered):
            return payer
    return None


def payer_misspelt(text: str) -> str | None:
    """The one payer whose distinctive name a word of `text` spells within two OCR slips
    ("Quilifeather", "Lantemfish"); None when none or several do."""
    found = {
        payer
        for word in text.split()
        if len(token := norm_word(word)) >= 7
        for payer in PAYERS
        if edit_distance(token, payer) <= 2
    }
    return found.pop() if len(found) == 1 else None


# A payer recognised from a misspelt name: never auto-accepted.
MISSPELT_PAYER_QUALITY = 0.85


def parse_payer(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    parsed = parse_text(words, context)
    if parsed is None:
        return None
    found = payer_id(parsed.value)
    if found is not None:
        return Parsed(parsed.value, found, parsed.words)
    misspelt = payer_misspelt(parsed.value)
    if misspelt is None:
        return None
    return Parsed(parsed.value, misspelt, parsed.words, MISSPELT_PAYER_QUALITY)


def parse_plan(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """A plan is one of its payer's products; OCR slips are forgiven by word overlap."""
    parsed = parse_text(words, context)
    if parsed is None:
        return None
    printed = [norm_word(w) for w in parsed.value.split() if norm_word(w)]
    best, best_score = None, 0.0
    for _, _, plans in PAYERS.values():
        for plan in plans:
            score = _plan_overlap(printed, [norm_word(w) for w in plan.split()])
            if score > best_score:
                best, best_score = plan, score
    if best is None or best_score < 0.5:
        return Parsed(parsed.value, parsed.value, parsed.words, 0.5)
    exact = best_score == 1 and printed == [norm_word(w) for w in best.split()]
    return Parsed(parsed.value, best, parsed.words, 1.0 if exact else 0.8)


def plan_anywhere(words: Sequence[OcrWord]) -> Parsed | None:
    """The plan whose every word the line spells in order, within OCR slips, when exactly
    one longest plan does ("Tumbleweed Mutual Tumbleweed Premier PPO TWM-2105...")."""
    tokens = [norm_word(w.text) for w in words]
    found = []
    for _, _, plans in PAYERS.values():
        for plan in plans:
            span = _spelt_in_order(tokens, [norm_word(w) for w in plan.split()])
            if span is not None:
                found.append((len(plan.split()), plan, span))
    found.sort(reverse=True)
    if not found or (len(found) > 1 and found[0][0] == found[1][0]):
        return None
    _, plan, (start, end) = found[0]
    used = tuple(words[start:end])
    return Parsed(" ".join(w.text for w in used), plan, used, 0.8)


def _spelt_in_order(tokens: Sequence[str], wanted: Sequence[str]) -> tuple[int, int] | None:
    for start in range(len(tokens) - len(wanted) + 1):
        if all(close(tokens[start + k], w) for k, w in enumerate(wanted)):
            return start, start + len(wanted)
    return None


def _plan_overlap(printed: Sequence[str], wanted: Sequence[str]) -> float:
    """Share of words two plan names have in common; a word OCR misspelt by a letter or two
    ("Modicaid", "Quilfeather") still counts as that word."""
    matched = sum(any(close(p, w) for p in printed) for w in wanted)
    unmatched = sum(not any(close(p, w) for w in wanted) for p in printed)
    return matched / (len(wanted) + unmatched)
