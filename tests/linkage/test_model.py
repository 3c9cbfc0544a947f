"""The probabilistic linkage model on a small synthetic registry (no database needed)."""

from __future__ import annotations

import copy
import json
import math
import random
from dataclasses import replace
from pathlib import Path

import pytest

from oncegov.demo.names import KINH, TAY, NamingStyle
from oncegov.errors import NotFound, ValidationFailed
from oncegov.kit.text import fold
from oncegov.linkage import model
from oncegov.linkage.extract import SectorRecord
from oncegov.linkage.features import commune_index, extract_frame, registry_frame
from oncegov.linkage.model import ModelRun, load_settings, parse_settings, run_model
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
SETTINGS = load_settings("social-insurance")


def _pick(table: tuple[tuple[str, str], ...], rng: random.Random) -> str:
    return table[int(rng.random() * len(table))][0]


def _person(i: int, rng: random.Random) -> RegistryPerson:
    style: NamingStyle = TAY if rng.random() < 0.7 else KINH
    sex = rng.choice("MF")
    middle = style.middle_male if sex == "M" else style.middle_female
    given = style.given_male if sex == "M" else style.given_female
    name = f"{_pick(style.families, rng)} {_pick(middle, rng)} {_pick(given, rng)}"
    year = rng.randint(1945, 2012)
    return RegistryPerson(
        personal_id=f"004{i:09d}",
        full_name=name,
        birth_year=year,
        birth_month=rng.randint(1, 12),
        birth_day=rng.randint(1, 28),
        sex=sex,
        old_id_number=f"08{i:07d}" if rng.random() < 0.4 else None,
        commune_code=rng.choice(COMMUNES)[0],
        phone=f"09{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.6 else None,
    )


def _registry() -> list[RegistryPerson]:
    rng = random.Random(11)
    people = [_person(i, rng) for i in range(2000)]
    # Namesakes: same name and birth date, another commune and phone.
    twin = replace(
        people[0],
        personal_id="004999999999",
        commune_code="01330" if people[0].commune_code != "01330" else "01273",
        phone="0900000001",
        old_id_number=None,
    )
    people[0] = replace(people[0], phone="0900000000")
    return [*people, twin]


REGISTRY = _registry()


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


def _typo(name: str) -> str:
    tokens = name.split()
    tokens[1] = tokens[1][:-1]  # drop the last letter of the middle name
    return " ".join(tokens)


def _given_first(name: str) -> str:
    tokens = name.split()
    return " ".join([tokens[-1], *tokens[:-1]])


def _corrupted(index: int, person: RegistryPerson) -> tuple[str, SectorRecord]:
    key = f"R{index:05d}"
    kind = ("clean", "no_diacritics", "typo", "given_first", "swapped", "year_only")[index % 6]
    if kind == "no_diacritics":
        return kind, _record(key, person, full_name=fold(person.full_name).title())
    if kind == "typo":
        return kind, _record(key, person, full_name=_typo(person.full_name))
    if kind == "given_first":
        return kind, _record(key, person, full_name=_given_first(person.full_name))
    if (
        kind == "swapped"
        and (person.birth_day or 0) <= 12
        and person.birth_day != person.birth_month
    ):
        return kind, _record(
            key, person, birth_month=person.birth_day, birth_day=person.birth_month
        )
    if kind == "year_only":
        return kind, _record(key, person, birth_month=None, birth_day=None)
    return "clean", _record(key, person)


@pytest.fixture(scope="module")
def linked() -> tuple[ModelRun, dict[str, str | None], dict[str, str]]:
    rng = random.Random(5)
    drawn = rng.sample(REGISTRY[1:-1], 240)
    records: list[SectorRecord] = []
    truth: dict[str, str | None] = {}
    kinds: dict[str, str] = {}
    for i, person in enumerate(drawn):
        kind, record = _corrupted(i, person)
        records.append(record)
        truth[record.record_key] = person.personal_id
        kinds[record.record_key] = kind
    # The namesake: name and birth date of two registry people; commune and phone of one.
    records.append(_record("TWIN", REGISTRY[0]))
    truth["TWIN"], kinds["TWIN"] = REGISTRY[0].personal_id, "namesake"
    # Strangers: nobody in the registry has these names and dates.
    for j, name in enumerate(("Sầm Thị Xuyến Khuê", "Vương Đình Triệu Long", "Ma Seo Chứ")):
        stranger = RegistryPerson(f"absent{j}", name, 1931 + j, 2, 3, "F", None, "01273")
        records.append(_record(f"STRANGER{j}", stranger, phone=None))
        truth[f"STRANGER{j}"], kinds[f"STRANGER{j}"] = None, "stranger"
    run = run_model(registry_frame(REGISTRY), extract_frame(records, INDEX), SETTINGS)
    return run, truth, kinds


def test_true_match_is_the_best_candidate(
    linked: tuple[ModelRun, dict[str, str | None], dict[str, str]],
) -> None:
    run, truth, kinds = linked
    review = SETTINGS.thresholds.review
    wrong = []
    for key, expected in truth.items():
        if expected is None:
            continue
        candidates = run.candidates.get(key, [])
        if not candidates or candidates[0].personal_id != expected:
            wrong.append((kinds[key], key))
        elif kinds[key] in ("clean", "no_diacritics", "given_first", "swapped", "namesake"):
            assert candidates[0].probability >= review, (kinds[key], key, candidates[0])
    assert not wrong
    clean = [run.candidates[k][0] for k, kind in kinds.items() if kind == "clean"]
    assert all(c.probability >= SETTINGS.thresholds.auto_link for c in clean)
    for key, candidates in run.candidates.items():
        probabilities = [c.probability for c in candidates]
        assert probabilities == sorted(probabilities, reverse=True)
        assert all(p >= SETTINGS.thresholds.keep for p in probabilities)
        assert all(c.record_key == key for c in candidates)


def test_namesake_is_told_apart_by_commune_and_phone(
    linked: tuple[ModelRun, dict[str, str | None], dict[str, str]],
) -> None:
    run, _, _ = linked
    best, *others = run.candidates["TWIN"]
    assert best.personal_id == REGISTRY[0].personal_id
    assert others and others[0].personal_id == REGISTRY[-1].personal_id
    assert best.match_weight > others[0].match_weight + 5


def test_stranger_gets_no_candidate_above_review(
    linked: tuple[ModelRun, dict[str, str | None], dict[str, str]],
) -> None:
    run, _, _ = linked
    for j in range(3):
        for candidate in run.candidates.get(f"STRANGER{j}", []):
            assert candidate.probability < SETTINGS.thresholds.review


def test_contributions_add_up_to_the_match_weight(
    linked: tuple[ModelRun, dict[str, str | None], dict[str, str]],
) -> None:
    run, _, _ = linked
    prior = run.trained_model["probability_two_random_records_match"]
    prior_weight = math.log2(prior / (1 - prior))
    outputs = [c["output"] for c in SETTINGS.spec["comparisons"]]
    assert outputs == ["name", "birth_date", "sex", "commune", "phone", "old_id"]
    for candidates in run.candidates.values():
        for candidate in candidates:
            assert [c.field for c in candidate.contributions] == outputs
            assert all(c.level for c in candidate.contributions)
            total = prior_weight + sum(c.match_weight for c in candidate.contributions)
            assert total == pytest.approx(candidate.match_weight, abs=1e-6)
            expected = 1 / (1 + 2 ** (-candidate.match_weight))
            assert candidate.probability == pytest.approx(expected, rel=1e-6)
    clean = run.candidates["R00000"][0]
    levels = {c.field: c.level for c in clean.contributions}
    assert levels["name"] == "exact with diacritics"
    assert levels["birth_date"] == "exact date"


def test_run_reports_pairs_time_and_model(
    linked: tuple[ModelRun, dict[str, str | None], dict[str, str]],
) -> None:
    run, _, _ = linked
    assert run.pairs_compared > len(run.candidates)
    assert run.training["u"] == "trained"  # 2,001 x 244 pairs: enough to sample u
    assert run.training["em[0]"].startswith("starting values")  # too few records for EM
    assert {"prepare", "train", "predict"} <= set(run.seconds)
    assert run.trained_model["link_type"] == "link_only"
    assert len(run.trained_model["comparisons"]) == 6
    json.dumps(run.trained_model)  # storable as it is


def test_empty_extract_gives_an_empty_run() -> None:
    stages: list[str] = []
    run = run_model(
        registry_frame(REGISTRY[:10]),
        extract_frame([], INDEX),
        SETTINGS,
        on_progress=lambda stage, done, total: stages.append(stage),
    )
    assert run.candidates == {}
    assert run.pairs_compared == 0
    assert run.trained_model["link_type"] == "link_only"


def test_tiny_inputs_fall_back_to_starting_values() -> None:
    people = REGISTRY[:5]
    records = [_record("ONE", people[2])]
    stages: list[str] = []
    run = run_model(
        registry_frame(people),
        extract_frame(records, INDEX),
        SETTINGS,
        on_progress=lambda stage, done, total: stages.append(stage),
    )
    assert run.candidates["ONE"][0].personal_id == people[2].personal_id
    assert run.training["u"].startswith("starting values")
    assert "train" in stages and "predict" in stages


# --- settings ---------------------------------------------------------------------------------


def test_settings_load_with_version_and_bands() -> None:
    assert SETTINGS.source == "social-insurance"
    assert SETTINGS.version.startswith("social-insurance/")
    bands = SETTINGS.thresholds
    assert 0 < bands.keep <= bands.review <= bands.auto_link <= 1
    creator = model.splink_settings(SETTINGS)
    for dialect in ("duckdb", "spark"):
        settings_dict = creator.create_settings_dict(dialect)
        assert settings_dict["link_type"] == "link_only"
        assert len(settings_dict["blocking_rules_to_generate_predictions"]) == len(
            SETTINGS.spec["blocking_rules"]
        )


def test_unknown_source_is_not_found() -> None:
    for source in ("health-insurance", "../settings/social-insurance", ""):
        with pytest.raises(NotFound) as caught:
            load_settings(source)
        assert caught.value.field == "source"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: s.pop("version"), "version"),
        (lambda s: s["thresholds"].update(auto_link=1.5), "thresholds.auto_link"),
        (lambda s: s["thresholds"].update(review=0.999, auto_link=0.9), "thresholds"),
        (lambda s: s.update(blocking_rules=[]), "blocking_rules"),
        (lambda s: s["blocking_rules"][0].update(on=["no_such_column"]), "blocking_rules[0].on"),
        (
            lambda s: s["comparisons"][1]["levels"][1].update(kind="magic"),
            "comparisons[1].levels[1].kind",
        ),
        (lambda s: s["comparisons"][0]["levels"][1].update(m="high"), "comparisons[0].levels[1].m"),
        (lambda s: s["comparisons"][2].update(output="name"), "comparisons[2].output"),
        (lambda s: s.update(safety=[]), "safety"),
        (lambda s: s["safety"].update(population_size=0), "safety.population_size"),
        (
            lambda s: s["safety"].update(max_expected_namesakes="few"),
            "safety.max_expected_namesakes",
        ),
    ],
)
def test_malformed_settings_name_the_key(change: object, field: str) -> None:
    spec = copy.deepcopy(SETTINGS.spec)
    change(spec)  # type: ignore[operator]
    with pytest.raises(ValidationFailed) as caught:
        parse_settings(spec, "social-insurance")
    assert caught.value.field == field


def test_malformed_file_is_a_validation_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "partial.json").write_text(json.dumps({"version": "x/1"}), encoding="utf-8")
    monkeypatch.setattr(model, "SETTINGS_DIR", tmp_path)
    with pytest.raises(ValidationFailed) as caught:
        load_settings("broken")
    assert caught.value.field == "file"
    with pytest.raises(ValidationFailed) as caught:
        load_settings("partial")
    assert caught.value.field == "thresholds"


def test_a_stored_model_translates_to_spark_sql_and_back_unchanged(
    linked: tuple[ModelRun, dict[str, str | None], dict[str, str]],
) -> None:
    """The run's stored model cannot go to Spark as DuckDB wrote it (double-quoted
    identifiers are string literals there); translated, it keeps its meaning: back in
    DuckDB it scores every pair exactly as the original."""
    from splink import DuckDBAPI, Linker

    run, _, _ = linked
    spark = model.trained_model_for(run.trained_model, "spark")
    conditions = [
        level["sql_condition"]
        for c in spark["comparisons"]
        for level in c["comparison_levels"]
        if level["sql_condition"].strip().upper() != "ELSE"
    ]
    assert spark["sql_dialect"] == "spark"
    assert conditions and not any('"' in sql for sql in conditions)
    assert any("`" in sql or "_l" in sql for sql in conditions)

    back = model.trained_model_for(spark, "duckdb")
    api = DuckDBAPI()
    frames = [
        api.register(registry_frame(REGISTRY), dataset_display_name="registry"),
        api.register(
            extract_frame([_record("K1", REGISTRY[3]), _record("K2", REGISTRY[4])], INDEX),
            dataset_display_name="extract",
        ),
    ]
    original = Linker(frames, copy.deepcopy(run.trained_model)).inference.predict(
        threshold_match_probability=0.5
    )
    again = Linker(frames, back).inference.predict(threshold_match_probability=0.5)

    def scores(df: object) -> dict[tuple[str, str], float]:
        rows = df.as_record_list()  # type: ignore[attr-defined]
        return {(r["unique_id_l"], r["unique_id_r"]): r["match_probability"] for r in rows}

    assert scores(original) and scores(again) == pytest.approx(scores(original))
