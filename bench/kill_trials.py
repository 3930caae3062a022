"""kill -9 during saves, many times: does the database always hold one whole state?

The experiment of tests/test_store_crash.py (``run_kill_trial``), repeated: a child process saves
growing account documents (with an encrypted TOTP secret) as fast as it can; after a random delay
(seeded) the parent kills it with SIGKILL and checks that the database parses, holds exactly the
state being saved ("after") or the one before it ("before"), never a mix ("broken"), and that a new
store opens at once (no lost lock) and can write.

    .venv/bin/python bench/kill_trials.py [--trials 100] [--seed 20261123] [--max-delay 0.12]

Prints a summary and writes bench/results/kill_trials.json. Not part of the test suite (it needs
the test extra, pytest, because it imports the experiment from the test module).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_store_crash import run_kill_trial  # noqa: E402  (the one experiment, shared)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100, help="number of kill trials (default 100)")
    parser.add_argument("--seed", type=int, default=20261123, help="seed of the random kill delays")
    parser.add_argument("--max-delay", type=float, default=0.12,
                        help="longest wait, in seconds, between the first save and the kill")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "kill_trials.json")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    outcomes: Counter[str] = Counter()
    saves_before_kill: list[int] = []
    problems: list[str] = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kill-trials-") as tmp:
        for trial in range(args.trials):
            work = Path(tmp) / f"trial{trial}"
            work.mkdir()
            result = run_kill_trial(work, rng, max_delay=args.max_delay)
            outcomes[result.outcome] += 1
            saves_before_kill.append(result.started)
            if result.outcome == "broken":
                problems.append(f"trial {trial}: started {result.started}, found {result.found}: {result.detail}")
            print(f"\rtrial {trial + 1}/{args.trials}", end="", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - t0
    print(file=sys.stderr)

    summary = {
        "trials": args.trials,
        "seed": args.seed,
        "max_delay_s": args.max_delay,
        "whole_state_before_the_save": outcomes["before"],
        "whole_state_after_the_save": outcomes["after"],
        "broken": outcomes["broken"],
        "saves_started_per_trial": {
            "min": min(saves_before_kill, default=0),
            "median": sorted(saves_before_kill)[len(saves_before_kill) // 2] if saves_before_kill else 0,
            "max": max(saves_before_kill, default=0),
        },
        "seconds": round(elapsed, 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "problems": problems[:20],
    }
    print(f"{args.trials} kill -9 trials in {elapsed:.1f} s (seed {args.seed})")
    print(f"  whole state, the one before the interrupted save: {outcomes['before']}")
    print(f"  whole state, the one being saved (save finished): {outcomes['after']}")
    print(f"  broken file or mixed state:                      {outcomes['broken']}")
    for line in problems:
        print(f"  ! {line}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"result written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 1 if outcomes["broken"] else 0


if __name__ == "__main__":
    sys.exit(main())
