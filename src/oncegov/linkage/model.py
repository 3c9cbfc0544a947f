"""The probabilistic linkage model: Splink (Fellegi–Sunter) on DuckDB, settings as versioned data.

``settings/<source>.json`` is the single description of a source's model: its version, the
probability bands, the blocking rules, the comparisons (as levels of Splink's comparison-level
library or portable SQL conditions) with starting m/u values, the prior and how to train.
``splink_settings`` turns it into a backend-agnostic ``SettingsCreator`` (the same settings run
on Splink's Spark backend); ``run_model`` trains and predicts on DuckDB in this process.

Training: u from random sampling, m by expectation maximisation over the sessions the settings
name, the prior from the expected match rate per extract record. On small inputs (or when a
training step cannot run) the starting values of the settings are used.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
import sqlglot
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_analysis import count_comparisons_from_blocking_rules
from splink.blocking_rule_library import CustomRule

from oncegov.errors import NotFound, ValidationFailed
from oncegov.linkage.features import COLUMNS
from oncegov.linkage.quality import QualitySettings
from oncegov.translatable import N_

log = logging.getLogger(__name__)

SETTINGS_DIR = Path(__file__).parent / "settings"
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
LEVEL_KINDS = frozenset(
    {"null", "exact", "damerau_levenshtein", "levenshtein", "jaro_winkler", "sql", "else"}
)
REGISTRY = "registry"
EXTRACT = "extract"

ProgressCallback = Callable[[str, int, int], None]


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Probability bands: ``>= auto_link`` auto-link, ``>= review`` clerical review, else no
    match; candidates below ``keep`` are dropped."""

    auto_link: float
    review: float
    keep: float


@dataclass(frozen=True)
class LinkageSettings:
    source: str
    version: str
    thresholds: Thresholds
    spec: dict[str, Any]  # the raw json
    # The held-out measure from officers' decisions (``linkage.quality``); a file without the
    # block gets the defaults of ``QualitySettings``.
    quality: QualitySettings = field(default_factory=QualitySettings)


def _invalid(key: str, message: str = "", **params: Any) -> ValidationFailed:
    return ValidationFailed(
        message or N_("The linkage settings have a missing or malformed value"),
        field=key,
        code="bad_linkage_settings",
        **params,
    )


def _probability(spec: dict[str, Any], key: str, path: str) -> float:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _invalid(f"{path}.{key}")
    return float(value)


def _check_rule(rule: Any, key: str) -> None:
    if not isinstance(rule, dict):
        raise _invalid(key)
    if "on" in rule:
        on = rule["on"]
        if not isinstance(on, list) or not on or not all(c in COLUMNS for c in on):
            raise _invalid(f"{key}.on")
    elif not isinstance(rule.get("sql"), str) or not rule["sql"].strip():
        raise _invalid(key)


def _check_level(level: Any, key: str) -> None:
    if not isinstance(level, dict) or level.get("kind") not in LEVEL_KINDS:
        raise _invalid(f"{key}.kind")
    kind = level["kind"]
    if kind == "sql":
        if not isinstance(level.get("sql"), str) or not level["sql"].strip():
            raise _invalid(f"{key}.sql")
    elif kind != "else" and level.get("column") not in COLUMNS:
        raise _invalid(f"{key}.column")
    if kind in ("damerau_levenshtein", "levenshtein") and not isinstance(level.get("max"), int):
        raise _invalid(f"{key}.max")
    if kind == "jaro_winkler" and not isinstance(level.get("min"), int | float):
        raise _invalid(f"{key}.min")
    if "tf_column" in level and level["tf_column"] not in COLUMNS:
        raise _invalid(f"{key}.tf_column")
    for prob in ("m", "u", "m_floor"):
        if prob in level:
            _probability(level, prob, key)


def _check_safety(safety: Any) -> None:
    if not isinstance(safety, dict):
        raise _invalid("safety")
    size = safety.get("population_size", 1)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise _invalid("safety.population_size")
    for key in ("max_expected_namesakes", "absent_prior_weight"):
        value = safety.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise _invalid(f"safety.{key}")


def _count(spec: dict[str, Any], key: str, path: str) -> int:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(f"{path}.{key}")
    return value


def _quality(spec: dict[str, Any]) -> QualitySettings:
    block = spec.get("quality")
    if block is None:
        return QualitySettings()
    if not isinstance(block, dict):
        raise _invalid("quality")
    values = asdict(QualitySettings())
    unknown = sorted(set(block) - set(values) - {"note"})
    if unknown:  # a misspelt key would silently leave its default in force
        raise _invalid(f"quality.{unknown[0]}")
    values.update(block)
    return QualitySettings(
        sample_rate=_probability(values, "sample_rate", "quality"),
        sample_max=_count(values, "sample_max", "quality"),
        min_precision=_probability(values, "min_precision", "quality"),
        min_labels=_count(values, "min_labels", "quality"),
    )


def _validate(spec: Any, source: str) -> LinkageSettings:
    if not isinstance(spec, dict):
        raise _invalid("file")
    version = spec.get("version")
    if not isinstance(version, str) or not version.strip():
        raise _invalid("version")
    bands = spec.get("thresholds")
    if not isinstance(bands, dict):
        raise _invalid("thresholds")
    thresholds = Thresholds(
        auto_link=_probability(bands, "auto_link", "thresholds"),
        review=_probability(bands, "review", "thresholds"),
        keep=_probability(bands, "keep", "thresholds"),
    )
    if not thresholds.keep <= thresholds.review <= thresholds.auto_link:
        raise _invalid("thresholds", N_("The thresholds must satisfy keep ≤ review ≤ auto_link"))
    rules = spec.get("blocking_rules")
    if not isinstance(rules, list) or not rules:
        raise _invalid("blocking_rules")
    for i, rule in enumerate(rules):
        _check_rule(rule, f"blocking_rules[{i}]")
    comparisons = spec.get("comparisons")
    if not isinstance(comparisons, list) or not comparisons:
        raise _invalid("comparisons")
    outputs: set[str] = set()
    for i, comparison in enumerate(comparisons):
        key = f"comparisons[{i}]"
        if not isinstance(comparison, dict):
            raise _invalid(key)
        output = comparison.get("output")
        if not isinstance(output, str) or not output or output in outputs:
            raise _invalid(f"{key}.output")
        outputs.add(output)
        levels = comparison.get("levels")
        if not isinstance(levels, list) or len(levels) < 2:
            raise _invalid(f"{key}.levels")
        for j, level in enumerate(levels):
            _check_level(level, f"{key}.levels[{j}]")
    prior = spec.get("prior", {})
    if not isinstance(prior, dict):
        raise _invalid("prior")
    if "match_rate" in prior:
        _probability(prior, "match_rate", "prior")
    for key in ("registry_size", "min_registry_size"):
        if key in prior and (isinstance(prior[key], bool) or not isinstance(prior[key], int)):
            raise _invalid(f"prior.{key}")
    _check_safety(spec.get("safety", {}))
    training = spec.get("training", {})
    if not isinstance(training, dict):
        raise _invalid("training")
    for i, rule in enumerate(training.get("em_sessions", [])):
        _check_rule(rule, f"training.em_sessions[{i}]")
    return LinkageSettings(
        source=source,
        version=version,
        thresholds=thresholds,
        spec=spec,
        quality=_quality(spec),
    )


def load_settings(source: str) -> LinkageSettings:
    """The settings of ``source`` (``settings/<source>.json``)."""
    path = SETTINGS_DIR / f"{source}.json"
    if not _SOURCE_NAME.fullmatch(source) or not path.is_file():
        raise NotFound(N_("No linkage settings for this source"), field="source", source=source)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid(
            "file", N_("The linkage settings are not valid JSON"), detail=str(exc)
        ) from exc
    return _validate(spec, source)


def with_match_rate(settings: LinkageSettings, match_rate: float) -> LinkageSettings:
    """The same settings with the prior's expected match rate set (estimated per extract:
    the share of its people the registry holds)."""
    spec = copy.deepcopy(settings.spec)
    spec.setdefault("prior", {})["match_rate"] = min(max(match_rate, 0.0), 1.0)
    return LinkageSettings(settings.source, settings.version, settings.thresholds, spec)


def parse_settings(spec: Any, source: str) -> LinkageSettings:
    """Settings from already-parsed JSON (validated like ``load_settings``)."""
    return _validate(spec, source)


def _level(level: dict[str, Any]) -> Any:
    kind = level["kind"]
    creator: Any
    if kind == "null":
        creator = cll.NullLevel(level["column"])
    elif kind == "exact":
        creator = cll.ExactMatchLevel(level["column"])
    elif kind == "damerau_levenshtein":
        creator = cll.DamerauLevenshteinLevel(level["column"], level["max"])
    elif kind == "levenshtein":
        creator = cll.LevenshteinLevel(level["column"], level["max"])
    elif kind == "jaro_winkler":
        creator = cll.JaroWinklerLevel(level["column"], level["min"])
    elif kind == "sql":
        # Portable SQL; written as DuckDB, translated by sqlglot for other backends.
        creator = cll.CustomLevel(level["sql"], base_dialect_str="duckdb")
    else:
        creator = cll.ElseLevel()
    options: dict[str, Any] = {}
    if "label" in level:
        options["label_for_charts"] = level["label"]
    if "m" in level:
        options["m_probability"] = level["m"]
    if "u" in level:
        options["u_probability"] = level["u"]
    if level.get("fix_m"):
        options["fix_m_probability"] = True
    if level.get("fix_u"):
        options["fix_u_probability"] = True
    if "tf_column" in level:
        options["tf_adjustment_column"] = level["tf_column"]
        options["tf_adjustment_weight"] = float(level.get("tf_weight", 1.0))
        options["tf_minimum_u_value"] = float(level.get("tf_minimum_u", 1e-7))
    if options:
        creator.configure(**options)
    return creator


def _rule(rule: dict[str, Any]) -> Any:
    if "on" in rule:
        return block_on(*rule["on"])
    return CustomRule(rule["sql"], sql_dialect="duckdb")


def _prior(settings: LinkageSettings, registry_size: int | None = None) -> float:
    prior = settings.spec.get("prior", {})
    if "probability_two_random_records_match" in prior:
        return float(prior["probability_two_random_records_match"])
    size = max(
        registry_size or int(prior.get("registry_size", 1_000_000)),
        int(prior.get("min_registry_size", 1)),
    )
    return min(0.5, float(prior.get("match_rate", 0.95)) / max(size, 1))


def splink_settings(
    settings: LinkageSettings, *, registry_size: int | None = None
) -> SettingsCreator:
    """The Splink settings (link_only, backend-agnostic) the JSON describes. The prior is the
    expected match rate per record over ``registry_size`` (default: the size in the settings)."""
    comparisons: list[Any] = [
        cl.CustomComparison(
            comparison_levels=[_level(level) for level in c["levels"]],
            output_column_name=c["output"],
            comparison_description=c.get("description", c["output"]),
        )
        for c in settings.spec["comparisons"]
    ]
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[_rule(r) for r in settings.spec["blocking_rules"]],
        probability_two_random_records_match=_prior(settings, registry_size),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        max_iterations=int(settings.spec.get("training", {}).get("max_iterations", 25)),
        em_convergence=float(settings.spec.get("training", {}).get("em_convergence", 0.0001)),
    )


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    field: str  # comparison output name
    level: str  # comparison-level label
    match_weight: float  # log2 Bayes factor of that level for this pair (with tf adjustment)


@dataclass(frozen=True)
class Candidate:
    record_key: str
    personal_id: str
    probability: float
    match_weight: float
    contributions: tuple[Contribution, ...]


@dataclass
class ModelRun:
    candidates: dict[str, list[Candidate]]  # by record key, best first, probability >= keep
    pairs_compared: int
    trained_model: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)
    training: dict[str, str] = field(default_factory=dict)  # step → "trained" or why not
    pairs_by_rule: list[tuple[str, int]] = field(default_factory=list)


# --- running ----------------------------------------------------------------------------------


def _connection(spec: dict[str, Any], temp: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to ``temp`` beyond the settings' memory limit."""
    options = spec.get("duckdb", {})
    return duckdb.connect(
        ":memory:",
        config={
            "threads": int(options.get("threads", 2)),
            "memory_limit": str(options.get("memory_limit", "4GB")),
            "temp_directory": temp,
            "preserve_insertion_order": False,
        },
    )


def _train(
    linker: Linker, settings: LinkageSettings, n_registry: int, n_extract: int
) -> dict[str, str]:
    training = settings.spec.get("training", {})
    outcome: dict[str, str] = {}
    if n_registry * n_extract < int(training.get("min_pairs_for_u", 100_000)):
        # Sampling would mostly draw the true matches themselves.
        outcome["u"] = "starting values (too few pairs)"
        outcome.update(
            {
                f"em[{i}]": "starting values (too few records)"
                for i in range(len(training.get("em_sessions", [])))
            }
        )
        return outcome
    try:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=float(training.get("u_max_pairs", 5e6)),
            seed=training.get("u_seed"),
        )
        outcome["u"] = "trained"
    except Exception as exc:  # too few pairs, degenerate data: keep the starting u
        log.warning("u sampling failed, starting values kept: %s", exc)
        outcome["u"] = f"starting values ({type(exc).__name__})"
    sessions = training.get("em_sessions", [])
    if min(n_registry, n_extract) < int(training.get("min_records_for_em", 2000)):
        for i in range(len(sessions)):
            outcome[f"em[{i}]"] = "starting values (too few records)"
        return outcome
    max_pairs = training.get("em_max_pairs")
    for i, session in enumerate(sessions):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                _rule(session),
                fix_probability_two_random_records_match=True,
                max_pairs=float(max_pairs) if max_pairs else None,
            )
            outcome[f"em[{i}]"] = "trained"
        except Exception as exc:
            log.warning("EM session %s failed, starting m kept: %s", i, exc)
            outcome[f"em[{i}]"] = f"starting values ({type(exc).__name__})"
    return outcome


def _sane_model(linker: Linker, settings: LinkageSettings) -> None:
    """Put back the starting m/u of any level training left empty or not a probability, and
    raise m to the level's ``m_floor``: EM learns from this extract that (say) sex never
    differs for a true match, which would make one data-entry error fatal."""
    starting = {c["output"]: c["levels"] for c in settings.spec["comparisons"]}
    for comparison in linker._settings_obj.comparisons:
        levels = starting[comparison.output_column_name]
        for level, spec in zip(comparison.comparison_levels, levels, strict=True):
            if level.is_null_level:
                continue
            for prob in ("m", "u"):
                value = getattr(level, f"{prob}_probability")
                ok = isinstance(value, float) and 0 < value <= 1 and math.isfinite(value)
                if not ok and prob in spec:
                    setattr(level, f"{prob}_probability", spec[prob])
            floor = spec.get("m_floor")
            if floor is not None and (level.m_probability or 0.0) < floor:
                level.m_probability = floor


def _levels(linker: Linker) -> dict[str, dict[int, str]]:
    labels: dict[str, dict[int, str]] = {}
    for comparison in linker._settings_obj.comparisons:
        labels[comparison.output_column_name] = {
            level.comparison_vector_value: level.label_for_charts
            for level in comparison.comparison_levels
        }
    return labels


def _pairs(
    linker: Linker, settings: LinkageSettings, frames: list[Any]
) -> tuple[int, list[tuple[str, int]]]:
    counts = count_comparisons_from_blocking_rules(
        frames,
        blocking_rules=[_rule(r) for r in settings.spec["blocking_rules"]],
        link_type="link_only",
        unique_id_column_name="unique_id",
        record_sample_proportion=1.0,
    )
    by_rule = [(str(c["blocking_rule"]), int(c["marginal_comparison_count"])) for c in counts]
    return sum(n for _, n in by_rule), by_rule


def run_model(
    registry: pa.Table,
    extract: pa.Table,
    settings: LinkageSettings,
    *,
    on_progress: ProgressCallback | None = None,
    count_pairs: bool = True,
) -> ModelRun:
    """Train on ``registry`` × ``extract`` and score the blocked pairs; candidates per record."""
    progress = on_progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    creator = splink_settings(settings, registry_size=registry.num_rows)
    if extract.num_rows == 0 or registry.num_rows == 0:
        return ModelRun(
            candidates={},
            pairs_compared=0,
            trained_model=creator.create_settings_dict("duckdb"),
            seconds={"prepare": 0.0, "train": 0.0, "predict": 0.0},
        )
    seconds: dict[str, float] = {}
    stages = ("prepare", "train", "predict", "collect")
    progress("prepare", 0, len(stages))
    spill = tempfile.TemporaryDirectory(prefix="oncegov-linkage-")
    con = _connection(settings.spec, spill.name)
    try:
        db_api = DuckDBAPI(connection=con)
        frames = [
            db_api.register(registry.select(list(COLUMNS)), dataset_display_name=REGISTRY),
            db_api.register(extract.select(list(COLUMNS)), dataset_display_name=EXTRACT),
        ]
        # Splink's own warnings (levels not observed in training…) are summed up in
        # ``ModelRun.training``; keep them off the console of the CLI.
        linker = Linker(frames, creator, log_level=logging.ERROR)
        seconds["prepare"] = time.perf_counter() - started

        progress("train", 1, len(stages))
        mark = time.perf_counter()
        outcome = _train(linker, settings, registry.num_rows, extract.num_rows)
        _sane_model(linker, settings)
        seconds["train"] = time.perf_counter() - mark

        progress("predict", 2, len(stages))
        mark = time.perf_counter()
        predictions = linker.inference.predict(
            threshold_match_probability=settings.thresholds.keep, warning_mode="never"
        )
        seconds["predict"] = time.perf_counter() - mark

        progress("collect", 3, len(stages))
        mark = time.perf_counter()
        candidates = _collect(con, predictions.physical_name, linker, settings)
        pairs, by_rule = _pairs(linker, settings, frames) if count_pairs else (-1, [])
        trained = linker.misc.save_model_to_json()
        seconds["collect"] = time.perf_counter() - mark
        progress("collect", len(stages), len(stages))
    finally:
        con.close()
        spill.cleanup()
    seconds["total"] = time.perf_counter() - started
    return ModelRun(
        candidates=candidates,
        pairs_compared=pairs,
        trained_model=trained,
        seconds=seconds,
        training=outcome,
        pairs_by_rule=by_rule,
    )


def _collect(
    con: duckdb.DuckDBPyConnection, table: str, linker: Linker, settings: LinkageSettings
) -> dict[str, list[Candidate]]:
    labels = _levels(linker)
    outputs = list(labels)
    tf_outputs = {
        c.output_column_name for c in linker._settings_obj.comparisons if c._has_tf_adjustments
    }
    limit = int(settings.spec.get("max_candidates", 5))
    parts = []
    for name in outputs:
        parts.append(f'"gamma_{name}"')
        tf = f' + coalesce("mw_tf_adj_{name}", 0)' if name in tf_outputs else ""
        parts.append(f'coalesce("mw_{name}", 0){tf} AS "w_{name}"')
    # link_only between two datasets: the registry may sit on either side of a pair.
    sql = f"""
        WITH p AS (
            SELECT
                CASE WHEN source_dataset_l = '{EXTRACT}' THEN unique_id_l ELSE unique_id_r END
                    AS record_key,
                CASE WHEN source_dataset_l = '{EXTRACT}' THEN unique_id_r ELSE unique_id_l END
                    AS personal_id,
                match_probability, match_weight, {", ".join(parts)}
            FROM {table}
        )
        SELECT * FROM p
        QUALIFY row_number() OVER (
            PARTITION BY record_key ORDER BY match_weight DESC, personal_id
        ) <= {limit}
        ORDER BY record_key, match_weight DESC, personal_id
    """  # noqa: S608 - names come from the validated settings, not from input
    rows = con.sql(sql).to_arrow_table().to_pylist()
    candidates: dict[str, list[Candidate]] = {}
    for row in rows:
        contributions = tuple(
            Contribution(
                field=name,
                level=labels[name].get(int(row[f"gamma_{name}"]), str(row[f"gamma_{name}"])),
                match_weight=float(row[f"w_{name}"]),
            )
            for name in outputs
        )
        candidates.setdefault(row["record_key"], []).append(
            Candidate(
                record_key=row["record_key"],
                personal_id=row["personal_id"],
                probability=float(row["match_probability"]),
                match_weight=float(row["match_weight"]),
                contributions=contributions,
            )
        )
    return candidates


# --- other backends (Spark at national scale: docs/operations.md) ------------------------------


def train(
    linker: Linker, settings: LinkageSettings, registry_size: int, extract_size: int
) -> dict[str, str]:
    """Train a Linker on any backend with the settings' steps (u sampling, the EM sessions,
    then the m floors), as ``run_model`` does; returns each step's outcome ("trained" or why
    the starting values stand). A job on another backend must check every step trained."""
    outcome = _train(linker, settings, registry_size, extract_size)
    _sane_model(linker, settings)
    return outcome


def prior(settings: LinkageSettings, registry_size: int) -> float:
    """The probability that two random records match, for a registry of this size."""
    return _prior(settings, registry_size)


def trained_model_for(trained: dict[str, Any], dialect: str) -> dict[str, Any]:
    """A run's stored model (Splink's model JSON, written by DuckDB) with its SQL translated
    to ``dialect`` (e.g. ``"spark"``).

    Splink does not translate a saved model: DuckDB quotes identifiers with ``"…"``, which
    Spark reads as string literals, so the JSON as stored either fails or, worse, silently
    finds no pairs on Spark. sqlglot (Splink's own translator) rewrites every blocking rule
    and level condition."""
    source = str(trained.get("sql_dialect", "duckdb"))

    def translated(sql: str) -> str:
        return str(sqlglot.transpile(sql, read=source, write=dialect)[0])

    model = copy.deepcopy(trained)
    model["sql_dialect"] = dialect
    for rule in model.get("blocking_rules_to_generate_predictions", []):
        rule["blocking_rule"] = translated(rule["blocking_rule"])
        rule["sql_dialect"] = dialect
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            condition = str(level.get("sql_condition", ""))
            if condition.strip().upper() != "ELSE":
                level["sql_condition"] = translated(condition)
    return model
