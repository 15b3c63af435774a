"""The sign-off state machine: every illegal move refused, `sent` only from `approved`."""

from __future__ import annotations

import itertools

import pytest

from caredesk.domain.drafts import ACTIONS, TRANSITIONS, DraftAction, DraftState, next_state
from caredesk.domain.errors import Conflict

LEGAL = {
    (DraftState.PENDING_REVIEW, DraftAction.EDIT): DraftState.PENDING_REVIEW,
    (DraftState.CHANGES_REQUESTED, DraftAction.EDIT): DraftState.PENDING_REVIEW,
    (DraftState.PENDING_REVIEW, DraftAction.APPROVE): DraftState.APPROVED,
    (DraftState.PENDING_REVIEW, DraftAction.REQUEST_CHANGES): DraftState.CHANGES_REQUESTED,
    (DraftState.PENDING_REVIEW, DraftAction.REJECT): DraftState.REJECTED,
    (DraftState.APPROVED, DraftAction.SEND): DraftState.SENT,
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(DraftState, DraftAction)))
def test_every_state_and_action_pair(state: DraftState, action: DraftAction) -> None:
    if (state, action) in LEGAL:
        assert next_state(state, action) is LEGAL[(state, action)]
    else:
        with pytest.raises(Conflict, match=f"is {state.value}"):
            next_state(state, action)


def test_sent_is_reachable_only_from_approved() -> None:
    assert [s for s, targets in TRANSITIONS.items() if DraftState.SENT in targets] == [
        DraftState.APPROVED
    ]
    assert [s for s, after in ACTIONS[DraftAction.SEND].items()] == [DraftState.APPROVED]
    assert TRANSITIONS[DraftState.SENT] == frozenset()
    assert TRANSITIONS[DraftState.REJECTED] == frozenset()


def test_every_action_follows_the_transition_table() -> None:
    for moves in ACTIONS.values():
        for before, after in moves.items():
            assert before == after or after in TRANSITIONS[before], (before, after)
