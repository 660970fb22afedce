"""``opscast tickets``: classify a text, retrain the classifier."""

from __future__ import annotations

from typing import Annotated

import typer

from opscast.cli.common import fail, load_settings, open_database, steps, user_errors

app = typer.Typer(help="Tickets: classify a text, retrain the classifier.", no_args_is_help=True)


@app.command("retrain")
def tickets_retrain() -> None:
    """Retrain the ticket classifier on the generated sample and every corrected ticket.

    The new version serves only if it is not worse on the holdout; the same training as
    `opscast retrain --task tickets`, answered with the classifier's own summary.
    """
    from opscast.registry import ModelStore
    from opscast.tickets.classifier import retrain_classifier

    settings = load_settings()
    with (
        open_database(settings) as database,
        user_errors(),
        steps("ticket classifier"),
        database.session() as session,
    ):
        result = retrain_classifier(session, ModelStore.from_settings(settings))
    typer.echo(result.model_dump_json(indent=2))


@app.command("analyze")
def tickets_analyze(
    description: Annotated[str, typer.Argument(help="The ticket text.")],
    title: Annotated[str | None, typer.Option(help="The ticket title, if any.")] = None,
) -> None:
    """Classify and prioritise a text (nothing is stored); prints JSON."""
    from pydantic import ValidationError

    from opscast.tickets.schemas import AnalyzeIn
    from opscast.tickets.scoring import Scoring, analyze

    try:
        body = AnalyzeIn(description=description, title=title)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    settings = load_settings()
    with open_database(settings) as database, database.session() as session:
        result = analyze(
            session, body.description, Scoring.from_settings(settings), title=body.title
        )
    typer.echo(result.model_dump_json(indent=2))
