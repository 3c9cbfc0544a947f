"""The rule catalogue of the data-quality review: what each rule looks for and how serious it is.

The SQL behind each rule is in ``repository.py``; turning its rows into findings (detail text
and fingerprint) is in ``checks.py``. Codes are stable: they are stored with every finding.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncegov.translatable import N_

SEVERITIES = ("high", "medium", "low")
RESOLUTIONS = ("corrected", "confirmed_correct", "false_positive")
SYSTEM_RESOLVER = "system: no longer detected"

# Age (in whole years) above which a living person is implausible.
MAX_PLAUSIBLE_AGE = 120
# Smallest plausible age gap between a parent and a child.
MIN_PARENT_AGE_GAP = 12


@dataclass(frozen=True, slots=True)
class Rule:
    """One check. ``fields`` are the citizen fields an officer may correct from a finding."""

    code: str
    title: str
    description: str
    severity: str
    subject_kind: str  # citizen | pair | household
    fields: tuple[str, ...]


RULES: tuple[Rule, ...] = (
    Rule(
        code="id_inconsistent",
        title=N_("Personal ID inconsistent"),
        description=N_(
            "The personal ID number is malformed, or its century/sex digit and year digits do "
            "not match the recorded sex and year of birth."
        ),
        severity="high",
        subject_kind="citizen",
        fields=("date_of_birth", "sex"),
    ),
    Rule(
        code="missing_required",
        title=N_("Missing required fields"),
        description=N_(
            "A living person lacks a required field: full name, ethnicity, permanent residence "
            "(commune and address, for Vietnamese nationals) or household (for permanent "
            "residents of the province). A missing phone number is not reported."
        ),
        severity="medium",
        subject_kind="citizen",
        fields=(
            "full_name",
            "ethnicity_code",
            "permanent_commune_code",
            "permanent_address",
            "household_code",
            "relationship_to_head",
            "phone",
        ),
    ),
    Rule(
        code="probable_duplicate",
        title=N_("Probable duplicate"),
        description=N_(
            "Two records in the province with the same name (any word order, accents ignored) "
            "and the same full date of birth, or with the same old 9-digit ID number. "
            "One finding per pair of records."
        ),
        severity="high",
        subject_kind="pair",
        fields=("full_name", "date_of_birth", "old_id_number", "status", "date_of_death"),
    ),
    Rule(
        code="deceased_head",
        title=N_("Deceased head of household"),
        description=N_(
            "A deceased person is still the head of a household (named as its head, or with "
            "relationship 'head')."
        ),
        severity="high",
        subject_kind="citizen",
        fields=("relationship_to_head", "household_code"),
    ),
    Rule(
        code="deceased_resident",
        title=N_("Deceased person still resident"),
        description=N_(
            "A deceased person still has a current residence or still belongs to a household."
        ),
        severity="medium",
        subject_kind="citizen",
        fields=(
            "current_commune_code",
            "current_address",
            "household_code",
            "relationship_to_head",
        ),
    ),
    Rule(
        code="household_without_head",
        title=N_("Household without head"),
        description=N_("A household names no head, or its head is not a member of the household."),
        severity="medium",
        subject_kind="household",
        fields=("household_code", "relationship_to_head"),
    ),
    Rule(
        code="implausible_age",
        title=N_("Implausible age"),
        description=N_(
            "A living person older than 120 years, or a date of death before the date of birth."
        ),
        severity="medium",
        subject_kind="citizen",
        fields=("date_of_birth", "status", "date_of_death"),
    ),
    Rule(
        code="implausible_relationship",
        title=N_("Implausible relationship"),
        description=N_(
            "A child of the head who is older than the head or less than 12 years younger; a "
            "parent of the head less than 12 years older; or a spouse who is the person "
            "themself."
        ),
        severity="low",
        subject_kind="citizen",
        fields=("date_of_birth", "relationship_to_head", "spouse_personal_id"),
    ),
)

RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
SEVERITY_LABELS: dict[str, str] = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low")}
RESOLUTION_LABELS: dict[str, str] = {
    "open": N_("Open"),
    "corrected": N_("Corrected"),
    "confirmed_correct": N_("Confirmed correct"),
    "false_positive": N_("False positive"),
}
# Labels of the citizen fields a finding page shows or lets an officer correct.
FIELD_LABELS: dict[str, str] = {
    "personal_id": N_("Personal ID"),
    "old_id_number": N_("Old ID number"),
    "full_name": N_("Full name"),
    "date_of_birth": N_("Date of birth"),
    "sex": N_("Sex"),
    "ethnicity_code": N_("Ethnicity code"),
    "nationality": N_("Nationality"),
    "permanent_commune_code": N_("Permanent residence: commune code"),
    "permanent_address": N_("Permanent residence: address"),
    "temporary_commune_code": N_("Temporary residence: commune code"),
    "temporary_address": N_("Temporary residence: address"),
    "current_commune_code": N_("Current residence: commune code"),
    "current_address": N_("Current residence: address"),
    "household_code": N_("Household code"),
    "relationship_to_head": N_("Relationship to head"),
    "spouse_personal_id": N_("Spouse's personal ID"),
    "phone": N_("Phone"),
    "status": N_("Status"),
    "date_of_death": N_("Date of death"),
}
