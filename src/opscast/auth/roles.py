"""The three roles and which one each request needs.

Reads need ``viewer``; anything that changes data needs ``operator``; what changes who
may do what or which model serves (promotion, rollback, keys, alert rules, retraining
policies) needs ``admin``. Roles are ordered: a higher role may do all a lower one may.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Role(StrEnum):
    viewer = "viewer"
    operator = "operator"
    admin = "admin"

    @property
    def rank(self) -> int:
        return ROLE_ORDER.index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


ROLE_ORDER = (Role.viewer, Role.operator, Role.admin)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Paths open to anyone even with auth on: probes, metrics, the API description, the
# login form and sign-out, and the static files the login page needs.
PUBLIC_PATHS = re.compile(
    r"^/(health|metrics|openapi\.json|docs(/.*)?|redoc|favicon\.ico|static/.*|auth/log(in|out)|)$"
)
ADMIN_PATHS = re.compile(
    r"^/(models/[^/]+/(rollback|promote)|auth/keys(/.*)?|alerts/rules(/.*)?"
    r"|retrain/policies(/.*)?|jobs/schedules(/.*)?)$"
)


def needed_role(method: str, path: str) -> Role | None:
    """The least role that may make this request; None when it needs no key at all."""
    if PUBLIC_PATHS.match(path):
        return None
    if method in SAFE_METHODS:
        return Role.admin if path.startswith("/auth/keys") else Role.viewer
    if ADMIN_PATHS.match(path):
        return Role.admin
    return Role.operator
