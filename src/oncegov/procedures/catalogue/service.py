"""The procedure catalogue's rules: loading the YAML files into published versions, and reading
the version in force on a day. The only entry other domains use (dossiers keep the (code,
version) they were submitted under and read it back with ``procedure_version``).

Loading is idempotent: a (code, version) already stored with the same content is left as it is;
with other content it is refused (a published version is immutable: publish version N+1 with
its own ``effective_from``); a new version is added. Every valid procedure of the files is
stored; each problem is reported with its file, code and key, and stores nothing for that
procedure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from oncegov.errors import NotFound
from oncegov.kit import clock
from oncegov.kit.text import fold
from oncegov.procedures.catalogue.loader import (
    CatalogueProblem,
    LoadedProcedure,
    canonical,
    read_catalogue,
)
from oncegov.procedures.catalogue.models import ProcedureVersion
from oncegov.procedures.catalogue.repository import CatalogueRepository, VersionHeader
from oncegov.procedures.catalogue.schemas import LocalText, Procedure
from oncegov.translatable import N_

_WORD = re.compile(r"[^\W_]+")
MAX_SEARCH_WORDS = 8


@dataclass(frozen=True)
class StoredProcedure:
    """A published version with its definition."""

    code: str
    version: int
    effective_from: dt.date
    loaded_at: dt.datetime
    definition: Procedure


@dataclass
class LoadReport:
    files: int = 0
    added: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[tuple[str, int]] = field(default_factory=list)
    problems: list[CatalogueProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def content_hash(definition: dict[str, object]) -> str:
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def search_text(procedure: Procedure) -> str:
    parts = [procedure.code, procedure.name.vi, procedure.name.en]
    parts += [procedure.agency.vi, procedure.agency.en]
    if procedure.summary is not None:
        parts += [procedure.summary.vi, procedure.summary.en]
    return fold(" ".join(parts))[:2000]


def _stored(row: ProcedureVersion) -> StoredProcedure:
    return StoredProcedure(
        code=row.code,
        version=row.version,
        effective_from=row.effective_from,
        loaded_at=row.loaded_at,
        definition=Procedure.model_validate(row.definition),
    )


def load_catalogue(session: Session, directory: Path | None = None) -> LoadReport:
    """Read, validate and store the catalogue's files (the bundled ``data/`` by default)."""
    catalogue = read_catalogue(directory)
    report = LoadReport(files=catalogue.files, problems=list(catalogue.problems))
    session.info.pop(_IN_FORCE, None)  # a version added may be the one in force
    repo = CatalogueRepository(session)
    for loaded in catalogue.procedures:
        outcome = _store(repo, loaded)
        key = (loaded.procedure.code, loaded.procedure.version)
        if outcome == "added":
            report.added.append(key)
        elif outcome == "unchanged":
            report.unchanged.append(key)
        else:
            report.problems.append(outcome)
    return report


def _store(
    repo: CatalogueRepository, loaded: LoadedProcedure
) -> CatalogueProblem | Literal["added", "unchanged"]:
    p = loaded.procedure
    definition = canonical(p)
    digest = content_hash(definition)
    existing = repo.version(p.code, p.version)
    if existing is not None:
        if existing.content_hash == digest:
            return "unchanged"
        return CatalogueProblem(
            loaded.file,
            p.code,
            "version",
            f"version {p.version} is already published with other content; a published "
            f"version is immutable: publish version {p.version + 1} with its own effective_from",
        )
    for other in repo.versions_of(p.code):
        earlier = other.version < p.version
        if other.effective_from == p.effective_from or (
            earlier != (other.effective_from < p.effective_from)
        ):
            return CatalogueProblem(
                loaded.file,
                p.code,
                "effective_from",
                f"version {p.version} takes effect on {p.effective_from.isoformat()}; published "
                f"version {other.version} takes effect on {other.effective_from.isoformat()}: "
                "later versions must take effect later",
            )
    repo.add(
        ProcedureVersion(
            code=p.code,
            version=p.version,
            effective_from=p.effective_from,
            name_vi=p.name.vi,
            name_en=p.name.en,
            search_text=search_text(p),
            field=p.field.value,
            level=p.level,
            online_level=p.online_level,
            definition=definition,
            content_hash=digest,
            source_file=loaded.file[:200],
        )
    )
    return "added"


# Parsed definitions by content hash. A published version is immutable (``_store`` refuses
# other content under its number), so the hash names one definition for good; every dossier
# submitted reads its procedure, and parsing the definition cost more than the query.
_PARSED: dict[str, Procedure] = {}
_IN_FORCE = "oncegov.procedures.in_force"  # session.info: (code, day) -> StoredProcedure
_PARSED_MAX = 1024  # past this many (a catalogue holds a few hundred versions), start again


def _stored_header(repo: CatalogueRepository, header: VersionHeader) -> StoredProcedure:
    definition = _PARSED.get(header.content_hash)
    if definition is None:
        definition = Procedure.model_validate(repo.definition(header.id))
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[header.content_hash] = definition
    return StoredProcedure(
        code=header.code,
        version=header.version,
        effective_from=header.effective_from,
        loaded_at=header.loaded_at,
        definition=definition,
    )


@event.listens_for(Session, "after_transaction_end")
def _forget_in_force(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_IN_FORCE, None)


def procedure_as_of(session: Session, code: str, day: dt.date) -> StoredProcedure | None:
    """The version of ``code`` in force on ``day`` (None before its first version)."""
    repo = CatalogueRepository(session)
    header = repo.header_as_of(code, day)
    return None if header is None else _stored_header(repo, header)


def procedure(session: Session, code: str, day: dt.date | None = None) -> StoredProcedure:
    """The version of ``code`` in force on ``day`` (the province's today by default)."""
    # Kept for the session's transaction: a request asks for its procedure more than once
    # (the portal API checks its eID level, then submits under it).
    day = day or clock.today()
    memo: dict[tuple[str, dt.date], StoredProcedure] = session.info.setdefault(_IN_FORCE, {})
    found = memo.get((code, day))
    if found is None:
        found = procedure_as_of(session, code, day)
    if found is not None:
        memo[(code, day)] = found
    if found is None:
        raise NotFound(N_("No such procedure in the catalogue"), field="code", code_value=code)
    return found


def procedure_version(session: Session, code: str, version: int) -> StoredProcedure:
    """One published version, whatever the day (the one a dossier was submitted under)."""
    repo = CatalogueRepository(session)
    header = repo.header_of_version(code, version)
    if header is None:
        raise NotFound(N_("No such procedure in the catalogue"), field="code", code_value=code)
    return _stored_header(repo, header)


def procedure_names(
    session: Session, versions: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], LocalText]:
    """The names of published versions ``(code, version)``, in one query and without reading
    their definitions; versions not in the catalogue are left out."""
    wanted = set(versions)
    rows = CatalogueRepository(session).names({code for code, _ in wanted})
    return {
        (code, version): LocalText(vi=vi, en=en)
        for code, version, vi, en in rows
        if (code, version) in wanted
    }


def search_words(query: str) -> list[str]:
    """The folded words of a search: "Đăng ký tạm trú" → ["dang", "ky", "tam", "tru"]."""
    return _WORD.findall(fold(query))[:MAX_SEARCH_WORDS]


def catalogue(
    session: Session,
    *,
    query: str = "",
    field: str | None = None,
    level: str | None = None,
    day: dt.date | None = None,
) -> list[StoredProcedure]:
    """The procedures in force on ``day`` (today by default) whose code, names, agency or
    summary hold every word of ``query`` accent-insensitively, by field and level; by name."""
    rows = CatalogueRepository(session).in_force(
        day or clock.today(), words=search_words(query), field=field, level=level
    )
    # By folded name, the same on every database (collations order "Đ" differently).
    return [_stored(row) for row in sorted(rows, key=lambda r: (fold(r.name_vi), r.code))]
