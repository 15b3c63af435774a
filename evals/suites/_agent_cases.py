"""Synthetic PA cases for the agent's eval and benchmark: the case list, cached ingestion, and
the ground truth each run is graded against.

Ground truth comes from the generator, never from the agent's own reading: the text of each
paper is the clean PDF's text layer (white-text injections and the planted order removed),
the identifiers are the generator's truth, and a checklist item is met when that text and
truth satisfy the knowledge base's stated criteria for it (its fields; its keywords, at least
`min_keywords` of them). Conflicting papers and a member ID of another payer make the
identity check unclear, and a conflicting field makes unclear every item that needs it.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from random import Random
from typing import Any

from pypdf import PdfReader

from caredesk.agent.checklist import (
    IDENTITY_PLAYBOOK,
    PlannedItem,
    identity_item,
    items_from_policies,
)
from caredesk.agent.matching import count_in_tokens, text_tokens
from caredesk.api.resources import Resources
from caredesk.audit.log import Actor
from caredesk.domain.documents import DocumentStatus, ExtractionResult
from caredesk.domain.knowledge import KbDocument, PaStatus, version_in_force
from caredesk.ingest.intake import sniff_media_type
from caredesk.ingest.pipeline import PreprocessOptions, limits_from, run_pipeline
from caredesk.ingest.store import save_extraction, save_page
from caredesk.knowledge.service import KnowledgeBase
from caredesk.settings import Settings
from caredesk.storage.db import transaction
from caredesk.storage.models import Document
from caredesk.synthetic import generate_case_bundle, raster
from caredesk.synthetic.cases import EVIDENCE_SERVICES, CaseBundle
from caredesk.worklist.cases import attach_document, correct_value, open_case_from_extraction

ROOT = Path(__file__).resolve().parents[2]
KB_PATH = ROOT / "knowledge_base"
CACHE = ROOT / "evals" / ".cache" / "agent"
PLACEHOLDER = "doc_pendingpending"
INTAKE = Actor("eval-intake", "intake")
COORDINATOR = Actor("eval-coordinator", "coordinator")
SERVICES = [service.key for service in EVIDENCE_SERVICES]
ROOMY = [s.key for s in EVIDENCE_SERVICES if len(s.evidence) >= 3]


@dataclass(frozen=True)
class CaseSpec:
    """One eval case: how to generate its papers and what a coordinator changed before the run."""

    name: str
    category: str
    seed: int
    scenario: str
    options: dict[str, Any] = field(default_factory=dict)
    change: tuple[str, Any] | None = None
    fax: bool = False


def _cycle(category: str, scenario: str, base: int, count: int, **extra: Any) -> list[CaseSpec]:
    return [
        CaseSpec(f"{category}-{n}", category, base + n, scenario,
                 {"service": SERVICES[(base + n) % len(SERVICES)], **extra})
        for n in range(count)
    ]  # fmt: skip


def _missing(count: int) -> list[CaseSpec]:
    """One item left out by seed, or two or three named ones from services that have them."""
    specs = []
    for n in range(count):
        if n % 2 == 0:
            service = SERVICES[(n * 3) % len(SERVICES)]
            specs.append(CaseSpec(f"missing-{n}", "missing", 2000 + n, "missing",
                                  {"service": service}))  # fmt: skip
            continue
        line = next(s for s in EVIDENCE_SERVICES if s.key == ROOMY[n % len(ROOMY)])
        ids = [item.id for item in line.evidence]
        left_out = tuple(ids[: 2 + (n // 2) % 2])  # two, then three, alternately
        specs.append(CaseSpec(f"missing-{n}", "missing", 2000 + n, "missing",
                              {"service": line.key, "missing": left_out}))  # fmt: skip
    return specs


def _not_required() -> list[CaseSpec]:
    plain = [
        CaseSpec(f"no-pa-{key}-{n}", "pa_not_required", 3000 + 10 * i + n, "complete",
                 {"service": key})
        for i, key in enumerate(("lumbar-xray", "pt-evaluation", "walker"))
        for n in range(2)
    ]  # fmt: skip
    # Quillfeather lumbar MRI without contrast (72148) in 2026: no PA any more.
    exempt = [
        CaseSpec(f"no-pa-72148-{seed}", "pa_not_required", seed, "complete",
                 {"service": "mri-lumbar"})
        for seed in (22, 24)
    ]  # fmt: skip
    return plain + exempt


def _expired() -> list[CaseSpec]:
    """Dates of service under a policy version that has since expired (or been replaced)."""
    cases = [
        (8002, "mri-lumbar", date(2025, 6, 2)),
        (8013, "mri-lumbar", date(2025, 11, 14)),
        (8003, "mri-lumbar", date(2025, 3, 10)),
        (8010, "mri-lumbar", date(2025, 12, 31)),
        (1, "physical-therapy", date(2025, 9, 15)),
        (9, "physical-therapy", date(2025, 4, 1)),
    ]
    return [
        CaseSpec(f"expired-{seed}", "expired_policy", seed, "complete", {"service": service},
                 change=("date_of_service", day))
        for seed, service, day in cases
    ]  # fmt: skip


def _wrong_payer() -> list[CaseSpec]:
    others = {"quillfeather": "tumbleweed", "tumbleweed": "lanternfish",
              "lanternfish": "quillfeather"}  # fmt: skip
    specs = []
    for n in range(6):
        spec = CaseSpec(f"wrong-payer-{n}", "wrong_payer", 4000 + n, "complete",
                        {"service": SERVICES[(4 + n * 5) % len(SERVICES)]})  # fmt: skip
        payer = "Acme Health" if n % 2 else others[_payer_of(spec)]
        specs.append(CaseSpec(spec.name, spec.category, spec.seed, spec.scenario, spec.options,
                              change=("payer", payer)))  # fmt: skip
    return specs


def _payer_of(spec: CaseSpec) -> str:
    return generate_case_bundle(spec.seed, spec.scenario, **spec.options).payer


def _conflicting(count: int) -> list[CaseSpec]:
    return [
        CaseSpec(f"conflicting-{n}", "conflicting", 5000 + n, "conflicting",
                 {"service": SERVICES[(n * 7) % len(SERVICES)],
                  "conflict_field": ("date_of_birth", "member_id")[n % 2]})
        for n in range(count)
    ]  # fmt: skip


def _injected(count: int) -> list[CaseSpec]:
    return [
        CaseSpec(f"injected-{n}", "injected", 6000 + n, "injected",
                 {"service": SERVICES[(n * 5 + 1) % len(SERVICES)], "hidden_injection": n % 2 == 1})
        for n in range(count)
    ]  # fmt: skip


def _fax(count: int) -> list[CaseSpec]:
    return [
        CaseSpec(f"fax-{n}", "fax", 7000 + n, ("complete", "missing")[n % 2],
                 {"service": ("sleep-study-lab", "knee-arthroscopy", "cpap", "adalimumab")[n % 4],
                  "with_note": False}, fax=True)
        for n in range(count)
    ]  # fmt: skip


def specs(size: str) -> list[CaseSpec]:
    """67 cases for "full"; a fixed slice of 12 text-layer cases (every category) for "small"."""
    if size == "small":
        return [
            *_cycle("complete", "complete", 1000, 2), *_missing(2), _not_required()[0],
            _not_required()[-1], _expired()[0], _wrong_payer()[0], *_conflicting(2),
            *_injected(2),
        ]  # fmt: skip
    return [
        *_cycle("complete", "complete", 1000, 12), *_missing(15), *_not_required(),
        *_expired(), *_wrong_payer(), *_conflicting(8), *_injected(8), *_fax(4),
    ]  # fmt: skip


# --- papers and their reading ----------------------------------------------------------------


@dataclass(frozen=True)
class Paper:
    file_name: str
    content: bytes
    text: str  # what is printed, as the generator made it (the oracle's reading)


def papers(spec: CaseSpec) -> tuple[CaseBundle, list[Paper]]:
    bundle = generate_case_bundle(spec.seed, spec.scenario, **spec.options)
    made = []
    for document in bundle.documents:
        text = _printed_text(document.content, document.truth.get("hidden_text", []))
        content, name = document.content, document.file_name
        if spec.fax:
            sent = raster.fax_pages(content, Random(f"fax:{spec.seed}:{name}"))
            content = raster.g4_tiff(sent.images, sent.profile.dpi_y)
            name = name.replace(".pdf", ".tif")
        made.append(Paper(name, content, text))
    return bundle, made


def _printed_text(pdf: bytes, hidden: list[str]) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    for invisible in hidden:
        text = text.replace(invisible, " ")
    return text


def read_paper(paper: Paper, settings: Settings) -> ExtractionResult:
    """The pipeline's reading of one paper, cached under evals/.cache by the paper's bytes."""
    digest = hashlib.sha256(paper.content).hexdigest()
    cached = CACHE / "extractions" / f"{digest}.json"
    if cached.is_file():
        return ExtractionResult.model_validate_json(cached.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / paper.file_name
        path.write_bytes(paper.content)
        result = run_pipeline(path, document_id=PLACEHOLDER, limits=limits_from(settings),
                              options=PreprocessOptions())  # fmt: skip
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(result.model_dump_json(), encoding="utf-8")
    return result


def _bound(extraction: ExtractionResult, document_id: str) -> ExtractionResult:
    raw = json.dumps(extraction.model_dump(mode="json")).replace(PLACEHOLDER, document_id)
    return ExtractionResult.model_validate_json(raw)


def open_case(
    resources: Resources, spec: CaseSpec, made: list[Paper], read: list[ExtractionResult]
) -> str:
    """Store the papers as ingestion would, open the case from the first, attach the rest,
    and apply the coordinator's change."""
    ids = [
        _store(resources, paper, extraction) for paper, extraction in zip(made, read, strict=True)
    ]
    with transaction(resources.db) as session:
        case = open_case_from_extraction(session, _bound(read[0], ids[0]), actor=INTAKE)
        for document_id in ids[1:]:
            attach_document(session, case.id, document_id, actor=INTAKE)
        if spec.change is not None:
            correct_value(session, case.id, spec.change[0], spec.change[1], actor=COORDINATOR)
    return case.id


def _store(resources: Resources, paper: Paper, extraction: ExtractionResult) -> str:
    digest = resources.blobs.put_bytes(paper.content)
    with transaction(resources.db) as session:
        row = Document(
            sha256=digest,
            filename=paper.file_name,
            media_type=sniff_media_type(paper.content[:1024]) or "application/pdf",
            size_bytes=len(paper.content),
            status=DocumentStatus.READY.value,
            page_count=len(extraction.pages),
            doc_type=extraction.doc_type.value,
        )
        session.add(row)  # fmt: skip
        session.flush()
        bound = _bound(extraction, row.id)
        for page in bound.pages:
            save_page(session, row.id, page)
        save_extraction(session, bound)
        return row.id


def settings_for(database: str = "run.db") -> Settings:
    """The knowledge base (and its vectors) kept between eval runs; a fresh database each run."""
    path = CACHE / database
    for stale in CACHE.glob(f"{database}*"):
        stale.unlink()
    CACHE.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=CACHE / "data", database_url=f"sqlite:///{path}",
                        kb_path=KB_PATH, kb_autoload=False, seed_demo=False,
                        log_format="console", log_level="WARNING", _env_file=None)  # fmt: skip
    settings.ensure_dirs()
    return settings


# --- ground truth ----------------------------------------------------------------------------


@dataclass
class Expected:
    """What a correct run concludes: the PA path, each item's status, and whether the case is
    truly complete (nothing missing or unclear and nothing else for a person to settle)."""

    pa_path: str
    items: dict[str, str]
    complete: bool
    issues: list[str]


def expected(kb: KnowledgeBase, spec: CaseSpec, bundle: CaseBundle, made: list[Paper]) -> Expected:
    truth = dict(bundle.documents[0].truth["fields"])
    if spec.change is not None:
        truth[spec.change[0]] = str(spec.change[1])
    payer = kb.resolve_payer(truth["payer"])
    day = date.fromisoformat(truth["date_of_service"])
    issues = [] if payer else ["unknown payer"]
    found = [kb.pa_requirement(payer.id if payer else truth["payer"], code, day, bundle.plan)
             for code in bundle.procedure_codes]  # fmt: skip
    issues += [f"PA {r.status.value} for {r.code}" for r in found
               if r.status in (PaStatus.CONDITIONAL, PaStatus.UNKNOWN) and payer]  # fmt: skip
    if found and all(r.status is PaStatus.NOT_REQUIRED for r in found):
        return Expected("not_required", {}, complete=not issues, issues=issues)
    docs: dict[str, KbDocument] = {}
    for requirement in found:
        if payer is not None and requirement.status is not PaStatus.NOT_REQUIRED:
            for doc in kb.policies_for(payer.id, requirement.code, day, bundle.plan):
                docs.setdefault(doc.key, doc)
    planned = items_from_policies(docs.values())
    playbook = version_in_force(kb.get_document(IDENTITY_PLAYBOOK), day)
    if playbook is not None:
        planned.insert(0, identity_item(playbook))
    mismatch = payer is None or payer.id != bundle.payer
    disputed = {bundle.conflict["field"]} if bundle.conflict else set()
    issues += ["conflicting papers"] * bool(disputed) + ["member ID of another payer"] * mismatch
    issues += ["no governing policy"] * (not docs and payer is not None)
    text = " ".join(p.text for p in made).replace(bundle.injected_text or "\0", " ")
    reading = Truth(truth, disputed, mismatch, text_tokens(text))
    items = {item.item.id: reading.status(item) for item in planned}
    complete = not issues and all(status == "met" for status in items.values())
    return Expected("full", items, complete=complete, issues=issues)


@dataclass(frozen=True)
class Truth:
    """The generator's truth about one case, as the checklist criteria read it."""

    fields: dict[str, Any]
    disputed: set[str]
    mismatch: bool
    tokens: list[str]

    def status(self, item: PlannedItem) -> str:
        identity = item.item.id == "patient-identity" and (self.disputed or self.mismatch)
        if identity or set(item.case_fields) & self.disputed:
            return "unclear"
        if any(self.fields.get(f) in (None, "", []) for f in item.case_fields):
            return "missing"
        if not item.checkable:
            return "unclear"
        hits = count_in_tokens(item.keywords, self.tokens)
        return "met" if len(hits) >= item.min_keywords else "missing"
