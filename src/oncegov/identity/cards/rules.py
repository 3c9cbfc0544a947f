"""The legal rules of chip ID-card applications, as data and pure functions (no database).

Fees
    The fee is fixed by the kind of application and the day it is received:

    * First issue and the renewals at 25, 40 and 60 are not charged (Circular 59/2019/TT-BTC,
      cases not charged: first issue from 14, renewal at 25/40/60; Circular 73/2024/TT-BTC
      charges only re-issue "cấp đổi" on request/damage/changed data and replacement "cấp lại").
    * Re-issue after damage and change of information ("cấp đổi", Law on Identification 2023
      art. 24(1)): 50,000 VND; replacement after loss ("cấp lại", art. 24(2)): 70,000 VND —
      Circular 59/2019/TT-BTC art. 4 until 30 June 2024, then Circular 73/2024/TT-BTC art. 4.
    * From 1 July 2025 to 31 December 2026 both are halved (Circular 64/2025/TT-BTC art. 1):
      25,000 and 35,000 VND.

    Not modelled: the earlier temporary 50% reductions of 2020-2023, the exemptions by person
    (children, the elderly, people with disabilities, border and island communes: Circular
    73/2024 art. 5 as amended by 71/2025) — the desk officer would pick those; and the 30,000
    VND conversion of an old citizen-identity card to the new card, which is none of our kinds.

Renewal at 25, 40 and 60 (Law on Identification 2023, art. 21)
    Art. 21(1): a card must be renewed when the citizen reaches 14, 25, 40 and 60. Art. 21(2): a
    card issued, renewed or replaced within the 2 years before one of those ages stays valid
    until the next one. So a renewal "at 25" is due from 2 years before the 25th birthday (it
    then covers the citizen until 40) and stays the right kind until the window of the next age
    opens (2 years before the 40th birthday); the renewal at 60 has no end. When the registry
    knows only the year (or year and month) of birth, the earliest possible birthday is used:
    the citizen gets the benefit of the doubt. (The brief suggested "from the year they turn
    that age, one year early"; art. 21(2) says two years, and the law wins.)

Minimum age
    A first issue needs the citizen to be 14 or older at intake. The 2023 law also lets a child
    under 14 get a card at the legal representative's request (art. 19(2)); that procedure is
    not handled at this desk, so it is refused with its own message.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from oncegov.kit.workflow import Workflow

FIRST_ISSUE_MIN_AGE = 14
RENEWAL_AGES: dict[str, int] = {"renewal_25": 25, "renewal_40": 40, "renewal_60": 60}
_NEXT_RENEWAL: dict[int, int | None] = {25: 40, 40: 60, 60: None}
RENEWAL_EARLY_YEARS = 2  # art. 21(2)

FREE_KINDS = ("first_issue", "renewal_25", "renewal_40", "renewal_60")
FREE_REFERENCE = (
    "Circular 59/2019/TT-BTC and 73/2024/TT-BTC: first issue and renewal at 25/40/60 are "
    "not charged"
)


@dataclass(frozen=True)
class FeePeriod:
    starts: dt.date
    ends: dt.date | None  # inclusive
    reissue_vnd: int  # damage, change of information
    replacement_vnd: int  # loss
    reference: str


FEE_PERIODS: tuple[FeePeriod, ...] = (
    FeePeriod(
        dt.date(2020, 1, 1),
        dt.date(2024, 6, 30),
        50_000,
        70_000,
        "Circular 59/2019/TT-BTC art. 4",
    ),
    FeePeriod(
        dt.date(2024, 7, 1),
        dt.date(2025, 6, 30),
        50_000,
        70_000,
        "Circular 73/2024/TT-BTC art. 4",
    ),
    FeePeriod(
        dt.date(2025, 7, 1),
        dt.date(2026, 12, 31),
        25_000,
        35_000,
        "Circular 73/2024/TT-BTC art. 4, halved by Circular 64/2025/TT-BTC art. 1",
    ),
    FeePeriod(dt.date(2027, 1, 1), None, 50_000, 70_000, "Circular 73/2024/TT-BTC art. 4"),
)


@dataclass(frozen=True)
class Fee:
    amount_vnd: int
    legal_reference: str


def fee_for(kind: str, on: dt.date) -> Fee:
    """The fee for an application of ``kind`` received on ``on``, with its legal basis."""
    if kind in FREE_KINDS:
        return Fee(0, FREE_REFERENCE)
    period = next(
        (p for p in FEE_PERIODS if p.starts <= on and (p.ends is None or on <= p.ends)),
        FEE_PERIODS[0],  # before 2020: the oldest schedule we know
    )
    amount = period.replacement_vnd if kind == "reissue_loss" else period.reissue_vnd
    return Fee(amount, period.reference)


# --- dates of birth as the registry keeps them (partial ISO) -----------------------------------

_ISO = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_DMY = re.compile(r"(?:(\d{1,2})[/.])?(\d{1,2})[/.](\d{4})")


@dataclass(frozen=True)
class BirthDate:
    """A date of birth that may know only the year, or the year and month."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> BirthDate:
        """``17/5/1985``, ``5/1985``, ``1985``, ``1985-05-17``, ``1985-05`` → BirthDate;
        ValueError when it is none of those or not a real date."""
        text = text.strip()
        if match := _ISO.fullmatch(text):
            year, month, day = match[1], match[2], match[3]
        elif match := _DMY.fullmatch(text):
            day, month, year = match[1], match[2], match[3]
        else:
            raise ValueError(text)
        birth = cls(int(year), int(month) if month else None, int(day) if day else None)
        dt.date(birth.year, birth.month or 1, birth.day or 1)  # raises ValueError if not real
        return birth

    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def earliest(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def birthday(self, age: int) -> dt.date:
        """The (earliest possible) day the citizen reaches ``age``; 29 February → 28th."""
        born = self.earliest()
        try:
            return born.replace(year=born.year + age)
        except ValueError:
            return dt.date(born.year + age, 2, 28)

    def age_on(self, day: dt.date) -> int:
        born = self.earliest()
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return dt.date(day.year - years, 2, 28)


@dataclass(frozen=True)
class RenewalWindow:
    age: int
    opens: dt.date
    closes: dt.date | None  # exclusive: the next age's window opens

    def contains(self, day: dt.date) -> bool:
        return self.opens <= day and (self.closes is None or day < self.closes)


def renewal_window(kind: str, birth: BirthDate) -> RenewalWindow:
    age = RENEWAL_AGES[kind]
    following = _NEXT_RENEWAL[age]
    opens = years_before(birth.birthday(age), RENEWAL_EARLY_YEARS)
    closes = years_before(birth.birthday(following), RENEWAL_EARLY_YEARS) if following else None
    return RenewalWindow(age, opens, closes)


# --- the pipeline ------------------------------------------------------------------------------

# The steps of an application, as data for the one workflow engine (``kit.workflow``). The order
# of the states is the order of ``models.STATUSES`` (and so of the database's CHECK constraint
# and of every list that shows them). Every in-progress step moves one step forward; after
# production the card goes back to the station ("returned") or out by post ("delivered"),
# chosen by the application's delivery (the ``when`` condition); an application may be
# rejected, with a reason, at any step before the end. Who may move an application is the
# route's permission (``identity.cards``), so no transition restricts roles.
CARD_PIPELINE = Workflow.from_data(
    {
        "name": "chip_id_card",
        "states": [
            {"name": "received", "initial": True},
            "checked",
            "sent_for_production",
            "produced",
            {"name": "returned", "final": True},
            {"name": "delivered", "final": True},
            {"name": "rejected", "final": True},
        ],
        "transitions": [
            {"name": "check", "source": "received", "target": "checked", "forward": True},
            {
                "name": "send_for_production",
                "source": "checked",
                "target": "sent_for_production",
                "forward": True,
            },
            {
                "name": "produce",
                "source": "sent_for_production",
                "target": "produced",
                "forward": True,
            },
            {
                "name": "return",
                "source": "produced",
                "target": "returned",
                "when": {"delivery": "station"},
                "forward": True,
            },
            {
                "name": "deliver",
                "source": "produced",
                "target": "delivered",
                "when": {"delivery": "post"},
                "forward": True,
            },
            {
                "name": "reject",
                "source": ["received", "checked", "sent_for_production", "produced"],
                "target": "rejected",
                "requires_reason": True,
            },
        ],
    }
)

# The API names a move by the status it leads to; each status is the target of one transition.
TRANSITION_INTO: dict[str, str] = {t.target: t.name for t in CARD_PIPELINE.transitions}


def next_step(status: str, delivery: str) -> str | None:
    """The one forward move from ``status``: the card goes back to the station ("returned")
    or out by post ("delivered") after production. None when the application has ended."""
    forward = CARD_PIPELINE.next_forward(status, {"delivery": delivery})
    return forward.target if forward else None
