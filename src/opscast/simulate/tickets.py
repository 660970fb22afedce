"""Labelled IT support tickets, generated: the classifier's sample when no real set is at hand.

Each ticket names a thing that broke and how, for a scope of people, in the words a
user would write; its class, impact and urgency follow from those choices. A few
labels are flipped on purpose (``label_noise``) because real helpdesk labels are not
clean either, and a classifier that only ever saw perfect labels would be overconfident.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# class -> (things that break, how they break)
VOCABULARY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "network": (
        (
            "vpn",
            "wifi",
            "dns resolver",
            "firewall",
            "load balancer",
            "proxy",
            "core router",
            "switch port",
            "office network",
            "site link",
        ),
        (
            "is unreachable",
            "keeps dropping",
            "times out",
            "has high latency",
            "loses packets",
            "refuses connections",
            "is very slow",
            "flaps every few minutes",
        ),
    ),
    "hardware": (
        (
            "laptop",
            "server fan",
            "power supply",
            "disk drive",
            "memory module",
            "printer",
            "monitor",
            "docking station",
            "rack server",
            "keyboard",
        ),
        (
            "is overheating",
            "will not power on",
            "makes a grinding noise",
            "shows hardware errors",
            "failed its self test",
            "keeps rebooting",
            "is physically damaged",
            "has a dead battery",
        ),
    ),
    "software": (
        (
            "payroll app",
            "email client",
            "browser",
            "office suite",
            "build pipeline",
            "web application",
            "mobile app",
            "crm",
            "reporting tool",
            "ide",
        ),
        (
            "crashes on start",
            "throws an exception",
            "shows an error after the update",
            "freezes",
            "fails to install",
            "needs a license renewal",
            "shows a blank page",
            "has a bug",
        ),
    ),
    "database": (
        (
            "postgres cluster",
            "orders database",
            "read replica",
            "mysql instance",
            "reporting db",
            "sql query",
            "customer table",
            "db index",
        ),
        (
            "has replication lag",
            "is deadlocking",
            "runs out of connections",
            "returns slow queries",
            "failed its nightly backup",
            "has a corrupted table",
            "rejects writes",
            "is locked",
        ),
    ),
    "security": (
        (
            "admin account",
            "mailbox",
            "endpoint",
            "tls certificate",
            "web server",
            "vendor portal",
            "shared laptop",
        ),
        (
            "received a phishing email",
            "shows signs of malware",
            "has suspicious logins",
            "certificate expired",
            "was compromised",
            "shows a ransomware note",
            "has unauthorized changes",
            "is flagged by the scanner",
        ),
    ),
    "access": (
        (
            "password",
            "account",
            "vpn access",
            "shared drive permission",
            "sso login",
            "mfa token",
            "admin rights",
            "group membership",
        ),
        (
            "needs a reset",
            "is locked out",
            "gives access denied",
            "is requested for a new employee",
            "does not let me log in",
            "is missing",
            "expired",
            "must be removed for a leaver",
        ),
    ),
    "storage": (
        (
            "file share",
            "disk volume",
            "backup volume",
            "s3 bucket",
            "nfs mount",
            "home directory",
            "archive storage",
            "team drive",
        ),
        (
            "is full",
            "is out of space",
            "failed to mount",
            "hit its quota",
            "has files missing",
            "is read only",
            "grows too fast",
            "cannot be written",
        ),
    ),
}
# scope phrase -> ITIL impact (1 high .. 3 low)
SCOPES = (
    ("for me", 3),
    ("on my machine", 3),
    ("for our team", 2),
    ("for the finance department", 2),
    ("for all users", 1),
    ("in production for every customer", 1),
)
# urgency phrase -> ITIL urgency
URGENCIES = (
    ("whenever you have time", 3),
    ("no rush", 3),
    ("it slows our work", 2),
    ("please look today", 2),
    ("work is stopped", 1),
    ("urgent, we are down", 1),
)
OPENERS = ("hi,", "hello team,", "", "good morning,", "dear support,")
CLOSERS = ("thanks", "regards", "", "thank you in advance", "please advise")


def simulate_tickets(n: int = 600, *, seed: int = 0, label_noise: float = 0.03) -> pd.DataFrame:
    """``n`` tickets: title, description, classification, impact, urgency."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0.0 <= label_noise < 1.0:
        raise ValueError("label_noise must lie in [0, 1)")
    rng = np.random.default_rng(seed)
    classes = list(VOCABULARY)
    rows: list[dict[str, object]] = []
    for _ in range(n):
        label = classes[int(rng.integers(len(classes)))]
        things, symptoms = VOCABULARY[label]
        thing = things[int(rng.integers(len(things)))]
        symptom = symptoms[int(rng.integers(len(symptoms)))]
        scope, impact = SCOPES[int(rng.integers(len(SCOPES)))]
        urgency_text, urgency = URGENCIES[int(rng.integers(len(URGENCIES)))]
        opener = OPENERS[int(rng.integers(len(OPENERS)))]
        closer = CLOSERS[int(rng.integers(len(CLOSERS)))]
        description = " ".join(
            part
            for part in (opener, f"the {thing} {symptom} {scope}.", f"{urgency_text}.", closer)
            if part
        )
        if rng.random() < label_noise:
            label = classes[int(rng.integers(len(classes)))]
        rows.append(
            {
                "title": f"{thing} {symptom}",
                "description": description,
                "classification": label,
                "impact": impact,
                "urgency": urgency,
            }
        )
    return pd.DataFrame(rows)
