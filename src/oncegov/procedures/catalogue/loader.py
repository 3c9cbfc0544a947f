"""Reading the catalogue's YAML files: every problem names the file, the procedure code, the
key path and why (``residence.yaml: 1.004194: form[2].source: unknown registry field …``).

The shapes (types, enums, unknown keys) are checked by ``schemas``; what spans keys is checked
here (``problems``): transitions between declared states, steps' shares of the statutory time,
replaced documents that are still required, duplicate keys, the online level against the
channels. Across files: a (code, version) defined twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from oncegov.kit.workflow import Workflow, WorkflowDefinitionError
from oncegov.procedures.catalogue.schemas import Assumable, Procedure, ProcedureFile

DATA_DIR = Path(__file__).resolve().parent / "data"
NO_CODE = "(no code)"


@dataclass(frozen=True)
class CatalogueProblem:
    file: str
    code: str
    key: str
    why: str

    def __str__(self) -> str:
        return f"{self.file}: {self.code}: {self.key}: {self.why}"


@dataclass(frozen=True)
class LoadedProcedure:
    file: str
    procedure: Procedure


@dataclass
class Catalogue:
    procedures: list[LoadedProcedure] = field(default_factory=list)
    problems: list[CatalogueProblem] = field(default_factory=list)
    files: int = 0


class _UniqueKeyLoader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def key_path(location: tuple[int | str, ...]) -> str:
    """``('form', 2, 'source')`` → ``form[2].source``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text or "(file)"


def _why(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key missing"
    if kind in ("literal_error", "enum"):
        return f"unknown value {error['input']!r}: expected {error['ctx']['expected']}"
    message = str(error["msg"])
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    message = message[0].lower() + message[1:]
    if kind == "string_type" and isinstance(error["input"], int | float):
        return f"{message} (write it quoted: '{error['input']}')"
    return message


def _code_of(raw: Any, fallback: str) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("code"), str) and raw["code"].strip():
        return str(raw["code"])
    if isinstance(raw, dict) and raw.get("code") is not None:
        return str(raw["code"])
    return fallback


def read_catalogue(directory: Path | None = None) -> Catalogue:
    """Every ``*.yaml``/``*.yml`` file under ``directory`` (the bundled catalogue by default),
    in name order; valid procedures and every problem found."""
    directory = directory or DATA_DIR
    catalogue = Catalogue()
    if not directory.is_dir():
        catalogue.problems.append(
            CatalogueProblem(str(directory), NO_CODE, "(directory)", "not a directory")
        )
        return catalogue
    paths = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml"))
    seen: dict[tuple[str, int], str] = {}
    for path in paths:
        catalogue.files += 1
        name = path.relative_to(directory).as_posix()
        procedures, problems = read_file(path, name)
        catalogue.problems.extend(problems)
        for loaded in procedures:
            key = (loaded.procedure.code, loaded.procedure.version)
            if key in seen:
                catalogue.problems.append(
                    CatalogueProblem(
                        name,
                        loaded.procedure.code,
                        "version",
                        f"version {key[1]} is defined twice (also in {seen[key]})",
                    )
                )
                continue
            seen[key] = name
            catalogue.procedures.append(loaded)
    catalogue.problems.extend(_clashing_dates(catalogue.procedures))
    return catalogue


def _clashing_dates(procedures: list[LoadedProcedure]) -> Iterator[CatalogueProblem]:
    first: dict[tuple[str, Any], LoadedProcedure] = {}
    for loaded in procedures:
        p = loaded.procedure
        other = first.setdefault((p.code, p.effective_from), loaded)
        if other is not loaded:
            yield CatalogueProblem(
                loaded.file,
                p.code,
                "effective_from",
                f"version {p.version} takes effect on {p.effective_from.isoformat()}, the same "
                f"day as version {other.procedure.version} ({other.file})",
            )


def read_file(path: Path, name: str) -> tuple[list[LoadedProcedure], list[CatalogueProblem]]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        return [], [CatalogueProblem(name, NO_CODE, where, f"not valid YAML: {problem}")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [CatalogueProblem(name, NO_CODE, "(file)", f"cannot be read: {exc}")]
    if isinstance(raw, dict) and "procedures" in raw:
        try:
            items = ProcedureFile.model_validate(raw).procedures
        except ValidationError as exc:
            return [], [
                CatalogueProblem(name, NO_CODE, key_path(e["loc"]), _why(e)) for e in exc.errors()
            ]
        prefixes = [f"procedures[{i}]." for i in range(len(items))]
    elif isinstance(raw, dict):
        items, prefixes = [raw], [""]
    else:
        why = "empty file" if raw is None else "a file holds a procedure (a mapping of keys)"
        return [], [CatalogueProblem(name, NO_CODE, "(file)", why)]
    loaded: list[LoadedProcedure] = []
    problems: list[CatalogueProblem] = []
    for item, prefix in zip(items, prefixes, strict=True):
        code = _code_of(item, prefix.rstrip(".") or NO_CODE)
        try:
            procedure = Procedure.model_validate(item)
        except ValidationError as exc:
            problems.extend(
                CatalogueProblem(name, code, prefix + key_path(e["loc"]), _why(e))
                for e in exc.errors()
            )
            continue
        found = [CatalogueProblem(name, code, prefix + k, why) for k, why in check(procedure)]
        if found:
            problems.extend(found)
        else:
            loaded.append(LoadedProcedure(name, procedure))
    return loaded, problems


# --- checks across keys ---------------------------------------------------------------------------


def _duplicates(values: list[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            yield index, value
        seen.add(value)


def _assumables(procedure: Procedure) -> Iterator[tuple[str, Assumable]]:
    yield "statutory_time", procedure.statutory_time
    for i, item in enumerate(procedure.fees.items):
        yield f"fees.items[{i}]", item
    for i, exemption in enumerate(procedure.fees.exemptions):
        yield f"fees.exemptions[{i}]", exemption
    for i, basis in enumerate(procedure.legal_basis):
        yield f"legal_basis[{i}]", basis
    for i, step in enumerate(procedure.workflow.steps):
        yield f"workflow.steps[{i}]", step


def _time_text(procedure: Procedure) -> str:
    time = procedure.statutory_time
    if time.unit == "same_day":
        return "the same day"
    return f"{time.amount} {time.unit.replace('_', ' ')}"


def check(procedure: Procedure) -> list[tuple[str, str]]:
    """What the shapes cannot see: (key path, why) for each problem."""
    found: list[tuple[str, str]] = []
    found.extend(_check_time(procedure))
    found.extend(_check_channels(procedure))
    found.extend(_check_form(procedure))
    found.extend(_check_documents(procedure))
    workflow_problems = list(_check_workflow(procedure))
    found.extend(workflow_problems)
    if not workflow_problems:
        found.extend(_check_engine(procedure))
    for key, item in _assumables(procedure):
        if item.assumption and not (item.note and item.note.strip()):
            found.append((f"{key}.note", "an assumption needs a note saying what is unconfirmed"))
    for i, basis in enumerate(procedure.legal_basis):
        if basis.effective > procedure.effective_from:
            found.append(
                (
                    f"legal_basis[{i}].effective",
                    f"{basis.number} takes effect on {basis.effective.isoformat()}, after this "
                    f"version does ({procedure.effective_from.isoformat()})",
                )
            )
    return found


def _check_time(procedure: Procedure) -> Iterator[tuple[str, str]]:
    time = procedure.statutory_time
    if time.unit == "same_day" and time.amount is not None:
        yield "statutory_time.amount", "a same-day procedure has no amount"
    if time.unit != "same_day" and time.amount is None:
        yield "statutory_time.amount", f"required for {time.unit}"
    if time.extended_amount is not None:
        if time.amount is None or time.extended_amount <= time.amount:
            yield "statutory_time.extended_amount", "must be longer than the amount"
        if time.extended_when is None:
            yield "statutory_time.extended_when", "say when the extended time applies"
    elif time.extended_when is not None:
        yield "statutory_time.extended_amount", "required with extended_when"


def _check_channels(procedure: Procedure) -> Iterator[tuple[str, str]]:
    for index, channel in _duplicates(list(procedure.channels)):
        yield f"channels[{index}]", f"channel {channel!r} is listed twice"
    online = "online" in procedure.channels
    if online and procedure.online_level == "none":
        yield "online_level", "the channels include online: the level must be full or partial"
    if not online and procedure.online_level != "none":
        yield "online_level", f"{procedure.online_level!r} needs the online channel"
    for i, item in enumerate(procedure.fees.items):
        if item.channel != "any" and item.channel not in procedure.channels:
            yield f"fees.items[{i}].channel", f"{item.channel!r} is not one of the channels"


def _check_form(procedure: Procedure) -> Iterator[tuple[str, str]]:
    for index, key in _duplicates([f.key for f in procedure.form]):
        yield f"form[{index}].key", f"field key {key!r} appears twice"
    for i, form_field in enumerate(procedure.form):
        if form_field.type == "choice" and not form_field.choices:
            yield f"form[{i}].choices", "a choice field needs its choices"
        if form_field.type != "choice" and form_field.choices:
            yield f"form[{i}].choices", "only a choice field has choices"
        if form_field.source == "eid" and form_field.about != "applicant":
            yield f"form[{i}].about", "the sign-in proves only the applicant's own identity"


def _check_documents(procedure: Procedure) -> Iterator[tuple[str, str]]:
    for i, document in enumerate(procedure.documents):
        if document.replaced_by is not None and document.required:
            yield (
                f"documents[{i}].required",
                "a document replaced by data the state holds cannot be required",
            )


def _check_workflow(procedure: Procedure) -> Iterator[tuple[str, str]]:
    flow = procedure.workflow
    states = list(flow.states)
    known = set(states)
    listed = ", ".join(states)
    for index, state in _duplicates(states):
        yield f"workflow.states[{index}]", f"state {state!r} is declared twice"
    if flow.initial not in known:
        yield "workflow.initial", f"unknown state {flow.initial!r} (declared: {listed})"
    for i, state in enumerate(flow.final):
        if state not in known:
            yield f"workflow.final[{i}]", f"unknown state {state!r} (declared: {listed})"
    pairs: set[tuple[str, str]] = set()
    for i, move in enumerate(flow.transitions):
        key = f"workflow.transitions[{i}]"
        if move.from_ not in known:
            yield (
                f"{key}.from",
                f"transition from unknown state {move.from_!r} (declared: {listed})",
            )
        if move.to not in known:
            yield f"{key}.to", f"transition to unknown state {move.to!r} (declared: {listed})"
        if move.from_ in flow.final:
            yield f"{key}.from", f"{move.from_!r} is a final state: nothing leaves it"
        if (move.from_, move.to) in pairs:
            yield key, f"transition {move.from_} → {move.to} is listed twice"
        pairs.add((move.from_, move.to))
    reached = {flow.initial} | {move.to for move in flow.transitions}
    for i, state in enumerate(states):
        if state not in reached:
            yield f"workflow.states[{i}]", f"no transition leads to state {state!r}"
    for index, step_key in _duplicates([s.key for s in flow.steps]):
        yield f"workflow.steps[{index}].key", f"step key {step_key!r} appears twice"
    for i, step in enumerate(flow.steps):
        for j, state in enumerate(step.states):
            if state not in known:
                yield (
                    f"workflow.steps[{i}].states[{j}]",
                    f"unknown state {state!r} (declared: {listed})",
                )
    total = math.fsum(step.share for step in flow.steps)
    amount = procedure.statutory_time.amount
    if not (math.isclose(total, 1.0) or (amount is not None and math.isclose(total, amount))):
        whole = f" or to {amount}" if amount is not None else ""
        yield (
            "workflow.steps",
            f"the steps' shares sum to {total:g}; they must sum to 1{whole} "
            f"(the statutory time: {_time_text(procedure)})",
        )


def engine_definition(procedure: Procedure) -> dict[str, Any]:
    """The procedure's workflow as a definition of the one workflow engine (``kit.workflow``):
    each transition is named ``<from>-><to>``, fired by its role, with its reason rule. The
    dossiers will move through this engine, so a catalogue must build one."""
    flow = procedure.workflow
    return {
        "name": procedure.code,
        "states": [
            {"name": s, "initial": s == flow.initial, "final": s in flow.final} for s in flow.states
        ],
        "transitions": [
            {
                "name": f"{move.from_}->{move.to}",
                "source": move.from_,
                "target": move.to,
                "roles": [move.role],
                "requires_reason": move.reason_required,
            }
            for move in flow.transitions
        ],
    }


def _check_engine(procedure: Procedure) -> Iterator[tuple[str, str]]:
    """What the engine itself refuses in a workflow the checks above let through (a state from
    which no final state can be reached, say), under the engine's own key path."""
    try:
        Workflow.from_data(engine_definition(procedure))
    except WorkflowDefinitionError as error:
        yield (f"workflow (engine): {error.path}" if error.path else "workflow"), error.problem


def canonical(model: BaseModel) -> dict[str, Any]:
    """The definition as stored: JSON types, keys as written in the files (``from``), unset
    optional keys left out (so it reads back through the same schema)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)
