"""Record linkage of a sector extract to the registry: the one entry other code calls.

A run reads the extract through its mapping, reads the registry once through the registry
service, applies the deterministic rules, scores the rest with the trained Splink model,
applies officers' earlier decisions, sorts every record into a band with the one-to-one rule
(``matching``) and stores the run, its results, the review candidates and the source's
current links, all in the caller's transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.config import settings as app_settings
from oncegov.errors import ValidationFailed
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.linkage import (
    features,
    matching,
    model,
    quality,
    safety,
    synthetic,
    synthetic_independent,
)
from oncegov.linkage.extract import (
    Extract,
    SectorRecord,
    load_mapping,
    read_extract,
    without_placeholder_dates,
)
from oncegov.linkage.models import (
    AUTO_LINK,
    CLERICAL,
    DETERMINISTIC,
    MODEL,
    NO_MATCH,
    REVIEW,
    LinkageRun,
)
from oncegov.linkage.repository import LinkageRepository
from oncegov.linkage.rules import RegistryPerson, RuleOutcome, apply_rules
from oncegov.registry import service as registry
from oncegov.registry.schemas import LinkageIdentity
from oncegov.translatable import N_
from oncegov.units import service as units

# The purpose every linkage read of the registry, and every link, is recorded under.
PURPOSE = "sector data synchronisation"
RUN_ACTION = "linkage.run"  # one entry per run: the registry was read for this extract
LINK_ACTION = "linkage.link"  # one entry per new link: the citizen sees it on their page
REVIEW_READ_ACTION = "linkage.review_read"  # an officer opened a review item's candidates

# What the no-match and review bands say about a record (linkage_results.reason).
REASONS = (
    # review
    "uncertain",  # best candidate between the review and auto-link thresholds
    "ambiguous",  # two or more candidates above the review threshold
    "conflict",  # the personal ID is claimed by another record (one-to-one)
    "name_differs",  # the record's personal ID / old ID is held by someone of another name
    "birth_differs",  # … of another birth date
    "old_id_shared",  # the old ID is held by several registry citizens
    "namesake",  # two registry people share the name and birth date, or nothing beyond
    #              name and birth date supports the link and the pair is not rare (safety)
    "twin",  # the candidate has a twin and the given name differs (safety)
    "given_name_differs",  # the given name differs and no person-level ID agrees (safety)
    "personal_id_differs",  # the record's personal ID is not the candidate's (safety)
    quality.QUALITY_SAMPLE,  # the model would auto-link it; drawn for officers to label
    # no match
    "no_candidate",  # nobody scored above the keep threshold
    "low_probability",  # the best candidate is below the review threshold
    "rejected_in_review",  # an officer rejected every candidate
    "incomplete_record",  # no name or no birth year: nothing to compare
)


# --- a run --------------------------------------------------------------------------------------

ProgressCallback = Callable[[str, int, int], None]
STAGES: dict[str, str] = {
    "extract": "Reading the extract",
    "registry": "Reading the registry",
    "rules": "Deterministic rules",
    "model": "Probabilistic model",
    "resolve": "Bands and one-to-one",
    "save": "Storing the run",
}


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run did, for the command line and the tests."""

    run_id: int
    source: str
    records: int
    linked_deterministic: int
    linked_model: int
    linked_clerical: int
    review: int
    unmatched: int
    new_links: int
    pairs_compared: int
    seconds: float
    stage_seconds: dict[str, float]
    settings_version: str
    counts: dict[str, Any]

    @property
    def linked(self) -> int:
        return self.linked_deterministic + self.linked_model + self.linked_clerical


@dataclass(frozen=True, slots=True)
class OutputRow:
    """One line of the write-back file."""

    record_key: str
    personal_id: str | None
    band: str
    probability: float | None
    method: str | None
    reason: str | None


OUTPUT_COLUMNS = ("record_key", "personal_id", "band", "probability", "method", "reason")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_input(extract_path: Path, mapping_path: Path, source: str) -> Extract:
    """The extract, read through its mapping; a mapping for another source is refused."""
    mapping = load_mapping(mapping_path)
    if mapping.source not in (source, "extract"):
        raise ValidationFailed(
            N_("The mapping file is for another source"),
            field="source",
            code="source_mismatch",
            mapping=mapping.source,
            source=source,
        )
    return without_placeholder_dates(read_extract(extract_path, mapping))


def _other_communes(row: LinkageIdentity) -> tuple[str, ...]:
    """The registered residences besides the one linkage compares."""
    places = (row.permanent_commune_code, row.temporary_commune_code)
    return tuple(dict.fromkeys(c for c in places if c and c != row.commune_code))


def _registry_people(
    session: Session,
    actor: Actor,
    source: str,
    extract: Extract,
    name: str,
    progress: ProgressCallback,
) -> tuple[int, list[RegistryPerson]]:
    total = registry.count_citizens(session)
    seq, chunks = registry.identities_for_linkage(
        session,
        actor,
        purpose=PURPOSE,
        detail={"source": source, "extract": name, "records": len(extract.records)},
    )
    people: list[RegistryPerson] = []
    progress("registry", 0, total)
    for chunk in chunks:
        people.extend(
            RegistryPerson(
                personal_id=row.personal_id,
                full_name=row.full_name,
                birth_year=row.birth_year,
                birth_month=row.birth_month,
                birth_day=row.birth_day,
                sex=row.sex,
                old_id_number=row.old_id_number,
                commune_code=row.commune_code,
                phone=row.phone,
                household_code=row.household_code,
                other_communes=_other_communes(row),
            )
            for row in chunk
        )
        progress("registry", len(people), total)
    return seq, people


def _apply_rules(
    records: Sequence[SectorRecord], people: Sequence[RegistryPerson], progress: ProgressCallback
) -> dict[str, RuleOutcome]:
    by_personal_id = {p.personal_id: p for p in people}
    by_old_id: dict[str, list[RegistryPerson]] = {}
    for person in people:
        if person.old_id_number:
            by_old_id.setdefault(person.old_id_number, []).append(person)
    outcomes: dict[str, RuleOutcome] = {}
    for index, record in enumerate(records):
        outcome = apply_rules(record, by_personal_id, by_old_id)
        if outcome is not None:
            outcomes[record.record_key] = outcome
        if index % 20_000 == 0:
            progress("rules", index, len(records))
    progress("rules", len(records), len(records))
    return outcomes


def _sector_json(record: SectorRecord) -> dict[str, Any]:
    return {
        "record_key": record.record_key,
        "full_name": record.full_name,
        "date_of_birth_text": record.date_of_birth_text,
        "birth_year": record.birth_year,
        "birth_month": record.birth_month,
        "birth_day": record.birth_day,
        "sex": record.sex,
        "address": record.address,
        "old_id_number": record.old_id_number,
        "personal_id": record.personal_id,
        "phone": record.phone,
    }


def run_linkage(
    session: Session,
    actor: Actor,
    *,
    source: str,
    extract_path: Path,
    mapping_path: Path,
    on_progress: ProgressCallback | None = None,
) -> RunSummary:
    """Link a sector extract to the registry and store the run (in the caller's transaction).

    The registry is read once through the registry service (one audit entry for the run);
    each *new* link is one audit entry with the citizen as subject, so it shows on their
    "who used my data" page."""
    progress = on_progress or (lambda stage, done, total: None)
    started_at = clock.now()
    lap_started = time.perf_counter()
    stage_seconds: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal lap_started
        now = time.perf_counter()
        stage_seconds[stage] = round(now - lap_started, 3)
        lap_started = now

    settings = model.load_settings(source)
    progress("extract", 0, 1)
    extract = read_input(extract_path, mapping_path, source)
    progress("extract", 1, 1)
    lap("extract")
    records = extract.records
    audit_seq, people = _registry_people(
        session, actor, source, extract, extract_path.name, progress
    )
    lap("registry")
    rules = _apply_rules(records, people, progress)
    lap("rules")

    repo = LinkageRepository(session)
    decided = repo.decisions(source)
    verdicts = {key: {pid: d[0] for pid, d in pairs.items()} for key, pairs in decided.items()}
    undecided = [r for r in records if _needs_model(r, rules.get(r.record_key), verdicts)]
    index = features.commune_index(
        (c.code, c.name) for c in units.communes_of_province(session, app_settings.province_code)
    )
    absent = safety.absent_share(
        records, {p.personal_id for p in people}, safety.SafetySettings.from_spec(settings.spec)
    )
    scored = _score(
        people, undecided, index, model.with_match_rate(settings, 1.0 - absent[0]), progress
    )
    stage_seconds.update(scored.seconds)
    scores, pairs_compared = scored.candidates, scored.pairs_compared
    lap("model")

    progress("resolve", 0, 1)
    current = repo.links(source)
    guard = safety.checker(people, index, settings.spec)
    del people
    extract_sha256 = _sha256(extract_path)
    measure, bands = _bands(repo, source, settings)
    outcomes = _resolve(records, rules, scores, verdicts, current, guard, bands)
    outcomes = _sample_for_review(outcomes, scores, verdicts, current, settings, extract_sha256)
    progress("resolve", 1, 1)
    lap("resolve")

    progress("save", 0, len(outcomes))
    run_row = repo.add_run(
        LinkageRun(
            source=source,
            started_at=started_at,
            finished_at=started_at,
            actor=actor.label,
            extract_name=extract_path.name,
            extract_sha256=extract_sha256,
            settings_version=settings.version,
            settings={"settings": settings.spec, "trained_model": scored.trained_model},
            records=len(records),
            counts={},
            seconds=0.0,
            audit_seq=audit_seq,
        )
    )
    new_links = _store(session, repo, run_row, records, outcomes, decided, current, index, actor)
    progress("save", len(outcomes), len(outcomes))
    lap("save")
    counts = _finish(run_row, outcomes, extract, started_at)
    counts.update(
        quality=measure.to_json(),
        absent_share=dict(zip(("estimate", "records_with_id", "absent"), absent, strict=True)),
        model_records=len(undecided),
        pairs_compared=pairs_compared,
        new_links=new_links,
        stage_seconds=stage_seconds,
    )
    run_row.counts = dict(counts)
    session.flush()
    return RunSummary(
        run_id=run_row.id,
        source=source,
        records=len(records),
        linked_deterministic=run_row.linked_deterministic,
        linked_model=run_row.linked_model,
        linked_clerical=run_row.linked_clerical,
        review=run_row.review,
        unmatched=run_row.unmatched,
        new_links=new_links,
        pairs_compared=pairs_compared,
        seconds=run_row.seconds,
        stage_seconds=stage_seconds,
        settings_version=settings.version,
        counts=counts,
    )


def _resolve(
    records: Sequence[SectorRecord],
    rules: Mapping[str, RuleOutcome],
    scores: Mapping[str, Sequence[model.Candidate]],
    verdicts: Mapping[str, Mapping[str, str]],
    current: Mapping[str, str],
    guard: safety.Checker,
    bands: matching.Bands,
) -> list[matching.Outcome]:
    """Bands, safety checks and the one-to-one rule over the whole extract."""
    in_extract = {r.record_key for r in records}
    elsewhere = {pid: key for key, pid in current.items() if key not in in_extract}
    return matching.resolve(
        records, rules, scores, verdicts, elsewhere, guard.people, bands, guard=guard
    )


def _bands(
    repo: LinkageRepository, source: str, settings: model.LinkageSettings
) -> tuple[quality.QualityEstimate, matching.Bands]:
    """The held-out measure from officers' decisions so far, and the bands it allows: the
    auto-link threshold raised past what the labels say is unsafe, or (none safe) above every
    probability, so nothing auto-links by the model."""
    measure = quality.estimate(
        repo.labelled_pairs(source),
        auto_link=settings.thresholds.auto_link,
        review=settings.thresholds.review,
        min_precision=settings.quality.min_precision,
        min_labels=settings.quality.min_labels,
    )
    auto_link = measure.effective_auto_link
    review = settings.thresholds.review
    return measure, matching.Bands(math.inf if auto_link is None else auto_link, review)


def _sample_for_review(
    outcomes: Sequence[matching.Outcome],
    scores: Mapping[str, Sequence[matching.ScoredPair]],
    verdicts: Mapping[str, Mapping[str, str]],
    current: Mapping[str, str],
    settings: model.LinkageSettings,
    seed: str,
) -> list[matching.Outcome]:
    """The quality sample of the model's *new* auto-links goes to review, so officers label
    pairs above the threshold too; drawn by the extract's sha256, so a re-run of one file
    draws the same. A link an earlier run made stays as it is (drawing it would undo it)."""
    sampled = quality.quality_sample(
        [
            o.record_key
            for o in outcomes
            if o.band == AUTO_LINK
            and o.method == MODEL
            and current.get(o.record_key) != o.personal_id
        ],
        rate=settings.quality.sample_rate,
        maximum=settings.quality.sample_max,
        seed=seed,
    )

    def open_pairs(key: str) -> list[matching.ScoredPair]:
        rejected = {pid for pid, v in verdicts.get(key, {}).items() if v == "reject"}
        return [p for p in scores[key] if p.personal_id not in rejected]

    return [
        matching.sample_to_review(o, open_pairs(o.record_key)) if o.record_key in sampled else o
        for o in outcomes
    ]


def _finish(
    run_row: LinkageRun,
    outcomes: Sequence[matching.Outcome],
    extract: Extract,
    started_at: dt.datetime,
) -> dict[str, Any]:
    """The run's counters, by method and band, and what the extract could not say."""
    methods = Counter(o.method for o in outcomes if o.linked)
    reasons = Counter(o.reason for o in outcomes if o.reason and not o.linked)
    run_row.linked_deterministic = methods[DETERMINISTIC]
    run_row.linked_model = methods[MODEL]
    run_row.linked_clerical = methods[CLERICAL]
    run_row.review = sum(1 for o in outcomes if o.band == REVIEW and not o.linked)
    run_row.unmatched = sum(1 for o in outcomes if o.band == NO_MATCH)
    run_row.finished_at = clock.now()
    run_row.seconds = round((run_row.finished_at - started_at).total_seconds(), 3)
    counts: dict[str, Any] = {
        "unparsed_dates": extract.unparsed_dates,
        "missing_dates": extract.missing_dates,
        "invalid_personal_ids": extract.invalid_personal_ids,
        "unknown_sex": extract.unknown_sex,
        "placeholder_dates": extract.placeholder_dates,
        "placeholder_days": list(extract.placeholder_days),
        "reasons": dict(sorted(reasons.items())),
    }
    run_row.counts = counts
    return counts


def _score(
    people: Sequence[RegistryPerson],
    undecided: Sequence[SectorRecord],
    index: features.CommuneIndex,
    settings: model.LinkageSettings,
    progress: ProgressCallback,
) -> model.ModelRun:
    """The model's candidates for the records no rule or decision settled."""
    if not undecided:
        return model.ModelRun(candidates={}, pairs_compared=0, trained_model={})
    progress("model", 0, 4)
    run = model.run_model(
        features.registry_frame(people),
        features.extract_frame(undecided, index),
        settings,
        on_progress=lambda stage, done, total: progress("model", done, total),
    )
    run.seconds = {f"model_{k}": round(v, 3) for k, v in run.seconds.items()}
    return run


def _needs_model(
    record: SectorRecord, rule: RuleOutcome | None, verdicts: Mapping[str, Mapping[str, str]]
) -> bool:
    """A record goes to the model unless a rule links it (to a pair nobody rejected) or an
    officer already accepted a pair for it."""
    decided = verdicts.get(record.record_key, {})
    if any(v == "accept" for v in decided.values()):
        return False
    if rule is not None and rule.personal_id is not None:
        return decided.get(rule.personal_id) == "reject"
    return bool(record.full_name.strip()) and record.birth_year is not None


def _store(
    session: Session,
    repo: LinkageRepository,
    run: LinkageRun,
    records: Sequence[SectorRecord],
    outcomes: Sequence[matching.Outcome],
    decided: Mapping[str, Mapping[str, tuple[str, str, dt.datetime]]],
    current: Mapping[str, str],
    index: features.CommuneIndex,
    actor: Actor,
) -> int:
    """Results, review candidates and the source's links; returns the number of new links."""
    plain: list[dict[str, Any]] = []
    reviewed: list[dict[str, Any]] = []
    candidates_of: dict[str, list[matching.ReviewCandidate]] = {}
    for position, (record, outcome) in enumerate(zip(records, outcomes, strict=True)):
        row: dict[str, Any] = {
            "run_id": run.id,
            "record_key": outcome.record_key,
            "position": position,
            "band": outcome.band,
            "method": outcome.method,
            "rule": outcome.rule,
            "personal_id": outcome.personal_id,
            "probability": outcome.probability,
            "reason": outcome.reason,
            "sampled": outcome.reason == quality.QUALITY_SAMPLE,
            "commune_code": index.of(record.address),
            "sector_record": None,
            "decided_at": None,
            "decided_by": None,
        }
        if outcome.method == CLERICAL and outcome.personal_id:
            _, officer, at = decided[outcome.record_key][outcome.personal_id]
            row["decided_at"], row["decided_by"] = at, officer
        if outcome.band == REVIEW:
            row["sector_record"] = _sector_json(record)
        if outcome.candidates:
            reviewed.append(row)
            candidates_of[outcome.record_key] = outcome.candidates
        else:
            plain.append(row)
    repo.add_results(plain)
    ids = repo.add_review_results(reviewed)
    repo.add_candidates(
        [
            {
                "result_id": ids[key],
                "personal_id": c.personal_id,
                "rank": rank,
                "probability": c.probability,
                "match_weight": c.match_weight,
                "contributions": list(c.contributions),
            }
            for key, candidates in candidates_of.items()
            for rank, c in enumerate(candidates, start=1)
        ]
    )
    return _sync_links(session, repo, run, outcomes, current, actor)


def _sync_links(
    session: Session,
    repo: LinkageRepository,
    run: LinkageRun,
    outcomes: Sequence[matching.Outcome],
    current: Mapping[str, str],
    actor: Actor,
) -> int:
    """The source's links follow this run for the records it holds: a changed or lost link
    is removed, a new one added and audited with the citizen as subject."""
    changed = [
        o.record_key
        for o in outcomes
        if o.record_key in current and current[o.record_key] != o.personal_id
    ]
    repo.drop_links(run.source, changed)
    new = [o for o in outcomes if o.linked and current.get(o.record_key) != o.personal_id]
    moment = clock.now()
    repo.add_links(
        [
            {
                "source": run.source,
                "record_key": o.record_key,
                "personal_id": o.personal_id,
                "method": o.method,
                "probability": o.probability,
                "run_id": run.id,
                "linked_at": moment,
            }
            for o in new
        ]
    )
    audit.record_many(
        session,
        [
            audit.PendingEntry(
                actor=actor,
                action=LINK_ACTION,
                purpose=PURPOSE,
                subject_personal_id=o.personal_id,
                detail={"source": run.source, "record_key": o.record_key, "method": o.method},
            )
            for o in new
        ],
    )
    return len(new)


def has_runs(session: Session, source: str) -> bool:
    return LinkageRepository(session).has_runs(source)


def output_rows(session: Session, run_id: int) -> list[OutputRow]:
    """The write-back file's lines, as stored (clerical decisions made since included)."""
    return [OutputRow(*row) for row in LinkageRepository(session).results(run_id)]


def write_output(rows: Iterable[OutputRow], path: Path) -> int:
    """Write the CSV atomically (a temporary file renamed into place); returns the rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.part")
    count = 0
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_COLUMNS)
        for row in rows:
            probability = "" if row.probability is None else f"{row.probability:.6f}"
            writer.writerow(
                [
                    row.record_key,
                    row.personal_id or "",
                    row.band,
                    probability,
                    row.method or "",
                    row.reason or "",
                ]
            )
            count += 1
    temporary.replace(path)
    return count


# --- labelled synthetic extracts (development, tests, the benchmark) ----------------------------

SYNTHETIC_PURPOSE = "synthetic test extract"
SYNTHETIC_MAPPING = """\
# Column mapping of a synthetic social-insurance extract (oncegov link sample-extract).
source: social-insurance
record_key: MA_SO_BHXH
full_name: HO_TEN
date_of_birth: NGAY_SINH
sex: GIOI_TINH
address: DIA_CHI
old_id_number: SO_CMND
personal_id: SO_DDCN
phone: DIEN_THOAI
sex_values: {"1": M, "0": F}
"""
SYNTHETIC_COLUMNS = (
    "MA_SO_BHXH",
    "HO_TEN",
    "NGAY_SINH",
    "GIOI_TINH",
    "DIA_CHI",
    "SO_CMND",
    "SO_DDCN",
    "DIEN_THOAI",
)


@dataclass(frozen=True, slots=True)
class SyntheticFiles:
    extract: Path
    mapping: Path
    truth: Path
    records: int


# Two generators of labelled extracts: ``own`` (``linkage.synthetic``, which the model's
# settings were tuned on) and ``independent`` (``linkage.synthetic_independent``, written apart
# from the model and never tuned on: the honest measure of how the linker does on data it has
# not seen).
GENERATORS = ("own", "independent")


@dataclass(frozen=True, slots=True)
class _ExtractLine:
    """One record of a synthetic extract as written, whichever generator made it."""

    cells: tuple[str, ...]  # in SYNTHETIC_COLUMNS order
    truth: str | None
    corruptions: tuple[str, ...]


def _living_identities(session: Session, actor: Actor, size: int) -> list[LinkageIdentity]:
    _, chunks = registry.identities_for_linkage(
        session, actor, purpose=SYNTHETIC_PURPOSE, detail={"records": size}
    )
    return [row for chunk in chunks for row in chunk if row.status == "living"]


def _registry_fields(row: LinkageIdentity, names: Mapping[str, str]) -> dict[str, Any]:
    """What both generators are given of a registry citizen."""
    return {
        "personal_id": row.personal_id,
        "full_name": row.full_name,
        "birth_year": row.birth_year,
        "birth_month": row.birth_month,
        "birth_day": row.birth_day,
        "sex": row.sex,
        "commune_name": names.get(row.commune_code or ""),
        "old_id_number": row.old_id_number,
        "phone": row.phone,
    }


def _own_lines(
    people: Sequence[LinkageIdentity], names: Mapping[str, str], size: int, seed: int
) -> list[_ExtractLine]:
    persons = [
        synthetic.Person(**_registry_fields(row, names), household_code=row.household_code)
        for row in people
    ]
    lines = []
    for r in synthetic.generate(persons, size, seed=seed):
        sex = {"M": "1", "F": "0"}.get(r.sex, "")
        cells = (r.record_key, r.full_name, r.date_of_birth, sex, r.address)
        lines.append(
            _ExtractLine((*cells, r.old_id_number, r.personal_id, r.phone), r.truth, r.corruptions)
        )
    return lines


def _independent_lines(
    people: Sequence[LinkageIdentity],
    names: Mapping[str, str],
    province: str | None,
    size: int,
    seed: int,
) -> list[_ExtractLine]:
    persons = [
        synthetic_independent.RegistryPerson(
            **_registry_fields(row, names),
            household_code=row.household_code,
            province_name=province,
        )
        for row in people
    ]
    lines = []
    for r in synthetic_independent.generate(persons, size, seed=seed):
        cells = (r.record_key, r.full_name, r.date_of_birth, r.sex, r.address)
        lines.append(
            _ExtractLine((*cells, r.old_id_number, r.personal_id, r.phone), r.truth, r.patterns)
        )
    return lines


def write_synthetic_extract(
    session: Session, actor: Actor, *, size: int, seed: int, out: Path, generator: str = "own"
) -> SyntheticFiles:
    """A labelled social-insurance extract drawn from the registry with realistic corruptions
    by one of ``GENERATORS``: the CSV, its mapping file, and a separate truth file (record
    key, the personal ID it really belongs to, empty for people not in the registry, and the
    corruptions applied). Refused in production: it is made from real people's data."""
    if app_settings.environment == "production":
        raise ValidationFailed(
            N_("Synthetic extracts are not made in production"), field="environment"
        )
    if generator not in GENERATORS:
        raise ValidationFailed(
            N_("Unknown extract generator"), field="generator", code="bad_value", value=generator
        )
    code = app_settings.province_code
    names = {c.code: c.name for c in units.communes_of_province(session, code)}
    people = _living_identities(session, actor, size)
    if generator == "own":
        lines = _own_lines(people, names, size, seed)
    else:
        province = units.province(session, code)
        province_name = province.name if province is not None else None
        lines = _independent_lines(people, names, province_name, size, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    mapping = out.with_suffix(".mapping.yaml")
    truth = out.with_suffix(".truth.csv")
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SYNTHETIC_COLUMNS)
        writer.writerows(line.cells for line in lines)
    with truth.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("record_key", "personal_id", "corruptions"))
        writer.writerows(
            (line.cells[0], line.truth or "", " ".join(line.corruptions)) for line in lines
        )
    mapping.write_text(SYNTHETIC_MAPPING, encoding="utf-8")
    return SyntheticFiles(out, mapping, truth, len(lines))
