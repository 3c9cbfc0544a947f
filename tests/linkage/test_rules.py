"""Deterministic linkage rules: a found ID links only when name and birth date agree."""

from __future__ import annotations

from dataclasses import replace

import pytest

from oncegov.linkage.rules import (
    OLD_ID,
    PERSONAL_ID,
    RegistryPerson,
    apply_rules,
    births_agree,
    names_agree,
)
from tests.linkage.records import sector_record

DUNG = RegistryPerson("004085000123", "Nông Văn Dũng", 1985, 5, 17, "M", "085123456")
RECORD = sector_record(record_key="BHXH1")


@pytest.mark.parametrize(
    "written",
    [
        "Nông Văn Dũng",
        "NONG VAN DUNG",
        "nong van dung",
        "Dũng Nông Văn",
        "Dung Van Nong",
        "Nông Dũng",  # Văn dropped
        "NONG DUNG",
    ],
)
def test_names_agree_as_sector_data_writes_them(written: str) -> None:
    assert names_agree(written, DUNG.full_name)


@pytest.mark.parametrize(
    "written", ["Nông Văn Dung Anh", "Nông Thị Dũng", "Nông Thị Văn Dũng Anh", "", "Nông Văn"]
)
def test_other_names_do_not_agree(written: str) -> None:
    assert not names_agree(written, DUNG.full_name)


def test_birth_dates_agree_when_swapped_or_partial_but_not_otherwise() -> None:
    assert births_agree(RECORD, DUNG)
    assert births_agree(replace(RECORD, birth_month=17, birth_day=5), DUNG)  # impossible swap
    assert births_agree(replace(RECORD, birth_month=None, birth_day=None), DUNG)
    assert births_agree(replace(RECORD, birth_year=1986), DUNG)  # a year keyed one off
    assert not births_agree(replace(RECORD, birth_year=1987), DUNG)
    assert not births_agree(replace(RECORD, birth_year=1986, birth_day=None), DUNG)
    assert not births_agree(replace(RECORD, birth_year=1986, birth_day=18), DUNG)
    assert not births_agree(replace(RECORD, birth_day=18), DUNG)
    assert not births_agree(replace(RECORD, birth_year=None), DUNG)


def test_personal_id_with_agreeing_name_and_birth_links() -> None:
    outcome = apply_rules(
        replace(RECORD, personal_id=DUNG.personal_id), {DUNG.personal_id: DUNG}, {}
    )
    assert outcome is not None
    assert (outcome.method, outcome.personal_id, outcome.review) == (
        PERSONAL_ID,
        DUNG.personal_id,
        None,
    )


def test_personal_id_with_another_name_goes_to_review_never_linked() -> None:
    record = replace(RECORD, personal_id=DUNG.personal_id, full_name="Hoàng Thị Mai")
    outcome = apply_rules(record, {DUNG.personal_id: DUNG}, {})
    assert outcome is not None and outcome.personal_id is None
    assert outcome.review == "name_differs"
    other_birth = replace(RECORD, personal_id=DUNG.personal_id, birth_year=1990)
    outcome = apply_rules(other_birth, {DUNG.personal_id: DUNG}, {})
    assert outcome is not None and outcome.review == "birth_differs"


def test_old_id_links_only_a_single_holder() -> None:
    record = replace(RECORD, old_id_number="085123456", full_name="Nong Van Dung")
    outcome = apply_rules(record, {}, {"085123456": [DUNG]})
    assert outcome is not None and (outcome.method, outcome.personal_id) == (
        OLD_ID,
        DUNG.personal_id,
    )
    twin = replace(DUNG, personal_id="004085000999")
    shared = apply_rules(record, {}, {"085123456": [DUNG, twin]})
    assert shared is not None and shared.personal_id is None and shared.review == "old_id_shared"


def test_records_without_a_known_id_are_left_to_the_model() -> None:
    assert apply_rules(RECORD, {DUNG.personal_id: DUNG}, {"085123456": [DUNG]}) is None
    unknown = replace(RECORD, personal_id="004085999999", old_id_number="085000000")
    assert apply_rules(unknown, {DUNG.personal_id: DUNG}, {"085123456": [DUNG]}) is None
