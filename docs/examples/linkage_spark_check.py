"""Do the social-insurance Splink settings run unchanged on Splink's Spark backend?

Run in a separate virtualenv that has pyspark (not the project's .venv; docs/operations.md says how). Kept as the record of how the Spark route was checked; not part of the test suite:

    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/work/main/src \
        /tmp/sparkenv/bin/python docs/examples/linkage_spark_check.py --registry 5000 --extract 1000

Builds a synthetic registry and a partly corrupted extract (as tests/linkage/test_model.py
does), makes the feature frames with ``features.registry_frame``/``extract_frame`` and then:

A. DuckDB: ``model.run_model`` (the reference).
B. Spark, same settings: ``Linker(spark frames, model.splink_settings(...))``, the same training
   steps (``model._train`` + ``model._sane_model``), predict at ``thresholds.keep``.
C. Spark, DuckDB-trained: a Spark Linker built from ``ModelRun.trained_model`` (the JSON stored
   in ``linkage_runs.settings["trained_model"]``), predict only.

and compares B and C with A: top candidate per record, candidate lists, match_probability.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from oncegov.demo.names import KINH, TAY, NamingStyle
from oncegov.kit.text import fold
from oncegov.linkage import model
from oncegov.linkage.extract import SectorRecord
from oncegov.linkage.features import COLUMNS, SCHEMA, commune_index, extract_frame, registry_frame
from oncegov.linkage.rules import RegistryPerson

COMMUNES = [
    ("01273", "Phường Thục Phán"),
    ("01279", "Phường Nùng Trí Cao"),
    ("01321", "Xã Hòa An"),
    ("01324", "Xã Trùng Khánh"),
    ("01330", "Xã Nguyên Bình"),
]
COMMUNE_NAMES = dict(COMMUNES)
INDEX = commune_index(COMMUNES)


# --- synthetic inputs (as tests/linkage/test_model.py) ----------------------------------------


def _pick(table: tuple[tuple[str, str], ...], rng: random.Random) -> str:
    return table[int(rng.random() * len(table))][0]


def _person(i: int, rng: random.Random) -> RegistryPerson:
    style: NamingStyle = TAY if rng.random() < 0.7 else KINH
    sex = rng.choice("MF")
    middle = style.middle_male if sex == "M" else style.middle_female
    given = style.given_male if sex == "M" else style.given_female
    name = f"{_pick(style.families, rng)} {_pick(middle, rng)} {_pick(given, rng)}"
    return RegistryPerson(
        personal_id=f"004{i:09d}",
        full_name=name,
        birth_year=rng.randint(1945, 2012),
        birth_month=rng.randint(1, 12),
        birth_day=rng.randint(1, 28),
        sex=sex,
        old_id_number=f"08{i:07d}" if rng.random() < 0.4 else None,
        commune_code=rng.choice(COMMUNES)[0],
        phone=f"09{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.6 else None,
    )


def _registry(n: int) -> list[RegistryPerson]:
    rng = random.Random(11)
    people = [_person(i, rng) for i in range(n)]
    twin = replace(
        people[0],
        personal_id="004999999999",
        commune_code="01330" if people[0].commune_code != "01330" else "01273",
        phone="0900000001",
        old_id_number=None,
    )
    people[0] = replace(people[0], phone="0900000000")
    return [*people, twin]


def _record(key: str, person: RegistryPerson, **changes: object) -> SectorRecord:
    base: dict[str, object] = {
        "record_key": key,
        "full_name": person.full_name,
        "date_of_birth_text": None,
        "birth_year": person.birth_year,
        "birth_month": person.birth_month,
        "birth_day": person.birth_day,
        "sex": person.sex,
        "address": f"{COMMUNE_NAMES[person.commune_code or '01273']}, Cao Bằng",
        "old_id_number": None,
        "personal_id": None,
        "phone": person.phone,
    }
    base.update(changes)
    return SectorRecord(**base)  # type: ignore[arg-type]


def _corrupted(index: int, person: RegistryPerson) -> tuple[str, SectorRecord]:
    key = f"R{index:05d}"
    kind = ("clean", "no_diacritics", "typo", "given_first", "swapped", "year_only")[index % 6]
    tokens = person.full_name.split()
    if kind == "no_diacritics":
        return kind, _record(key, person, full_name=fold(person.full_name).title())
    if kind == "typo":
        tokens[1] = tokens[1][:-1]
        return kind, _record(key, person, full_name=" ".join(tokens))
    if kind == "given_first":
        return kind, _record(key, person, full_name=" ".join([tokens[-1], *tokens[:-1]]))
    if kind == "swapped" and (person.birth_day or 0) <= 12 and person.birth_day != person.birth_month:
        return kind, _record(
            key, person, birth_month=person.birth_day, birth_day=person.birth_month
        )
    if kind == "year_only":
        return kind, _record(key, person, birth_month=None, birth_day=None)
    return "clean", _record(key, person)


def _extract(registry: list[RegistryPerson], n: int) -> tuple[list[SectorRecord], dict[str, str | None]]:
    rng = random.Random(5)
    drawn = rng.sample(registry[1:-1], n)
    records: list[SectorRecord] = []
    truth: dict[str, str | None] = {}
    for i, person in enumerate(drawn):
        _, record = _corrupted(i, person)
        records.append(record)
        truth[record.record_key] = person.personal_id
    records.append(_record("TWIN", registry[0]))
    truth["TWIN"] = registry[0].personal_id
    for j, name in enumerate(("Sầm Thị Xuyến Khuê", "Vương Đình Triệu Long", "Ma Seo Chứ")):
        stranger = RegistryPerson(f"absent{j}", name, 1931 + j, 2, 3, "F", None, "01273")
        records.append(_record(f"STRANGER{j}", stranger, phone=None))
        truth[f"STRANGER{j}"] = None
    return records, truth


# --- Spark ------------------------------------------------------------------------------------


def spark_session(partitions: int, checkpoint_dir: str) -> Any:
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("oncegov-linkage-check")
        .config("spark.driver.memory", "2g")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setCheckpointDir(checkpoint_dir)  # break_lineage_method="parquet"
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_frame(spark: Any, table: Any) -> Any:
    """A Spark DataFrame with the feature schema (no pandas needed)."""
    from pyspark.sql.types import IntegerType, StringType, StructField, StructType

    fields = [
        StructField(f.name, IntegerType() if str(f.type) == "int32" else StringType(), True)
        for f in SCHEMA
    ]
    return spark.createDataFrame(table.select(list(COLUMNS)).to_pylist(), StructType(fields))


def spark_api(spark: Any, partitions: int) -> Any:
    from splink import SparkAPI

    return SparkAPI(
        spark_session=spark,
        break_lineage_method="parquet",
        num_partitions_on_repartition=partitions,
    )


def spark_top(spark: Any, physical_name: str, limit: int) -> dict[str, list[tuple[str, float, float]]]:
    """Candidates per extract record, best first (Spark SQL, the equivalent of model._collect)."""
    sql = f"""
        SELECT record_key, personal_id, match_probability, match_weight FROM (
            SELECT *, row_number() OVER (
                PARTITION BY record_key ORDER BY match_weight DESC, personal_id) AS rn
            FROM (
                SELECT
                    CASE WHEN source_dataset_l = '{model.EXTRACT}' THEN unique_id_l
                         ELSE unique_id_r END AS record_key,
                    CASE WHEN source_dataset_l = '{model.EXTRACT}' THEN unique_id_r
                         ELSE unique_id_l END AS personal_id,
                    match_probability, match_weight
                FROM {physical_name}
            ) p
        ) q WHERE rn <= {limit}
        ORDER BY record_key, match_weight DESC, personal_id
    """
    out: dict[str, list[tuple[str, float, float]]] = {}
    for row in spark.sql(sql).collect():
        out.setdefault(row["record_key"], []).append(
            (row["personal_id"], float(row["match_probability"]), float(row["match_weight"]))
        )
    return out


def duck_top(run: model.ModelRun) -> dict[str, list[tuple[str, float, float]]]:
    return {
        key: [(c.personal_id, c.probability, c.match_weight) for c in cands]
        for key, cands in run.candidates.items()
    }


def compare(
    ref: dict[str, list[tuple[str, float, float]]],
    other: dict[str, list[tuple[str, float, float]]],
    truth: dict[str, str | None],
) -> dict[str, Any]:
    keys = sorted(set(ref) | set(other))
    same_top = sum(
        1 for k in keys if ref.get(k) and other.get(k) and ref[k][0][0] == other[k][0][0]
    )
    same_list = sum(
        1 for k in keys if [c[0] for c in ref.get(k, [])] == [c[0] for c in other.get(k, [])]
    )
    diffs = []
    w_diffs = []
    for k in keys:
        a = {c[0]: c for c in ref.get(k, [])}
        b = {c[0]: c for c in other.get(k, [])}
        for pid in set(a) & set(b):
            diffs.append(abs(a[pid][1] - b[pid][1]))
            w_diffs.append(abs(a[pid][2] - b[pid][2]))
    top_diffs = [
        abs(ref[k][0][1] - other[k][0][1])
        for k in keys
        if ref.get(k) and other.get(k) and ref[k][0][0] == other[k][0][0]
    ]

    def accuracy(c: dict[str, list[tuple[str, float, float]]]) -> float:
        matched = [k for k, v in truth.items() if v is not None]
        return sum(1 for k in matched if c.get(k) and c[k][0][0] == truth[k]) / len(matched)

    return {
        "records_with_candidates": [len(ref), len(other)],
        "records_compared": len(keys),
        "top_candidate_agreement": same_top / len(keys) if keys else math.nan,
        "candidate_list_agreement": same_list / len(keys) if keys else math.nan,
        "common_pairs": len(diffs),
        "max_abs_diff_match_probability_top": max(top_diffs, default=0.0),
        "max_abs_diff_match_probability_all_common_pairs": max(diffs, default=0.0),
        "max_abs_diff_match_weight_all_common_pairs": max(w_diffs, default=0.0),
        "true_match_top1_accuracy": [accuracy(ref), accuracy(other)],
    }


def params(trained: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    out = {}
    for c in trained["comparisons"]:
        for level in c["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            label = f'{c["output_column_name"]}: {level.get("label_for_charts")}'
            out[label] = (level.get("m_probability"), level.get("u_probability"))
    return out



def transpiled_model(trained: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The Splink model JSON with its SQL (written by DuckDB) rewritten for ``dialect``."""
    import sqlglot

    out = json.loads(json.dumps(trained))
    out["sql_dialect"] = dialect

    def tr(sql: str) -> str:
        return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]

    for rule in out["blocking_rules_to_generate_predictions"]:
        rule["blocking_rule"] = tr(rule["blocking_rule"])
        rule["sql_dialect"] = dialect
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level["sql_condition"].strip().upper() != "ELSE":
                level["sql_condition"] = tr(level["sql_condition"])
    return out


def without_tf(trained: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(trained))
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.pop("tf_adjustment_column", None)
    return out


def apply_parameters(linker: Any, trained: dict[str, Any]) -> None:
    """Put the m/u values and prior of a stored model on a Linker built from the settings file
    (levels matched by comparison output name and level position)."""
    stored = {c["output_column_name"]: c["comparison_levels"] for c in trained["comparisons"]}
    for comparison in linker._settings_obj.comparisons:
        levels = stored[comparison.output_column_name]
        for level, spec in zip(comparison.comparison_levels, levels, strict=True):
            if level.is_null_level:
                continue
            for prob in ("m_probability", "u_probability"):
                if spec.get(prob) is not None:
                    setattr(level, prob, spec[prob])
    linker._settings_obj._probability_two_random_records_match = trained[
        "probability_two_random_records_match"
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--registry", type=int, default=5000)
    parser.add_argument("--extract", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--out", default="/tmp/spark_check_result.json")
    parser.add_argument("--parquet", default="", help="write features here, read with Spark")
    parser.add_argument("--skip", default="", help="comma list of B,C to skip")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result: dict[str, Any] = {"args": vars(args)}

    settings = model.load_settings("social-insurance")
    registry_people = _registry(args.registry)
    records, truth = _extract(registry_people, args.extract)
    t = time.perf_counter()
    registry = registry_frame(registry_people)
    extract = extract_frame(records, INDEX)
    result["features_seconds"] = time.perf_counter() - t
    print(f"registry {registry.num_rows} rows, extract {extract.num_rows} rows", flush=True)

    # The Spark SQL the settings become (sqlglot transpile from the DuckDB-written SQL).
    spark_dict = model.splink_settings(settings, registry_size=registry.num_rows).create_settings_dict("spark")
    result["spark_sql"] = {
        "blocking_rules": [b["blocking_rule"] for b in spark_dict["blocking_rules_to_generate_predictions"]],
        "levels": [
            f'{c["output_column_name"]}: {lv["sql_condition"]}'
            for c in spark_dict["comparisons"]
            for lv in c["comparison_levels"]
        ],
    }

    # A. DuckDB reference.
    t = time.perf_counter()
    run = model.run_model(registry, extract, settings)
    result["A_duckdb"] = {
        "wall_seconds": time.perf_counter() - t,
        "seconds": run.seconds,
        "training": run.training,
        "pairs_compared": run.pairs_compared,
    }
    print("A duckdb", json.dumps(result["A_duckdb"]), flush=True)
    ref = duck_top(run)
    Path("/tmp/spark_check_trained_model.json").write_text(json.dumps(run.trained_model, indent=1))

    from splink import Linker

    checkpoint = tempfile.mkdtemp(prefix="spark-ckpt-")
    t = time.perf_counter()
    spark = spark_session(args.partitions, checkpoint)
    result["spark_version"] = spark.version
    result["spark_start_seconds"] = time.perf_counter() - t
    limit = int(settings.spec.get("max_candidates", 5))
    try:
        t = time.perf_counter()
        if args.parquet:
            # The national-scale route: features written once to Parquet, Spark reads them.
            import pyarrow.parquet as pq

            Path(args.parquet).mkdir(parents=True, exist_ok=True)
            pq.write_table(registry, f"{args.parquet}/registry.parquet")
            pq.write_table(extract, f"{args.parquet}/extract.parquet")
            reg_df = spark.read.parquet(f"{args.parquet}/registry.parquet").cache()
            ext_df = spark.read.parquet(f"{args.parquet}/extract.parquet").cache()
            result["spark_input_schema"] = reg_df.schema.simpleString()
        else:
            reg_df = spark_frame(spark, registry).cache()
            ext_df = spark_frame(spark, extract).cache()
        reg_df.count(), ext_df.count()
        result["to_spark_seconds"] = time.perf_counter() - t

        # B. Spark with the same settings and the same training sequence.
        if "B" not in args.skip:
            api = spark_api(spark, args.partitions)
            frames = [
                api.register(reg_df, dataset_display_name=model.REGISTRY),
                api.register(ext_df, dataset_display_name=model.EXTRACT),
            ]
            b: dict[str, Any] = {}
            t = time.perf_counter()
            linker = Linker(
                frames,
                model.splink_settings(settings, registry_size=registry.num_rows),
                log_level=logging.ERROR,
            )
            b["prepare_seconds"] = time.perf_counter() - t
            t = time.perf_counter()
            b["training"] = model._train(linker, settings, registry.num_rows, extract.num_rows)
            model._sane_model(linker, settings)
            b["train_seconds"] = time.perf_counter() - t
            t = time.perf_counter()
            predictions = linker.inference.predict(
                threshold_match_probability=settings.thresholds.keep, warning_mode="never"
            )
            b["predict_seconds"] = time.perf_counter() - t
            t = time.perf_counter()
            other = spark_top(spark, predictions.physical_name, limit)
            b["collect_seconds"] = time.perf_counter() - t
            try:
                t = time.perf_counter()
                pairs, _ = model._pairs(linker, settings, frames)
                b["pairs_compared"] = pairs
                b["count_pairs_seconds"] = time.perf_counter() - t
            except Exception as exc:  # report, don't stop
                b["pairs_compared"] = f"{type(exc).__name__}: {exc}"[:2000]
            trained_spark = linker.misc.save_model_to_json()
            Path("/tmp/spark_check_trained_model_spark.json").write_text(
                json.dumps(trained_spark, indent=1)
            )
            duck_p, spark_p = params(run.trained_model), params(trained_spark)
            b["max_abs_diff_m"] = max(
                abs((duck_p[k][0] or 0) - (spark_p[k][0] or 0)) for k in duck_p
            )
            b["max_abs_diff_u"] = max(
                abs((duck_p[k][1] or 0) - (spark_p[k][1] or 0)) for k in duck_p
            )
            b["compare"] = compare(ref, other, truth)
            result["B_spark_trained_on_spark"] = b
            print("B spark", json.dumps(b), flush=True)

        # C. Train on DuckDB, predict on Spark from the stored trained model (as
        #    linkage_runs.settings["trained_model"] keeps it: Splink JSON, DuckDB SQL).
        if "C" not in args.skip:
            stored = json.loads(json.dumps(run.trained_model))
            variants = {
                "C1_stored_json_as_is": lambda: stored,
                # Shows what the DuckDB quoting does on Spark once the tf check is out of the way.
                "C1b_stored_json_as_is_tf_removed": lambda: without_tf(stored),
                "C2_stored_json_transpiled": lambda: transpiled_model(stored, "spark"),
                "C3_settings_file_plus_stored_parameters": lambda: None,
            }
            for name, make in variants.items():
                for view in (model.REGISTRY, model.EXTRACT):  # views left by earlier runs
                    spark.catalog.dropTempView(view)
                api = spark_api(spark, args.partitions)
                frames = [
                    api.register(reg_df, dataset_display_name=model.REGISTRY),
                    api.register(ext_df, dataset_display_name=model.EXTRACT),
                ]
                c: dict[str, Any] = {}
                t = time.perf_counter()
                try:
                    spec = make()
                    if spec is None:
                        linker = Linker(
                            frames,
                            model.splink_settings(settings, registry_size=registry.num_rows),
                            log_level=logging.ERROR,
                        )
                        apply_parameters(linker, stored)
                    else:
                        linker = Linker(frames, spec, log_level=logging.ERROR)
                    predictions = linker.inference.predict(
                        threshold_match_probability=settings.thresholds.keep,
                        warning_mode="never",
                    )
                    c["predict_seconds"] = time.perf_counter() - t
                    other = spark_top(spark, predictions.physical_name, limit)
                    c["compare"] = compare(ref, other, truth)
                except Exception as exc:
                    c["error"] = f"{type(exc).__name__}: {exc}"[:3000]
                result[name] = c
                print(name, json.dumps(c), flush=True)
    finally:
        spark.stop()
        shutil.rmtree(checkpoint, ignore_errors=True)
    Path(args.out).write_text(json.dumps(result, indent=1, default=str))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
