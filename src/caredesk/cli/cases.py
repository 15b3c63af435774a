"""`caredesk case`: the worklist, one case, open a case from a document, export its packet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from caredesk.cli.app import app, console, fail, print_json, resources
from caredesk.cli.users import CLI_ACTOR
from caredesk.domain.cases import CASE_FIELDS, Case, CaseStatus
from caredesk.domain.clocks import SlaRisk, Urgency, read_clock
from caredesk.outbox.fhir_pas import build_pas_bundle
from caredesk.outbox.packet import audit_export, load_packet, payer_directory
from caredesk.outbox.packet_pdf import render_packet_pdf
from caredesk.storage.db import transaction
from caredesk.storage.models import utcnow
from caredesk.worklist.cases import open_case_from_document
from caredesk.worklist.queue import WorklistQuery, WorklistSort, list_worklist
from caredesk.worklist.records import load_case

case_app = typer.Typer(help="PA cases: the worklist, one case, packets.", no_args_is_help=True)
app.add_typer(case_app, name="case")


def _hours(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds)) // 60
    return f"{sign}{minutes // 60}h{minutes % 60:02d}m"


def _row(case: Case) -> dict[str, Any]:
    clock = read_clock(case.received_at, case.due_at, utcnow())
    return {
        "id": case.id,
        "status": case.status.value,
        "patient": case.raw("patient_name"),
        "payer": case.raw("payer"),
        "urgency": case.effective_urgency.value,
        "services": [f"{s.code} x {s.units}" for s in case.service_lines],
        "received_at": case.received_at.isoformat(),
        "due_at": case.due_at.isoformat(),
        "remaining_s": round(clock.remaining_s),
        "risk": clock.risk.value,
    }


@case_app.command("list")
def case_list(
    payer: Annotated[str | None, typer.Option(help="Only this payer id.")] = None,
    urgency: Annotated[Urgency | None, typer.Option(help="expedited or standard.")] = None,
    status: Annotated[
        list[CaseStatus] | None, typer.Option(help="Only these statuses (repeatable).")
    ] = None,
    risk: Annotated[SlaRisk | None, typer.Option(help="overdue, at_risk or on_track.")] = None,
    sort: Annotated[WorklistSort, typer.Option(help="priority, due_at or received_at.")] = (
        WorklistSort.PRIORITY
    ),
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The worklist: cases still being worked, most urgent first, with time left to decide."""
    query = WorklistQuery(
        payer=payer,
        urgency=urgency,
        statuses=tuple(status or ()),
        risk=risk,
        sort=sort,
        limit=limit,
    )
    with resources() as built, built.read_db() as session:
        rows = [_row(entry.case) for entry in list_worklist(session, query, utcnow()).items]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "status", "patient", "payer", "urgency", "services", "due in", "risk")
    for row in rows:
        table.add_row(
            row["id"],
            row["status"],
            row["patient"] or "",
            row["payer"] or "",
            row["urgency"],
            ", ".join(row["services"]),
            _hours(row["remaining_s"]),
            row["risk"],
        )
    console.print(table)


@case_app.command("show")
def case_show(
    case_id: Annotated[str, typer.Argument(help="The case id (case_...).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One case: every value with its source and evidence, its documents and its clock."""
    with resources() as built, built.read_db() as session:
        case = load_case(session, case_id)
    if as_json:
        print_json(case.model_dump(mode="json"))
        return
    summary = _row(case)
    left = f"{_hours(summary['remaining_s'])}, {summary['risk']}"
    console.print(f"[bold]{case.id}[/bold] {summary['status']} · due {summary['due_at']} ({left})")
    table = Table("field", "value", "source", "evidence")
    for name in CASE_FIELDS:
        value = case.value_of(name)
        if value is None:
            continue
        where = f"{value.evidence.document_id} p.{value.evidence.page}" if value.evidence else ""
        shown = value.model_dump(mode="json")["value"]
        table.add_row(name, json.dumps(shown, ensure_ascii=False), value.source.value, where)
    console.print(table)
    console.print(f"documents: {', '.join(case.document_ids) or 'none'}")


@case_app.command("create")
def case_create(
    document: Annotated[
        str, typer.Option("--document", help="Referral or PA request document id (doc_...).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Open a case from a document's extraction; every value keeps its evidence."""
    with resources() as built, transaction(built.db) as session:
        case = open_case_from_document(session, document, actor=CLI_ACTOR)
    if as_json:
        print_json(case.model_dump(mode="json"))
        return
    console.print(f"opened {case.id}: due {case.due_at.isoformat()}")


@case_app.command("export")
def case_export(
    case_id: Annotated[str, typer.Argument(help="The case id (case_...).")],
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF packet here.")] = None,
    fhir: Annotated[
        Path | None, typer.Option("--fhir", help="Write the FHIR PAS Bundle (JSON) here.")
    ] = None,
) -> None:
    """Export the packet as PDF and/or a FHIR R4 Da Vinci PAS Bundle. Audited."""
    if pdf is None and fhir is None:
        fail("give --pdf PATH and/or --fhir PATH", 2)
    with resources() as built:
        payers = payer_directory(built.settings.kb_path)
        with built.read_db() as session:
            packet = load_packet(session, case_id, payers=payers)
        if pdf is not None:
            pdf.write_bytes(render_packet_pdf(packet, built.blobs))
        if fhir is not None:
            bundle = build_pas_bundle(packet)
            fhir.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
        with transaction(built.db) as session:
            for name, path in (("pdf", pdf), ("fhir", fhir)):
                if path is not None:
                    audit_export(session, packet, name, CLI_ACTOR)
    for path in (pdf, fhir):
        if path is not None:
            console.print(f"wrote {path}")
