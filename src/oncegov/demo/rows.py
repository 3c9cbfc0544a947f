"""Column order of the generated rows, shared by the generator, the loader and the tests.

Citizens and households are plain tuples (a bulk insert takes them as they are); the constants
name the positions so code reads ``row[BIRTH_YEAR]`` rather than ``row[5]``.
"""

from __future__ import annotations

CITIZEN_FIELDS: tuple[str, ...] = (
    "personal_id",
    "old_id_number",
    "full_name",
    "folded_name",
    "name_key",
    "birth_year",
    "birth_month",
    "birth_day",
    "sex",
    "ethnicity_code",
    "religion",
    "nationality",
    "birth_registration_commune_code",
    "hometown",
    "permanent_commune_code",
    "permanent_address",
    "temporary_commune_code",
    "temporary_address",
    "current_commune_code",
    "current_address",
    "household_code",
    "relationship_to_head",
    "father_personal_id",
    "mother_personal_id",
    "spouse_personal_id",
    "phone",
    "email",
    "status",
    "date_of_death",
)
HOUSEHOLD_FIELDS: tuple[str, ...] = ("code", "commune_code", "address", "head_personal_id")

# Positions in a citizen row (CITIZEN_FIELDS order).
(
    PID,
    OLD_ID,
    FULL_NAME,
    FOLDED,
    KEY,
    BIRTH_YEAR,
    BIRTH_MONTH,
    BIRTH_DAY,
    SEX,
    ETHNICITY,
    RELIGION,
    NATIONALITY,
    BIRTH_COMMUNE,
    HOMETOWN,
    PERMANENT_COMMUNE,
    PERMANENT_ADDRESS,
    TEMPORARY_COMMUNE,
    TEMPORARY_ADDRESS,
    CURRENT_COMMUNE,
    CURRENT_ADDRESS,
    HOUSEHOLD,
    RELATIONSHIP,
    FATHER,
    MOTHER,
    SPOUSE,
    PHONE,
    EMAIL,
    STATUS,
    DATE_OF_DEATH,
) = range(len(CITIZEN_FIELDS))
# Positions in a household row.
HH_CODE, HH_COMMUNE, HH_ADDRESS, HH_HEAD = range(len(HOUSEHOLD_FIELDS))
