"""Alerting inside the running service: fed by the stream, delivering in the background.

The predictions stage's messages are judged as they come (a consumer group of its own
on ``anomaly_predictions``, so the broker redelivers what was not handled); drift
reports and retraining jobs are read on each tick; the outbox is sent on each tick and
at once after new notifications. Everything blocking runs in a thread.

Every worker of a server runs one of these on the same database. Evaluations take
turns (``AlertRepository.take_evaluation_turn``) and each due delivery is claimed by
exactly one worker before it is sent (``AlertRepository.claim_delivery``), so a second
worker adds capacity, never a duplicate notification.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opscast.alerting import service
from opscast.alerting.channels import configured_channels
from opscast.alerting.delivery import Policy, deliver_due, resend_due, retry_after_restart
from opscast.alerting.observations import Observation, from_predictions
from opscast.alerting.repository import AlertRepository
from opscast.alerting.rules import load_rules
from opscast.alerting.sources import anything_new, read_sources, start_cursors
from opscast.config import Settings
from opscast.db import Database, utc_now
from opscast.event_wait import wake_or_timeout
from opscast.observability import get_logger
from opscast.registry.store import ModelStore
from opscast.streaming.topics import ANOMALY_PREDICTIONS

log = get_logger(__name__)
GROUP = "alerting"


class AlertingRuntime:
    def __init__(self, settings: Settings, database: Database, store: ModelStore | None) -> None:
        self.settings = settings
        self.database = database
        self.channels = configured_channels(settings)
        self.store = store
        self.policy = Policy(
            backoff=timedelta(seconds=settings.alert_delivery_backoff_seconds),
            max_attempts=settings.alert_delivery_max_attempts,
            resend=timedelta(seconds=settings.alert_resend_seconds),
        )
        self.stale_after = timedelta(seconds=settings.alert_stale_seconds)
        self._scoring: Any = None
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def dispatch(self) -> service.Dispatch:
        return service.Dispatch(self.channels, self.scoring, self.settings.alert_base_url)

    @property
    def scoring(self) -> Any:
        """Ticket scoring, built on first use (it loads the ticket rules and registry)."""
        if self._scoring is None and self.store is not None:
            from opscast.tickets.scoring import Scoring

            self._scoring = Scoring.from_settings(self.settings, self.store)
        return self._scoring

    def attach(self, pipeline: Any) -> None:
        """Subscribe to the stream's predictions (before the pipeline starts)."""
        pipeline.subscribe(
            ANOMALY_PREDICTIONS, GROUP, self.on_predictions, self.on_many_predictions
        )

    async def start(self) -> None:
        await asyncio.to_thread(self.prepare)
        self._task = asyncio.create_task(self._run())

    def prepare(self) -> None:
        """Store the rule file and the source cursors; safe when several processes start at once."""
        try:
            added = self._store_rules_and_cursors()
        except IntegrityError:
            # Another worker of this server (or another replica on the same database)
            # stored the file's rules or the cursors first; what it stored is what this
            # one wanted, so read them back instead of failing the start-up.
            added = self._store_rules_and_cursors()
        with self.database.session() as session:
            service.refresh_firing_gauge(session)
            service.refresh_precision_gauge(session)
            service.count_from_zero(session, service.Dispatch(self.channels))
        retried = retry_after_restart(self.database)
        log.info(
            "alerting.started", channels=sorted(self.channels), rules_written=added, retried=retried
        )

    def _store_rules_and_cursors(self) -> list[str]:
        with self.database.session() as session:
            added = service.sync_rules(session, load_rules(self.settings.alert_rules_file))
            start_cursors(session)
        return added

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def on_predictions(self, message: dict[str, Any]) -> None:
        await self.on_many_predictions([message])

    async def on_many_predictions(self, messages: list[dict[str, Any]]) -> None:
        # the sender is woken only when there is something to send: every stream batch
        # would otherwise cost a round of the delivery loop's queries
        if await asyncio.to_thread(self.judge_many_predictions, messages):
            self._kick.set()

    def judge_predictions(self, message: dict[str, Any]) -> int:
        return self.judge_many_predictions([message])

    def judge_many_predictions(self, messages: list[dict[str, Any]]) -> int:
        """One evaluation for several messages, their observations in arrival order."""
        return self.judge(
            lambda _session: [seen for message in messages for seen in from_predictions(message)]
        )

    def judge(self, observe: Callable[[Session], list[Observation]], *, sweep: bool = False) -> int:
        """Evaluate in one unit of work, then open the tickets it calls for in another.

        The unit of work starts by taking the evaluation turn, so the workers of one
        server (or replicas on one database) never judge the same alerts and cursors at
        once: each reads what the previous evaluation committed. ``sweep`` also resolves
        the alerts whose source stopped reporting (``service.sweep_stale``).
        """
        dispatch = self.dispatch
        with self.database.session() as session:
            AlertRepository(session).take_evaluation_turn(utc_now())
            outcome = service.evaluate(session, observe(session), dispatch)
            if sweep:
                service.sweep_stale(session, dispatch, utc_now(), self.stale_after)
        if outcome.want_ticket:
            with self.database.session() as session:
                service.open_tickets(session, outcome.want_ticket, dispatch)
        return len(outcome.notified)

    def judge_sources(self, *, sweep: bool = False) -> int:
        """Judge what the polled sources stored since they were last read; notifications
        are queued in the outbox, not sent. Nothing is written when there is nothing new
        to read and (with ``sweep``) no alert has gone stale."""
        with self.database.session() as session:
            idle = not anything_new(session) and not (
                sweep and service.stale_alerts(session, utc_now(), self.stale_after)
            )
        return 0 if idle else self.judge(read_sources, sweep=sweep)

    def tick(self) -> tuple[int, int]:
        """Judge the polled sources, resolve stale alerts, queue Alertmanager re-sends, send
        what is due."""
        self.judge_sources(sweep=True)
        resend_due(self.database, self.channels, self.policy, self.settings.alert_base_url)
        return deliver_due(self.database, self.channels, self.policy)

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.tick)
            except Exception as exc:  # a database hiccup: log, keep ticking
                log.error("alerting.tick_failed", error=f"{type(exc).__name__}: {exc}")
            await wake_or_timeout(self._kick, self.settings.alert_delivery_poll_seconds)
            self._kick.clear()
