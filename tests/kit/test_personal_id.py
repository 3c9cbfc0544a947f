from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncegov.kit import personal_id as pid

provinces = st.sampled_from(sorted(pid.BIRTH_PROVINCE_CODES))
sexes = st.sampled_from(["M", "F"])
years = st.integers(min_value=1900, max_value=2399)
sequences = st.integers(min_value=0, max_value=999_999)


@given(provinces, sexes, years, sequences)
def test_round_trip(province: str, sex: str, year: int, sequence: int) -> None:
    number = f"{pid.prefix_for(province, sex, year)}{sequence:06d}"  # type: ignore[arg-type]
    parsed = pid.parse(number)
    assert (parsed.province_code, parsed.sex, parsed.birth_year) == (province, sex, year)
    assert parsed.number == number
    assert pid.check_consistency(number, birth_year=year, sex=sex) == parsed  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sex", "year", "digit"),
    [
        ("M", 1985, 0),
        ("F", 1985, 1),
        ("M", 2003, 2),
        ("F", 2003, 3),
        ("M", 2150, 4),
        ("F", 2150, 5),
    ],
)
def test_century_digit_follows_circular_59(sex: str, year: int, digit: int) -> None:
    assert pid.prefix_for("004", sex, year)[3] == str(digit)  # type: ignore[arg-type]


@given(st.text(max_size=14))
def test_parse_never_raises_anything_but_personal_id_error(text: str) -> None:
    try:
        pid.parse(text)
    except pid.PersonalIdError as exc:
        assert exc.code in {"empty", "wrong_length", "not_digits", "unknown_province"}


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("", "empty"),
        ("00408512345", "wrong_length"),
        ("0040851234567", "wrong_length"),
        ("00408512345a", "not_digits"),
        ("003085123456", "unknown_province"),  # 003 was never a province code
    ],
)
def test_each_fault_has_its_own_code(number: str, code: str) -> None:
    with pytest.raises(pid.PersonalIdError) as excinfo:
        pid.parse(number)
    assert excinfo.value.code == code


def test_inconsistent_with_record() -> None:
    number = "004085123456"  # male, born 1985
    with pytest.raises(pid.PersonalIdError) as excinfo:
        pid.check_consistency(number, birth_year=1986, sex="M")
    assert excinfo.value.code == "birth_year_mismatch"
    with pytest.raises(pid.PersonalIdError) as excinfo:
        pid.check_consistency(number, birth_year=1985, sex="F")
    assert excinfo.value.code == "sex_mismatch"


@given(st.integers(min_value=0, max_value=1899) | st.integers(min_value=2400, max_value=9999))
def test_years_outside_the_scheme_are_refused(year: int) -> None:
    with pytest.raises(pid.PersonalIdError):
        pid.prefix_for("004", "M", year)
