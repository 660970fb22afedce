"""Ticket classification on real helpdesk tickets: the learned classifier next to keyword rules.

Run: ``.venv/bin/python benchmarks/tickets.py [--quick]``. Data: the labelled Endava
support tickets in ``<OPSCAST_DATA_DIR>/tickets/all_tickets_subset.csv`` (5,431 tickets,
see its PROVENANCE.md); the script says so and stops when the file is absent.

Target: ``category`` (anonymised integer codes), on title + body. Classes with fewer
than ``MIN_PER_CLASS`` tickets cannot be split in a stratified way and are dropped
(classes 9 and 12: 3 tickets). One stratified 20 % holdout (seed 0) serves every row.

Peers on the same split:
- **keyword rules**: opscast's rule engine (``RuleSet.classify``) with rules mined from
  the training split, the ``KEYWORDS`` words with the highest chi-square score for each
  class. The packaged rules cannot be scored here: their classes are words (network,
  access...) while the data's labels are anonymised codes. Mining them from the same
  training data is the fairest rule-based peer.
- **majority class**: the floor any classifier must beat.
- **TF-IDF words + characters**: the variant the learned classifier does not use.

Latency is the median wall time to classify one ticket at a time (what the API does
per request), over ``LATENCY_SAMPLE`` holdout tickets.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from opscast.config import Settings
from opscast.tickets.learned import LearnedClassifier
from opscast.tickets.rules import RuleSet

MIN_PER_CLASS = 5
KEYWORDS = 25
LATENCY_SAMPLE = 300


def load(data_dir: Path) -> pd.DataFrame | None:
    path = data_dir / "tickets" / "all_tickets_subset.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path)
    frame["text"] = (frame["title"].fillna("") + ". " + frame["body"].fillna("")).str.strip()
    frame["label"] = "category-" + frame["category"].astype(str)
    counts = frame["label"].value_counts()
    return frame[frame["label"].isin(counts[counts >= MIN_PER_CLASS].index)].reset_index(drop=True)


def mine_rules(texts: Sequence[str], labels: Sequence[str], keywords: int) -> RuleSet:
    """The words most associated with each class (chi-square, one class against the rest)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.feature_selection import chi2

    vectorizer = CountVectorizer(binary=True, min_df=3)
    counts = vectorizer.fit_transform(texts)
    vocabulary = np.asarray(vectorizer.get_feature_names_out())
    truth = np.asarray(labels)
    classes: dict[str, tuple[str, ...]] = {}
    for label in sorted(set(labels)):
        scores, _ = chi2(counts, truth == label)
        in_class = np.asarray(counts[truth == label].mean(axis=0)).ravel()
        elsewhere = np.asarray(counts[truth != label].mean(axis=0)).ravel()
        scores = np.where(in_class > elsewhere, np.nan_to_num(scores), 0.0)
        classes[label] = tuple(vocabulary[np.argsort(scores)[::-1][:keywords]])
    majority = pd.Series(labels).value_counts().index[0]
    return RuleSet(classes=classes, default_class=str(majority), cues={})


def char_variant(train: Sequence[str], labels: Sequence[str]) -> Callable[[list[str]], list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    pipeline = Pipeline(
        [
            (
                "tfidf",
                FeatureUnion(
                    [
                        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
                            ),
                        ),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")),
        ]
    )
    pipeline.fit(list(train), list(labels))
    return lambda texts: [str(label) for label in pipeline.predict(texts)]


def per_ticket_ms(predict: Callable[[list[str]], list[str]], texts: Sequence[str]) -> float:
    times = []
    for text in texts[:LATENCY_SAMPLE]:
        started = time.perf_counter()
        predict([text])
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the slow character variant")
    args = parser.parse_args()
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import train_test_split

    frame = load(Settings().data_dir)
    if frame is None:
        print(
            "the labelled tickets are absent (tickets/all_tickets_subset.csv in OPSCAST_DATA_DIR)"
        )
        sys.exit(0)
    train, test = train_test_split(frame, test_size=0.2, stratify=frame["label"], random_state=0)
    x_train, y_train = train["text"].tolist(), train["label"].tolist()
    x_test, y_test = test["text"].tolist(), test["label"].tolist()
    print(
        f"{len(frame):,} tickets, {frame['label'].nunique()} classes; "
        f"train {len(train):,}, holdout {len(test):,}",
        file=sys.stderr,
    )

    rows: list[tuple[str, float, float, float, float]] = []

    def measure(name: str, fit: Callable[[], Callable[[list[str]], list[str]]]) -> None:
        started = time.perf_counter()
        predict = fit()
        fit_seconds = time.perf_counter() - started
        predicted = predict(x_test)
        rows.append(
            (
                name,
                float(f1_score(y_test, predicted, average="macro", zero_division=0)),
                float(accuracy_score(y_test, predicted)),
                per_ticket_ms(predict, x_test),
                fit_seconds,
            )
        )
        print(f"  {name}: done", file=sys.stderr)

    def learned() -> Callable[[list[str]], list[str]]:
        model = LearnedClassifier.fit(x_train, y_train)
        return lambda texts: [p.label for p in model.predict(texts)]

    def rules() -> Callable[[list[str]], list[str]]:
        mined = mine_rules(x_train, y_train, KEYWORDS)
        return lambda texts: [mined.classify(text).label for text in texts]

    majority = pd.Series(y_train).value_counts().index[0]
    measure("opscast learned: TF-IDF words + logistic regression", learned)
    measure(f"keyword rules mined from the training split ({KEYWORDS} per class)", rules)
    measure("majority class", lambda: lambda texts: [str(majority)] * len(texts))
    if not args.quick:
        measure(
            "TF-IDF words + characters + logistic regression",
            lambda: char_variant(x_train, y_train),
        )

    print("| classifier | macro-F1 | accuracy | ms per ticket | fit s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, macro_f1, accuracy, latency, fit_seconds in rows:
        print(f"| {name} | {macro_f1:.3f} | {accuracy:.3f} | {latency:.2f} | {fit_seconds:.1f} |")
    learned_row, rules_row = rows[0], rows[1]
    print(
        f"\nlearned / rules: macro-F1 x{learned_row[1] / rules_row[1]:.2f}, "
        f"accuracy x{learned_row[2] / rules_row[2]:.2f}, "
        f"latency x{learned_row[3] / rules_row[3]:.2f}"
    )


if __name__ == "__main__":
    main()
