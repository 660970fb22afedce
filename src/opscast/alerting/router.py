"""HTTP skin over alerting: history, actions, feedback, rules and silences.

The rules routes are declared before ``/alerts/{alert_id}`` so ``/alerts/rules`` is
never read as an alert id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from opscast.alerting import service
from opscast.alerting.schemas import (
    AckIn,
    AlertDetail,
    AlertOut,
    AlertState,
    FeedbackIn,
    FeedbackOut,
    ResolveIn,
    RuleIn,
    RuleOut,
    Severity,
    SilenceIn,
    SilenceOut,
)
from opscast.dependencies import ServicesDep, SessionDep
from opscast.streaming.schemas import NAME_PATTERN

router = APIRouter(tags=["alerts"])

NameQuery = Annotated[str | None, Query(pattern=NAME_PATTERN)]


def dispatch(services: ServicesDep) -> service.Dispatch:
    runtime = services.alerting
    if runtime is None:
        return service.Dispatch({})
    result: service.Dispatch = runtime.dispatch
    return result


def feedback_out(result: service.FeedbackResult) -> FeedbackOut:
    return FeedbackOut(
        id=result.feedback.id,
        verdict=result.feedback.verdict,
        reason=result.feedback.reason,
        alert_id=result.feedback.alert_id,
        anomaly_id=result.feedback.anomaly_id,
        rule=None if result.rule is None else service.rule_out(result.rule),
        threshold_before=result.threshold_before,
        threshold_after=result.threshold_after,
    )


# -- rules ------------------------------------------------------------------------------


@router.get(
    "/alerts/rules", response_model=list[RuleOut], summary="Alert rules with their precision"
)
def list_rules(session: SessionDep) -> list[RuleOut]:
    return [service.rule_out(rule) for rule in service.list_rules(session)]


@router.post("/alerts/rules", response_model=RuleOut, status_code=201, summary="Add a rule")
def create_rule(session: SessionDep, body: RuleIn) -> RuleOut:
    return service.rule_out(service.create_rule(session, body))


@router.get("/alerts/rules/{rule_id}", response_model=RuleOut, summary="One rule")
def get_rule(session: SessionDep, rule_id: int) -> RuleOut:
    return service.rule_out(service.get_rule(session, rule_id))


@router.put("/alerts/rules/{rule_id}", response_model=RuleOut, summary="Replace a rule")
def replace_rule(session: SessionDep, rule_id: int, body: RuleIn) -> RuleOut:
    return service.rule_out(service.replace_rule(session, rule_id, body))


@router.delete("/alerts/rules/{rule_id}", summary="Delete a rule (its alerts stay)")
def delete_rule(session: SessionDep, rule_id: int) -> dict[str, str]:
    service.delete_rule(session, rule_id)
    return {"message": f"Alert rule {rule_id} deleted successfully"}


@router.post(
    "/alerts/silences", response_model=SilenceOut, status_code=201, summary="Silence by labels"
)
def create_silence(session: SessionDep, body: SilenceIn) -> SilenceOut:
    """Alerts whose labels (plus ``severity``) match every matcher are not notified until
    the silence ends; they are still recorded."""
    return SilenceOut.model_validate(service.create_silence(session, body))


# -- alerts -----------------------------------------------------------------------------


@router.get("/alerts", response_model=list[AlertOut], summary="Alert history, newest first")
def list_alerts(
    session: SessionDep,
    response: Response,
    state: AlertState | None = None,
    severity: Severity | None = None,
    rule: NameQuery = None,
    host: NameQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[AlertOut]:
    """The total number of matches is in the ``X-Total-Count`` header."""
    rows, total = service.list_alerts(
        session,
        state=None if state is None else state.value,
        severity=None if severity is None else severity.value,
        rule=rule,
        host=host,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(total)
    return [AlertOut.model_validate(row) for row in rows]


@router.get(
    "/alerts/{alert_id}", response_model=AlertDetail, summary="One alert and its deliveries"
)
def get_alert(session: SessionDep, alert_id: int) -> AlertDetail:
    return service.alert_detail(session, alert_id)


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut, summary="Acknowledge an alert")
def acknowledge(session: SessionDep, alert_id: int, body: AckIn | None = None) -> AlertOut:
    return AlertOut.model_validate(service.acknowledge(session, alert_id, body or AckIn()))


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut, summary="Resolve an alert")
def resolve(
    session: SessionDep, services: ServicesDep, alert_id: int, body: ResolveIn | None = None
) -> AlertOut:
    alert = service.resolve(session, alert_id, body or ResolveIn(), dispatch(services))
    return AlertOut.model_validate(alert)


@router.post(
    "/alerts/{alert_id}/feedback",
    response_model=FeedbackOut,
    status_code=201,
    summary="Confirm or dismiss an alert",
)
def alert_feedback(session: SessionDep, alert_id: int, body: FeedbackIn) -> FeedbackOut:
    """Counts towards the rule's precision and moves its threshold within bounds."""
    return feedback_out(service.alert_feedback(session, alert_id, body))


@router.post(
    "/anomalies/{anomaly_id}/feedback",
    response_model=FeedbackOut,
    status_code=201,
    summary="Confirm or dismiss a flagged point",
)
def anomaly_feedback(session: SessionDep, anomaly_id: int, body: FeedbackIn) -> FeedbackOut:
    return feedback_out(service.anomaly_feedback(session, anomaly_id, body))
