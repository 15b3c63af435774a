"""Build a case's checklist from the governing policies' front matter, plus the identity check."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from caredesk.domain.cases import CASE_FIELDS
from caredesk.domain.knowledge import KbDocument
from caredesk.domain.packets import ChecklistItem, PolicySource

IDENTITY_ITEM = "patient-identity"
IDENTITY_FIELDS = ("patient_name", "date_of_birth", "member_id")
IDENTITY_PLAYBOOK = "playbook-intake"
IDENTITY_SECTION = "Patient identity checks"
_HEADING = re.compile(r"^#{1,3}\s+(.+?)\s*$", re.MULTILINE)
_ID_LIMIT = 64


class PlannedItem(BaseModel):
    """A checklist item and how the case's documents can satisfy it (from the front matter)."""

    model_config = ConfigDict(frozen=True)

    item: ChecklistItem
    fields: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    min_keywords: int = 0

    @property
    def case_fields(self) -> tuple[str, ...]:
        """Fields the case must hold; free-text fields (clinical_reason) only say where to look."""
        return tuple(field for field in self.fields if field in CASE_FIELDS)

    @property
    def checkable(self) -> bool:
        return bool(self.case_fields) or (bool(self.keywords) and self.min_keywords > 0)


def documentation_section(doc: KbDocument) -> str:
    """The heading of the policy's documentation checklist, which citations point at."""
    headings = _HEADING.findall(doc.body)
    for wanted in ("checklist", "documentation"):
        for heading in headings:
            if wanted in heading.lower():
                return str(heading)
    return ""


def policy_source(doc: KbDocument, section: str | None = None) -> PolicySource:
    return PolicySource(
        doc_id=doc.doc_id,
        version=doc.version,
        section=documentation_section(doc) if section is None else section,
    )


def items_from_policies(docs: Iterable[KbDocument]) -> list[PlannedItem]:
    """Every checklist item of the policies, once each; item ids are the policy's own, made
    unique with the document id only when two policies use the same id."""
    planned: list[PlannedItem] = []
    seen: set[tuple[str, str]] = set()
    taken: set[str] = set()
    for doc in docs:
        source = policy_source(doc)
        for entry in doc.front_matter.checklist:
            if (doc.doc_id, entry.id) in seen:
                continue
            seen.add((doc.doc_id, entry.id))
            item_id = entry.id if entry.id not in taken else f"{doc.doc_id}.{entry.id}"
            taken.add(item_id)
            item = ChecklistItem(
                id=item_id[:_ID_LIMIT], text=entry.text, kind=entry.kind.value, source=source
            )
            planned.append(
                PlannedItem(
                    item=item,
                    fields=tuple(entry.evidence.fields),
                    keywords=tuple(entry.evidence.keywords),
                    min_keywords=entry.evidence.min_keywords,
                )
            )
    return planned


def identity_item(playbook: KbDocument) -> PlannedItem:
    """The intake playbook's identity check: the papers agree on who the patient is."""
    item = ChecklistItem(
        id=IDENTITY_ITEM,
        text=(
            "The documents agree on the patient's name, date of birth and member ID, and the "
            "member ID belongs to the payer named on the case"
        ),
        kind="administrative",
        source=policy_source(playbook, IDENTITY_SECTION),
    )
    return PlannedItem(item=item, fields=IDENTITY_FIELDS)
