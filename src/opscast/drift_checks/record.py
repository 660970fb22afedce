"""The trace every completed drift check leaves: a metric and one structured log line.

Apart from the service so a file-to-file check from the command line records it without
loading storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opscast.observability import DRIFT_CHECKS, get_logger

if TYPE_CHECKING:
    from opscast.drift_checks.tables import DriftReport

log = get_logger(__name__)


def record_check(
    task: str, drift_detected: bool, report: DriftReport | None, **fields: Any
) -> None:
    """The metric and the structured log line every completed check leaves."""
    DRIFT_CHECKS.labels(task=task, result="drift" if drift_detected else "no_drift").inc()
    log.info(
        "drift_checked",
        task=task,
        drift_detected=drift_detected,
        report_id=report.id if report is not None else None,
        **fields,
    )
