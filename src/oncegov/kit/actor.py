"""Who is acting: passed to every service that reads or changes a citizen's data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # officer | citizen | service | system
    id: str
    name: str
    agency: str | None = None
    channel: str = "web"  # web | api | cli | job

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def system(cls, name: str, channel: str = "cli") -> Actor:
        return cls(kind="system", id=name, name=name, channel=channel)
