"""Cold-start cost of opscast next to the bare libraries it is built on.

Run: ``.venv/bin/python benchmarks/startup.py [--repeat 15]``. Each command runs in a
fresh interpreter, alternating with its peer so that machine noise hits both alike; the
table shows medians and the ratio opscast / peer.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent

PAIRS: list[tuple[str, list[str], str, list[str]]] = [
    (
        "import opscast",
        [sys.executable, "-c", "import opscast"],
        "python -c pass",
        [sys.executable, "-c", "pass"],
    ),
    (
        "opscast --help",
        [str(BIN / "opscast"), "--help"],
        "bare Typer app --help",
        [
            sys.executable,
            "-c",
            "import typer; app = typer.Typer(); app.command()(lambda: None); app(['--help'])",
        ],
    ),
    (
        "import opscast.api.app",
        [sys.executable, "-c", "import opscast.api.app"],
        "import fastapi + sqlalchemy + pandas",
        [sys.executable, "-c", "import fastapi, sqlalchemy.orm, pandas"],
    ),
]


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print("| opscast | median s | peer | median s | ratio |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name, command, peer_name, peer in PAIRS:
        wall_time(command)
        wall_time(peer)
        ours, theirs = [], []
        for _ in range(args.repeat):
            ours.append(wall_time(command))
            theirs.append(wall_time(peer))
        mine, other = statistics.median(ours), statistics.median(theirs)
        print(f"| `{name}` | {mine:.3f} | `{peer_name}` | {other:.3f} | {mine / other:.2f} |")


if __name__ == "__main__":
    main()
