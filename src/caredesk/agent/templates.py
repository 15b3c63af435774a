"""The offline engine's drafts: fixed templates filled with case values and cited evidence.

Nothing here invents a word about the patient: every value comes from the case, every
clinical statement is a quote from the case's documents with its page, and every rule is
the policy's own checklist text with its citation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from caredesk.agent.evidence import display
from caredesk.domain.cases import Case
from caredesk.domain.drafts import Audience, DraftKind
from caredesk.domain.knowledge import PaRequirement
from caredesk.domain.packets import ItemAssessment, ItemStatus, PolicySource

TEMPLATE_VERSION = 1
NOT_ON_FILE = "not on file"
_EXAMPLES = re.compile(r"\s*\((?:for example|e\.g\.)[^)]*\)|,\s*for example\b.*$", re.I)
_ICD = re.compile(r"\b[A-TV-Z][0-9][0-9AB]\.[0-9A-TV-Z]{1,4}\b")


class ComposedDraft(BaseModel):
    """A draft's text and provenance, held in the run until `route` saves it with its flags."""

    model_config = ConfigDict(frozen=True)

    slot: str  # unique within a run: medical_necessity, cover_letter, provider_request:<item>…
    kind: DraftKind
    audience: Audience
    content: str
    fields_used: tuple[str, ...]
    prompt: str
    engine: str
    model: str = ""
    source_ids: tuple[str, ...] = ()


def template_ref(name: str) -> str:
    """How a template is named in provenance: `template.<name>@<version>`."""
    return f"template.{name}@{TEMPLATE_VERSION}"


def value(case: Case, field: str) -> str:
    raw = case.raw(field)
    return display(raw) if raw not in (None, "", []) else NOT_ON_FILE


def _used(case: Case, fields: Sequence[str]) -> tuple[str, ...]:
    return tuple(field for field in fields if case.raw(field) not in (None, "", []))


SUMMARY_FIELDS = (
    "patient_name", "date_of_birth", "member_id", "payer", "plan", "procedure_codes",
    "date_of_service", "urgency", "diagnosis_codes", "ordering_provider_name",
    "ordering_provider_npi",
)  # fmt: skip


def case_header(case: Case, payer_name: str) -> list[str]:
    return [
        f"Patient: {value(case, 'patient_name')}, date of birth {value(case, 'date_of_birth')}, "
        f"member ID {value(case, 'member_id')}",
        f"Payer: {payer_name}, plan {value(case, 'plan')}",
        f"Requested: {value(case, 'procedure_codes')}; date of service "
        f"{value(case, 'date_of_service')}; urgency {case.effective_urgency.value}",
        f"Diagnoses: {value(case, 'diagnosis_codes')}",
        f"Ordering provider: {value(case, 'ordering_provider_name')}, NPI "
        f"{value(case, 'ordering_provider_npi')}",
    ]


def documentation_lines(assessments: Sequence[ItemAssessment]) -> list[str]:
    lines: list[str] = []
    for assessed in assessments:
        label = f"- [{assessed.status.value}] {assessed.item.text}"
        if assessed.status is ItemStatus.MET and assessed.evidence:
            cited = assessed.evidence[0]
            quote = " ".join(cited.quote.split()) or "(see the marked region)"
            lines += [label, f'    "{quote}" ({cited.document_id}, page {cited.page})']
        else:
            lines.append(f"{label}: {assessed.rationale}")
    return lines


def summary(
    case: Case,
    payer_name: str,
    policies: Sequence[PolicySource],
    assessments: Sequence[ItemAssessment],
    narrative: str = "",
) -> str:
    """The medical-necessity summary; `narrative` is a checked model paragraph, if any."""
    refs = ", ".join(policy.ref for policy in policies) or "no policy found"
    parts = ["MEDICAL NECESSITY SUMMARY", *case_header(case, payer_name)]
    if narrative:
        parts += ["", "Summary:", narrative]
    parts += ["", f"Documentation against {refs}:", *documentation_lines(assessments)]
    return "\n".join(parts)


def summary_draft(content: str, case: Case, sources: tuple[str, ...], *, prompt: str,
                  engine: str, model: str = "") -> ComposedDraft:  # fmt: skip
    return ComposedDraft(
        slot="medical_necessity", kind=DraftKind.MEDICAL_NECESSITY, audience=Audience.PAYER,
        content=content, fields_used=_used(case, SUMMARY_FIELDS), prompt=prompt,
        engine=engine, model=model, source_ids=sources,
    )  # fmt: skip


def cover_letter(
    case: Case,
    payer_name: str,
    policies: Sequence[PolicySource],
    assessments: Sequence[ItemAssessment],
    engine: str,
) -> ComposedDraft:
    """The packet's cover letter to the payer: who, what, which policy, what is enclosed."""
    met = sum(1 for a in assessments if a.status is ItemStatus.MET)
    refs = ", ".join(policy.ref for policy in policies) or "no policy found"
    enclosed = (
        f"Enclosed: the medical necessity summary, the documentation checklist ({met} of "
        f"{len(assessments)} items documented under {refs}) and {len(case.document_ids)} "
        "supporting document(s)."
    )
    content = "\n".join([*_cover_lines(case, payer_name), "", enclosed])
    fields = (*SUMMARY_FIELDS, "rendering_provider_name", "rendering_provider_npi")
    return ComposedDraft(
        slot="cover_letter", kind=DraftKind.COVER_LETTER, audience=Audience.PAYER,
        content=content, fields_used=_used(case, fields), prompt=template_ref("cover_letter"),
        engine=engine, source_ids=tuple(p.ref for p in policies) + tuple(case.document_ids),
    )  # fmt: skip


def _cover_lines(case: Case, payer_name: str) -> list[str]:
    return [
        f"To: {payer_name}, prior authorization",
        f"Re: {value(case, 'patient_name')}, member ID {value(case, 'member_id')}, date of birth "
        f"{value(case, 'date_of_birth')}",
        "",
        f"We request prior authorization for {value(case, 'procedure_codes')} under the plan "
        f"{value(case, 'plan')}, date of service {value(case, 'date_of_service')} "
        f"({case.effective_urgency.value} review).",
        f"Ordering provider: {value(case, 'ordering_provider_name')} (NPI "
        f"{value(case, 'ordering_provider_npi')}). Rendering provider: "
        f"{value(case, 'rendering_provider_name')} (NPI {value(case, 'rendering_provider_npi')}).",
        f"Diagnoses: {value(case, 'diagnosis_codes')}.",
    ]


def outreach_text(text: str) -> str:
    """Checklist wording fit for outreach: examples dropped, no diagnosis code left in it."""
    return _ICD.sub("the diagnosis code", _EXAMPLES.sub("", text)).strip()


PROVIDER_FIELDS = (
    "ordering_provider_name", "ordering_provider_npi", "patient_name", "date_of_birth",
    "member_id", "payer", "plan", "procedure_codes", "date_of_service",
)  # fmt: skip


def provider_request(
    case: Case, payer_name: str, assessed: ItemAssessment, engine: str
) -> ComposedDraft:
    """One request to the ordering provider for one missing item."""
    content = "\n".join([
        f"To: {value(case, 'ordering_provider_name')} (NPI {value(case, 'ordering_provider_npi')})",
        f"Re: {value(case, 'patient_name')}, date of birth {value(case, 'date_of_birth')}, member "
        f"ID {value(case, 'member_id')}",
        "",
        f"We are preparing a prior-authorization request to {payer_name} (plan "
        f"{value(case, 'plan')}) for {value(case, 'procedure_codes')}, date of service "
        f"{value(case, 'date_of_service')}. The payer's policy asks for the following, and we "
        "could not find it in the records we have:",
        "",
        f"  {outreach_text(assessed.item.text)}",
        "",
        f"Policy: {assessed.item.source.ref}.",
        "Please send it with the patient's name and date of birth on every page.",
    ])  # fmt: skip
    return ComposedDraft(
        slot=f"provider_request:{assessed.item.id}", kind=DraftKind.PROVIDER_REQUEST,
        audience=Audience.ORDERING_PROVIDER, content=content,
        fields_used=_used(case, PROVIDER_FIELDS), prompt=template_ref("provider_request"),
        engine=engine, source_ids=(assessed.item.source.ref,),
    )  # fmt: skip


PATIENT_FIELDS = (
    "patient_name", "ordering_provider_name", "payer", "plan", "procedure_codes",
    "date_of_service",
)  # fmt: skip


def patient_notice(
    case: Case, payer_name: str, waiting_on: int, policies: Sequence[str], engine: str
) -> ComposedDraft:
    """The notice some payers require when a request is incomplete: no codes, ids or dates
    of birth, only what the patient needs to know."""
    content = "\n".join([
        f"Dear {value(case, 'patient_name')},",
        "",
        f"Your provider, {value(case, 'ordering_provider_name')}, has asked {payer_name} "
        f"(plan {value(case, 'plan')}) to approve the service {value(case, 'procedure_codes')} "
        f"planned for {value(case, 'date_of_service')}.",
        f"Before {payer_name} can decide, we are collecting {waiting_on} more item(s) of "
        "information from your provider's office. You do not need to do anything now.",
        f"We will write to you again when {payer_name} has decided.",
    ])  # fmt: skip
    return ComposedDraft(
        slot="patient_notice", kind=DraftKind.PATIENT_NOTICE, audience=Audience.PATIENT,
        content=content, fields_used=_used(case, PATIENT_FIELDS),
        prompt=template_ref("patient_notice"), engine=engine, source_ids=tuple(policies),
    )  # fmt: skip


def no_pa_note(
    case: Case, payer_name: str, requirements: Sequence[PaRequirement], engine: str
) -> ComposedDraft:
    """An internal note: no code needs PA on this date, each with the section that says so."""
    lines = [
        "PRIOR AUTHORIZATION NOT REQUIRED",
        f"{payer_name} (plan {value(case, 'plan')}), as of {requirements[0].as_of.isoformat()}:",
    ]
    for requirement in requirements:
        quote = " ".join(requirement.quote.split())
        cited = f'{requirement.citation}: "{quote}"' if quote else str(requirement.citation)
        lines.append(f"- {requirement.code}: not required. {cited}")
    lines += [
        "",
        "No request needs to go to the payer. Confirm the determination, then close the case "
        "(or correct the case if a code, payer or date is wrong, and run the agent again).",
    ]
    sources = tuple(f"{r.doc_id}@{r.version}" for r in requirements if r.doc_id)
    return ComposedDraft(
        slot="pa_note", kind=DraftKind.COVER_LETTER, audience=Audience.INTERNAL,
        content="\n".join(lines), fields_used=_used(case, ("payer", "plan", "procedure_codes")),
        prompt=template_ref("no_pa_note"), engine=engine, source_ids=sources,
    )  # fmt: skip
