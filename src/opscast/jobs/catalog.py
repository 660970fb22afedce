"""Every kind of background job this build of opscast can run, by the name jobs carry.

The composition lives here, in one place, so the runner in the server process and a
separate ``opscast worker`` process run exactly the same kinds.
"""

from __future__ import annotations

from opscast.config import Settings
from opscast.jobs.runner import Handler


def job_handlers(settings: Settings) -> dict[str, Handler]:
    from opscast.streaming import prometheus_pull

    return {prometheus_pull.KIND: prometheus_pull.prometheus_pull_job(settings)}
