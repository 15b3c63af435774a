"""The agent's tools: an allow-list of read-only look-ups over the knowledge base and ONE case.

The graph's nodes see nothing else. There is no tool to write, send, approve or delete, and
a toolbox is bound to one case at construction: asking it for another case's document is
refused (`Forbidden`). Every call is counted, so each step's audit event names its sources.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from caredesk.domain.cases import Case
from caredesk.domain.documents import ExtractionResult
from caredesk.domain.errors import Forbidden, NotFound, UpstreamUnavailable
from caredesk.domain.knowledge import KbDocument, PaRequirement, Payer, version_in_force
from caredesk.ingest.store import load_extraction
from caredesk.knowledge.service import KnowledgeBase
from caredesk.worklist.records import load_case

# The allow-list: every public method of `CaseTools`, and nothing else (a test holds it so).
ALLOWED_TOOLS: dict[str, str] = {
    "case": "The case being assessed: values with their evidence, and its document ids.",
    "extraction": "What ingestion read off one of THIS case's documents: pages, words, fields.",
    "pa_requirement": "Whether a code needs PA with a payer on a date, citing the policy.",
    "policies_for": "The policies in force on a date that govern a code for a payer.",
    "kb_document": "The version of a knowledge-base document in force on a date.",
    "payer": "The payer an id, name or alias names, with its aliases and plans.",
    "payers": "Every payer the knowledge base knows.",
}


class CaseTools:
    """Read-only tools bound to one case; `read_db` sessions never take SQLite's write lock."""

    def __init__(self, case_id: str, read_db: sessionmaker[Session], kb: KnowledgeBase) -> None:
        self._case_id = case_id
        self._read_db = read_db
        self._kb = kb
        self._document_ids: frozenset[str] | None = None
        self.calls: Counter[str] = Counter()
        self.documents_read: set[str] = set()

    @property
    def case_id(self) -> str:
        return self._case_id

    def case(self) -> Case:
        self.calls["case"] += 1
        with self._read_db() as session:
            found = load_case(session, self._case_id)
        self._document_ids = frozenset(found.document_ids)
        return found

    def extraction(self, document_id: str) -> ExtractionResult | None:
        """The stored extraction of one of this case's documents (None: not read yet)."""
        self.calls["extraction"] += 1
        if self._document_ids is None:
            self.case()
        assert self._document_ids is not None
        if document_id not in self._document_ids:
            raise Forbidden(
                f"document {document_id} does not belong to case {self._case_id}",
                document_id=document_id,
            )
        self.documents_read.add(document_id)
        with self._read_db() as session:
            return load_extraction(session, document_id)

    def pa_requirement(self, payer: str, code: str, as_of: date, plan: str | None) -> PaRequirement:
        self.calls["pa_requirement"] += 1
        self._require_kb()
        return self._kb.pa_requirement(payer, code, as_of, plan)

    def policies_for(
        self, payer: str, code: str, as_of: date, plan: str | None
    ) -> list[KbDocument]:
        self.calls["policies_for"] += 1
        self._require_kb()
        return self._kb.policies_for(payer, code, as_of, plan)

    def kb_document(self, doc_id: str, as_of: date) -> KbDocument | None:
        self.calls["kb_document"] += 1
        try:
            return version_in_force(self._kb.get_document(doc_id), as_of)
        except NotFound:
            return None

    def payer(self, name: str) -> Payer | None:
        self.calls["payer"] += 1
        self._require_kb()
        return self._kb.resolve_payer(name)

    def payers(self) -> list[Payer]:
        self.calls["payers"] += 1
        self._require_kb()
        return self._kb.payers()

    def _require_kb(self) -> None:
        if self._kb.status().documents == 0:
            raise UpstreamUnavailable(
                "the knowledge base is not loaded; load it (`caredesk kb load`) and run again"
            )
