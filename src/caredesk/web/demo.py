"""Demo data: one person per role, a handful of synthetic faxes read by the real pipeline,
cases opened from the referrals and one agent run. Everything is marked `is_demo` and the
seeding refuses a data directory that already holds real work.

Seeding is in two parts so that start-up never waits for OCR: `seed_users` (fast, its
passwords are shown once) and `DemoSeeder.run` (upload, wait for ingestion in the background
jobs, open cases, run the agent), which `caredesk serve` runs on a thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caredesk.accounts.service import count_users, create_user
from caredesk.agent.budget import Limits
from caredesk.agent.runs import FINISHED, enqueue_run, run_record, runs_of
from caredesk.api.resources import Resources
from caredesk.audit.log import SYSTEM, Actor, record
from caredesk.domain.cases import Case, values_from_extraction
from caredesk.domain.clocks import PayerClock
from caredesk.domain.documents import DocumentStatus
from caredesk.domain.errors import CaredeskError, Conflict, UpstreamUnavailable
from caredesk.domain.roles import Role
from caredesk.ingest.intake import accept_upload
from caredesk.storage.db import transaction
from caredesk.storage.models import CaseRecord, Document, User, utcnow
from caredesk.synthetic import build_file, generate_case_bundle
from caredesk.worklist.cases import attach_document, open_case_from_extraction, stored_extraction
from caredesk.worklist.payer_clocks import policy_clock_lookup

log = structlog.get_logger(__name__)

BOOTSTRAP_ADMIN = "admin"  # `caredesk serve` creates it on an empty installation
DEMO_PEOPLE: tuple[tuple[str, Role, str], ...] = (
    ("demo.intake", Role.INTAKE, "Ines Intake (demo)"),
    ("demo.coordinator", Role.COORDINATOR, "Cole Coordinator (demo)"),
    ("demo.reviewer", Role.REVIEWER, "Rita Reviewer (demo)"),
    ("demo.admin", Role.ADMIN, "Ada Admin (demo)"),
)
SETTLED = frozenset({DocumentStatus.READY, DocumentStatus.NEEDS_ATTENTION, DocumentStatus.FAILED})
# Sleep studies at Quillfeather: the synthetic papers cover the whole checklist, or leave
# these two items out for the missing and injected cases.
SERVICE = "sleep-study-lab"
LEFT_OUT = ("home-test-inadequate", "comorbidity")
Progress = Callable[[str, int, int], None]


class DemoRefused(Conflict):
    """The data directory holds real work: demo data is never mixed into it."""

    code = "demo_refused"


def demo_blockers(session: Session) -> list[str]:
    """Why this installation may not take demo data (empty: it may)."""
    users = session.execute(
        select(func.count())
        .select_from(User)
        .where(User.is_demo.is_(False), User.username != BOOTSTRAP_ADMIN)
    ).scalar_one()
    documents = session.execute(
        select(func.count()).select_from(Document).where(Document.is_demo.is_(False))
    ).scalar_one()
    cases = session.execute(
        select(func.count()).select_from(CaseRecord).where(CaseRecord.is_demo.is_(False))
    ).scalar_one()
    found = {"user": users, "document": documents, "case": cases}
    return [f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in found.items() if n]


def installation_is_empty(resources: Resources) -> bool:
    """No users at all: the only state in which `caredesk serve` seeds the demo by itself."""
    with resources.read_db() as session:
        return count_users(session) == 0


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    password: str | None  # None: the person existed already (the password was shown then)


def seed_users(resources: Resources) -> list[DemoLogin]:
    """One demo person per role with a random password; refuses a data directory with real
    work (DemoRefused naming what is there)."""
    logins = []
    with transaction(resources.db) as session:
        blockers = demo_blockers(session)
        if blockers:
            raise DemoRefused(
                "this data directory already holds real work (" + ", ".join(blockers) + "); "
                "demo data is only seeded into an empty one",
                found=blockers,
            )
        existing = set(session.execute(select(User.username)).scalars())
        for username, role, full_name in DEMO_PEOPLE:
            if username in existing:
                logins.append(DemoLogin(username, role, None))
                continue
            _, password = create_user(
                session, username, role.value, full_name=full_name, by=SYSTEM, is_demo=True
            )
            logins.append(DemoLogin(username, role, password))
        record(session, SYSTEM, "demo.seed", "installation", "demo", {"users": len(logins)})
    return logins


@dataclass(frozen=True)
class DemoPaper:
    """One synthetic paper: its file, and its part in the demo."""

    key: str
    filename: str
    content: bytes
    opens_case: bool = False
    attach_to: str = ""
    run_agent: bool = False
    # How long ago the request arrived: older cases show the worklist's at-risk and overdue.
    received_hours_ago: float = 0.0


def demo_papers() -> list[DemoPaper]:
    """Six papers: a complete sleep-study referral with its note (clean PDFs), a faxed
    referral missing evidence, a referral carrying an injected instruction, and a faxed
    invoice and payer letter."""
    complete = generate_case_bundle(3, "complete", service=SERVICE).documents
    missing = generate_case_bundle(
        2, "missing", service=SERVICE, missing=LEFT_OUT, with_note=False, variant="fax"
    ).documents[0]
    injected = generate_case_bundle(
        3, "injected", service=SERVICE, missing=LEFT_OUT, with_note=False, hidden_injection=False
    ).documents[0]
    invoice, letter = build_file(2, seed=11, fax_share=1.0), build_file(3, seed=11, fax_share=1.0)
    return [
        DemoPaper("complete", "referral-sleep-study.pdf", complete[0].content, True, "", True),
        DemoPaper(
            "note", "clinic-note-sleep-evaluation.pdf", complete[1].content, False, "complete"
        ),
        DemoPaper(
            "missing",
            "fax-referral-missing-evidence.tif",
            missing.content,
            True,
            received_hours_ago=60,
        ),
        DemoPaper(
            "injected",
            "referral-with-injected-text.pdf",
            injected.content,
            True,
            received_hours_ago=8 * 24,
        ),
        DemoPaper("invoice", f"fax-invoice.{invoice.extension}", invoice.content),
        DemoPaper("letter", f"fax-payer-letter.{letter.extension}", letter.content),
    ]


def _actor(session: Session, username: str) -> Actor:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return Actor(user.id, user.role)


@dataclass
class DemoOutcome:
    """What a seeding run did: documents by paper key, cases opened, the agent run."""

    documents: dict[str, str] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)
    run_id: str = ""
    run_status: str = ""
    seconds: float = 0.0


class DemoSeeder:
    """Uploads the papers, then follows the background jobs: each case opens as soon as its
    referral is read and the agent starts once its case has every paper, so the first case is
    there in seconds while the faxes are still being read. `timeout_s` bounds each wait;
    `progress` hears (stage, done, total)."""

    def __init__(
        self,
        resources: Resources,
        *,
        timeout_s: float = 600.0,
        poll_s: float = 0.5,
        papers: list[DemoPaper] | None = None,
    ) -> None:
        self.resources = resources
        self.papers = papers
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.outcome = DemoOutcome()
        self._handled: set[str] = set()
        self._lookup = policy_clock_lookup(resources.kb)

    def run(self, progress: Progress | None = None, *, wait_for_agent: bool = True) -> DemoOutcome:
        started = time.monotonic()
        report = progress or (lambda stage, done, total: None)
        papers = self.papers if self.papers is not None else demo_papers()
        self.upload(papers)
        self._follow(papers, report)
        if wait_for_agent and self.outcome.run_id:
            self._wait_for_agent(report)
        self.outcome.seconds = round(time.monotonic() - started, 1)
        return self.outcome

    def upload(self, papers: list[DemoPaper]) -> None:
        """Each paper through intake exactly as an upload (queued for the ingestion job)."""
        resources = self.resources
        with resources.read_db() as session:
            actor = _actor(session, "demo.intake")
        for paper in papers:
            accepted = accept_upload(
                resources.db, resources.blobs, resources.queue,
                filename=paper.filename, chunks=[paper.content],
                max_bytes=resources.settings.max_upload_mb * 1024 * 1024,
                actor=actor, is_demo=True,
            )  # fmt: skip
            self.outcome.documents[paper.key] = accepted.document.id

    def _settled(self) -> set[str]:
        """Keys of the papers whose reading is over."""
        keys = {doc_id: key for key, doc_id in self.outcome.documents.items()}
        with self.resources.read_db() as session:
            rows = session.execute(
                select(Document.id, Document.status).where(Document.id.in_(list(keys)))
            )
            return {keys[doc_id] for doc_id, status in rows if DocumentStatus(status) in SETTLED}

    def _follow(self, papers: list[DemoPaper], report: Progress) -> None:
        deadline = time.monotonic() + self.timeout_s
        while True:
            settled = self._settled()
            report("reading documents", len(settled), len(papers))
            for paper in papers:
                if paper.key in settled and paper.key not in self._handled:
                    self._handle(paper, settled)
            if not self.outcome.run_id:
                self.start_agent(papers, settled)
            agent_pending = not self.outcome.run_id and any(
                p.run_agent and p.key in self.outcome.cases for p in papers
            )
            if len(self._handled) == len(papers) and not agent_pending:
                return
            if time.monotonic() > deadline:
                raise UpstreamUnavailable(f"only {len(settled)} of {len(papers)} demo papers read")
            time.sleep(self.poll_s)

    def _handle(self, paper: DemoPaper, settled: set[str]) -> None:
        """Open the paper's case, or attach it to its case once that is open."""
        if paper.attach_to and paper.attach_to not in settled | self._handled:
            return  # its case is not open yet
        with self.resources.read_db() as session:
            actor = _actor(session, "demo.intake")
        if paper.opens_case:
            self._open(paper, actor)
        elif paper.attach_to in self.outcome.cases:
            with transaction(self.resources.db) as session:
                case_id = self.outcome.cases[paper.attach_to]
                document_id = self.outcome.documents[paper.key]
                # Attached already when an earlier seeding run got this far.
                with contextlib.suppress(Conflict):
                    attach_document(session, case_id, document_id, actor=actor)
        self._handled.add(paper.key)

    def _payer_clock(self, document_id: str, received: datetime) -> PayerClock | None:
        """The payer's clock for the case the document opens, looked up before the write
        transaction: a knowledge-base read waits for a load in progress, and must not hold
        the database's write lock (and every ingestion job with it) meanwhile."""
        with self.resources.read_db() as session:
            found = values_from_extraction(stored_extraction(session, document_id))
        return self._lookup(Case(id="new", received_at=received, due_at=received, **found.values))

    def _open(self, paper: DemoPaper, actor: Actor) -> None:
        document_id = self.outcome.documents[paper.key]
        try:
            received = utcnow() - timedelta(hours=paper.received_hours_ago)
            clock = self._payer_clock(document_id, received)
            with transaction(self.resources.db) as session:
                case = open_case_from_extraction(
                    session, stored_extraction(session, document_id), actor=actor,
                    received_at=received, clock_lookup=lambda _case: clock,
                )  # fmt: skip
                row = session.get(CaseRecord, case.id)
                if row is not None:
                    row.is_demo = True
                self.outcome.cases[paper.key] = case.id
        except CaredeskError as problem:
            # Already opened by an earlier run, or the fax read too badly to open a case.
            existing = problem.details.get("case_id") if problem.details else None
            if existing:
                self.outcome.cases[paper.key] = str(existing)
            log.info("demo.case_not_opened", paper=paper.key, reason=problem.reason)

    def _knowledge_ready(self) -> bool:
        """Whether the agent can read the payer rules yet (loads them here if nobody will)."""
        resources = self.resources
        if resources.kb_loader is not None:
            return not resources.kb_loader.is_alive()
        if resources.kb.status().chunks == 0 and resources.settings.kb_path.is_dir():
            resources.kb.load(resources.settings.kb_path)
        return True

    def start_agent(self, papers: list[DemoPaper], settled: set[str]) -> None:
        """One agent run, started by the demo coordinator (so the demo reviewer may approve),
        once its case is open with every paper attached and the rules are loaded."""
        target = next((p for p in papers if p.run_agent), None)
        if target is None or target.key not in self.outcome.cases:
            return
        attached = [p.key for p in papers if p.attach_to == target.key]
        if not set(attached) <= self._handled or not self._knowledge_ready():
            return
        resources = self.resources
        engine = resources.chat.name if resources.chat is not None else "offline"
        model = resources.chat.model if resources.chat is not None else ""
        with transaction(resources.db) as session:
            earlier = runs_of(session, self.outcome.cases[target.key], 1)
            if earlier:  # seeded before: the demo has its run
                self.outcome.run_id = earlier[0].id
                return
            actor = _actor(session, "demo.coordinator")
            row, _ = enqueue_run(
                session, resources.queue, self.outcome.cases[target.key], actor,
                Limits.from_settings(resources.settings), engine, model,
            )  # fmt: skip
            self.outcome.run_id = row.id

    def _wait_for_agent(self, report: Progress) -> None:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            with self.resources.read_db() as session:
                row = run_record(session, self.outcome.run_id)
                status, done, total = row.status, len(row.nodes_done), row.nodes_total
            report("running the agent", done, total or 1)
            if status in FINISHED:
                self.outcome.run_status = status
                return
            time.sleep(self.poll_s)


def seed_in_background(resources: Resources) -> threading.Thread:
    """Run the seeder on a daemon thread (for `caredesk serve`): the server starts at once and
    the documents appear, are read and open their cases while people look around."""

    def work() -> None:
        try:
            outcome = DemoSeeder(resources).run(wait_for_agent=False)
        except Exception as problem:  # a thread has nobody else to tell
            log.warning("demo.seed_failed", reason=str(problem))
            return
        log.info("demo.seeded", documents=len(outcome.documents), cases=len(outcome.cases),
                 run=outcome.run_id, seconds=outcome.seconds)  # fmt: skip

    thread = threading.Thread(target=work, name="demo-seed", daemon=True)
    thread.start()
    return thread
