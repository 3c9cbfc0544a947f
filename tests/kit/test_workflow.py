"""The one workflow engine: definitions from data and their validation, moves, roles, reasons."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncegov.errors import Conflict
from oncegov.kit.workflow import (
    REFUSAL_STATUS,
    TransitionRefused,
    Workflow,
    WorkflowDefinitionError,
)

# The public-service dossier workflow of issue 13 (the shape the procedures catalogue will load
# from YAML): received → accepted (or refused_to_accept, with a reason) → assigned → processing
# → additions_requested (the clock pauses; back to processing when the citizen supplies them) →
# submitted_for_approval → approved or refused (with a reason) → result_ready → returned.
# Assumption: the role names (reception desk, department head, specialist, approver, citizen)
# and who fires each move are this test's choice; the procedures catalogue will name its own.
# Assumption: a refusal also goes through result_ready (the written refusal is handed back like
# a result), so only returned and refused_to_accept end a dossier.
DOSSIER: dict[str, Any] = {
    "name": "dossier",
    "states": [
        {"name": "received", "initial": True},
        "accepted",
        {"name": "refused_to_accept", "final": True},
        "assigned",
        "processing",
        {"name": "additions_requested", "meta": {"clock": "paused"}},
        "submitted_for_approval",
        "approved",
        "refused",
        "result_ready",
        {"name": "returned", "final": True},
    ],
    "transitions": [
        {"name": "accept", "source": "received", "target": "accepted", "roles": ["reception"]},
        {
            "name": "refuse_to_accept",
            "source": "received",
            "target": "refused_to_accept",
            "roles": ["reception"],
            "requires_reason": True,
        },
        {"name": "assign", "source": "accepted", "target": "assigned", "roles": ["head"]},
        {"name": "start", "source": "assigned", "target": "processing", "roles": ["specialist"]},
        {
            "name": "request_additions",
            "source": "processing",
            "target": "additions_requested",
            "roles": ["specialist"],
            "requires_reason": True,
        },
        {
            "name": "supply_additions",
            "source": "additions_requested",
            "target": "processing",
            "roles": ["citizen", "reception"],
        },
        {
            "name": "submit",
            "source": "processing",
            "target": "submitted_for_approval",
            "roles": ["specialist"],
        },
        {
            "name": "approve",
            "source": "submitted_for_approval",
            "target": "approved",
            "roles": ["approver"],
        },
        {
            "name": "refuse",
            "source": "submitted_for_approval",
            "target": "refused",
            "roles": ["approver"],
            "requires_reason": True,
        },
        {
            "name": "prepare_result",
            "source": ["approved", "refused"],
            "target": "result_ready",
            "roles": ["specialist"],
        },
        {
            "name": "hand_back",
            "source": "result_ready",
            "target": "returned",
            "roles": ["reception"],
        },
    ],
}
ROLES = ("reception", "head", "specialist", "approver", "citizen")

# A pipeline with one forward move per state and a condition on the context (the chip ID-card
# pipeline's shape: station or post after production, rejection with a reason before the end).
DELIVERY: dict[str, Any] = {
    "name": "delivery",
    "states": [
        {"name": "received", "initial": True},
        "produced",
        {"name": "returned", "final": True},
        {"name": "delivered", "final": True},
        {"name": "rejected", "final": True},
    ],
    "transitions": [
        {"name": "produce", "source": "received", "target": "produced", "forward": True},
        {
            "name": "return",
            "source": "produced",
            "target": "returned",
            "when": {"delivery": "station"},
            "forward": True,
        },
        {
            "name": "deliver",
            "source": "produced",
            "target": "delivered",
            "when": {"delivery": "post"},
            "forward": True,
        },
        {
            "name": "reject",
            "source": ["received", "produced"],
            "target": "rejected",
            "requires_reason": True,
        },
    ],
}


def _small() -> dict[str, Any]:
    return {
        "name": "small",
        "states": [{"name": "a", "initial": True}, "b", {"name": "c", "final": True}],
        "transitions": [
            {"name": "go", "source": "a", "target": "b"},
            {"name": "end", "source": "b", "target": "c"},
        ],
    }


def _refused(data: dict[str, Any]) -> str:
    with pytest.raises(WorkflowDefinitionError) as caught:
        Workflow.from_data(data)
    return str(caught.value)


# --- definitions --------------------------------------------------------------------------------


def test_the_dossier_workflow_validates() -> None:
    dossier = Workflow.from_data(DOSSIER)
    assert dossier.initial.name == "received"
    assert dossier.final_names == ("refused_to_accept", "returned")
    assert dossier.state("additions_requested").meta == {"clock": "paused"}
    assert dossier.reachable("processing") >= {"additions_requested", "returned"}
    assert "received" not in dossier.reachable("accepted")


def test_a_broken_copy_of_the_dossier_workflow_names_the_key() -> None:
    broken = copy.deepcopy(DOSSIER)
    broken["transitions"][7]["target"] = "aproved"
    message = _refused(broken)
    assert message == "transitions[7].target: unknown state 'aproved'"
    with pytest.raises(WorkflowDefinitionError) as caught:
        Workflow.from_data(broken)
    prefixed = caught.value.prefixed("procedures/birth-registration.yaml")
    assert str(prefixed) == (
        "procedures/birth-registration.yaml: transitions[7].target: unknown state 'aproved'"
    )
    assert (caught.value.path, caught.value.problem) == (
        "transitions[7].target",
        "unknown state 'aproved'",
    )


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def _append(data: dict[str, Any], key: str, *items: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data[key].extend(items)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _set(_small(), ("transitions", 1, "target"), "cc"),
            "transitions[1].target: unknown state 'cc'",
        ),
        (
            _set(_small(), ("transitions", 1, "source"), ["b", "x"]),
            "transitions[1].source[1]: unknown state 'x'",
        ),
        (
            _set(_small(), ("transitions", 0, "source"), "x"),
            "transitions[0].source: unknown state 'x'",
        ),
        (_set(_small(), ("states", 0), "a"), "states: no initial state"),
        (
            _set(_small(), ("states", 1), {"name": "b", "initial": True}),
            "states[1].initial: second initial state 'b' (the first is 'a')",
        ),
        (
            _append(
                _append(_small(), "states", "d"),
                "transitions",
                {"name": "d_end", "source": "d", "target": "c"},
            ),
            "states[3].name: state 'd' cannot be reached from the initial state 'a'",
        ),
        (
            _append(_small(), "transitions", {"name": "again", "source": "c", "target": "a"}),
            "transitions[2].source: final state 'c' cannot have transitions out",
        ),
        (
            _append(_small(), "transitions", {"name": "go", "source": "a", "target": "c"}),
            "transitions[2].name: duplicate transition 'go' from 'a' (first at transitions[0])",
        ),
        (
            _set(_small(), ("transitions", 1), {"name": "end", "source": "a", "target": "c"}),
            "states[1].name: state 'b' is not final and has no way out",
        ),
        (
            _append(
                _append(_small(), "states", "d"),
                "transitions",
                {"name": "loop", "source": "a", "target": "d"},
                {"name": "back", "source": "d", "target": "d"},
            ),
            "states[3].name: no final state can be reached from state 'd'",
        ),
        (
            _append(_small(), "states", {"name": "b"}),
            "states[3].name: duplicate state 'b' (first at states[1])",
        ),
        (
            _set(_small(), ("transitions", 0, "tagret"), "b"),
            "transitions[0].tagret: unknown key (known: forward, meta, name, requires_reason,"
            " roles, source, target, when)",
        ),
        (
            _set(_small(), ("states", 0), {"name": "a", "initial": True, "final": True}),
            "states[0].final: initial state 'a' is final",
        ),
        (
            _set(_small(), ("states", 0, "initial"), "yes"),
            "states[0].initial: expected true or false",
        ),
        (_set(_small(), ("states",), []), "states: expected a non-empty list of states"),
        (_set(_small(), ("name",), " "), "name: expected a non-empty name"),
        (
            _set(_small(), ("transitions", 0, "roles"), []),
            "transitions[0].roles: expected a name or a non-empty list of names",
        ),
        (
            _set(_small(), ("transitions", 0, "when"), {"delivery": []}),
            "transitions[0].when.delivery: expected a value or a non-empty list",
        ),
        (
            _append(
                _set(_small(), ("transitions", 0, "forward"), True),
                "transitions",
                {"name": "skip", "source": "a", "target": "c", "forward": True},
            ),
            "transitions[2].forward: a second forward move from 'a' (the first is"
            " transitions[0] 'go'); give them exclusive 'when' conditions",
        ),
    ],
)
def test_each_definition_error_names_its_key_path(data: dict[str, Any], message: str) -> None:
    assert _refused(data) == message


def test_a_definition_that_is_not_a_mapping_is_refused() -> None:
    assert _refused(["states"]) == "expected a mapping with name, states, transitions"  # type: ignore[arg-type]


def test_forward_moves_with_exclusive_conditions_are_accepted() -> None:
    delivery = Workflow.from_data(DELIVERY)
    assert [t.name for t in delivery.outgoing("produced")] == ["return", "deliver", "reject"]


# --- moves --------------------------------------------------------------------------------------


def test_allowed_filters_by_role_and_condition() -> None:
    dossier = Workflow.from_data(DOSSIER)
    assert [t.name for t in dossier.allowed("received")] == ["accept", "refuse_to_accept"]
    assert [t.name for t in dossier.allowed("received", "reception")] == [
        "accept",
        "refuse_to_accept",
    ]
    assert dossier.allowed("received", "specialist") == []
    assert [t.name for t in dossier.allowed("processing", "specialist")] == [
        "request_additions",
        "submit",
    ]
    assert dossier.allowed("returned", "reception") == []
    delivery = Workflow.from_data(DELIVERY)
    assert [t.name for t in delivery.allowed("produced")] == ["reject"]  # no context: no condition
    assert [t.name for t in delivery.allowed("produced", context={"delivery": "post"})] == [
        "deliver",
        "reject",
    ]


def test_a_move_is_checked_for_state_role_and_reason() -> None:
    dossier = Workflow.from_data(DOSSIER)
    assert dossier.transition("received", "accept", "reception").target == "accepted"
    assert dossier.transition("additions_requested", "supply_additions", "citizen").target == (
        "processing"
    )

    def refusal(state: str, name: str, role: str | None, reason: str | None = None) -> Any:
        with pytest.raises(TransitionRefused) as caught:
            dossier.transition(state, name, role, reason=reason)
        error = caught.value
        return error.code, error.status, error.field, error.params

    assert refusal("returned", "hand_back", "reception") == (
        "already_finished",
        409,
        "transition",
        {"workflow": "dossier", "state": "returned", "transition": "hand_back"},
    )
    assert refusal("received", "approve", "approver")[:2] == ("not_allowed_from_here", 409)
    assert refusal("received", "no_such_move", None)[0] == "not_allowed_from_here"
    assert refusal("received", "accept", "citizen")[:2] == ("role_not_allowed", 403)
    assert refusal("received", "refuse_to_accept", "reception", "  ")[:3] == (
        "reason_required",
        422,
        "reason",
    )
    refused = dossier.transition("received", "refuse_to_accept", "reception", reason="Incomplete")
    assert refused.target == "refused_to_accept"
    # No role given: the caller checks permissions itself.
    assert dossier.transition("submitted_for_approval", "approve").target == "approved"


def test_a_refusal_is_a_conflict_with_a_translatable_message() -> None:
    with pytest.raises(Conflict) as caught:
        Workflow.from_data(DOSSIER).transition("returned", "hand_back")
    body = caught.value.as_dict()
    assert body["code"] == "already_finished"
    assert body["message"] == "This is already finished: no further step is possible"
    assert body["params"]["state"] == "returned"


def test_a_condition_decides_between_forward_moves() -> None:
    delivery = Workflow.from_data(DELIVERY)
    forward = delivery.next_forward
    assert forward("received", {"delivery": "post"}).name == "produce"  # type: ignore[union-attr]
    assert forward("produced", {"delivery": "post"}).target == "delivered"  # type: ignore[union-attr]
    assert forward("produced", {"delivery": "station"}).target == "returned"  # type: ignore[union-attr]
    assert forward("produced", {}) is None
    assert forward("delivered", {"delivery": "post"}) is None
    with pytest.raises(TransitionRefused) as caught:
        delivery.transition("produced", "deliver", context={"delivery": "station"})
    assert caught.value.code == "not_allowed_from_here"
    assert delivery.transition("produced", "reject", reason="Damaged").target == "rejected"


def test_an_unknown_state_is_a_bug_not_a_refusal() -> None:
    with pytest.raises(ValueError, match="no state 'lost'"):
        Workflow.from_data(DOSSIER).allowed("lost")


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=150)
@given(st.sampled_from([DOSSIER, DELIVERY]), st.data())
def test_random_walks_stay_in_declared_states(definition: dict[str, Any], data: Any) -> None:
    """A random walk visits only declared states, never leaves a final one, and every refused
    move raises TransitionRefused with a known code (never anything else)."""
    workflow = Workflow.from_data(definition)
    names = sorted({t.name for t in workflow.transitions} | {"nonsense"})
    roles = [None, *ROLES, "intruder"]
    contexts = [None, {}, {"delivery": "post"}, {"delivery": "station"}]
    state = workflow.initial.name
    for _ in range(40):
        role = data.draw(st.sampled_from(roles))
        context = data.draw(st.sampled_from(contexts))
        reason = data.draw(st.sampled_from([None, "", "  ", "Because"]))
        open_moves = [t.name for t in workflow.allowed(state, role, context)]
        name = data.draw(
            st.sampled_from(open_moves) | st.sampled_from(names)
            if open_moves
            else st.sampled_from(names)
        )
        try:
            move = workflow.transition(state, name, role, context=context, reason=reason)
        except TransitionRefused as refused:
            assert refused.code in REFUSAL_STATUS
            if workflow.is_final(state):
                assert refused.code == "already_finished"
            elif name in open_moves:
                assert refused.code == "reason_required" and not (reason or "").strip()
            continue
        assert not workflow.is_final(state)
        assert name in open_moves and state in move.sources
        state = move.target
        assert state in workflow.state_names


@st.composite
def definitions_(draw: Any) -> dict[str, Any]:
    """Random definitions: a spine s0 → s1 → … → a final state that makes them sound, random
    extra moves that may break that (a move out of a final state, a state with no end), and
    now and then an unknown name, a bad flag or a bad value, so every check gets exercised."""
    count = draw(st.integers(min_value=2, max_value=6))
    names = [f"s{i}" for i in range(count)]
    finals = {names[-1]} | {name for name in names[1:-1] if draw(st.booleans())}
    open_names = [n for n in names if n not in finals]

    def pick(among: list[str]) -> st.SearchStrategy[str]:  # now and then, an unknown name
        return st.integers(0, 10 * len(among)).map(
            lambda i: among[i // 10] if i // 10 < len(among) else "ghost"
        )

    states: list[Any] = [
        {"name": name, "initial": i == 0, "final": name in finals} for i, name in enumerate(names)
    ]
    if draw(st.integers(min_value=0, max_value=9)) == 0:  # a broken flag
        states[draw(st.sampled_from(range(count)))]["initial"] = draw(st.booleans() | st.just(1))
    opened = [*open_names, names[-1]]
    spine = [
        {"name": "next", "source": name, "target": opened[i + 1]}
        for i, name in enumerate(opened[:-1])
    ] + [{"name": f"to_{name}", "source": names[0], "target": name} for name in finals]
    extra = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(["x", "y", "x", "y", "next"]),
                    "source": pick(open_names)
                    | st.lists(pick(open_names), min_size=1, max_size=3)
                    | pick(names),
                    "target": pick(names),
                },
                optional={
                    "forward": st.booleans(),
                    "when": st.dictionaries(st.just("k"), st.sampled_from(["1", "2"]), min_size=1),
                    "roles": st.lists(st.sampled_from(["r", "s"]), min_size=1, max_size=2),
                    "requires_reason": st.sampled_from([True, False, False, False, "yes"]),
                },
            ),
            max_size=5,
        )
    )
    return {"name": "random", "states": states, "transitions": spine + extra}


@settings(max_examples=300)
@given(definitions_())
def test_any_definition_is_either_refused_with_a_path_or_sound(data: dict[str, Any]) -> None:
    try:
        workflow = Workflow.from_data(data)
    except WorkflowDefinitionError as error:
        assert str(error) == (f"{error.path}: {error.problem}" if error.path else error.problem)
        assert error.path.split("[")[0].split(".")[0] in {"", "name", "states", "transitions"}
        return
    assert sum(s.initial for s in workflow.states) == 1
    reached = workflow.reachable(workflow.initial.name) | {workflow.initial.name}
    assert reached == set(workflow.state_names)
    for state in workflow.states:
        assert bool(workflow.outgoing(state.name)) != state.final
        if not state.final:
            assert set(workflow.final_names) & workflow.reachable(state.name)
