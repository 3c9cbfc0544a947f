"""The catalogue's file format (strict Pydantic: an unknown key is an error) and the API's shapes.

A procedure file holds one procedure (a mapping) or several (``procedures: [...]``). The shapes
here check types, enums and each value on its own; ``loader.problems`` checks what spans keys
(transitions between declared states, the steps' shares of the statutory time, replaced
documents, duplicate keys).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oncegov.kit.schema_types import Instant
from oncegov.registry import service as registry
from oncegov.translatable import N_

CODE_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,19}$"
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
_CUTOFF = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SOURCE = re.compile(r"^(registry|exchange):(.*)$")
_SERVICE = re.compile(r"^[a-z][a-z0-9_.\-]{0,59}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalText(Strict):
    """A text in both languages of the portal."""

    vi: Annotated[str, Field(min_length=1, max_length=500)]
    en: Annotated[str, Field(min_length=1, max_length=500)]

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


class ProcedureField(StrEnum):
    """The sector (lĩnh vực) a procedure belongs to, as the national catalogue groups them."""

    civil_status = "civil_status"
    residence = "residence"
    identity = "identity"
    social_protection = "social_protection"
    health_insurance = "health_insurance"
    judicial_records = "judicial_records"
    justice = "justice"


FIELD_LABELS: dict[str, str] = {
    "civil_status": N_("Civil status registration"),
    "residence": N_("Residence"),
    "identity": N_("Identity documents"),
    "social_protection": N_("Social protection"),
    "health_insurance": N_("Health insurance"),
    "judicial_records": N_("Judicial records"),
    "justice": N_("Justice"),
}

Level = Literal["commune", "province"]
LEVEL_LABELS: dict[str, str] = {"commune": N_("Commune level"), "province": N_("Provincial level")}

Channel = Literal["online", "counter", "post"]
CHANNEL_LABELS: dict[str, str] = {
    "online": N_("Online"),
    "counter": N_("At the counter"),
    "post": N_("By post"),
}

# Decree 42/2022/ND-CP Art. 11(1): (a) "toàn trình" (full): the information on the procedure,
# its submission and its handling are all online, and the result is returned online or by the
# public postal service; (b) "một phần" (partial): an online service that does not meet (a)
# (the citizen must appear in person, or the agency must verify on site). ``none``: no online
# service at all (counter or post only).
OnlineLevel = Literal["full", "partial", "none"]
ONLINE_LEVEL_LABELS: dict[str, str] = {
    "full": N_("Full online service"),
    "partial": N_("Partial online service"),
    "none": N_("No online service"),
}

About = Literal[
    "applicant", "child", "spouse", "father", "mother", "deceased", "household_head", "other"
]
ABOUT_LABELS: dict[str, str] = {
    "applicant": N_("You"),
    "child": N_("The child"),
    "spouse": N_("Your spouse"),
    "father": N_("The father"),
    "mother": N_("The mother"),
    "deceased": N_("The deceased"),
    "household_head": N_("The head of household"),
    "other": N_("Another person"),
}

FieldType = Literal[
    "text", "long_text", "date", "personal_id", "address", "number", "phone", "email", "choice"
]
TimeUnit = Literal["working_days", "working_hours", "same_day"]


class Assumable(Strict):
    """A detail the stored sources did not confirm carries ``assumption: true`` and a note."""

    assumption: bool = False
    note: Annotated[str, Field(max_length=1000)] | None = None


class Source(Strict):
    """Where a detail of the procedure was confirmed: a public page, and what it says."""

    url: Annotated[str, Field(min_length=8, max_length=500)]
    note: Annotated[str, Field(min_length=1, max_length=1000)]


class FeeItem(Assumable):
    """One fee (lệ phí or phí) in VND; ``channel`` when it differs by how the dossier comes in."""

    label: LocalText
    amount_vnd: Annotated[int, Field(ge=0, le=100_000_000)]
    channel: Literal["any", "online", "counter", "post"] = "any"


class Exemption(Assumable):
    who: LocalText
    basis: Annotated[str, Field(min_length=1, max_length=300)]


class Fees(Strict):
    items: list[FeeItem] = []
    exemptions: list[Exemption] = []


class StatutoryTime(Assumable):
    """The statutory time (thời hạn giải quyết). ``cutoff``: a dossier received after it counts
    from the next working day (or is returned the next working day for ``same_day``)."""

    unit: TimeUnit
    amount: Annotated[int, Field(ge=1, le=365)] | None = None
    cutoff: str | None = None
    # The time for a harder case the law allows (e.g. verification needed), shown beside it.
    extended_amount: Annotated[int, Field(ge=1, le=365)] | None = None
    extended_when: LocalText | None = None

    @field_validator("cutoff", mode="before")
    @classmethod
    def _cutoff_is_a_time(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError("a cutoff needs a time of day, e.g. '15:00'")
        if not isinstance(value, str) or not _CUTOFF.match(value.strip()):
            raise ValueError(f"cutoff {value!r} is not a time of day HH:MM, e.g. '15:00'")
        return value.strip()


class LegalBasis(Assumable):
    number: Annotated[str, Field(min_length=1, max_length=60)]
    title: LocalText
    effective: dt.date
    articles: Annotated[str, Field(max_length=200)] | None = None


def check_source(value: str) -> str:
    """``registry:<field>`` (a field the registry lets procedures read), ``eid``,
    ``exchange:<service>`` or ``applicant``."""
    if value in ("eid", "applicant"):
        return value
    match = _SOURCE.match(value)
    if match is None:
        raise ValueError(
            f"unknown source {value!r}: expected registry:<field>, eid, exchange:<service> "
            "or applicant"
        )
    kind, name = match.groups()
    if kind == "registry" and name not in registry.prefillable_fields():
        raise ValueError(
            f"unknown registry field {name!r}; a procedure may read: "
            + ", ".join(registry.prefillable_fields())
        )
    if kind == "exchange" and not _SERVICE.match(name):
        raise ValueError(f"exchange service {name!r} is not a service name (a-z, 0-9, _ . -)")
    return value


class FormField(Strict):
    """One field of the form and where its value comes from: ``registry:<field>`` (pre-filled
    from the population registry and locked), ``eid`` (proven by the sign-in),
    ``exchange:<service>`` (another agency's data; declared and typed by the applicant until
    the data exchange connects it) or ``applicant`` (typed)."""

    key: Annotated[str, Field(pattern=KEY_PATTERN)]
    label: LocalText
    type: FieldType = "text"
    source: str
    about: About = "applicant"
    required: bool = True
    choices: list[LocalText] = []

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        return check_source(value)

    @property
    def source_kind(self) -> str:
        return self.source.split(":", 1)[0]


class Replacement(Strict):
    """What the state already holds instead of a document, and the sentence shown for it."""

    source: str
    text: LocalText

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value == "registry":
            return value
        if value == "applicant":
            raise ValueError("a document cannot be replaced by the applicant's own typing")
        return check_source(value)


class Document(Strict):
    """A document of the dossier: still to be brought (``required``), optional, or replaced by
    data the state holds (``replaced_by``; then it is not required)."""

    name: LocalText
    required: bool
    replaced_by: Replacement | None = None
    note: LocalText | None = None


class Transition(Strict):
    """An allowed move of a dossier between two states, and the role that may make it.
    ``form``: the form the move issues (Circular 03/2025/TT-VPCP: 02 additions requested, 03
    refusal to accept); ``reason_required``: the move must give a reason."""

    from_: Annotated[str, Field(alias="from")]  # ``from`` is a Python keyword
    to: str
    role: Annotated[str, Field(pattern=KEY_PATTERN)]
    form: Annotated[str, Field(pattern=r"^\d{2}$")] | None = None
    reason_required: bool = False


class Step(Assumable):
    """A step of the handling: the agency, its level and role, and its share of the statutory
    time (a fraction of it, or a number of the time's units)."""

    key: Annotated[str, Field(pattern=KEY_PATTERN)]
    name: LocalText
    agency: LocalText
    level: Level
    role: Annotated[str, Field(pattern=KEY_PATTERN)]
    share: Annotated[float, Field(gt=0)]
    states: list[str] = []


class Workflow(Strict):
    states: Annotated[list[Annotated[str, Field(pattern=KEY_PATTERN)]], Field(min_length=2)]
    initial: str
    final: Annotated[list[str], Field(min_length=1)]
    transitions: Annotated[list[Transition], Field(min_length=1)]
    steps: Annotated[list[Step], Field(min_length=1)]


class Procedure(Strict):
    """One version of a procedure, as published from ``effective_from``."""

    code: Annotated[str, Field(pattern=CODE_PATTERN)]
    code_assumption: Annotated[str, Field(max_length=500)] | None = None
    version: Annotated[int, Field(ge=1)]
    effective_from: dt.date
    name: LocalText
    summary: LocalText | None = None
    field: ProcedureField
    agency: LocalText
    level: Level
    channels: Annotated[list[Channel], Field(min_length=1)]
    online_level: OnlineLevel
    eid_level: Literal[1, 2]
    fees: Fees = Fees()
    statutory_time: StatutoryTime
    legal_basis: Annotated[list[LegalBasis], Field(min_length=1)]
    form: list[FormField] = []
    documents: list[Document] = []
    workflow: Workflow
    sources: list[Source] = []
    notes: Annotated[str, Field(max_length=4000)] | None = None


class ProcedureFile(Strict):
    """A file of several procedures (one field's, say)."""

    procedures: Annotated[list[dict[str, Any]], Field(min_length=1)]


# --- API shapes ---------------------------------------------------------------------------------


class ProcedureSummaryOut(BaseModel):
    code: str
    version: int
    effective_from: dt.date
    name: LocalText
    field: ProcedureField
    level: Level
    online_level: OnlineLevel


class ProcedureOut(BaseModel):
    """A procedure's version in force on ``as_of``, with its whole definition."""

    code: str
    version: int
    effective_from: dt.date
    as_of: dt.date
    loaded_at: Instant
    definition: Procedure
