"""``opscast keys create|list|revoke``: API keys with a role, stored as digests.

The key is printed once, by ``create``; afterwards only its first characters are shown.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from opscast.cli.common import load_settings, open_database

app = typer.Typer(help="API keys with a role (viewer, operator, admin).", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Who or what the key is for, e.g. ci or grafana.")],
    role: Annotated[
        str, typer.Option(help="viewer (reads), operator (+ changes), admin (+ keys, rollback).")
    ] = "viewer",
) -> None:
    """Create a key and print it once: store it now, it cannot be shown again."""
    from pydantic import ValidationError

    from opscast.auth import service
    from opscast.auth.schemas import KeyCreate

    try:
        body = KeyCreate.model_validate({"name": name, "role": role})
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        typer.echo(f"error: {problems}", err=True)
        raise typer.Exit(2) from None
    with open_database(load_settings()) as database, database.session() as session:
        stored, key = service.create_key(session, body.name, body.role)
        key_id = stored.id
    typer.echo(key)
    typer.echo(
        f"created key {key_id} ({body.name}, {body.role.value}); it is shown only this once",
        err=True,
    )


@app.command("list")
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout.")] = False,
) -> None:
    """Every key: id, name, role, first characters, created and revoked times."""
    from opscast.auth import service
    from opscast.auth.schemas import KeyOut

    with open_database(load_settings()) as database, database.session() as session:
        keys = [KeyOut.model_validate(key) for key in service.list_keys(session)]
    if as_json:
        typer.echo(json.dumps([key.model_dump(mode="json") for key in keys]))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "name", "role", "key starts", "created", "revoked")
    for key in keys:
        table.add_row(
            str(key.id),
            key.name,
            key.role.value,
            key.prefix + "…",
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    Console().print(table)


@app.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(help="The id that `keys list` shows.")]) -> None:
    """Revoke a key; a running server refuses it within seconds."""
    from opscast.auth import service
    from opscast.errors import OpscastError

    try:
        with open_database(load_settings()) as database, database.session() as session:
            key = service.revoke_key(session, key_id)
            name = key.name
    except OpscastError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"revoked key {key_id} ({name})", err=True)
