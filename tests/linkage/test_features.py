"""Comparison columns for the linkage model: commune in an address, name keys, dates, nulls."""

from __future__ import annotations

import pytest

from oncegov.linkage.extract import SectorRecord
from oncegov.linkage.features import (
    COLUMNS,
    commune_index,
    commune_of,
    extract_frame,
    name_features,
    normalise_phone,
    registry_frame,
)
from oncegov.linkage.rules import RegistryPerson

COMMUNES = [
    ("01273", "Phường Thục Phán"),
    ("01279", "Phường Nùng Trí Cao"),
    ("01321", "Xã Hòa An"),
    ("01324", "Xã Trùng Khánh"),
    ("01330", "Xã Nguyên Bình"),
    ("01333", "Xã Hưng Đạo"),
    ("01500", "Thị trấn Hưng Đạo"),  # the same bare name as a commune: ambiguous when bare
]
INDEX = commune_index(COMMUNES)


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("Xã Hòa An, Huyện Hòa An, Cao Bằng", "01321"),
        ("xa hoa an, h. hoa an, cao bang", "01321"),
        ("Phường Thục Phán, Thành phố Cao Bằng, Cao Bằng", "01273"),
        ("Tổ 5, P. Thục Phán, TP Cao Bằng", "01273"),
        ("Xóm Nà Rẻo, X. Trùng Khánh, Huyện Trà Lĩnh, Cao Bằng", "01324"),
        ("Phuong Nung Tri Cao; Cao Bang", "01279"),
        ("Nguyên Bình, Cao Bằng", "01330"),  # the bare name of a commune, not the last part
        ("Xã Hưng Đạo, Cao Bằng", "01333"),
        ("Thị trấn Hưng Đạo, Cao Bằng", "01500"),
        ("TT Hưng Đạo, Cao Bằng", "01500"),
    ],
)
def test_commune_of_finds_the_named_commune(address: str, code: str) -> None:
    assert commune_of(address, INDEX) == code


@pytest.mark.parametrize(
    "address",
    [
        None,
        "",
        "Huyện Hòa An, Cao Bằng",  # a district, not the commune of the same name
        "Cao Bằng",
        "Hưng Đạo, Cao Bằng",  # bare name held by two units
        "Xã Hòa An, Phường Thục Phán, Cao Bằng",  # two communes: ambiguous
        "Xã Không Có, Cao Bằng",
    ],
)
def test_commune_of_none_when_absent_or_ambiguous(address: str | None) -> None:
    assert commune_of(address, INDEX) is None


def test_name_keys_cope_with_diacritics_order_and_spelling() -> None:
    written = name_features("Nông Văn Dũng")
    assert written.exact == "nông văn dũng"
    assert written.key == "nong van dung"
    assert written.sorted_key == "dung nong van"
    assert (written.family, written.given) == ("nong", "dung")
    for variant in ("NONG VAN DUNG", "Dũng Nông Văn", "Dung Van Nong", "  Nông  Văn Dũng "):
        assert name_features(variant).key == written.key, variant
    assert name_features("Nong Van Dung").exact != written.exact  # exact keeps the diacritics
    assert name_features("Lý Thị Phương").key == name_features("Li Thi Fuong").key
    assert name_features("Thắng").family is None
    assert name_features("").key is None


def test_all_upper_case_ascii_names_fold_to_the_same_key() -> None:
    registry = name_features("Nông Thị Ánh Tuyết")
    upper = name_features("NONG THI ANH TUYET")
    assert (upper.key, upper.core, upper.sorted_key) == (
        registry.key,
        registry.core,
        registry.sorted_key,
    )
    assert upper.folded == registry.folded == "nong thi anh tuyet"
    assert upper.exact != registry.exact  # the exact level still needs the diacritics


def test_old_and_new_tone_placement_give_one_exact_name() -> None:
    for old, new in (("Hoàng Thị Thuỷ", "Hoàng Thị Thủy"), ("Lục Văn Hoà", "Lục Văn Hòa")):
        assert name_features(old).exact == name_features(new).exact
    assert name_features("Bế Thị Khoẻ").exact == "bế thị khỏe"
    assert name_features("Nông Văn Hoàng").exact == "nông văn hoàng"  # closed: one placement


@pytest.mark.parametrize(
    ("written", "core"),
    [
        ("Nông Thị Mai", "nong mai"),
        ("Nông Mai", "nong mai"),
        ("Nông Văn Thị Mai", "nong mai"),
        ("Nông Thị Ngọc Mai", "nong ngoc mai"),
        ("Mai Thị Nông", "mai nong"),  # Mai is a family name too: written family-first
        ("NONG THI MAI", "nong mai"),
        ("Văn Thị Hoa", "van hoa"),  # Văn as the family name stays
        ("Nông Văn Thi", "nong thi"),  # Thi as the given name stays
        ("Nông Thị", "nong thi"),
        ("Mai", "mai"),
    ],
)
def test_name_core_drops_only_middle_thi_and_van(written: str, core: str) -> None:
    assert name_features(written).core == core


def test_phone_normalisation() -> None:
    assert normalise_phone("0912 345 678") == "0912345678"
    assert normalise_phone("+84 912.345.678") == "0912345678"
    assert normalise_phone("12") is None
    assert normalise_phone(None) is None


def _record(**changes: object) -> SectorRecord:
    base: dict[str, object] = {
        "record_key": "BHXH1",
        "full_name": "Nông Văn Dũng",
        "date_of_birth_text": "05/03/1980",
        "birth_year": 1980,
        "birth_month": 3,
        "birth_day": 5,
        "sex": "M",
        "address": "Xã Hòa An, Huyện Hòa An, Cao Bằng",
        "old_id_number": "080 123 456",
        "personal_id": None,
        "phone": "0912345678",
    }
    base.update(changes)
    return SectorRecord(**base)  # type: ignore[arg-type]


def test_extract_frame_columns() -> None:
    table = extract_frame(
        [
            _record(),
            _record(
                record_key="BHXH2",
                full_name="",
                date_of_birth_text="1975",
                birth_year=1975,
                birth_month=None,
                birth_day=None,
                sex=None,
                address=None,
                old_id_number=None,
                phone=None,
            ),
        ],
        INDEX,
    )
    assert tuple(table.column_names) == COLUMNS
    first, second = table.to_pylist()
    assert first["unique_id"] == "BHXH1"
    assert first["commune_code"] == "01321"
    assert (first["birth_year"], first["birth_month"], first["birth_day"]) == (1980, 3, 5)
    assert first["birth_date"] == "1980-03-05"
    assert first["old_id"] == "080123456"
    assert first["phone"] == "0912345678"
    assert second["birth_year"] == 1975
    assert second["birth_month"] is second["birth_day"] is second["birth_date"] is None
    for column in ("name_exact", "name_key", "sex", "commune_code", "phone", "old_id"):
        assert second[column] is None, column


def test_registry_frame_one_row_per_person() -> None:
    people = [
        RegistryPerson("004080000001", "Nông Văn Dũng", 1980, 3, 5, "M", "080123456", "01321"),
        RegistryPerson("004180000002", "Hoàng Thị Mai", 1981, 7, None, "F", phone="0987654321"),
    ]
    rows = registry_frame(people).to_pylist()
    assert [r["unique_id"] for r in rows] == ["004080000001", "004180000002"]
    assert rows[0]["commune_code"] == "01321"
    assert rows[0]["old_id"] == "080123456"
    assert rows[1]["birth_month"] == 7
    assert rows[1]["birth_day"] is None
    assert rows[1]["birth_date"] is None
    assert rows[1]["phone"] == "0987654321"
    assert rows[1]["commune_code"] is None
    assert registry_frame([]).num_rows == 0
