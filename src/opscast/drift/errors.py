"""The one error the drift kernel raises for input a user can fix.

It is an ``InvalidInputError`` so the API answers 422 naming the field and the CLI prints
one line, without either of them knowing about the kernel.
"""

from __future__ import annotations

from opscast.errors import InvalidInputError


class DriftInputError(InvalidInputError):
    """A column that cannot be compared, an unknown test, a threshold out of range."""
