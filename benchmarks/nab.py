"""Numenta Anomaly Benchmark scores of opscast's detectors on the NAB files present.

Run: ``.venv/bin/python benchmarks/nab.py [--detector novelty ...] [--held-out]``. Every
CSV under ``<data dir>/nab/data`` is read and scored through ``score_frame``, the
function behind ``opscast anomaly score`` (explanations off: they do not change
scores), then scored with NAB v1.1's rules (``opscast.anomaly.nab_score``): one
optimized threshold per detector and profile over the whole subset (the threshold is
the profile's one parameter, the same for every file), normalized between the null
and the perfect detector. Peers in the same run, on the same files: NAB's windowed
Gaussian (reproduced exactly), river's Half-Space Trees (opscast's wrapper on the
rolling features) and a rolling scikit-learn Isolation Forest refitted every 500
points on the 2,000 before them. ``points/s`` is the points of the subset over the
wall time of scoring them.

A second table splits the first detector's scores by NAB category, each scored at the
corpus thresholds (a file set with other categories shows where the total comes from).

``--held-out`` checks generality: the default detector's parameters (time scales, bins,
rest level) are picked from a small grid on two of the three groups of files
(artificial, AWS CloudWatch, known causes), its threshold optimized there, and the
third group scored with both.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.anomaly.detectors import DETECTORS, make_detector
from opscast.anomaly.features import FloatArray, rolling_features
from opscast.anomaly.nab_score import PROFILES, ScoredFile, score_corpus
from opscast.anomaly.nab_score import sweep as nab_sweep
from opscast.anomaly.novelty import NoveltyDetector
from opscast.anomaly.scoring import score_frame, score_series
from opscast.config import Settings

# NAB v1.1 scoreboard, standard profile, on the full 58-file corpus (not this subset)
PUBLISHED = {
    "ARTime": 74.9,
    "Numenta HTM": 70.1,
    "Random Cut Forest": 51.7,
    "Windowed Gaussian": 39.6,
}
LABELS = {
    "lstm_autoencoder": "opscast lstm_autoencoder (optional, `neural` extra)",
    "windowed_gaussian": "NAB windowed Gaussian (opscast's exact reproduction)",
    "half_space_trees": "river HalfSpaceTrees (opscast half_space_trees)",
}
GROUPS = {
    "artificialNoAnomaly": "artificial",
    "artificialWithAnomaly": "artificial",
    "realAWSCloudwatch": "realAWSCloudwatch",
    "realKnownCause": "realKnownCause",
}
Files = list[tuple[str, pd.DataFrame, list[tuple[pd.Timestamp, pd.Timestamp]]]]
Params = tuple[tuple[int, ...], int, float]


def load(nab: Path) -> Files:
    windows = json.loads((nab / "labels" / "combined_windows.json").read_text())
    files = []
    for path in sorted((nab / "data").glob("*/*.csv")):
        key = f"{path.parent.name}/{path.name}"
        spans = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in windows[key]]
        files.append((key, pd.read_csv(path), spans))
    return files


def stamps(frame: pd.DataFrame) -> npt.NDArray[np.datetime64]:
    return pd.to_datetime(frame["timestamp"]).to_numpy()


def values_of(frame: pd.DataFrame) -> FloatArray:
    return frame["value"].to_numpy(dtype=np.float64)


def scored_files(files: Files, score: Callable[[pd.DataFrame], FloatArray]) -> list[ScoredFile]:
    return [ScoredFile(key, stamps(frame), score(frame), spans) for key, frame, spans in files]


def rolling_forest(values: FloatArray, refit: int = 500, train: int = 2000) -> FloatArray:
    """Isolation Forest refitted every ``refit`` points on the ``train`` before them."""
    from sklearn.ensemble import IsolationForest

    features = rolling_features(values)
    scores = np.zeros(len(values))
    for start in range(refit, len(values), refit):
        forest = IsolationForest(n_estimators=100, random_state=0)
        forest.fit(features[max(0, start - train) : start])
        scores[start : start + refit] = -forest.score_samples(features[start : start + refit])
    return scores


def row(name: str, files: Files, score: Callable[[pd.DataFrame], FloatArray]) -> list[str]:
    started = time.perf_counter()
    scored = scored_files(files, score)
    seconds = time.perf_counter() - started
    results = [score_corpus(scored, profile) for profile in PROFILES]
    points = sum(len(frame) for _, frame, _ in files)
    return [
        name,
        *(f"{result.score:.1f}" for result in results),
        *(f"{result.detected_windows}/{result.windows}" for result in results),
        *(f"{result.false_positives}" for result in results),
        " / ".join(f"{result.threshold:.3f}" for result in results),
        f"{points / seconds:,.0f}",
    ]


def opscast(detector: str) -> Callable[[pd.DataFrame], FloatArray]:
    def score(frame: pd.DataFrame) -> FloatArray:
        scored = score_frame(frame, detector=detector, explain=False)
        return np.asarray(scored["anomaly_score"].to_numpy(), dtype=np.float64)

    return score


def held_out(files: Files) -> None:
    """Pick parameters and threshold on two groups of files, score the third.

    The grid holds the time scales, the bins and the rest level (the raw score that
    starts a rest; the shipped default rests at its own threshold).
    """
    grid: dict[Params, NoveltyDetector] = {
        params: NoveltyDetector(scales=params[0], levels=params[1], rest_level=params[2])
        for params in itertools.product(
            ((4, 8, 16), (8, 12, 20), (6, 12, 24)), (6, 8, 10), (0.4, 0.45, 0.5, 0.55)
        )
    }
    scores = {
        params: scored_files(
            files, lambda frame, d=detector: score_series(d, values_of(frame), stamps(frame))[0]
        )
        for params, detector in grid.items()
    }
    groups = sorted(set(GROUPS.values()))
    print("\n| held out | scales, bins, rest level chosen on the others | profile ", end="")
    print("| threshold (others) | score on the others | held-out score at that threshold ", end="")
    print("| default's held-out score |")
    print("|---|---|---|---:|---:|---:|---:|")
    shipped = NoveltyDetector()
    default = (shipped.scales, shipped.levels, shipped.rest_level)
    for group in groups:

        def part(params: Params, keep: bool, g: str = group) -> list[ScoredFile]:
            return [s for s in scores[params] if (GROUPS[s.name.split("/")[0]] == g) == keep]

        best = max(grid, key=lambda params: score_corpus(part(params, False), "standard").score)
        for profile in PROFILES:
            trained = score_corpus(part(best, False), profile)
            tested = score_corpus(part(best, True), profile, trained.threshold)
            ours = score_corpus(part(default, False), profile)
            ours_tested = score_corpus(part(default, True), profile, ours.threshold)
            print(
                f"| {group} | {best[0]}, {best[1]}, {best[2]} | {profile} "
                f"| {trained.threshold:.3f} | {trained.score:.1f} | {tested.score:.1f} "
                f"| {ours_tested.score:.1f} |",
                flush=True,
            )


def by_category(files: Files, detector: str) -> None:
    """Each category's share of one detector's corpus score: its files scored at the
    corpus threshold of each profile, so a category that drags the total shows."""
    scored = scored_files(files, opscast(detector))
    corpus = {profile: score_corpus(scored, profile) for profile in PROFILES}
    print(f"\n{detector} by category, at the corpus thresholds")
    print("| category | files | standard | low FP | low FN | hit (std) | FP (std) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for category in sorted({s.name.split("/")[0] for s in scored}):
        part = [s for s in scored if s.name.split("/")[0] == category]
        if not any(s.windows for s in part):  # no score to normalize: only alarms count
            alarms = sum(
                int((sweep.window[sweep.scores >= corpus["standard"].threshold] < 0).sum())
                for sweep in (nab_sweep(s, PROFILES["standard"]) for s in part)
            )
            print(f"| {category} | {len(part)} | no windows | | | | {alarms} |", flush=True)
            continue
        results = [score_corpus(part, p, corpus[p].threshold) for p in PROFILES]
        standard = results[0]
        print(
            f"| {category} | {len(part)} | "
            + " | ".join(f"{result.score:.1f}" for result in results)
            + f" | {standard.detected_windows}/{standard.windows} "
            f"| {standard.false_positives} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--detector", action="append", choices=list(DETECTORS))
    parser.add_argument("--no-peers", action="store_true", help="skip the rolling forest")
    parser.add_argument("--held-out", action="store_true", help="also the held-out check")
    args = parser.parse_args()
    nab = Settings().data_dir / "nab"
    if not (nab / "labels" / "combined_windows.json").is_file():
        raise SystemExit(f"NAB data not found under {nab}; set OPSCAST_DATA_DIR")
    files = load(nab)
    categories = sorted({key.split("/")[0] for key, _, _ in files})
    print(f"{len(files)} files in {', '.join(categories)}")
    print(
        "| detector | standard | low FP | low FN | hit (std) | hit (low FP) | hit (low FN) "
        "| FP (std) | FP (low FP) | FP (low FN) | thresholds (std / low FP / low FN) "
        "| points/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for detector in args.detector or list(DETECTORS):
        name = LABELS.get(detector, f"opscast {detector}")
        try:
            make_detector(detector)
        except ValueError as exc:  # an optional extra that is not installed
            print(f"| {name} | not run: {exc} |" + " |" * 10, flush=True)
            continue
        print("| " + " | ".join(row(name, files, opscast(detector))) + " |", flush=True)
    if not args.no_peers:
        forest = row(
            "rolling scikit-learn IsolationForest (refit every 500 on 2,000)",
            files,
            lambda frame: rolling_forest(values_of(frame)),
        )
        print("| " + " | ".join(forest) + " |", flush=True)
    for name, published in PUBLISHED.items():
        print(f"| {name} (published, full corpus) | {published} |" + " |" * 10)
    by_category(files, args.detector[0] if args.detector else "novelty")
    if args.held_out:
        held_out(files)


if __name__ == "__main__":
    main()
