"""The unit scope: which communes' citizens a subject may see."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UnitScope:
    """Which citizens a subject may see: ``communes`` None means no unit restriction."""

    communes: frozenset[str] | None

    @property
    def unrestricted(self) -> bool:
        return self.communes is None

    def allows(self, *commune_codes: str | None) -> bool:
        if self.communes is None:
            return True
        return any(code in self.communes for code in commune_codes if code)


# No unit restriction: commands, the demo and services acting for the whole registry.
EVERYWHERE = UnitScope(None)
