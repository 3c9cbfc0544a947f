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

ROLES: dict[str, frozenset[str]] = {
    # Commune police: the citizens of their commune.
    "commune_officer": frozenset({REGISTRY_READ, REGISTRY_WRITE, QUALITY_READ, QUALITY_RESOLVE}),
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
        }
    ),
    # Inspectors read the audit log and nothing else.
    "auditor": frozenset({AUDIT_READ}),
    "admin": frozenset({USERS_MANAGE}),
}

ALL_PERMISSIONS: frozenset[str] = frozenset().union(*ROLES.values())
