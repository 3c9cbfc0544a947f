"""One broken catalogue file per kind of error, each refused with the exact message: the file,
the procedure code, the key path and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from oncegov.procedures.catalogue.loader import key_path, read_catalogue
from oncegov.procedures.catalogue.schemas import check_source
from oncegov.registry.service import PREFILLABLE_FIELDS
from tests.procedures.catalogue_files import minimal, write


def problems(directory: Path) -> list[str]:
    catalogue = read_catalogue(directory)
    return [str(problem) for problem in catalogue.problems]


def only_problem(directory: Path, content: Any, name: str = "broken.yaml") -> str:
    write(directory, name, content)
    found = problems(directory)
    assert len(found) == 1, found
    return found[0]


def test_the_minimal_procedure_is_valid(tmp_path: Path) -> None:
    write(tmp_path, "ok.yaml", minimal())
    catalogue = read_catalogue(tmp_path)
    assert catalogue.problems == []
    assert [loaded.procedure.code for loaded in catalogue.procedures] == ["9.999999"]


def test_unknown_registry_field(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["form"][0]["source"] = "registry:blood_type"
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: form[0].source: unknown registry field 'blood_type'; "
        "a procedure may read: " + ", ".join(PREFILLABLE_FIELDS)
    )


def test_unknown_source_kind(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["form"][0]["source"] = "guess"
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: form[0].source: unknown source 'guess': expected "
        "registry:<field>, eid, exchange:<service> or applicant"
    )


def test_step_without_an_agency(tmp_path: Path) -> None:
    procedure = minimal()
    del procedure["workflow"]["steps"][1]["agency"]
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: workflow.steps[1].agency: required key missing"
    )


def test_transition_to_an_unknown_state(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["workflow"]["transitions"].append(
        {"from": "processing", "to": "approvedd", "role": "approver"}
    )
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: workflow.transitions[2].to: transition to unknown state "
        "'approvedd' (declared: received, processing, returned)"
    )


def test_transition_from_an_unknown_state(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["workflow"]["transitions"].append(
        {"from": "assigned", "to": "processing", "role": "receiver"}
    )
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: workflow.transitions[2].from: transition from unknown state "
        "'assigned' (declared: received, processing, returned)"
    )


def test_a_state_no_transition_reaches(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["workflow"]["states"].append("approved")
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: workflow.states[3]: no transition leads to state 'approved'"
    )


def test_leaving_a_final_state(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["workflow"]["transitions"].append(
        {"from": "returned", "to": "processing", "role": "receiver"}
    )
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: workflow.transitions[2].from: 'returned' is a final state: "
        "nothing leaves it"
    )


def test_duplicate_code_and_version(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", minimal())
    write(tmp_path, "b.yaml", minimal(effective_from="2026-02-01"))
    assert problems(tmp_path) == [
        "b.yaml: 9.999999: version: version 1 is defined twice (also in a.yaml)"
    ]


def test_two_versions_on_the_same_day(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", minimal())
    write(tmp_path, "b.yaml", minimal(version=2))
    assert problems(tmp_path) == [
        "b.yaml: 9.999999: effective_from: version 2 takes effect on 2026-01-01, the same day "
        "as version 1 (a.yaml)"
    ]


def test_shares_not_summing_up(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["workflow"]["steps"][1]["share"] = 1.5
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: workflow.steps: the steps' shares sum to 2.5; they must sum to 1 "
        "or to 3 (the statutory time: 3 working days)"
    )


def test_shares_as_fractions_sum_to_one(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["workflow"]["steps"][0]["share"] = 0.25
    procedure["workflow"]["steps"][1]["share"] = 0.75
    write(tmp_path, "ok.yaml", procedure)
    assert problems(tmp_path) == []


def test_cutoff_without_a_time(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["statutory_time"]["cutoff"] = None
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: statutory_time.cutoff: a cutoff needs a time of day, e.g. '15:00'"
    )


def test_cutoff_that_is_not_a_time(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["statutory_time"]["cutoff"] = "25:00"
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: statutory_time.cutoff: cutoff '25:00' is not a time of day "
        "HH:MM, e.g. '15:00'"
    )


def test_cutoff_written_unquoted_reads_as_a_number(tmp_path: Path) -> None:
    # YAML 1.1 reads 15:00 as the sexagesimal 900: the message shows what arrived.
    procedure = minimal()
    procedure["statutory_time"]["cutoff"] = "CUTOFF"
    raw = yaml.safe_dump(procedure, allow_unicode=True).replace("CUTOFF", "15:00")
    assert only_problem(tmp_path, raw) == (
        "broken.yaml: 9.999999: statutory_time.cutoff: cutoff 900 is not a time of day HH:MM, "
        "e.g. '15:00'"
    )


def test_same_day_with_an_amount(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["statutory_time"] = {"unit": "same_day", "amount": 1}
    procedure["workflow"]["steps"][0]["share"] = 0.5
    procedure["workflow"]["steps"][1]["share"] = 0.5
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: statutory_time.amount: a same-day procedure has no amount"
    )


def test_unknown_field_value(tmp_path: Path) -> None:
    assert only_problem(tmp_path, minimal(field="taxes")) == (
        "broken.yaml: 9.999999: field: unknown value 'taxes': expected 'civil_status', "
        "'residence', 'identity', 'social_protection', 'health_insurance', 'judicial_records' "
        "or 'justice'"
    )


def test_unknown_level(tmp_path: Path) -> None:
    assert only_problem(tmp_path, minimal(level="district")) == (
        "broken.yaml: 9.999999: level: unknown value 'district': expected 'commune' or 'province'"
    )


def test_unknown_key(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["fees"]["itemz"] = []
    assert only_problem(tmp_path, procedure) == "broken.yaml: 9.999999: fees.itemz: unknown key"


def test_replaced_document_still_required(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["documents"][0]["required"] = True
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: documents[0].required: a document replaced by data the state "
        "holds cannot be required"
    )


def test_online_level_without_the_online_channel(tmp_path: Path) -> None:
    assert only_problem(tmp_path, minimal(channels=["counter"])) == (
        "broken.yaml: 9.999999: online_level: 'full' needs the online channel"
    )


def test_an_assumption_needs_a_note(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["statutory_time"]["assumption"] = True
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: statutory_time.note: an assumption needs a note saying what is "
        "unconfirmed"
    )


def test_legal_basis_in_force_after_the_version(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["legal_basis"][0]["effective"] = "2026-03-01"
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: legal_basis[0].effective: 68/2020/QH14 takes effect on "
        "2026-03-01, after this version does (2026-01-01)"
    )


def test_duplicate_form_key(tmp_path: Path) -> None:
    procedure = minimal()
    procedure["form"].append(dict(procedure["form"][0]))
    assert only_problem(tmp_path, procedure) == (
        "broken.yaml: 9.999999: form[1].key: field key 'full_name' appears twice"
    )


def test_code_written_as_a_number(tmp_path: Path) -> None:
    raw = yaml.safe_dump(minimal(), allow_unicode=True).replace("'9.999999'", "1.004194")
    assert only_problem(tmp_path, raw) == (
        "broken.yaml: 1.004194: code: input should be a valid string (write it quoted: '1.004194')"
    )


def test_key_given_twice_in_yaml(tmp_path: Path) -> None:
    raw = yaml.safe_dump(minimal(), allow_unicode=True) + "level: province\n"
    message = only_problem(tmp_path, raw)
    assert message.startswith("broken.yaml: (no code): line ")
    assert message.endswith(": not valid YAML: key 'level' appears twice")


def test_not_valid_yaml(tmp_path: Path) -> None:
    assert only_problem(tmp_path, "code: [unclosed\n") == (
        "broken.yaml: (no code): line 2: not valid YAML: expected ',' or ']', "
        "but got '<stream end>'"
    )


def test_empty_file(tmp_path: Path) -> None:
    assert only_problem(tmp_path, "") == "broken.yaml: (no code): (file): empty file"


def test_problems_in_a_file_of_several_procedures_name_their_position(tmp_path: Path) -> None:
    second = minimal(code="9.999998")
    del second["workflow"]["steps"][0]["agency"]
    assert only_problem(tmp_path, {"procedures": [minimal(), second]}) == (
        "broken.yaml: 9.999998: procedures[1].workflow.steps[0].agency: required key missing"
    )


@pytest.mark.parametrize("missing", ["code", "statutory_time", "workflow"])
def test_required_top_level_keys(tmp_path: Path, missing: str) -> None:
    procedure = minimal()
    del procedure[missing]
    code = "(no code)" if missing == "code" else "9.999999"
    expected = f"broken.yaml: {code}: {missing}: required key missing"
    assert only_problem(tmp_path, procedure) == expected


@given(st.text(max_size=60))
def test_any_source_is_accepted_or_refused_with_a_reason(source: str) -> None:
    try:
        assert check_source(source) == source
    except ValueError as exc:
        assert str(exc)


@given(st.lists(st.one_of(st.integers(0, 99), st.from_regex(r"[a-z_]{1,8}", fullmatch=True))))
def test_key_paths_read_like_the_file(location: list[int | str]) -> None:
    path = key_path(tuple(location))
    if not location:
        assert path == "(file)"
        return
    assert path.count("[") == sum(isinstance(part, int) for part in location)
    names = [part for part in location if isinstance(part, str)]
    assert path.replace("[", ".[").split(".")[0] in ("", *names[:1])


def test_a_dead_end_is_refused_by_the_workflow_engine(tmp_path: Path) -> None:
    """A state every check of the file lets through but from which no dossier can ever end:
    the one workflow engine (kit.workflow) refuses it, and the loader reports its key path."""
    procedure = minimal()
    procedure["workflow"]["states"].append("stuck")
    procedure["workflow"]["transitions"].append(
        {"from": "received", "to": "stuck", "role": "receiver"}
    )
    found = only_problem(tmp_path, procedure)
    assert found.startswith("broken.yaml: 9.999999: workflow (engine): states[3]"), found
    assert "stuck" in found
