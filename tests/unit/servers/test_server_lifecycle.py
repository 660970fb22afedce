"""The server lifecycle table."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from opscast.servers.lifecycle import ACTION_TARGET, TRANSITIONS, Action, ServerState, refusal

states = st.sampled_from(list(ServerState))


def test_the_seed_path_and_recovery_are_allowed() -> None:
    path = [
        ServerState.STOPPED,
        ServerState.BOOTING,
        ServerState.RUNNING,
        ServerState.DEGRADED,
        ServerState.FAILED,
        ServerState.RECOVERING,
        ServerState.RUNNING,
    ]
    for current, target in itertools.pairwise(path):
        assert refusal(current, target) is None, (current, target)


@given(states, states)
def test_refusal_agrees_with_the_table(current: ServerState, target: ServerState) -> None:
    reason = refusal(current, target)
    assert (reason is None) == (target in TRANSITIONS[current])
    if reason is not None:
        assert current.value in reason


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_any_action_sequence_stays_inside_the_table(actions: list[Action]) -> None:
    state = ServerState.STOPPED
    for action in actions:
        target = ACTION_TARGET[action]
        if refusal(state, target) is None:
            state = target
    assert state in TRANSITIONS


def test_every_state_can_be_stopped_and_stopped_only_boots() -> None:
    for state in ServerState:
        if state != ServerState.STOPPED:
            assert ServerState.STOPPED in TRANSITIONS[state]
    assert TRANSITIONS[ServerState.STOPPED] == frozenset({ServerState.BOOTING})
