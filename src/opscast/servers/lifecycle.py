"""The server lifecycle as a table of allowed moves, and the actions people can take.

```
STOPPED -> BOOTING -> RUNNING <-> DEGRADED
                         |           |
                         v           v
            RECOVERING <- FAILED <---+
                 |
                 +-> RUNNING
```

Every state can be stopped; a failed server can be recovered (RECOVERING) or
rebooted (BOOTING); a recovery that fails again goes back to FAILED. Whatever moves a
server (a person's action, the simulator) asks this table first, so the stored event
log can only hold moves it allows.
"""

from __future__ import annotations

from enum import StrEnum


class ServerState(StrEnum):
    BOOTING = "BOOTING"
    RUNNING = "RUNNING"
    DEGRADED = "DEGRADED"
    FAILED = "FAILED"
    RECOVERING = "RECOVERING"
    STOPPED = "STOPPED"


class Action(StrEnum):
    boot = "boot"
    stop = "stop"
    fail = "fail"
    recover = "recover"


S = ServerState
TRANSITIONS: dict[ServerState, frozenset[ServerState]] = {
    S.BOOTING: frozenset({S.RUNNING, S.FAILED, S.STOPPED}),
    S.RUNNING: frozenset({S.DEGRADED, S.FAILED, S.STOPPED}),
    S.DEGRADED: frozenset({S.RUNNING, S.FAILED, S.STOPPED}),
    S.FAILED: frozenset({S.RECOVERING, S.BOOTING, S.STOPPED}),
    S.RECOVERING: frozenset({S.RUNNING, S.FAILED, S.STOPPED}),
    S.STOPPED: frozenset({S.BOOTING}),
}
ACTION_TARGET: dict[Action, ServerState] = {
    Action.boot: S.BOOTING,
    Action.stop: S.STOPPED,
    Action.fail: S.FAILED,
    Action.recover: S.RECOVERING,
}


def refusal(current: ServerState, target: ServerState) -> str | None:
    """Why ``current -> target`` is not allowed, or None when it is."""
    if target in TRANSITIONS[current]:
        return None
    if current == target:
        return f"the server is already {current.value}"
    allowed = ", ".join(sorted(state.value for state in TRANSITIONS[current]))
    return (
        f"a server cannot go from {current.value} to {target.value}; "
        f"from {current.value} it can go to {allowed}"
    )
