"""The legal rules as pure functions: fees by kind and date, renewal windows, partial dates."""

from __future__ import annotations

import datetime as dt

import pytest

from oncegov.identity.cards.models import FINISHED, IN_PROGRESS, STATUSES
from oncegov.identity.cards.rules import (
    CARD_PIPELINE,
    TRANSITION_INTO,
    BirthDate,
    fee_for,
    next_step,
    renewal_window,
)
from oncegov.kit.workflow import TransitionRefused


@pytest.mark.parametrize(
    ("kind", "on", "amount", "reference"),
    [
        ("first_issue", dt.date(2026, 11, 28), 0, "59/2019"),
        ("renewal_25", dt.date(2026, 11, 28), 0, "73/2024"),
        ("renewal_40", dt.date(2022, 3, 1), 0, "not charged"),
        ("renewal_60", dt.date(2026, 11, 28), 0, "not charged"),
        ("reissue_damage", dt.date(2023, 5, 2), 50_000, "Circular 59/2019/TT-BTC art. 4"),
        ("reissue_loss", dt.date(2023, 5, 2), 70_000, "Circular 59/2019/TT-BTC art. 4"),
        ("change_of_information", dt.date(2024, 7, 1), 50_000, "Circular 73/2024/TT-BTC art. 4"),
        ("reissue_loss", dt.date(2025, 6, 30), 70_000, "Circular 73/2024/TT-BTC art. 4"),
        ("reissue_loss", dt.date(2025, 7, 1), 35_000, "64/2025/TT-BTC"),
        ("reissue_damage", dt.date(2026, 12, 31), 25_000, "64/2025/TT-BTC"),
        ("change_of_information", dt.date(2026, 11, 28), 25_000, "64/2025/TT-BTC"),
        ("reissue_damage", dt.date(2027, 1, 1), 50_000, "Circular 73/2024/TT-BTC art. 4"),
        ("reissue_loss", dt.date(2027, 1, 1), 70_000, "Circular 73/2024/TT-BTC art. 4"),
    ],
)
def test_fee_by_kind_and_day_with_its_legal_basis(
    kind: str, on: dt.date, amount: int, reference: str
) -> None:
    fee = fee_for(kind, on)
    assert fee.amount_vnd == amount
    assert reference in fee.legal_reference


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("17/5/1985", "1985-05-17"),
        ("17.05.1985", "1985-05-17"),
        ("1985-05-17", "1985-05-17"),
        ("5/1985", "1985-05"),
        ("1985-05", "1985-05"),
        ("1985", "1985"),
    ],
)
def test_birth_dates_as_the_registry_keeps_them(text: str, iso: str) -> None:
    assert BirthDate.parse(text).iso() == iso


@pytest.mark.parametrize("text", ["", "31/2/1985", "17-5-85", "1985/5/17x", "13/1985"])
def test_impossible_birth_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        BirthDate.parse(text)


def test_age_counts_birthdays_and_year_only_records_get_the_benefit_of_the_doubt() -> None:
    assert BirthDate(2012, 11, 29).age_on(dt.date(2026, 11, 28)) == 13
    assert BirthDate(2012, 11, 28).age_on(dt.date(2026, 11, 28)) == 14
    assert BirthDate(2012).age_on(dt.date(2026, 1, 1)) == 14  # taken as 1 January


def test_renewal_windows_open_two_years_early_and_close_when_the_next_one_opens() -> None:
    born = BirthDate(2001, 5, 17)
    at_25 = renewal_window("renewal_25", born)
    assert at_25.opens == dt.date(2024, 5, 17)
    assert at_25.closes == dt.date(2039, 5, 17)  # 2 years before the 40th birthday
    assert not at_25.contains(dt.date(2024, 5, 16))
    assert at_25.contains(dt.date(2024, 5, 17))
    assert not at_25.contains(dt.date(2039, 5, 17))
    at_60 = renewal_window("renewal_60", born)
    assert at_60.opens == dt.date(2059, 5, 17) and at_60.closes is None
    leap = renewal_window("renewal_40", BirthDate(2000, 2, 29))
    assert leap.opens == dt.date(2038, 2, 28)


def test_the_pipeline_has_one_forward_move_and_the_last_depends_on_delivery() -> None:
    assert next_step("received", "station") == "checked"
    assert next_step("checked", "post") == "sent_for_production"
    assert next_step("sent_for_production", "post") == "produced"
    assert next_step("produced", "station") == "returned"
    assert next_step("produced", "post") == "delivered"
    for ended in ("returned", "delivered", "rejected"):
        assert next_step(ended, "station") is None


def test_the_pipeline_is_one_workflow_definition_with_rejection_before_the_end() -> None:
    # The statuses keep their order (the migration's CHECK constraint lists the same ones).
    assert CARD_PIPELINE.state_names == STATUSES == (*IN_PROGRESS, *FINISHED)
    assert IN_PROGRESS == ("received", "checked", "sent_for_production", "produced")
    assert FINISHED == ("returned", "delivered", "rejected")
    assert set(TRANSITION_INTO) == set(STATUSES) - {"received"}
    for status in IN_PROGRESS:
        assert CARD_PIPELINE.transition(status, "reject", reason="Damaged").target == "rejected"
        with pytest.raises(TransitionRefused) as caught:
            CARD_PIPELINE.transition(status, "reject", reason=" ")
        assert caught.value.code == "reason_required"
    for ended in FINISHED:
        with pytest.raises(TransitionRefused) as caught:
            CARD_PIPELINE.transition(ended, "reject", reason="Damaged")
        assert caught.value.code == "already_finished"
