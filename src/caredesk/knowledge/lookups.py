"""Structured answers from the catalog: which policies govern a code, and does it need PA."""

from __future__ import annotations

from datetime import date

import numpy as np

from caredesk.domain.knowledge import (
    Chunk,
    KbDocument,
    KbKind,
    PaRequirement,
    PaStatus,
    codes_in_text,
    pa_status_for,
)
from caredesk.knowledge.chunker import sentence_spans
from caredesk.knowledge.retriever import Catalog, SearchFilters

_NEGATIVE = ("not ", "exempt", "without", "no prior", "no pa", "no authorization")
_CONDITIONAL = ("condition", "visit", "threshold", "after", "limit")


def policies_for(
    catalog: Catalog, payer: str, code: str, as_of: date, plan: str | None = None
) -> list[KbDocument]:
    """In-force policies naming `code` for `payer`: the payer's own first, plan-specific first."""
    code = code.strip().upper()
    filters = SearchFilters(
        as_of=as_of, payer=payer, plan=plan, kind=KbKind.POLICY, service_code=code
    )
    admitted = (catalog.documents[n] for n in np.flatnonzero(catalog.doc_mask(filters)))
    governing = [doc for doc in admitted if doc.front_matter.governs(code)]
    return sorted(
        governing,
        key=lambda d: (d.front_matter.payer != payer, not d.front_matter.plans, d.doc_id),
    )


def pa_requirement(
    catalog: Catalog, payer: str, code: str, as_of: date, plan: str | None = None
) -> PaRequirement:
    """What the governing policy says about `code`, with the section to cite."""
    code = code.strip().upper()
    asked = PaRequirement(payer=payer, code=code, as_of=as_of, plan=plan, status=PaStatus.UNKNOWN)
    policies = policies_for(catalog, payer, code, as_of, plan)
    for doc in policies:
        status, rule = pa_status_for(doc.front_matter, code)
        if status is not PaStatus.UNKNOWN:
            return _cited(asked, catalog, doc, status, rule)
    if policies:
        reason = f"{policies[0].key} governs {code} but does not say whether it needs PA"
        return asked.model_copy(
            update={"reason": reason, "doc_id": policies[0].doc_id, "version": policies[0].version}
        )
    reason = f"no policy of {payer} in force on {as_of.isoformat()} names {code}"
    return asked.model_copy(update={"reason": reason})


def _cited(
    asked: PaRequirement, catalog: Catalog, doc: KbDocument, status: PaStatus, rule: str
) -> PaRequirement:
    chunk = governing_chunk(catalog.chunks_of(doc.key), asked.code, status)
    update: dict[str, object] = {
        "status": status,
        "rule": rule,
        "doc_id": doc.doc_id,
        "version": doc.version,
    }
    if chunk is not None:
        start, end = _quote_span(doc.body, chunk, asked.code)
        update |= {
            "section": chunk.section_title,
            "chunk_id": chunk.chunk_id,
            "quote": doc.body[start:end],
            "quote_start": start,
            "quote_end": end,
        }
    return asked.model_copy(update=update)


def governing_chunk(chunks: list[Chunk], code: str, status: PaStatus) -> Chunk | None:
    """The chunk to cite: one naming the code in a section whose title matches the status."""
    naming = [chunk for chunk in chunks if code in chunk.mentioned_codes]
    for pool in (naming, chunks):
        for chunk in pool:
            if _title_fits(chunk.section_title.lower(), status):
                return chunk
    return naming[0] if naming else None


def _title_fits(title: str, status: PaStatus) -> bool:
    negative = any(hint in title for hint in _NEGATIVE)
    if status is PaStatus.REQUIRED:
        return "require" in title and not negative
    if status is PaStatus.NOT_REQUIRED:
        return negative
    return any(hint in title for hint in _CONDITIONAL)


def _quote_span(body: str, chunk: Chunk, code: str) -> tuple[int, int]:
    """Body offsets of the sentence or list item of the chunk that names the code."""
    for start, end in sentence_spans(body, chunk.start, chunk.end):
        if code in codes_in_text(body[start:end]):
            return start, end
    return chunk.start, chunk.end
