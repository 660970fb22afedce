"""The cost model: replica-hours at a price, requests left unserved, minutes out of SLA.

Cost counts every replica from the moment it is asked for (a starting pod is billed,
as a node or a VM is) until it is removed. A minute is out of SLA when any of its
demand found no ready capacity. Savings and the share of the gap a policy closes are
measured against the reactive autoscaler and the perfect-foresight oracle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opscast.scaling.simulation import Timeline

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Outcome:
    replica_hours: float
    cost: float
    requests: float
    served: float
    unserved: float
    sla_violation_minutes: float
    peak_replicas: int

    @property
    def unserved_share(self) -> float:
        return self.unserved / self.requests if self.requests > 0 else 0.0


def summarize(timeline: Timeline, load: np.ndarray, price_per_replica_hour: float) -> Outcome:
    replica_hours = float(timeline.replica_seconds.sum()) / SECONDS_PER_HOUR
    requests = float(load.sum())
    unserved = float(timeline.unserved.sum())
    return Outcome(
        replica_hours=replica_hours,
        cost=replica_hours * price_per_replica_hour,
        requests=requests,
        served=requests - unserved,
        unserved=unserved,
        sla_violation_minutes=float(timeline.violation_seconds.sum()) / 60.0,
        peak_replicas=int(timeline.replicas.max()) if len(timeline.replicas) else 0,
    )


def gap_closed(reactive: float, policy: float, oracle: float) -> float | None:
    """Share of the reactive-to-oracle gap that ``policy`` closes (1 = as good as the oracle).

    None when there is no gap to close: the reactive autoscaler is already as good as
    perfect foresight.
    """
    gap = reactive - oracle
    if gap <= 1e-12:
        return None
    return (reactive - policy) / gap
