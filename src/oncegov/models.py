"""Imports every domain's models so metadata is complete (Alembic, tests)."""

from oncegov.audit import models as audit_models
from oncegov.auth import models as auth_models
from oncegov.db import Base
from oncegov.health import models as health_models
from oncegov.identity.accounts import models as eid_models
from oncegov.identity.cards import models as id_card_models
from oncegov.identity.oidc import models as oidc_models
from oncegov.integrations import models as integration_models
from oncegov.linkage import models as linkage_models
from oncegov.procedures.calendar import models as calendar_models
from oncegov.procedures.catalogue import models as procedure_models
from oncegov.procedures.dossiers import models as dossier_models
from oncegov.procedures.portal import models as portal_models
from oncegov.ratelimit import models as ratelimit_models
from oncegov.registry import models as registry_models
from oncegov.registry.bulk import models as bulk_models
from oncegov.registry.corrections import models as correction_models
from oncegov.registry.quality import models as quality_models
from oncegov.units import models as unit_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "auth_models",
    "bulk_models",
    "calendar_models",
    "correction_models",
    "dossier_models",
    "eid_models",
    "health_models",
    "id_card_models",
    "integration_models",
    "linkage_models",
    "metadata",
    "oidc_models",
    "portal_models",
    "procedure_models",
    "quality_models",
    "ratelimit_models",
    "registry_models",
    "unit_models",
]
