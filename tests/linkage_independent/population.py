"""A made-up registry population for the independent generator's tests: households in real
Cao Bằng communes, Tày/Nùng/Kinh-like names, mostly full birth dates (no database needed)."""

from __future__ import annotations

import random

from oncegov.kit.personal_id import sex_century_digit
from oncegov.linkage.synthetic_independent import RegistryPerson

COMMUNES = (
    "Phường Thục Phán",
    "Phường Tân Giang",
    "Xã Hòa An",
    "Xã Nam Tuấn",
    "Xã Trùng Khánh",
    "Xã Đàm Thuỷ",
    "Xã Bảo Lạc",
    "Xã Thông Nông",
    "Xã Quảng Uyên",
    "Xã Nguyên Bình",
    "Xã Hạ Lang",
    "Xã Đông Khê",
)


def _words(text: str) -> list[str]:
    return text.split()


FAMILIES = _words("Nông Hoàng Lương Bế Đàm Lục Triệu Lã Mã Hà Nguyễn Lý Vi Trần Lê")
MIDDLES = {
    "M": _words("Văn Văn Văn Văn Đức Minh Quang"),
    "F": _words("Thị Thị Thị Thị Thu Ngọc"),
}
GIVENS = {
    "M": _words(
        "Hùng Dũng Thắng Lợi Toàn Sơn Cường Tuấn Minh Hải Hòa Khoa Thành Long Phúc Nam Huy "
        "Quân Vinh Hiếu Tâm Thủy Hưng Kiên Lâm Đạt Chiến Bình"
    ),
    "F": _words(
        "Hoa Lan Mai Hương Huyền Nhung Duyên Hằng Liên Ánh Thu Hà Yến Thảo Nga Hoà Thuỷ "
        "Linh Trang Phương Hiền Thúy Loan Khuê Hạnh My Ngân Quỳnh"
    ),
}


def make_people(count: int = 40_000, seed: int = 5) -> list[RegistryPerson]:
    rng = random.Random(seed)
    people: list[RegistryPerson] = []
    sequence = 0
    household = 0
    while len(people) < count:
        household += 1
        commune = COMMUNES[rng.randrange(len(COMMUNES))]
        code = f"HH{household:07d}"
        family = rng.choice(FAMILIES)
        for _ in range(min(1 + rng.randrange(6), count - len(people))):
            sequence += 1
            sex = "M" if rng.random() < 0.5 else "F"
            year = rng.randint(1945, 2008)
            month: int | None = rng.randint(1, 12)
            day: int | None = rng.randint(1, 28)
            roll = rng.random()
            if roll < 0.03:
                month = day = None
            elif roll < 0.05:
                day = None
            name = f"{family} {rng.choice(MIDDLES[sex])} {rng.choice(GIVENS[sex])}"
            if rng.random() < 0.05:
                name = f"{family} {rng.choice(GIVENS[sex])}"  # no middle name
            digit = sex_century_digit("F" if sex == "F" else "M", year)
            people.append(
                RegistryPerson(
                    personal_id=f"004{digit}{year % 100:02d}{sequence:06d}",
                    full_name=name,
                    birth_year=year,
                    birth_month=month,
                    birth_day=day,
                    sex=sex,
                    household_code=code,
                    commune_name=commune,
                    province_name="Cao Bằng",
                    old_id_number=f"08{sequence:07d}"
                    if year <= 2002 and rng.random() < 0.6
                    else None,
                    phone=f"09{sequence:08d}" if year <= 2008 and rng.random() < 0.6 else None,
                )
            )
    return people
