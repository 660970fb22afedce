"""The ticket classifier's training: the sample plus people's corrections, fitted and
handed to the registry's guard, so a worse classifier never serves."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import Session

from opscast.errors import NotFoundError
from opscast.registry import ModelStore
from opscast.registry.service import Challenger, GuardedOutcome, train_guarded
from opscast.tickets.repository import TicketRepository
from opscast.tickets.schemas import RetrainOut
from opscast.tickets.training import TrainingSet, fit_classifier, holdout_scores

# the registry task of the learned classifier, and the retraining target that refits it
TASK = "tickets-classifier"
RETRAIN_TARGET = "tickets"
MODEL_NAME = "tfidf-logreg"
METRICS = ("accuracy", "macro_f1")
# macro-F1 decides first: helpdesk classes are unbalanced and a rare class often matters most
PREFERENCE = ("macro_f1", "accuracy")
SAMPLE_SIZE = 700
SAMPLE_SEED = 11
# A person's label counts as this many generated examples when retraining.
CORRECTION_WEIGHT = 5.0


def ticket_text(title: str, description: str) -> str:
    return f"{title}. {description}"


@lru_cache(maxsize=1)
def _sample() -> tuple[tuple[str, ...], tuple[str, ...]]:
    from opscast.simulate.tickets import simulate_tickets

    frame = simulate_tickets(SAMPLE_SIZE, seed=SAMPLE_SEED)
    texts = tuple(
        ticket_text(t, d) for t, d in zip(frame["title"], frame["description"], strict=True)
    )
    return texts, tuple(frame["classification"])


def training_set(session: Session) -> tuple[TrainingSet, int]:
    """The generated sample plus every ticket a person labelled, and how many of those."""
    corrections = TicketRepository(session).corrected_examples()
    sample_texts, sample_labels = _sample()
    training = TrainingSet(
        texts=(*sample_texts, *(ticket_text(t, d) for t, d, _ in corrections)),
        labels=(*sample_labels, *(label for _, _, label in corrections)),
        weights=(1.0,) * len(sample_texts) + (CORRECTION_WEIGHT,) * len(corrections),
    )
    return training, len(corrections)


def _champion_scores(store: ModelStore, holdout: TrainingSet) -> dict[str, float | None] | None:
    """The serving classifier's scores on the challenger's holdout (None without one)."""
    try:
        champion = store.champion(TASK)
    except NotFoundError:
        return None
    return dict(holdout_scores(champion.model, holdout))


def train_classifier(
    store: ModelStore, session: Session, *, tolerance: float = 0.0, requested_by: str
) -> GuardedOutcome:
    """Fit on the sample and the corrections, register, and serve only if not worse.

    The one way a classifier version is made: on first use, by ``POST /retrain`` and
    ``opscast retrain``, and by ``POST /tickets/classifier/retrain``.
    """
    import sklearn

    def fit() -> Challenger:
        training, corrections = training_set(session)
        train_rows, holdout_rows = training.split()
        train, holdout = training.rows(train_rows), training.rows(holdout_rows)
        model = fit_classifier(train)
        scores = holdout_scores(model, holdout)
        return Challenger(
            model=model,
            data=training.frame(),
            params={
                "model": MODEL_NAME,
                "trained_on": len(train.texts),
                "holdout_size": len(holdout.texts),
                "corrections": corrections,
                "correction_weight": CORRECTION_WEIGHT,
                "classes": ",".join(model.classes),
                "sklearn": str(sklearn.__version__),
            },
            metrics=scores,
            holdout=scores,
            champion_holdout=_champion_scores(store, holdout),
        )

    return train_guarded(
        store,
        session,
        TASK,
        fit,
        tags={"domain": "tickets"},
        tolerance=tolerance,
        requested_by=requested_by,
        required_metrics=METRICS,
        preference=PREFERENCE,
    )


def retrain_classifier(session: Session, store: ModelStore) -> RetrainOut:
    """Retrain now, under the tickets retraining policy's tolerance, and say what serves."""
    from opscast.retraining.service import policy_or_default

    tolerance = policy_or_default(session, RETRAIN_TARGET).tolerance
    outcome = train_classifier(store, session, tolerance=tolerance, requested_by="api")
    return RetrainOut.of(outcome)
