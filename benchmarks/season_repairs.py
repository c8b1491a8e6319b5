"""Feed repairs over a whole season: what each rule repairs and which games still break a game rule.

Run from the repository root::

    .venv/bin/python benchmarks/season_repairs.py [--bulk PATH | --raw DIR] [--workdir PATH] [--repeats N]

Input is the bulk 2022-23 season (``nbaplays_2022-23_raw.tar.xz``, extracted once into the work
directory as ``season_benchmark.py`` does, or an already extracted ``raw/`` folder with ``--raw``),
parsed with ``v3_actions`` + ``normalize_v3``. Prints repairs by rule (rows and games), the games
violating each game rule before and after ``repair_play_by_play``, the games still violating one
with the reason, and the wall time of ``repair_play_by_play`` over the whole season (best of
``--repeats``; parsing is not measured). It also checks that repairing the repaired season changes
nothing. Exit status: 0 ran, 1 the repaired season is not a fixed point, 2 no data.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import polars as pl

# The sibling benchmark's extraction and parsing, so both scripts read the season the same way.
from season_benchmark import DEFAULT_BULK, DEFAULT_WORKDIR, extract_once, raw_frames

from nba_lakehouse.schemas import PLAY_BY_PLAY
from nba_lakehouse.silver.play_by_play import normalize_v3
from nba_lakehouse.silver.repairs import (
    GAME_RULES,
    REPAIR_RULES,
    game_rule_violations,
    repair_play_by_play,
    repairs_by_rule,
)


def season_silver(files: list[Path]) -> pl.DataFrame:
    raw, _ = raw_frames(files)
    return PLAY_BY_PLAY.cast(normalize_v3(raw))


def games_per_rule(violations: pl.DataFrame) -> dict[str, int]:
    counts = dict(violations.group_by("rule").agg(pl.col("game_id").n_unique()).iter_rows())
    return {rule: counts.get(rule, 0) for rule in GAME_RULES} | {"any rule": violations["game_id"].n_unique()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bulk", type=Path, default=DEFAULT_BULK)
    parser.add_argument("--raw", type=Path, help="an extracted raw/ folder of S2223-GNNNN.json files")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.raw is not None:
        files = sorted(args.raw.glob("S2223-G*.json"))
    elif args.bulk.exists():
        args.workdir.mkdir(parents=True, exist_ok=True)
        files = extract_once(args.bulk, args.workdir)
    else:
        files = []
    if not files:
        print(f"no bulk season: {args.raw or args.bulk} is missing or empty", file=sys.stderr)
        return 2

    pbp = season_silver(files)
    print(f"season: {pbp['game_id'].n_unique():,} games, {pbp.height:,} rows (parsing not timed)")
    timings = []
    for _ in range(max(args.repeats, 1)):
        started = time.perf_counter()
        repaired = repair_play_by_play(pbp)
        timings.append(time.perf_counter() - started)
    before, after = game_rule_violations(pbp), game_rule_violations(repaired)

    print("\nrepairs by rule")
    print(f"  {'rule':<32}{'rows':>6}{'games':>7}  what it does")
    for rule, rows, games in repairs_by_rule(repaired).iter_rows():
        print(f"  {rule:<32}{rows:>6}{games:>7}  {REPAIR_RULES[rule]}")

    print("\ngames violating each game rule")
    print(f"  {'rule':<38}{'before':>7}{'after':>7}")
    counts_before, counts_after = games_per_rule(before), games_per_rule(after)
    for rule in counts_before:
        print(f"  {rule:<38}{counts_before[rule]:>7}{counts_after[rule]:>7}")

    print("\nstill violating after repairs")
    for game_id, rule, detail in after.iter_rows():
        print(f"  {game_id}  {rule}: {detail}")
    if after.is_empty():
        print("  none")

    fixed_point = repair_play_by_play(repaired).equals(repaired)
    print(f"\nrepair_play_by_play over {pbp.height:,} rows: best {min(timings):.2f} s of {len(timings)} "
          f"({', '.join(f'{t:.2f}' for t in timings)} s); repairing the repaired season changes nothing: {fixed_point}")
    return 0 if fixed_point else 1


if __name__ == "__main__":
    sys.exit(main())
