"""One small table-driven workflow engine: states and transitions as data, checked once.

A ``Workflow`` is built from plain data, as a YAML or JSON loader produces it::

    {
        "name": "chip_id_card",
        "states": [
            {"name": "received", "initial": True},
            "checked",                                   # a plain state: just its name
            {"name": "returned", "final": True},
        ],
        "transitions": [
            {"name": "check", "source": "received", "target": "checked", "forward": True},
            {"name": "return", "source": ["checked"], "target": "returned",
             "roles": ["desk"], "requires_reason": False, "when": {"delivery": "station"}},
        ],
    }

and validated on construction: every problem is a ``WorkflowDefinitionError`` whose message
starts with the key path at fault (``transitions[3].target: unknown state 'aproved'``), so a
catalogue loader can prefix its file and procedure. Once built, a workflow answers which moves
are open from a state (``allowed``), checks one move (``transition``: ``TransitionRefused``
with a stable code otherwise) and, for a pipeline with one forward move per state,
``next_forward``.

The engine holds no state of its own: the current state lives in the caller's database row,
and the caller writes a move with its repository's compare-and-set update (``UPDATE … WHERE
status = :from``), so two officers pressing the same button cannot both win. It imports
nothing of the database or the web, and knows no domain.

Keys of a state: ``name``; ``initial``, ``final`` (booleans); ``meta`` (free data for the
caller, e.g. ``{"clock": "paused"}``). Keys of a transition: ``name``; ``source`` (one state
or a list); ``target``; ``roles`` (who may fire it; absent = anyone the caller lets through);
``requires_reason``; ``when`` (a condition on the caller's context: every key must hold one
of the given values, e.g. ``{"delivery": "post"}``); ``forward`` (the pipeline's one move on);
``meta``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from oncegov.errors import Conflict
from oncegov.translatable import N_

Context = Mapping[str, Any]

_STATE_KEYS = frozenset({"name", "initial", "final", "meta"})
_TRANSITION_KEYS = frozenset(
    {"name", "source", "target", "roles", "requires_reason", "when", "forward", "meta"}
)
_TOP_KEYS = frozenset({"name", "states", "transitions", "meta"})
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return _EMPTY


class WorkflowDefinitionError(ValueError):
    """A workflow definition that cannot be used. ``path`` is the key at fault (``states[2]
    .name``, ``transitions[3].target``, or empty for the whole definition), ``problem`` what
    is wrong with it; the message is ``"<path>: <problem>"``. A loader re-raises with
    ``error.prefixed("procedures/birth.yaml")``."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)

    def prefixed(self, prefix: str) -> WorkflowDefinitionError:
        """The same error with ``prefix`` (a file, a procedure code) before its path."""
        path = f"{prefix}: {self.path}" if self.path else prefix
        return WorkflowDefinitionError(path, self.problem)


# The stable codes of a refused move, and their HTTP status: a refused role is a permission
# problem (403), a missing reason a correctable input (422), the rest a conflict with where the
# item is now (409).
REFUSAL_STATUS: Mapping[str, int] = MappingProxyType(
    {
        "already_finished": 409,
        "not_allowed_from_here": 409,
        "role_not_allowed": 403,
        "reason_required": 422,
    }
)
REFUSAL_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "already_finished": N_("This is already finished: no further step is possible"),
        "not_allowed_from_here": N_("This step is not possible from the current state"),
        "role_not_allowed": N_("Your role may not take this step"),
        "reason_required": N_("Give the reason for this step"),
    }
)


class TransitionRefused(Conflict):
    """A move the workflow does not allow. ``code`` is one of ``REFUSAL_STATUS``; ``params``
    carry the workflow, the state and the transition asked for. Callers with an older API
    contract catch it and raise their own error (the chip ID-card service does)."""

    def __init__(
        self,
        code: str,
        *,
        workflow: str,
        state: str,
        transition: str,
        field: str = "transition",
        **params: Any,
    ) -> None:
        super().__init__(
            REFUSAL_MESSAGES[code],
            field=field,
            code=code,
            workflow=workflow,
            state=state,
            transition=transition,
            **params,
        )
        self.status = REFUSAL_STATUS[code]


@dataclass(frozen=True)
class State:
    name: str
    initial: bool = False
    final: bool = False
    meta: Mapping[str, Any] = field(default_factory=_empty, compare=False)


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str] | None = None  # None: the workflow does not restrict who fires it
    requires_reason: bool = False
    when: Mapping[str, frozenset[str]] = field(default_factory=_empty, compare=False)
    forward: bool = False
    meta: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    def holds(self, context: Context | None) -> bool:
        """Whether the transition's condition holds in ``context`` (no condition: always)."""
        context = context or _EMPTY
        return all(
            key in context and str(context[key]) in values for key, values in self.when.items()
        )

    def permits(self, role: str | None) -> bool:
        """Whether ``role`` may fire it; ``None`` means the caller checks no role."""
        return role is None or self.roles is None or role in self.roles


class Workflow:
    """A validated workflow definition. Build it with ``Workflow.from_data``."""

    def __init__(
        self,
        name: str,
        states: Sequence[State],
        transitions: Sequence[Transition],
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.states: tuple[State, ...] = tuple(states)
        self.transitions: tuple[Transition, ...] = tuple(transitions)
        self.meta: Mapping[str, Any] = MappingProxyType(dict(meta or {}))
        self._states = {s.name: s for s in self.states}
        self._out: dict[str, tuple[Transition, ...]] = {
            s.name: tuple(t for t in self.transitions if s.name in t.sources) for s in self.states
        }
        self.initial: State = next(s for s in self.states if s.initial)

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Workflow:
        """The workflow ``data`` describes; ``WorkflowDefinitionError`` naming the key path of
        the first problem otherwise."""
        if not isinstance(data, Mapping):
            raise WorkflowDefinitionError("", "expected a mapping with name, states, transitions")
        _no_unknown_keys(data, _TOP_KEYS, "")
        name = _name(data.get("name"), "name")
        states = _states(data.get("states"))
        transitions = _transitions(data.get("transitions"), {s.name: s for s in states})
        _check_graph(states, transitions)
        return cls(name, states, transitions, _meta(data.get("meta"), "meta"))

    # --- queries ----------------------------------------------------------------------------

    def state(self, name: str) -> State:
        """The state called ``name``; ValueError for a state this workflow does not declare
        (a stored value no definition knows is a bug, not a user's mistake)."""
        try:
            return self._states[name]
        except KeyError:
            raise ValueError(f"workflow {self.name!r} has no state {name!r}") from None

    def is_final(self, name: str) -> bool:
        return self.state(name).final

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def final_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states if s.final)

    @property
    def open_names(self) -> tuple[str, ...]:
        """The states that are not final, in declaration order."""
        return tuple(s.name for s in self.states if not s.final)

    def outgoing(self, state: str) -> tuple[Transition, ...]:
        """Every transition declared from ``state``, whatever role or context."""
        self.state(state)
        return self._out[state]

    def allowed(
        self, state: str, role: str | None = None, context: Context | None = None
    ) -> list[Transition]:
        """The transitions ``role`` may fire from ``state`` whose condition holds in
        ``context`` (no context: only transitions without a condition). ``role=None`` checks
        no role (an internal move, or a caller that checks permissions itself)."""
        return [t for t in self.outgoing(state) if t.permits(role) and t.holds(context)]

    def transition(
        self,
        state: str,
        name: str,
        role: str | None = None,
        *,
        context: Context | None = None,
        reason: str | None = None,
    ) -> Transition:
        """The transition ``name`` from ``state``, if ``role`` may fire it now; otherwise
        ``TransitionRefused``: ``already_finished`` (a final state), ``not_allowed_from_here``
        (no such move from this state, or its condition does not hold), ``role_not_allowed``,
        ``reason_required`` (a blank reason for a transition that needs one)."""
        refusal = {"workflow": self.name, "state": state, "transition": name}
        if self.is_final(state):
            raise TransitionRefused("already_finished", **refusal)
        found = next((t for t in self.outgoing(state) if t.name == name), None)
        if found is None or not found.holds(context):
            raise TransitionRefused("not_allowed_from_here", **refusal)
        if not found.permits(role):
            raise TransitionRefused("role_not_allowed", **refusal)
        if found.requires_reason and not (reason or "").strip():
            raise TransitionRefused("reason_required", field="reason", **refusal)
        return found

    def next_forward(self, state: str, context: Context | None = None) -> Transition | None:
        """The one forward move from ``state`` whose condition holds in ``context``; None in a
        final state or where no forward move applies. (Validation refuses two forward moves
        from one state whose conditions could both hold.)"""
        return next(
            (t for t in self.outgoing(state) if t.forward and t.holds(context)),
            None,
        )

    def reachable(self, state: str) -> frozenset[str]:
        """The states some sequence of moves leads to from ``state`` (conditions and roles
        aside); ``state`` itself only through a cycle."""
        seen: set[str] = set()
        todo = [t.target for t in self.outgoing(state)]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(t.target for t in self._out[current])
        return frozenset(seen)

    def __repr__(self) -> str:
        return f"Workflow({self.name!r}, {len(self.states)} states, {len(self.transitions)} moves)"


# --- validation ---------------------------------------------------------------------------------


def _no_unknown_keys(data: Mapping[str, Any], known: frozenset[str], path: str) -> None:
    for key in data:
        if key not in known:
            where = f"{path}.{key}" if path else str(key)
            raise WorkflowDefinitionError(where, f"unknown key (known: {', '.join(sorted(known))})")


def _name(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WorkflowDefinitionError(path, "expected a non-empty name")
    if value != value.strip():
        raise WorkflowDefinitionError(path, f"name {value!r} has spaces around it")
    return value


def _flag(data: Mapping[str, Any], key: str, path: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise WorkflowDefinitionError(f"{path}.{key}", "expected true or false")
    return value


def _meta(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return _EMPTY
    if not isinstance(value, Mapping):
        raise WorkflowDefinitionError(path, "expected a mapping")
    return MappingProxyType(dict(value))


def _names(value: Any, path: str) -> list[str]:
    """One name or a non-empty list of names."""
    if isinstance(value, str):
        return [_name(value, path)]
    if not isinstance(value, list) or not value:
        raise WorkflowDefinitionError(path, "expected a name or a non-empty list of names")
    return [_name(item, f"{path}[{i}]") for i, item in enumerate(value)]


def _states(value: Any) -> list[State]:
    if not isinstance(value, list) or not value:
        raise WorkflowDefinitionError("states", "expected a non-empty list of states")
    states: list[State] = []
    where: dict[str, int] = {}
    initial: int | None = None
    for i, entry in enumerate(value):
        path = f"states[{i}]"
        item = {"name": entry} if isinstance(entry, str) else entry
        if not isinstance(item, Mapping):
            raise WorkflowDefinitionError(path, "expected a state name or a mapping")
        _no_unknown_keys(item, _STATE_KEYS, path)
        name = _name(item.get("name"), f"{path}.name")
        if name in where:
            raise WorkflowDefinitionError(
                f"{path}.name", f"duplicate state {name!r} (first at states[{where[name]}])"
            )
        where[name] = i
        state = State(
            name,
            initial=_flag(item, "initial", path),
            final=_flag(item, "final", path),
            meta=_meta(item.get("meta"), f"{path}.meta"),
        )
        if state.initial and state.final:
            raise WorkflowDefinitionError(f"{path}.final", f"initial state {name!r} is final")
        if state.initial:
            if initial is not None:
                raise WorkflowDefinitionError(
                    f"{path}.initial",
                    f"second initial state {name!r} (the first is {states[initial].name!r})",
                )
            initial = i
        states.append(state)
    if initial is None:
        raise WorkflowDefinitionError("states", "no initial state")
    return states


def _when(value: Any, path: str) -> Mapping[str, frozenset[str]]:
    if value is None:
        return _EMPTY
    if not isinstance(value, Mapping) or not value:
        raise WorkflowDefinitionError(path, "expected a non-empty mapping of key: value(s)")
    when: dict[str, frozenset[str]] = {}
    for key, allowed in value.items():
        key_path = f"{path}.{key}"
        if not isinstance(key, str) or not key:
            raise WorkflowDefinitionError(path, f"condition key {key!r} is not a name")
        if isinstance(allowed, bool) or not isinstance(allowed, str | int | list):
            raise WorkflowDefinitionError(key_path, "expected a value or a non-empty list")
        items = allowed if isinstance(allowed, list) else [allowed]
        if not items or not all(_is_value(v) for v in items):
            raise WorkflowDefinitionError(key_path, "expected a value or a non-empty list")
        when[key] = frozenset(str(v) for v in items)
    return MappingProxyType(when)


def _is_value(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _transitions(value: Any, states: Mapping[str, State]) -> list[Transition]:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise WorkflowDefinitionError("transitions", "expected a list of transitions")
    transitions: list[Transition] = []
    named: dict[tuple[str, str], int] = {}  # (source, name) -> index
    for i, item in enumerate(value):
        path = f"transitions[{i}]"
        if not isinstance(item, Mapping):
            raise WorkflowDefinitionError(path, "expected a mapping")
        _no_unknown_keys(item, _TRANSITION_KEYS, path)
        name = _name(item.get("name"), f"{path}.name")
        source_value = item.get("source")
        sources = _names(source_value, f"{path}.source")
        for j, source in enumerate(sources):
            source_path = f"{path}.source"
            if not isinstance(source_value, str):
                source_path += f"[{j}]"
            if source not in states:
                raise WorkflowDefinitionError(source_path, f"unknown state {source!r}")
            if states[source].final:
                raise WorkflowDefinitionError(
                    source_path, f"final state {source!r} cannot have transitions out"
                )
            if sources.index(source) != j:
                raise WorkflowDefinitionError(source_path, f"state {source!r} listed twice")
            if (source, name) in named:
                raise WorkflowDefinitionError(
                    f"{path}.name",
                    f"duplicate transition {name!r} from {source!r}"
                    f" (first at transitions[{named[source, name]}])",
                )
            named[source, name] = i
        target = _name(item.get("target"), f"{path}.target")
        if target not in states:
            raise WorkflowDefinitionError(f"{path}.target", f"unknown state {target!r}")
        roles: frozenset[str] | None = None
        if item.get("roles") is not None:
            roles = frozenset(_names(item["roles"], f"{path}.roles"))
        transitions.append(
            Transition(
                name,
                tuple(sources),
                target,
                roles=roles,
                requires_reason=_flag(item, "requires_reason", path),
                when=_when(item.get("when"), f"{path}.when"),
                forward=_flag(item, "forward", path),
                meta=_meta(item.get("meta"), f"{path}.meta"),
            )
        )
    _check_forward(transitions)
    return transitions


def _exclusive(a: Mapping[str, frozenset[str]], b: Mapping[str, frozenset[str]]) -> bool:
    """Whether conditions ``a`` and ``b`` can never both hold: some key both test allows no
    common value."""
    return any(key in b and not (a[key] & b[key]) for key in a)


def _check_forward(transitions: Sequence[Transition]) -> None:
    """At most one forward move can apply from a state in any context."""
    for i, later in enumerate(transitions):
        if not later.forward:
            continue
        for j, earlier in enumerate(transitions[:i]):
            shared = [s for s in later.sources if s in earlier.sources]
            if earlier.forward and shared and not _exclusive(earlier.when, later.when):
                raise WorkflowDefinitionError(
                    f"transitions[{i}].forward",
                    f"a second forward move from {shared[0]!r} (the first is transitions[{j}]"
                    f" {earlier.name!r}); give them exclusive 'when' conditions",
                )


def _check_graph(states: Sequence[State], transitions: Sequence[Transition]) -> None:
    out: dict[str, list[str]] = {s.name: [] for s in states}
    into: dict[str, list[str]] = {s.name: [] for s in states}
    for t in transitions:
        for source in t.sources:
            out[source].append(t.target)
            into[t.target].append(source)
    for i, state in enumerate(states):
        if not state.final and not out[state.name]:
            raise WorkflowDefinitionError(
                f"states[{i}].name", f"state {state.name!r} is not final and has no way out"
            )
    initial = next(s.name for s in states if s.initial)
    reached = _closure([initial], out)
    for i, state in enumerate(states):
        if state.name not in reached:
            raise WorkflowDefinitionError(
                f"states[{i}].name",
                f"state {state.name!r} cannot be reached from the initial state {initial!r}",
            )
    ends = _closure([s.name for s in states if s.final], into)
    for i, state in enumerate(states):
        if state.name not in ends:
            raise WorkflowDefinitionError(
                f"states[{i}].name", f"no final state can be reached from state {state.name!r}"
            )


def _closure(start: Iterable[str], edges: Mapping[str, Sequence[str]]) -> set[str]:
    seen = set(start)
    todo = list(seen)
    while todo:
        for following in edges[todo.pop()]:
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return seen
