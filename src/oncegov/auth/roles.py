"""Roles and the permissions they grant. Default deny: a permission not listed is not held."""

from __future__ import annotations

REGISTRY_READ = "registry.read"
REGISTRY_WRITE = "registry.write"
QUALITY_READ = "quality.read"
QUALITY_RUN = "quality.run"
QUALITY_RESOLVE = "quality.resolve"
BULK_IMPORT = "bulk.import"
BULK_EXPORT = "bulk.export"
AUDIT_READ = "audit.read"
USERS_MANAGE = "users.manage"
ID_CARDS = "identity.cards"  # receive and process chip ID-card applications
EID_MANAGE = "identity.eid"  # verify citizens in person (level 2), lock and unlock accounts
IDENTITY_STATS = "identity.stats"  # counts of applications and accounts
OIDC_MANAGE = "oidc.manage"  # register relying parties of the OpenID Connect provider
CORRECTIONS = "registry.corrections"  # handle citizens' reports of errors in their data
# A medical facility's reception (staff or its hospital system): check one patient in at a time.
HEALTH_CHECKIN = "health.checkin"
HEALTH_STATS = "health.stats"  # check-in statistics of every facility of the province
# Decide the sector records that record linkage could not link with confidence.
LINKAGE_REVIEW = "linkage.review"
LINKAGE_REPORT = "linkage.report"  # sync rates of the sector databases (counts, no person)
# Keep the working-day calendar of the legal clock: dates declared off or working.
CALENDAR_MANAGE = "calendar.manage"
# Public-service dossiers, by the role a procedure's workflow gives each step
# (procedures.dossiers.service.ROLE_PERMISSIONS): receive and return at a service centre,
# process (verify, prepare the result), approve (decide).
DOSSIERS_RECEIVE = "dossiers.receive"
DOSSIERS_PROCESS = "dossiers.process"
DOSSIERS_APPROVE = "dossiers.approve"

ROLES: dict[str, frozenset[str]] = {
    # Commune police: the citizens of their commune.
    "commune_officer": frozenset(
        {REGISTRY_READ, REGISTRY_WRITE, QUALITY_READ, QUALITY_RESOLVE, CORRECTIONS}
    ),
    # Identity-card and eID desk at a commune or provincial police station.
    "id_card_officer": frozenset({REGISTRY_READ, ID_CARDS, EID_MANAGE, IDENTITY_STATS}),
    # Provincial police (PC06): the whole province, bulk work, running quality checks.
    "provincial_officer": frozenset(
        {
            REGISTRY_READ,
            REGISTRY_WRITE,
            QUALITY_READ,
            QUALITY_RUN,
            QUALITY_RESOLVE,
            BULK_IMPORT,
            BULK_EXPORT,
            CORRECTIONS,
            IDENTITY_STATS,
            LINKAGE_REPORT,
        }
    ),
    # Reception of one medical facility (an agency-scoped role: the scope code is the facility).
    "facility_receptionist": frozenset({HEALTH_CHECKIN}),
    # Provincial health department and social insurance: statistics, never a patient's data.
    "health_statistician": frozenset({HEALTH_STATS}),
    # Provincial police and social-insurance staff who clear the linkage review queue.
    "linkage_clerk": frozenset({LINKAGE_REVIEW, LINKAGE_REPORT}),
    # Inspectors read the audit log and nothing else.
    "auditor": frozenset({AUDIT_READ}),
    "admin": frozenset({USERS_MANAGE, OIDC_MANAGE, CALENDAR_MANAGE}),
    # Public administration service centre (Decree 118/2025/ND-CP), commune or province: the
    # one-stop desk that receives dossiers (also for citizens of other communes of the
    # province) and returns results.
    "service_centre_clerk": frozenset({DOSSIERS_RECEIVE}),
    # The specialised officer of the competent agency (commune police for residence, the
    # commune's justice-civil status officer, a provincial department) who handles a dossier.
    "dossier_handler": frozenset({DOSSIERS_PROCESS}),
    # The head who signs the decision (commune chairman, head of the commune police, director).
    "dossier_approver": frozenset({DOSSIERS_APPROVE}),
}

ALL_PERMISSIONS: frozenset[str] = frozenset().union(*ROLES.values())
