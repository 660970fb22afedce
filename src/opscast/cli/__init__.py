"""The ``opscast`` command line; ``opscast.cli.main`` registers every command."""

from opscast.cli.main import app, main

__all__ = ["app", "main"]
