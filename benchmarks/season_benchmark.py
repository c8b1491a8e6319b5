"""Season benchmark: a whole season of real NBA play-by-play through silver and gold.

Run from the repository root::

    .venv/bin/python benchmarks/season_benchmark.py [--bulk PATH] [--workdir PATH] [--keep-lake]

Input is the bulk 2022-23 season at ``../shared/nba_samples/bulk/nbaplays_2022-23_raw.tar.xz`` (next to
the repository; provenance in ``../shared/nba_samples/SOURCES.md`` section 3: a snapshot of
github.com/brendanwilliam/nbaplays_2022-2023, scraped from nba.com game charts): 1230 files
``raw/S2223-GNNNN.json``, each a bare JSON list of PlayByPlayV3 actions, the 2022-23 regular season.
It is extracted once into the work directory (default ``benchmarks/out/``, git-ignored); extraction is
not measured.

Every table is built by the same ``build_<table>`` function its Dagster asset calls: the headline
(stages 1-5b) ends in gold event_state as the asset builds it, with its possession and lineup
columns (stage 4 builds possessions and players_on_court for it).

Every stage is timed for wall time, events per second and peak resident memory (VmHWM, reset between
stages through ``/proc/self/clear_refs``).

In the same run, the lineup and possession gold tables are built over the whole season's silver
play_by_play frame at once (stages L1-L3: ``players_on_court``, ``possessions``, ``stints``, each
through its schema's ``enforce``; the bulk has no box scores, so an empty box_score_players frame),
timed against their own target, with quality figures derived from their output (5+5 lineups,
unresolved substitutions, possessions per team, possession imbalance, stint points vs the last
play-by-play score). Then, when pbpstats is installed (the ``test`` extra), pbpstats' time per event
on the repo's CDN recording of 0022000001 (``data/replay``) is printed next to ours for the same
three tables on the same game (best of 5) and ours per event over the season; without pbpstats the
comparison is skipped with the reason.

This is a script, not a test; it exits 1 if a row-count check fails, 2 if the bulk data is missing,
and 0 otherwise (a MISS against the targets, or a skipped pbpstats comparison, is printed, not raised).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import polars as pl

from nba_lakehouse.gold.audits import lineup_size_violations, possession_imbalance
from nba_lakehouse.gold.event_state import build_event_state
from nba_lakehouse.gold.players_on_court import (
    build_players_on_court,
    unresolved_substitutions,
)
from nba_lakehouse.gold.possessions import build_possessions
from nba_lakehouse.gold.stints import build_stints
from nba_lakehouse.lake import Lake
from nba_lakehouse.partitions import season_of_game_expr
from nba_lakehouse.pbpstats_oracle import (
    cdn_recordings,
    pbpstats_available,
    pbpstats_game,
)
from nba_lakehouse.progress import Progress
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    EVENT_STATE,
    GAMES,
    PLAY_BY_PLAY,
    PLAYERS_ON_COURT,
    POSSESSIONS,
    SCHEDULE,
    SCOREBOARD_GAMES,
    STINTS,
    TEAM_GAME_LOGS,
)
from nba_lakehouse.silver import audits
from nba_lakehouse.silver.box_scores import box_score_from_payload
from nba_lakehouse.silver.games import (
    build_games,
    game_outcomes,
    with_partition_columns,
)
from nba_lakehouse.silver.play_by_play import (
    V3_RAW_SCHEMA,
    normalize_v3,
    play_by_play_from_payload,
    v3_actions,
)
from nba_lakehouse.silver.repairs import repair_play_by_play
from nba_lakehouse.silver.secondary_players import secondary_player_counts, with_v3_secondary_players

try:  # not a project dependency: only measured when it happens to be installed
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None

SHARED_DIR = REPO_ROOT.parent / "shared"
DEFAULT_BULK = SHARED_DIR / "nba_samples" / "bulk" / "nbaplays_2022-23_raw.tar.xz"
DEFAULT_WORKDIR = REPO_ROOT / "benchmarks" / "out"

EXPECTED_GAMES = 1230
EXPECTED_ACTIONS = 603_750
# The real 2022-23 regular season window; the bulk files carry no dates (see assign_dates).
SEASON_FIRST_DAY = dt.date(2022, 10, 18)
SEASON_LAST_DAY = dt.date(2023, 4, 9)

TARGET_SECONDS = 15.0
TARGET_PEAK_MB = 2048.0
LINEUP_TARGET_SECONDS = 30.0  # stages L1+L2+L3 over the whole season

# The one game pbpstats is compared on: the repo's CDN recording (pbpstats ships the same files).
COMPARE_GAME = "0022000001"
COMPARE_GAME_DATE = dt.date(2020, 12, 22)
REPLAY_DIR = REPO_ROOT / "data" / "replay"
COMPARE_REPEATS = 5
PROGRESS_EVERY_S = 2.0  # a progress line at most this often while files are parsed, and one at the end


def _print_progress(message: str) -> None:
    print(f"    {message}", flush=True)


def file_progress(files: list[Path], label: str) -> Progress:
    """Files parsed of the season's files, printed to stdout (a few lines: the stage timings stay exact)."""
    return Progress(len(files), label, log=_print_progress, every_s=PROGRESS_EVERY_S, unit="files")


# ----------------------------------------------------------------------------- measuring
def _vm_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM (peak RSS) to the current RSS


@dataclass
class Stage:
    label: str
    seconds: float
    peak_mb: float
    events: int
    in_total: bool
    note: str = ""  # replaces "(not in total)" in the table when set


class Meter:
    """Times stages and tracks peak RSS per stage and for the whole process."""

    def __init__(self) -> None:
        self.stages: list[Stage] = []
        # clear_refs also resets what getrusage reports, so the process-wide peak is the maximum
        # of every window's VmHWM: the stages and the gaps between them.
        self.process_peak_kb = _vm_kb("VmHWM")

    def _close_window(self) -> int:
        peak = _vm_kb("VmHWM")
        self.process_peak_kb = max(self.process_peak_kb, peak)
        return peak

    @contextmanager
    def stage(self, label: str, events: int = EXPECTED_ACTIONS, in_total: bool = True, note: str = ""):
        self._close_window()  # whatever ran since the last stage
        gc.collect()
        _reset_peak()
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        peak = self._close_window()
        self.stages.append(Stage(label, seconds, peak / 1024, events, in_total, note))
        _reset_peak()

    def process_peak_mb(self) -> float:
        self._close_window()
        return self.process_peak_kb / 1024


# ------------------------------------------------------------------------------- input data
def extract_once(bulk: Path, workdir: Path) -> list[Path]:
    """Extract the archive into ``workdir/raw_<name>/`` unless a complete extraction is there."""
    target = workdir / ("raw_" + bulk.name.removesuffix(".tar.xz"))
    marker = target / ".complete"
    if not marker.exists():
        print(f"extracting {bulk} -> {target} (once; not measured)", flush=True)
        if target.exists():
            shutil.rmtree(target)
        tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=workdir))
        with tarfile.open(bulk, "r:xz") as tar:
            tar.extractall(tmp, filter="data")
        (tmp / "raw").rename(target)
        shutil.rmtree(tmp)
        marker.write_text(f"extracted from {bulk}\n")
    files = sorted(target.glob("S2223-G*.json"))
    return files


def game_id_of(path: Path) -> str:
    """``S2223-G0552.json`` -> ``0022200552``."""
    return "00" + str(22200000 + int(path.stem.rsplit("-G", 1)[1]))


def assign_dates(game_ids: list[str]) -> pl.DataFrame:
    """The bulk has no dates: spread the games in game-id order evenly over the real season window.

    Game ``i`` (0-based, in id order) of ``n`` goes to day ``i * days // n`` of the window, so
    every date gets ``n // days`` or one more game and the first and last days are both used.
    """
    days = (SEASON_LAST_DAY - SEASON_FIRST_DAY).days + 1
    ordered = sorted(game_ids)
    n = len(ordered)
    dates = [SEASON_FIRST_DAY + dt.timedelta(days=i * days // n) for i in range(n)]
    return pl.DataFrame({"game_id": ordered, "game_date": dates}, schema={"game_id": pl.String, "game_date": pl.Date})


def with_partition_columns_for(df: pl.DataFrame, game_dates: pl.DataFrame) -> pl.DataFrame:
    """Many-date version of ``silver.games.with_partition_columns``: season from the id, date by join."""
    return df.join(game_dates, on="game_id", how="left", validate="m:1", maintain_order="left").with_columns(
        season=season_of_game_expr(pl.col("game_id"))
    )


# ------------------------------------------------------------------------------ the stages
def floor_parse(files: list[Path], meter: Meter) -> None:
    """Stage 0: reading and parsing alone, one file at a time, each result dropped at once."""

    def measure(label: str, parse, check_count: bool = True) -> None:
        count = 0
        with meter.stage(label, in_total=False):
            progress = file_progress(files, label.split(":")[0])
            for path in files:
                count += parse(path.read_bytes())
                progress.step()
        if check_count and count != EXPECTED_ACTIONS:
            print(f"  note: {label} counted {count:,} actions, expected {EXPECTED_ACTIONS:,}")

    measure("0a floor: read bytes only", len, check_count=False)
    measure("0b floor: read + json.loads (stdlib)", lambda b: len(json.loads(b)))
    if orjson is not None:
        measure("0c floor: read + orjson.loads (not a project dependency)", lambda b: len(orjson.loads(b)))
    else:
        print("  orjson is not installed: floor 0c skipped")
    measure("0d floor: read + pl.read_json(bytes, schema) -> frame", lambda b: pl.read_json(b, schema=V3_RAW_SCHEMA).height)


def raw_frames(files: list[Path], loads=json.loads, progress: Progress | None = None) -> tuple[pl.DataFrame, int]:
    """Stage 1 as the pipeline runs it: read, ``loads`` (stdlib json), ``v3_actions`` per game, one concat.

    Each game's dicts are dropped as soon as its frame exists, so the season is never held as dicts.
    """
    frames = []
    actions_read = 0
    for path in files:
        actions = loads(path.read_bytes())
        actions_read += len(actions)
        frames.append(v3_actions(actions, game_id_of(path)))
        if progress is not None:
            progress.step(detail=f"{actions_read:,} actions")
    return pl.concat(frames, rechunk=True), actions_read


def raw_frames_polars(files: list[Path], progress: Progress | None = None) -> pl.DataFrame:
    """Alternative stage 1 (not what the project runs): polars parses each bare action list itself."""
    frames = []
    for path in files:
        frames.append(pl.read_json(path.read_bytes(), schema=V3_RAW_SCHEMA).with_columns(game_id=pl.lit(game_id_of(path))))
        if progress is not None:
            progress.step()
    return pl.concat(frames, rechunk=True)


def fingerprint(df: pl.DataFrame) -> tuple:
    """Schema, height and per-row hashes: enough to tell two raw frames apart without keeping both."""
    return df.schema, df.height, df.hash_rows(seed=0)


def same_frame(df: pl.DataFrame, expected: tuple) -> bool:
    schema, height, hashes = fingerprint(df)
    return schema == expected[0] and height == expected[1] and hashes.equals(expected[2])


def silver_play_by_play(raw: pl.DataFrame, game_dates: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stage 2 as the play_by_play asset runs it: one ``normalize_v3`` over the whole season, the
    partition columns, the feed repairs and V3's secondary players (no box scores: the feed's own
    names are the rosters). Also returns the names no rule settled."""
    pbp = with_partition_columns_for(PLAY_BY_PLAY.cast(normalize_v3(raw)), game_dates)
    pbp, unresolved = with_v3_secondary_players(repair_play_by_play(pbp), BOX_SCORE_PLAYERS.empty())
    return PLAY_BY_PLAY.enforce(pbp), unresolved


# --------------------------------------------------------------------- lineups, possessions
# The three gold tables as the Dagster assets build them, each through its schema.
def players_on_court_table(pbp: pl.DataFrame, box_players: pl.DataFrame, sides: pl.DataFrame) -> pl.DataFrame:
    return PLAYERS_ON_COURT.enforce(build_players_on_court(pbp, box_players, sides))


def possessions_table(pbp: pl.DataFrame, sides: pl.DataFrame) -> pl.DataFrame:
    return POSSESSIONS.enforce(build_possessions(pbp, sides))


def stints_table(pbp: pl.DataFrame, on_court: pl.DataFrame, possessions: pl.DataFrame) -> pl.DataFrame:
    return STINTS.enforce(build_stints(pbp, on_court, possessions))


def event_state_table(pbp: pl.DataFrame, box_players: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """Gold event_state as the asset builds it: from the possessions and players_on_court of the
    same games, so its possession and starter columns are filled."""
    return EVENT_STATE.enforce(build_event_state(
        pbp, outcomes,
        possessions=possessions_table(pbp, outcomes),
        on_court=players_on_court_table(pbp, box_players, outcomes),
        box_players=box_players,
    ))


def lineup_quality(pbp: pl.DataFrame, on_court: pl.DataFrame,
                   possessions: pl.DataFrame, stints: pl.DataFrame) -> dict:
    """Figures derived from the season's lineup, possession and stint tables (outside the timings)."""
    not_five = lineup_size_violations(on_court)
    unresolved = unresolved_substitutions(pbp)
    per_team = (
        possessions.filter(pl.col("offense_team_id").is_not_null())
        .group_by("game_id", "offense_team_id").len()["len"]
    )
    last_score = pbp.sort("game_id", "event_order").group_by("game_id").agg(
        pbp_home=pl.col("home_score").drop_nulls().last(), pbp_away=pl.col("away_score").drop_nulls().last(),
    )
    stint_score = stints.group_by("game_id").agg(pl.col("home_points").sum(), pl.col("away_points").sum())
    scores = last_score.join(stint_score, on="game_id", how="full", coalesce=True)
    matches = scores.filter(
        pl.col("home_points").eq_missing(pl.col("pbp_home").fill_null(0))
        & pl.col("away_points").eq_missing(pl.col("pbp_away").fill_null(0))
    )
    return {
        "events": on_court.height,
        "five_and_five": on_court.height - not_five.height,
        "games_not_five": not_five["game_id"].n_unique(),
        "games": on_court["game_id"].n_unique(),
        "substitutions": pbp.filter(pl.col("event_type") == "substitution").height,
        "unresolved": unresolved.height,
        "unresolved_games": unresolved["game_id"].n_unique(),
        "unresolved_examples": unresolved.head(3),
        "possessions": possessions.height,
        "possessions_no_offense": possessions["offense_team_id"].null_count(),
        "per_team": (per_team.mean(), per_team.min(), per_team.max(), per_team.len()),
        "imbalanced": possession_imbalance(possessions),
        "stints": stints.height,
        "score_games": scores.height,
        "score_matches": matches.height,
        "score_mismatches": scores.join(matches.select("game_id"), on="game_id", how="anti").head(3),
    }


def one_game_silver(game_id: str, game_date: dt.date, replay_dir: Path):
    """A recorded CDN game from its two JSON files to silver play_by_play, box players and sides."""
    paths = cdn_recordings(game_id, replay_dir)
    pbp = play_by_play_from_payload(json.loads(paths["pbp"].read_bytes()), "cdn", game_id)
    pbp = PLAY_BY_PLAY.enforce(with_partition_columns(pbp, game_date))
    box_players, box_teams = box_score_from_payload(json.loads(paths["game_details"].read_bytes()), "cdn", game_id)
    box_players = BOX_SCORE_PLAYERS.enforce(with_partition_columns(box_players, game_date))
    box_teams = BOX_SCORE_TEAMS.enforce(with_partition_columns(box_teams, game_date))
    sides = game_outcomes(box_teams, pbp).select("game_id", "home_team_id", "away_team_id")
    return pbp, box_players, sides


def ours_on_one_game(game_id: str, game_date: dt.date, replay_dir: Path, repeats: int) -> dict:
    """Best of ``repeats`` wall times of the three tables on one game, and of the same plus parsing
    the two JSON files into silver (what pbpstats' own time includes: its file loading and parsing)."""
    transforms, per_stage, with_parse = [], {"players_on_court": [], "possessions": [], "stints": []}, []
    for _ in range(max(1, repeats)):
        gc.collect()
        t0 = time.perf_counter()
        pbp, box_players, sides = one_game_silver(game_id, game_date, replay_dir)
        t1 = time.perf_counter()
        on_court = players_on_court_table(pbp, box_players, sides)
        t2 = time.perf_counter()
        possessions = possessions_table(pbp, sides)
        t3 = time.perf_counter()
        stints = stints_table(pbp, on_court, possessions)
        t4 = time.perf_counter()
        per_stage["players_on_court"].append(t2 - t1)
        per_stage["possessions"].append(t3 - t2)
        per_stage["stints"].append(t4 - t3)
        transforms.append(t4 - t1)
        with_parse.append(t4 - t0)
    sizes = lineup_size_violations(on_court)
    by_team = possessions.group_by("offense_team_id").len()
    return {
        "events": pbp.height, "seconds": min(transforms), "with_parse": min(with_parse),
        "per_stage": {k: min(v) for k, v in per_stage.items()},
        "not_five": sizes.height, "stints": stints.height,
        "possessions_by_team": dict(by_team.iter_rows()),
    }


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


# ----------------------------------------------------------------------------------- report
def mb(megabytes: float) -> str:
    return f"{megabytes:,.0f} MB"


def print_stage_table(stages: list[Stage]) -> None:
    print(f"  {'stage':<70} {'wall s':>8} {'events/s':>12} {'peak RSS':>10}")
    for s in stages:
        rate = f"{s.events / s.seconds:,.0f}" if s.seconds > 0 and s.events else "-"
        mark = f"  ({s.note})" if s.note else "" if s.in_total else "  (not in total)"
        print(f"  {s.label:<70} {s.seconds:>8.2f} {rate:>12} {mb(s.peak_mb):>10}{mark}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bulk", type=Path, default=DEFAULT_BULK, help=f"the season archive (default {DEFAULT_BULK})")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=f"cache and temp lake (default {DEFAULT_WORKDIR})")
    parser.add_argument("--keep-lake", action="store_true", help="keep the temporary lake under the workdir")
    args = parser.parse_args(argv)

    if not args.bulk.exists():
        if args.bulk == DEFAULT_BULK and not SHARED_DIR.exists():
            print(f"season benchmark: {SHARED_DIR} is absent, so the bulk play-by-play archive is not available.\n"
                  f"Pass --bulk PATH to nbaplays_2022-23_raw.tar.xz.", file=sys.stderr)
        else:
            print(f"season benchmark: bulk archive not found: {args.bulk}", file=sys.stderr)
        return 2

    args.workdir.mkdir(parents=True, exist_ok=True)
    files = extract_once(args.bulk, args.workdir)
    if len(files) != EXPECTED_GAMES:
        print(f"season benchmark: expected {EXPECTED_GAMES} game files, found {len(files)}", file=sys.stderr)
        return 1
    game_ids = [game_id_of(p) for p in files]
    game_dates = assign_dates(game_ids)
    per_date = game_dates.group_by("game_date").len()
    dates = sorted(game_dates["game_date"].unique().to_list())
    lake_root = Path(tempfile.mkdtemp(prefix="lake-", dir=args.workdir))
    lake = Lake(str(lake_root))

    print("=" * 100)
    print("NBA lakehouse season benchmark: 2022-23 regular season, PlayByPlayV3 bulk files -> silver -> gold")
    print(f"  date: {dt.date.today().isoformat()}   python {sys.version.split()[0]}   polars {pl.__version__}   "
          f"cpus: {os.cpu_count()}   POLARS_MAX_THREADS: {pl.thread_pool_size()}")
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"  data: the bulk 2022-23 season {args.bulk} (provenance: {args.bulk.parent.parent / 'SOURCES.md'}, section 3)")
    print(f"  input: {len(files)} files, {size_mb:,.0f} MB of JSON, extracted in {files[0].parent}")
    print(f"  temp lake: {lake_root}")
    print(f"  GAME DATES ARE ASSIGNED, NOT REAL: the files carry no dates, so the {len(files)} games are spread in")
    print(f"    game-id order over the real season window {SEASON_FIRST_DAY}..{SEASON_LAST_DAY}: {len(dates)} dates, "
          f"{per_date['len'].min()}-{per_date['len'].max()} games per date.")
    print("  NO BOX SCORES in the bulk: game_outcomes gets an empty box_score_teams frame, so every game is")
    print("    'in_progress' and final scores, winner_team_id and event_state.final_winning_team are null.")
    print("=" * 100, flush=True)

    meter = Meter()
    print(f"  RSS after imports and setup (included in every peak below): {mb(_vm_kb('VmRSS') / 1024)}", flush=True)

    # Stage 0: floors, not part of the pipeline total.
    floor_parse(files, meter)

    # Stages 1-5: the pipeline, end to end, in one go; the total is their sum.
    with meter.stage("1  raw JSON -> raw frames (read, json.loads, v3_actions, concat)"):
        raw, actions_read = raw_frames(files, progress=file_progress(files, "1  raw JSON parse"))
    raw_print = fingerprint(raw)  # outside the timed stages; for comparing the alternatives below
    with meter.stage("2  normalize_v3, repairs, V3 secondary players -> silver play_by_play"):
        pbp, unresolved_names = silver_play_by_play(raw, game_dates)
        del raw
    with meter.stage("3  write silver play_by_play (Lake.write_table)"):
        written_pbp = lake.write_table(PLAY_BY_PLAY, pbp, dates=dates)
    with meter.stage("4  game_outcomes, possessions, on_court, build_event_state -> gold"):
        outcomes = game_outcomes(BOX_SCORE_TEAMS.empty(), pbp)
        event_state = event_state_table(pbp, BOX_SCORE_PLAYERS.empty(), outcomes)
    with meter.stage("5  write gold event_state (Lake.write_table)"):
        written_es = lake.write_table(EVENT_STATE, event_state, dates=dates)
    games = GAMES.enforce(build_games(
        SCHEDULE.empty(), SCOREBOARD_GAMES.empty(), TEAM_GAME_LOGS.empty(), BOX_SCORE_TEAMS.empty(), pbp
    ))
    with meter.stage(f"5b write silver games (Lake.write_table, {games.height} rows)", events=0):
        written_games = lake.write_table(GAMES, games, dates=dates)

    # Not part of the pipeline total.
    with meter.stage("A  audits: decreasing_scores, duplicate_event_keys, clock", in_total=False):
        findings = {
            "decreasing_scores": audits.decreasing_scores(pbp),
            "duplicate_event_keys": audits.duplicate_event_keys(pbp),
            "clock_out_of_bounds": audits.clock_out_of_bounds(pbp),
        }
    with meter.stage("R  read silver play_by_play back (Lake.read_table)", in_total=False):
        reread = lake.read_table(PLAY_BY_PLAY)

    # Everything printed below about the big frames is computed now, so they can go before the
    # stage-1 alternatives run (which would otherwise stack on top of them in the process peak).
    counts = {
        "pbp": pbp.height, "pbp_written": sum(written_pbp.values()), "pbp_files": len(written_pbp),
        "reread": reread.height, "es": event_state.height, "es_written": sum(written_es.values()),
        "es_files": len(written_es),
    }
    decreasing_by_type = (
        findings["decreasing_scores"].join(pbp.select("game_id", "event_order", "event_type"), on=["game_id", "event_order"])
        .group_by("event_type").len().sort("len", descending=True)
    )
    del event_state, reread

    # Lineups, possessions and stints over the whole season at once (not part of the total above).
    sides = outcomes.select("game_id", "home_team_id", "away_team_id")
    no_box_players = BOX_SCORE_PLAYERS.empty()
    lineup_note = "lineup total"
    with meter.stage("L1 build_players_on_court -> gold players_on_court (+ enforce)", in_total=False, note=lineup_note):
        on_court = players_on_court_table(pbp, no_box_players, sides)
    with meter.stage("L2 build_possessions -> gold possessions (+ enforce)", in_total=False, note=lineup_note):
        possessions = possessions_table(pbp, sides)
    with meter.stage("L3 build_stints -> gold stints (+ enforce)", in_total=False, note=lineup_note):
        stints = stints_table(pbp, on_court, possessions)
    lineup_stages = meter.stages[-3:]
    quality = lineup_quality(pbp, on_court, possessions, stints)
    quality["secondary"] = secondary_player_counts(pbp)
    quality["unresolved_names"] = unresolved_names
    counts.update(on_court=on_court.height, possessions=possessions.height, stints=stints.height)
    del pbp, on_court, possessions, stints

    # Alternatives for stage 1, each checked to build exactly the frame the project path built.
    alternatives: dict[str, bool] = {}
    if orjson is not None:
        with meter.stage("X1 stage 1 with orjson.loads in place of json.loads", in_total=False):
            alt, _ = raw_frames(files, loads=orjson.loads, progress=file_progress(files, "X1 parse"))
        alternatives["X1"] = same_frame(alt, raw_print)
        del alt
    with meter.stage("X2 stage 1 as pl.read_json(bytes, schema) + game_id per file, concat", in_total=False):
        alt = raw_frames_polars(files, progress=file_progress(files, "X2 parse"))
    alternatives["X2"] = same_frame(alt, raw_print)
    del alt

    # pbpstats against ours on one recorded CDN game (no meter stage: both sides take the best of 5).
    compare: dict = {}
    recordings = cdn_recordings(COMPARE_GAME, REPLAY_DIR)
    missing = [str(p) for p in recordings.values() if not p.is_file()]
    if not pbpstats_available():
        compare["skipped"] = "pbpstats is not installed (it is in the `test` extra: pip install -e '.[test]')"
    elif missing:
        compare["skipped"] = f"no CDN recording of {COMPARE_GAME}: {', '.join(missing)}"
    else:
        print(f"  pbpstats vs ours on {COMPARE_GAME} (best of {COMPARE_REPEATS} each)", flush=True)
        try:
            compare["pbpstats"] = pbpstats_game(COMPARE_GAME, REPLAY_DIR, repeats=COMPARE_REPEATS)
        except Exception as exc:
            compare["skipped"] = f"pbpstats failed on {COMPARE_GAME}: {exc!r}"
        compare["ours"] = ours_on_one_game(COMPARE_GAME, COMPARE_GAME_DATE, REPLAY_DIR, COMPARE_REPEATS)

    pipeline = [s for s in meter.stages if s.in_total]
    total_seconds = sum(s.seconds for s in pipeline)
    total_peak = max(s.peak_mb for s in pipeline)
    process_peak = meter.process_peak_mb()

    print("\nStages (wall time, events per second over the 603,750 actions, peak RSS within the stage)")
    print_stage_table(meter.stages)
    print("\n  TOTAL raw season JSON -> gold event_state = stages 1+2+3+4+5+5b, run back to back:")
    print(f"    {total_seconds:.2f} s wall, {actions_read / total_seconds:,.0f} events/s, peak RSS {mb(total_peak)}")
    print(f"  process-wide peak RSS (whole script, all stages and floors): {mb(process_peak)}")
    for key, same in alternatives.items():
        print(f"  {key} builds the same raw frame as stage 1: {'yes' if same else 'NO'}")
    print("  (floors and X* alternatives are informational; only stage 1 as the project runs it is in the total)")
    lineup_seconds = sum(s.seconds for s in lineup_stages)
    lineup_ok = lineup_seconds < LINEUP_TARGET_SECONDS
    print("\n  LINEUP TOTAL silver play_by_play -> gold players_on_court, possessions, stints = L1+L2+L3, whole season at once:")
    print(f"    {lineup_seconds:.2f} s wall, {actions_read / lineup_seconds:,.0f} events/s, "
          f"peak RSS {mb(max(s.peak_mb for s in lineup_stages))}")
    print(f"    {'PASS' if lineup_ok else 'MISS'}: {lineup_seconds:.2f} s (target < {LINEUP_TARGET_SECONDS:.0f} s)")

    print("\nRow counts")
    print(f"  actions read from the files : {actions_read:,} (expected {EXPECTED_ACTIONS:,})")
    print(f"  silver play_by_play rows    : {counts['pbp']:,} (written {counts['pbp_written']:,} in {counts['pbp_files']} partition files; "
          f"re-read {counts['reread']:,})")
    print(f"  silver games rows           : {games.height:,} (written {sum(written_games.values()):,} in {len(written_games)} files)")
    print(f"  gold event_state rows       : {counts['es']:,} (written {counts['es_written']:,} in {counts['es_files']} files)")
    print(f"  gold players_on_court rows  : {counts['on_court']:,}")
    print(f"  gold possessions rows       : {counts['possessions']:,}")
    print(f"  gold stints rows            : {counts['stints']:,}")
    print(f"  games by status             : {dict(games.group_by('status').len().iter_rows())}; "
          f"with winner: {games['winner_team_id'].is_not_null().sum()}; "
          f"home/away team ids from play-by-play: {games['home_team_id'].is_not_null().sum()}/{games['away_team_id'].is_not_null().sum()}")

    print("\nAudits on the season (real findings in the NBA's own feed, not hidden)")
    for name, frame in findings.items():
        print(f"  {name:<22}: {frame.height:,} violations")
        if frame.height:
            games_hit = frame["game_id"].n_unique()
            print(f"    in {games_hit} games; first rows:")
            if name == "decreasing_scores":
                by_type = ", ".join(f"{t} {n}" for t, n in decreasing_by_type.iter_rows())
                print(f"    by event type of the row where the score drops: {by_type}")
            with pl.Config(tbl_rows=8, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=160):
                print("    " + str(frame.head(8)).replace("\n", "\n    "))

    q = quality
    print("\nLineups, possessions and stints on the season (derived from the L1-L3 output; no box scores)")
    print(f"  events with exactly 5+5 on the floor : {q['five_and_five']:,} of {q['events']:,} "
          f"({100 * q['five_and_five'] / q['events']:.2f}%)")
    print(f"  games with any event not 5+5         : {q['games_not_five']} of {q['games']}")
    print(f"  substitutions with a player not identified (unresolved_substitutions): {q['unresolved']:,} of "
          f"{q['substitutions']:,} substitution rows, in {q['unresolved_games']} games")
    if q["unresolved"]:
        for row in q["unresolved_examples"].iter_rows(named=True):
            print(f"    e.g. {row['game_id']} Q{row['period']} #{row['event_order']} team {row['team_id']}: {row['description']}")
    print("  events with each secondary player filled (silver play_by_play; V3 gives no foul-drawn player):")
    for column, filled in q["secondary"].items():
        print(f"    {column:32s} {filled:,}")
    names = q["unresolved_names"]
    by_role = ", ".join(f"{role} {n}" for role, n in names.group_by("role").len().sort("role").iter_rows()) or "none"
    print(f"  V3 names no roster rule settles (left null, flagged): {names.height} ({by_role})")
    for row in names.head(6).iter_rows(named=True):
        print(f"    e.g. {row['game_id']} #{row['event_order']} {row['role']}: {row['name']!r}")
    mean, low, high, n_team_games = q["per_team"]
    print(f"  possessions                          : {q['possessions']:,} ({q['possessions_no_offense']} without an offense team)")
    print(f"  possessions per team per game        : mean {mean:.1f}, min {low}, max {high} (over {n_team_games:,} team-games)")
    imbalanced = q["imbalanced"]
    print(f"  games whose teams' possessions differ by > 2 (+1 per OT), possession_imbalance: {imbalanced.height}")
    if imbalanced.height:
        for row in imbalanced.sort("difference", descending=True).head(3).iter_rows(named=True):
            print(f"    e.g. {row['game_id']}: home {row['home']}, away {row['away']}, {row['periods']} periods (limit {row['limit']})")
    print(f"  stints                               : {q['stints']:,}")
    print(f"  games whose stint points equal the last play-by-play score (both teams): "
          f"{q['score_matches']} of {q['score_games']}")
    for row in q["score_mismatches"].iter_rows(named=True):
        print(f"    e.g. {row['game_id']}: stints {row['home_points']}-{row['away_points']}, play-by-play {row['pbp_home']}-{row['pbp_away']}")

    print(f"\npbpstats comparison on {COMPARE_GAME} (CDN recording in {REPLAY_DIR.relative_to(REPO_ROOT)})")
    if "skipped" in compare:
        print(f"  skipped: {compare['skipped']}")
    if "pbpstats" in compare:
        ps = compare["pbpstats"]
        print(f"  pbpstats {ps['pbpstats_version']}: {ps['events']} events, best of {ps['repeats']} "
              f"{ps['seconds'] * 1000:.1f} ms = {us(ps['seconds_per_event'])}/event "
              "(loading + parsing the files, period starters, possessions;\n"
              "    its per-event lineups are resolved lazily on access, outside this time)")
        print(f"    possessions by team: {ps['possessions_by_team']}")
    if "ours" in compare:
        ours = compare["ours"]
        n = ours["events"]
        stage_ms = ", ".join(f"{k} {v * 1000:.1f}" for k, v in ours["per_stage"].items())
        print(f"  ours, players_on_court + possessions + stints: {n} events, best of {COMPARE_REPEATS} "
              f"{ours['seconds'] * 1000:.1f} ms = {us(ours['seconds'] / n)}/event  (ms: {stage_ms})")
        print(f"    the same plus both JSON files -> silver (json.loads, play_by_play/box_score_from_payload, "
              f"game_outcomes): {ours['with_parse'] * 1000:.1f} ms = {us(ours['with_parse'] / n)}/event")
        print(f"    events not 5+5: {ours['not_five']}; stints: {ours['stints']}; possessions by team: {ours['possessions_by_team']}")
    print(f"  ours over the whole season, L1+L2+L3: {lineup_seconds:.2f} s / {counts['pbp']:,} events = "
          f"{us(lineup_seconds / counts['pbp'])}/event")
    if "ours" in compare and "pbpstats" in compare:
        ours, n = compare["ours"], compare["ours"]["events"]
        ps_per = compare["pbpstats"]["seconds_per_event"]
        print(f"  pbpstats time per event / ours (> 1: ours is faster): one game {ps_per / (ours['seconds'] / n):.2f}x; "
              f"against our season throughput {ps_per / (lineup_seconds / counts['pbp']):.2f}x "
              "(one game is dominated by fixed per-call overhead)")

    checks = {
        f"actions read == {EXPECTED_ACTIONS:,}": actions_read == EXPECTED_ACTIONS,
        "silver rows == actions read": counts["pbp"] == actions_read,
        "silver rows written == silver rows": counts["pbp_written"] == counts["pbp"],
        f"games == {EXPECTED_GAMES}": games.height == EXPECTED_GAMES,
        "event_state rows == silver rows (built and written)": counts["es"] == counts["es_written"] == counts["pbp"],
        "silver re-read == silver rows": counts["reread"] == counts["pbp"],
        "players_on_court rows == silver rows": counts["on_court"] == counts["pbp"],
    }
    print("\nChecks")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")

    time_ok, memory_ok = total_seconds < TARGET_SECONDS, process_peak < TARGET_PEAK_MB
    verdict = "PASS" if time_ok and memory_ok else "MISS"
    print(f"\n{verdict}: total {total_seconds:.2f} s (target < {TARGET_SECONDS:.0f} s: {'ok' if time_ok else 'MISS'}), "
          f"process peak RSS {mb(process_peak)} (target < {TARGET_PEAK_MB / 1024:.0f} GB: {'ok' if memory_ok else 'MISS'})")

    if not args.keep_lake:
        shutil.rmtree(lake_root, ignore_errors=True)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
