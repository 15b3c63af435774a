"""Pure knowledge-base rules: front-matter validation, versions in force, codes and PA status."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from caredesk.domain.knowledge import (
    KbDocument,
    KbFrontMatter,
    PaStatus,
    applies_to,
    codes_in_text,
    force_windows,
    in_force,
    pa_status_for,
    version_in_force,
    versions_in_force,
)


def meta(**fields: Any) -> KbFrontMatter:
    base: dict[str, Any] = {
        "id": "qf-imaging",
        "title": "Imaging",
        "kind": "policy",
        "effective_date": date(2025, 1, 1),
    }
    return KbFrontMatter.model_validate(base | fields)


def doc(version: str, start: date, end: date | None = None) -> KbDocument:
    front = meta(version=version, effective_date=start, end_date=end)
    return KbDocument(
        front_matter=front, body="", source_path=f"{version}.md", content_hash=version
    )


def test_version_label_is_text_even_when_yaml_reads_a_number() -> None:
    assert meta(version=2).version == "2"
    assert meta().version == "1"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "memo"}, "kind"),
        ({"id": "Not A Slug"}, "id"),
        ({"end_date": date(2024, 1, 1)}, "end_date is before effective_date"),
        ({"kind": "regulation"}, "source"),
        ({"service_codes": ["70553-70551"]}, "lower code"),
        ({"pa_required": ["7055"]}, "procedure code"),
        ({"submission": ["carrier pigeon"]}, "submission"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_front_matter_rejects_what_the_format_forbids(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        meta(**fields)


def test_in_force_includes_both_ends() -> None:
    version = doc("2025", date(2025, 1, 1), date(2025, 12, 31))
    assert in_force(version, date(2025, 1, 1)) and in_force(version, date(2025, 12, 31))
    assert not in_force(version, date(2024, 12, 31)) and not in_force(version, date(2026, 1, 1))


def test_a_newer_version_supersedes_an_open_ended_older_one() -> None:
    old, new = doc("1", date(2025, 1, 1)), doc("2", date(2026, 1, 1))
    assert version_in_force([old, new], date(2025, 6, 1)) is old
    assert version_in_force([old, new], date(2026, 1, 1)) is new
    assert version_in_force([old, new], date(2024, 6, 1)) is None
    assert force_windows([new, old])["qf-imaging@1"] == (date(2025, 1, 1), date(2025, 12, 31))


def test_a_gap_between_versions_has_no_version_in_force() -> None:
    first, second = doc("1", date(2025, 1, 1), date(2025, 3, 31)), doc("2", date(2025, 6, 1))
    assert version_in_force([first, second], date(2025, 5, 1)) is None
    assert versions_in_force([first, second], date(2025, 7, 1)) == [second]


def test_filters_treat_absent_payer_plans_and_codes_as_all() -> None:
    general = meta()
    assert applies_to(
        general, payer="tumbleweed", plan="Tumbleweed Premier PPO", service_code="E0601"
    )
    hmo_only = meta(payer="quillfeather", plans=["Quillfeather HMO"], service_codes=["70551-70553"])
    assert applies_to(hmo_only, payer="quillfeather", plan="Quillfeather HMO", service_code="70552")
    assert not applies_to(hmo_only, payer="tumbleweed")
    assert not applies_to(hmo_only, plan="Quillfeather PPO")
    assert not applies_to(hmo_only, service_code="70554")
    assert not applies_to(hmo_only, kind="playbook")


def test_pa_status_reads_required_exempt_and_conditional_codes() -> None:
    policy = meta(
        pa_required=["70551-70553"],
        pa_not_required=["72100"],
        pa_conditions=[{"codes": ["97110"], "rule": "after 12 visits"}],
    )
    assert pa_status_for(policy, "70552") == (PaStatus.REQUIRED, "")
    assert pa_status_for(policy, "72100") == (PaStatus.NOT_REQUIRED, "")
    assert pa_status_for(policy, "97110") == (PaStatus.CONDITIONAL, "after 12 visits")
    assert pa_status_for(policy, "E0601")[0] is PaStatus.UNKNOWN


def test_codes_in_prose_spell_out_short_ranges_and_ignore_other_numbers() -> None:
    text = "Brain MRI 70551–70553 and CPAP E0601; call 555-0142 about M54.16 on 2025-01-01."
    assert codes_in_text(text) == ["70551", "70552", "70553", "E0601"]
    assert codes_in_text("switch from 72148 to 72158") == ["72148", "72158"]
