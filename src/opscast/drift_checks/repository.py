"""Every query on stored drift reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from opscast.drift_checks.tables import DriftReport


class DriftReportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        kind: str,
        subject: str,
        source: str,
        drift_detected: bool,
        share_drifted: float | None,
        summary: dict[str, Any],
        html: str,
    ) -> DriftReport:
        report = DriftReport(
            kind=kind,
            subject=subject,
            source=source,
            drift_detected=drift_detected,
            share_drifted=share_drifted,
            summary=summary,
            html=html,
        )
        self.session.add(report)
        self.session.flush()
        self.session.refresh(report)
        return report

    def get(self, report_id: int) -> DriftReport | None:
        return self.session.get(DriftReport, report_id)

    def page(self, *, limit: int, offset: int, kind: str | None = None) -> Sequence[DriftReport]:
        """Newest first (id breaks ties within a second); the HTML column is not loaded."""
        query = (
            select(DriftReport)
            .options(defer(DriftReport.html))
            .order_by(DriftReport.created_at.desc(), DriftReport.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if kind is not None:
            query = query.where(DriftReport.kind == kind)
        return self.session.scalars(query).all()

    def count(self, kind: str | None = None) -> int:
        query = select(func.count()).select_from(DriftReport)
        if kind is not None:
            query = query.where(DriftReport.kind == kind)
        return self.session.scalar(query) or 0
