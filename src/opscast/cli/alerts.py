"""``opscast alerts``: the alert history and the actions of ``/alerts`` from a shell.

The same use cases as the API, on the same database: an acknowledgement or a silence
made here is what the dashboard shows, and a resolution queues its notifications in
the outbox, which the running server sends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from opscast.cli.common import fail, load_settings, open_database, user_errors

if TYPE_CHECKING:
    from pydantic import BaseModel

Body = TypeVar("Body", bound="BaseModel")
Row = TypeVar("Row", bound="BaseModel")

app = typer.Typer(
    help="Alerts: list, show, acknowledge, resolve, silence; the rules.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
By = Annotated[str | None, typer.Option("--by", help="Who acts (kept on the alert).")]


def _echo_json(data: BaseModel | list[BaseModel]) -> None:
    import json

    if isinstance(data, list):
        typer.echo(json.dumps([row.model_dump(mode="json") for row in data], indent=2))
    else:
        typer.echo(data.model_dump_json(indent=2))


def _validated(model: type[Body], **values: object) -> Body:
    """A request body checked as the API checks it, or a one-line reason naming the field."""
    from pydantic import ValidationError

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "input"
        raise fail(f"{where}: {first['msg']}") from None


def _print(
    items: Sequence[Row],
    *,
    as_json: bool,
    empty: str,
    header: tuple[str, ...],
    cells: Callable[[Row], tuple[object, ...]],
) -> None:
    """Items as JSON or as a table; with none, a line that says where they come from."""
    from rich.console import Console
    from rich.table import Table

    if as_json:
        _echo_json(list(items))
        return
    if not items:
        typer.echo(empty)
        return
    table = Table(*header, box=None, pad_edge=False)
    for item in items:
        table.add_row(*("" if cell is None else str(cell) for cell in cells(item)))
    Console(width=200).print(table)


@app.command("list")
def alerts_list(
    state: Annotated[str | None, typer.Option(help="pending, firing or resolved.")] = None,
    severity: Annotated[str | None, typer.Option(help="critical, warning or info.")] = None,
    rule: Annotated[str | None, typer.Option(help="A rule name.")] = None,
    host: Annotated[str | None, typer.Option(help="A host.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOption = False,
) -> None:
    """The alert history, newest first (the filters of GET /alerts)."""
    from opscast.alerting import service
    from opscast.alerting.schemas import AlertOut, AlertState, Severity

    if state is not None and state not in AlertState.__members__:
        raise fail(f"--state must be one of {', '.join(AlertState.__members__)}")
    if severity is not None and severity not in Severity.__members__:
        raise fail(f"--severity must be one of {', '.join(Severity.__members__)}")
    settings = load_settings()
    with open_database(settings) as database, database.session() as session:
        rows, total = service.list_alerts(
            session, state=state, severity=severity, rule=rule, host=host, limit=limit
        )
        alerts = [AlertOut.model_validate(row) for row in rows]
    _print(
        alerts,
        as_json=as_json,
        empty="no alerts match; `opscast alerts rules` lists what raises them",
        header=("id", "state", "severity", "rule", "host", "acked", "since", "summary"),
        cells=lambda a: (
            a.id,
            a.state,
            a.severity,
            a.rule,
            a.host or "",
            a.acknowledged_by or ("yes" if a.acknowledged_at else ""),
            (a.fired_at or a.started_at).isoformat(timespec="minutes"),
            a.summary,
        ),
    )
    if total > len(alerts):
        typer.echo(f"{len(alerts)} of {total}; --limit shows more")


@app.command("show")
def alerts_show(alert_id: Annotated[int, typer.Argument(help="The alert's id.")]) -> None:
    """One alert as JSON: evidence, threshold, feedback and every delivery."""
    from opscast.alerting import service

    settings = load_settings()
    with open_database(settings) as database, user_errors(), database.session() as session:
        detail = service.alert_detail(session, alert_id)
    _echo_json(detail)


@app.command("ack")
def alerts_ack(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.")], by: By = None
) -> None:
    """Acknowledge an alert: someone is on it (it keeps firing and notifying)."""
    from opscast.alerting import service
    from opscast.alerting.schemas import AckIn, AlertOut

    body = _validated(AckIn, by=by)
    settings = load_settings()
    with open_database(settings) as database, user_errors(), database.session() as session:
        alert = AlertOut.model_validate(service.acknowledge(session, alert_id, body))
    typer.echo(f"alert {alert.id} acknowledged{f' by {alert.acknowledged_by}' if by else ''}")


@app.command("resolve")
def alerts_resolve(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.")],
    by: By = None,
    reason: Annotated[str, typer.Option(help="Why, kept on the alert and its ticket.")] = "",
) -> None:
    """Resolve an alert now: its resolution is queued for the channels, its ticket resolved."""
    from opscast.alerting import service
    from opscast.alerting.runtime import AlertingRuntime
    from opscast.alerting.schemas import ResolveIn
    from opscast.registry import ModelStore

    body = _validated(ResolveIn, by=by, reason=reason)
    settings = load_settings()
    with open_database(settings) as database, user_errors():
        dispatch = AlertingRuntime(settings, database, ModelStore.from_settings(settings)).dispatch
        with database.session() as session:
            alert = service.resolve(session, alert_id, body, dispatch)
            ticket = alert.ticket_id
    typer.echo(f"alert {alert_id} resolved{f'; ticket {ticket} resolved' if ticket else ''}")


@app.command("silence")
def alerts_silence(
    match: Annotated[
        list[str],
        typer.Option("--match", help="label=value, repeatable: alerts with every one are quiet."),
    ],
    duration: Annotated[str, typer.Option("--for", help="How long: 30m, 2h, 1d.")],
    comment: Annotated[str, typer.Option(help="Why, for whoever sees the silence.")] = "",
    by: By = None,
) -> None:
    """Silence alerts by labels for a while (still recorded, not notified)."""
    from opscast.alerting import service
    from opscast.alerting.schemas import SilenceIn, SilenceOut

    matchers: dict[str, str] = {}
    for item in match:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise fail(f"--match {item!r} is not label=value (e.g. --match host=db-01)")
        matchers[name.strip()] = value.strip()
    body = _validated(
        SilenceIn, matchers=matchers, duration=duration, comment=comment, created_by=by
    )
    settings = load_settings()
    with open_database(settings) as database, user_errors(), database.session() as session:
        silence = SilenceOut.model_validate(service.create_silence(session, body))
    labels = ", ".join(f"{k}={v}" for k, v in silence.matchers.items())
    typer.echo(
        f"silence {silence.id}: {labels} until {silence.ends_at.isoformat(timespec='minutes')} UTC"
    )


@app.command("rules")
def alerts_rules(as_json: JsonOption = False) -> None:
    """The rules in force, with their tuned thresholds and precision from feedback."""
    from opscast.alerting import service

    settings = load_settings()
    with open_database(settings) as database, database.session() as session:
        rules = [service.rule_out(rule) for rule in service.list_rules(session)]
    _print(
        rules,
        as_json=as_json,
        empty="no rules are stored yet; they are loaded when the service starts",
        header=("id", "name", "kind", "condition", "bounds", "for", "precision", "enabled"),
        cells=lambda r: (
            r.id,
            r.name,
            r.kind,
            f"{r.op} {r.threshold:g}",
            f"[{r.threshold_min:g}, {r.threshold_max:g}]",
            f"{r.for_seconds:g}s",
            "" if r.precision is None else f"{r.precision:.0%} of {r.confirmed + r.dismissed}",
            "yes" if r.enabled else "no",
        ),
    )
