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
        }
    ),
    # Inspectors read the audit log and nothing else.
    "auditor": frozenset({AUDIT_READ}),
    "admin": frozenset({USERS_MANAGE, OIDC_MANAGE}),
}

ALL_PERMISSIONS: frozenset[str] = frozenset().union(*ROLES.values())
