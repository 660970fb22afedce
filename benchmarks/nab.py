"""Numenta Anomaly Benchmark scores of opscast's detectors on the NAB files present.

Run: ``.venv/bin/python benchmarks/nab.py [--detector robust ...]``. Every CSV under
``<data dir>/nab/data`` is read and scored through ``score_frame``, the function behind
``opscast anomaly score`` (explanations off: they do not change scores), then scored
with NAB v1.1's rules (``opscast.anomaly.nab_score``): one optimized threshold per
detector and profile over the whole subset, normalized between the null and the
perfect detector. The windowed Gaussian is NAB's own baseline, reproduced exactly and
scored in the same run on the same files, as the like-for-like peer.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from opscast.anomaly.detectors import DETECTORS
from opscast.anomaly.nab_score import PROFILES, ScoredFile, score_corpus
from opscast.anomaly.scoring import score_frame
from opscast.config import Settings

# NAB v1.1 scoreboard, standard profile, on the full 58-file corpus (not this subset)
PUBLISHED = {
    "ARTime": 74.9,
    "Numenta HTM": 70.1,
    "Random Cut Forest": 51.7,
    "Windowed Gaussian": 39.6,
}


def load(nab: Path) -> tuple[list[Path], dict[str, list[list[str]]]]:
    files = sorted((nab / "data").glob("*/*.csv"))
    windows = json.loads((nab / "labels" / "combined_windows.json").read_text())
    return files, windows


def run(detector: str, files: list[Path], windows: dict[str, list[list[str]]]) -> list[str]:
    started = time.perf_counter()
    scored = []
    for path in files:
        key = f"{path.parent.name}/{path.name}"
        frame = score_frame(pd.read_csv(path), detector=detector, explain=False)
        scored.append(
            ScoredFile(
                key,
                pd.to_datetime(frame["timestamp"]).to_numpy(),
                frame["anomaly_score"].to_numpy(),
                [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in windows[key]],
            )
        )
    results = [score_corpus(scored, profile) for profile in PROFILES]
    seconds = time.perf_counter() - started
    standard = results[0]
    return [
        f"opscast {detector}",
        *(f"{result.score:.1f}" for result in results),
        f"{standard.detected_windows}/{standard.windows}",
        f"{standard.false_positives}",
        f"{standard.threshold:.3f}",
        f"{seconds:.1f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--detector", action="append", choices=list(DETECTORS))
    args = parser.parse_args()
    nab = Settings().data_dir / "nab"
    if not (nab / "labels" / "combined_windows.json").is_file():
        raise SystemExit(f"NAB data not found under {nab}; set OPSCAST_DATA_DIR")
    files, windows = load(nab)
    categories = sorted({path.parent.name for path in files})
    print(f"{len(files)} files in {', '.join(categories)}")
    header = "| detector | standard | low FP | low FN | windows hit (std) | FP (std) "
    print(header + "| threshold (std) | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for detector in args.detector or list(DETECTORS):
        print("| " + " | ".join(run(detector, files, windows)) + " |", flush=True)
    for name, scores in PUBLISHED.items():
        print(f"| {name} (published, full corpus) | {scores} | | | | | | |")


if __name__ == "__main__":
    main()
