"""Season benchmark: a whole season of real NBA play-by-play, raw JSON -> silver -> every per-date gold table.

Run from the repository root::

    .venv/bin/python benchmarks/season_benchmark.py [--bulk PATH] [--workdir PATH] [--keep-lake]

Input is the bulk 2022-23 season at ``../shared/nba_samples/bulk/nbaplays_2022-23_raw.tar.xz`` (next to
the repository; provenance in ``../shared/nba_samples/SOURCES.md`` section 3: a snapshot of
github.com/brendanwilliam/nbaplays_2022-2023, scraped from nba.com game charts): 1230 files
``raw/S2223-GNNNN.json``, each a bare JSON list of PlayByPlayV3 actions, the 2022-23 regular season.
It is extracted once into the work directory (default ``benchmarks/out/``, git-ignored); extraction is
not measured.

The headline is the production path (issue 17): raw season JSON -> silver play_by_play as the
play_by_play asset builds it (``parse_play_by_play``, partition columns, repairs, V3 secondary players,
game rules: the steps of ``publishable_play_by_play``) -> every per-date gold table with the same
``build_<table>`` function its Dagster asset calls (players_on_court, possessions, stints,
team_game_stats, event_state with its possession and lineup columns, win_probability with the bundled
model), the assets' game-rule checks, and every table written with ``Lake.write_table``. All dates in
one go, as a single-run backfill of the per-date assets runs them; the frames pass in memory (the
assets read them back from the lake: stage R times one such read). The same path is also run on the
first 1, 10 and 100 games (game-id order) so cost per game and peak memory can be read against scale.

Every stage is timed for wall time, events per second and peak resident memory (VmHWM, reset between
stages through ``/proc/self/clear_refs``). The parse floor (stage 0d, ``pl.read_json(bytes, schema)``
per file) is measured in the same run, and the headline is printed as a multiple of it.

Quality figures are derived from the gold tables the run wrote (5+5 lineups, unresolved substitutions,
possessions per team, possession imbalance, stint points vs the last play-by-play score, row counts).
Then, when pbpstats is installed (the ``test`` extra), pbpstats' time per event on the repo's CDN
recording of 0022000001 (``data/replay``) is printed next to ours for players_on_court + possessions +
stints on the same game (best of 5) and ours per event over the season; without pbpstats the
comparison is skipped with the reason.

This is a script, not a test; it exits 1 if a row-count check fails, 2 if the bulk data is missing,
and 0 otherwise (a MISS against the targets, or a skipped pbpstats comparison, is printed, not raised).
"""

from __future__ import annotations

import argparse
import contextlib
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

from nba_lakehouse import game_issues
from nba_lakehouse.gold.audits import (
    games_without_box_score,
    lineup_size_violations,
    players_on_court_rule_violations,
    possession_imbalance,
    possessions_rule_violations,
    stints_rule_violations,
)
from nba_lakehouse.gold.event_state import build_event_state
from nba_lakehouse.gold.players_on_court import (
    build_players_on_court,
    unresolved_substitutions,
)
from nba_lakehouse.gold.possessions import build_possessions
from nba_lakehouse.gold.stints import build_stints
from nba_lakehouse.gold.team_game_stats import build_team_game_stats
from nba_lakehouse.gold.win_probability import RESULT_COLUMNS, build_win_probability
from nba_lakehouse.gold.win_probability_model import WinProbabilityModel, game_results, model_id, pregame_strength
from nba_lakehouse.lake import BUNDLED_WIN_PROBABILITY_MODEL, Lake
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
    TEAM_GAME_STATS,
    WIN_PROBABILITY,
)
from nba_lakehouse.silver import audits
from nba_lakehouse.silver.box_scores import box_score_from_payload
from nba_lakehouse.silver.games import (
    build_games,
    game_outcomes,
    with_partition_columns,
)
from nba_lakehouse.silver.play_by_play import (
    RAW_FRAMES,
    V3_RAW_SCHEMA,
    parse_play_by_play,
    play_by_play_from_payload,
)
from nba_lakehouse.silver.repairs import game_rule_violations, repair_play_by_play
from nba_lakehouse.silver.secondary_players import (
    secondary_player_counts,
    unresolved_name_violations,
    with_v3_secondary_players,
)
from nba_lakehouse.sources.payloads import Body

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

# Issue 17's targets.
FLOOR_MULTIPLE_TARGET = 3.0  # raw season JSON -> all per-date gold tables <= 3x the parse floor (0d) of the same run
COST_PER_GAME_TOLERANCE = 0.30  # ms/game of 1230 games within +-30% of 10 games
SEASON_PEAK_TARGET_MB = 1024.0  # the season run's peak RSS
ONE_GAME_TARGET = 1.0  # pbpstats time / ours on one game (players_on_court + possessions + stints)
SEASON_PER_EVENT_TARGET = 3.0  # pbpstats time per event / ours per event over the season
SCALING_GAMES = {1: 3, 10: 3, 100: 2}  # games -> runs (the best is shown); plus the whole season, once (the headline run)
# Earlier issues' targets, still printed.
TARGET_SECONDS = 15.0
TARGET_PEAK_MB = 2048.0
LINEUP_TARGET_SECONDS = 30.0  # players_on_court + possessions + stints over the whole season

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
    kind: str = ""  # "compute" or "write" for the stages of the production path


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
    def stage(self, label: str, events: int = EXPECTED_ACTIONS, in_total: bool = True, note: str = "", kind: str = ""):
        self._close_window()  # whatever ran since the last stage
        gc.collect()
        _reset_peak()
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        peak = self._close_window()
        self.stages.append(Stage(label, seconds, peak / 1024, events, in_total, note, kind))
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


def v3_payload(actions: list) -> dict:
    """A bulk file's bare action list as the PlayByPlayV3 response the bronze archive holds."""
    return {"game": {"actions": actions}}


def raw_frames(files: list[Path], loads=json.loads, progress: Progress | None = None) -> tuple[pl.DataFrame, int]:
    """The raw frame ``parse_play_by_play`` builds before normalizing: read, ``loads`` (stdlib json),
    ``RAW_FRAMES["v3"]`` per game, one concat. The reference the X* alternatives are checked against.

    Each game's dicts are dropped as soon as its frame exists, so the season is never held as dicts.
    """
    frames = []
    actions_read = 0
    for path in files:
        actions = loads(path.read_bytes())
        actions_read += len(actions)
        frames.append(RAW_FRAMES["v3"](v3_payload(actions), game_id_of(path)))
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


def season_responses(files: list[Path], progress: Progress | None = None):
    """The play_by_play asset's ``(payload, feed, game_id)`` responses, one game at a time.

    The asset hands ``parse_play_by_play`` each archived body undecoded (``payloads.Body``), which
    reads V3 with polars' JSON reader. A bulk file is the bare action list; wrapped in the
    ``{"game": {"actions": ...}}`` envelope it is the body the bronze archive holds. Lazily, one
    game at a time (the asset's list of bodies is a few hundred MB a season, not counted here).
    """
    for path in files:
        yield Body(str(path), b'{"game": {"actions": ' + path.read_bytes() + b"}}"), "v3", game_id_of(path)
        if progress is not None:
            progress.step()


@dataclass
class Production:
    """What one run of the production path leaves: row counts, files written, silver's findings."""

    games: int
    dates: int
    rows: dict[str, int]  # table -> rows built
    written: dict[str, dict]  # table -> Lake.write_table's {partition: rows}
    unresolved_names: pl.DataFrame  # V3 names no roster rule settles (with_v3_secondary_players)
    held_back: dict[str, pl.DataFrame]  # table -> the games its asset would hold back (game_id, rule, detail)
    flagged: pl.DataFrame  # play_by_play's flags (published with a caveat)


def production_run(files: list[Path], game_dates: pl.DataFrame, lake: Lake, meter: Meter,
                   events: int = EXPECTED_ACTIONS, progress: bool = False) -> Production:
    """Raw JSON of ``files`` -> silver play_by_play -> every per-date gold table, written to ``lake``.

    Each stage is what the asset of that table computes from its inputs (the assets read their
    inputs back from the lake; here they stay in memory, and each frame is dropped once no later
    asset reads it). Every game is kept: the games the rules would hold back are counted, not
    removed, so the quality figures cover the whole season. No box scores: box_score_players and
    box_score_teams are empty frames, as the assets read them for dates without box scores.
    """
    by_game = dict(zip(game_dates["game_id"].to_list(), game_dates["game_date"].to_list(), strict=True))
    dates = sorted(set(by_game.values()))
    box_players, box_teams = BOX_SCORE_PLAYERS.empty(), BOX_SCORE_TEAMS.empty()
    rows: dict[str, int] = {}
    written: dict[str, dict] = {}
    held_back: dict[str, pl.DataFrame] = {}

    def compute(label: str):
        return meter.stage(label, events=events, kind="compute")

    def write(table, df: pl.DataFrame, label: str) -> None:
        rows[table.name] = df.height
        with meter.stage(label, events=events, kind="write"):
            written[table.name] = lake.write_table(table, df, dates=dates)

    # silver play_by_play: publishable_play_by_play's steps (the asset's call), every game kept
    with compute("1  silver: parse_play_by_play (read, RAW_FRAMES v3 on the undecoded body, normalize_v3)"):
        parsed, unusable = parse_play_by_play(season_responses(files, file_progress(files, "1  raw JSON parse") if progress else None))
    with compute("2  silver: partition columns, repairs, V3 secondary players, game rules"):
        repaired = repair_play_by_play(with_partition_columns(parsed, by_game))
        del parsed
        box = box_players.join(repaired.select("game_id").unique(), on="game_id", how="semi")
        pbp, unresolved = with_v3_secondary_players(repaired, box)
        del repaired
        held_back["play_by_play"] = game_issues.combine(unusable, game_rule_violations(pbp))
        flagged = game_issues.without_games(unresolved_name_violations(unresolved), held_back["play_by_play"])
        published_rows = game_issues.without_games(pbp, held_back["play_by_play"]).height
    rows["play_by_play published"] = published_rows
    write(PLAY_BY_PLAY, pbp, "2w write silver play_by_play (Lake.write_table)")

    # gold, in the order the asset graph runs them
    with compute("3  gold players_on_court: game_outcomes + build_players_on_court"):
        on_court = build_players_on_court(pbp, box_players, game_outcomes(box_teams, pbp))
    write(PLAYERS_ON_COURT, on_court, "3w write gold players_on_court")
    with compute("4  gold possessions: game_outcomes + build_possessions"):
        possessions = build_possessions(pbp, game_outcomes(box_teams, pbp))
    write(POSSESSIONS, possessions, "4w write gold possessions")
    with compute("5  gold stints: build_stints"):
        stints = build_stints(pbp, on_court, possessions)
    write(STINTS, stints, "5w write gold stints")
    with compute("6  gold team_game_stats: build_team_game_stats (no box scores: 0 rows)"):
        team_stats = build_team_game_stats(box_teams, possessions)
    write(TEAM_GAME_STATS, team_stats, "6w write gold team_game_stats (empties its dates)")
    with compute("7  gold event_state: game_outcomes + build_event_state"):
        event_state = build_event_state(
            pbp, game_outcomes(box_teams, pbp), possessions=possessions, on_court=on_court, box_players=box_players,
        )
    write(EVENT_STATE, event_state, "7w write gold event_state")
    with compute("8  the gold assets' game rules before publishing"):
        held_back["players_on_court"] = players_on_court_rule_violations(on_court)
        games_without_box_score(pbp, box_players)  # flags only: every game here has no box score
        held_back["possessions"] = possessions_rule_violations(possessions)
        held_back["stints"] = stints_rule_violations(stints, box_teams, box_players)
    games = pbp["game_id"].n_unique()
    del pbp, on_court, possessions, stints, team_stats
    with compute("9  gold win_probability: bundled model, pregame_strength, build_win_probability"):
        model = WinProbabilityModel.from_bytes(BUNDLED_WIN_PROBABILITY_MODEL.read_bytes(), str(BUNDLED_WIN_PROBABILITY_MODEL))
        season_events = event_state.select(RESULT_COLUMNS)
        win_probability = build_win_probability(event_state, pregame_strength(game_results(season_events)), model, model_id(model))
        del season_events
    del event_state
    write(WIN_PROBABILITY, win_probability, "9w write gold win_probability")
    del win_probability
    return Production(games, len(dates), rows, written, unresolved, held_back, flagged)


def scaling_run(files: list[Path], game_dates: pl.DataFrame, workdir: Path) -> dict:
    """The production path on ``files`` alone, in a lake of its own: wall time, cost per game, peak RSS."""
    gc.collect()
    meter = Meter()
    _reset_peak()
    meter.process_peak_kb = _vm_kb("VmHWM")
    root = Path(tempfile.mkdtemp(prefix="lake-scaling-", dir=workdir))
    try:
        ids = {game_id_of(p) for p in files}
        run = production_run(files, game_dates.filter(pl.col("game_id").is_in(ids)), Lake(str(root)), meter, events=0)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    seconds = sum(s.seconds for s in meter.stages)
    return {
        "games": run.games, "events": run.rows[PLAY_BY_PLAY.name], "seconds": seconds,
        "compute": sum(s.seconds for s in meter.stages if s.kind == "compute"),
        "peak_mb": meter.process_peak_mb(), "stages": {s.label: s.seconds for s in meter.stages},
    }


# --------------------------------------------------------------------- lineups, possessions
# The three gold tables as the Dagster assets build them, each through its schema.
def players_on_court_table(pbp: pl.DataFrame, box_players: pl.DataFrame, sides: pl.DataFrame) -> pl.DataFrame:
    return PLAYERS_ON_COURT.enforce(build_players_on_court(pbp, box_players, sides))


def possessions_table(pbp: pl.DataFrame, sides: pl.DataFrame) -> pl.DataFrame:
    return POSSESSIONS.enforce(build_possessions(pbp, sides))


def stints_table(pbp: pl.DataFrame, on_court: pl.DataFrame, possessions: pl.DataFrame) -> pl.DataFrame:
    return STINTS.enforce(build_stints(pbp, on_court, possessions))


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


@contextmanager
def every_thread_on_one_cpu():
    """Every thread of the process (polars' pool included) on the first CPU it may use, then back.

    On one game polars runs hundreds of small steps, each handed to its thread pool; on a virtual
    machine whose other CPU is idle (halted), waking a thread there costs far more than the step.
    On one CPU the hand-offs are plain context switches. Diagnostic only: targets use the free run.
    """
    cpus = os.sched_getaffinity(0)
    threads = [int(t) for t in os.listdir("/proc/self/task")]
    for thread in threads:
        os.sched_setaffinity(thread, {min(cpus)})
    try:
        yield
    finally:
        for thread in threads:
            with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
                os.sched_setaffinity(thread, cpus)


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


# ----------------------------------------------------------------------------------- report
def mb(megabytes: float) -> str:
    return f"{megabytes:,.0f} MB"


def print_stage_table(stages: list[Stage]) -> None:
    print(f"  {'stage':<78} {'wall s':>8} {'events/s':>12} {'peak RSS':>10}")
    for s in stages:
        rate = f"{s.events / s.seconds:,.0f}" if s.seconds > 0 and s.events else "-"
        mark = f"  ({s.note})" if s.note else f"  {s.kind}" if s.in_total else "  (not in total)"
        print(f"  {s.label:<78} {s.seconds:>8.2f} {rate:>12} {mb(s.peak_mb):>10}{mark}")


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
    print("NBA lakehouse season benchmark: 2022-23 regular season, PlayByPlayV3 bulk files -> silver -> every per-date gold table")
    print(f"  date: {dt.date.today().isoformat()}   python {sys.version.split()[0]}   polars {pl.__version__}   "
          f"cpus: {os.cpu_count()}   POLARS_MAX_THREADS: {pl.thread_pool_size()}")
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"  data: the bulk 2022-23 season {args.bulk} (provenance: {args.bulk.parent.parent / 'SOURCES.md'}, section 3)")
    print(f"  input: {len(files)} files, {size_mb:,.0f} MB of JSON, extracted in {files[0].parent}")
    print(f"  temp lake: {lake_root}")
    print(f"  GAME DATES ARE ASSIGNED, NOT REAL: the files carry no dates, so the {len(files)} games are spread in")
    print(f"    game-id order over the real season window {SEASON_FIRST_DAY}..{SEASON_LAST_DAY}: {len(dates)} dates, "
          f"{per_date['len'].min()}-{per_date['len'].max()} games per date.")
    print("  NO BOX SCORES in the bulk: every asset reads empty box_score_teams / box_score_players frames, as it would")
    print("    for dates without box scores: game_outcomes (the assets' sides) takes home/away from the play-by-play, so every")
    print("    game is 'in_progress' and final scores, winner_team_id and event_state.final_winning_team are null; starters")
    print("    are inferred from the play-by-play; team_game_stats gets an empty BOX_SCORE_TEAMS frame and so has 0 rows")
    print("    (its write still runs: it empties the run's dates); win_probability has no finished game to rate teams by.")
    print("  HEADLINE = the production path, raw season JSON -> every per-date gold table, all dates in one go (a")
    print("    single-run backfill): stages 1-9 compute, 2w-9w Lake.write_table; frames stay in memory between assets")
    print("    (the assets read them back from the lake; stage R times one such read, not in the total). Every game is kept:")
    print("    the games the assets' rules would hold back are counted below, not removed, so the quality figures cover 1230.")
    print("=" * 100, flush=True)

    meter = Meter()
    setup_mb = _vm_kb("VmRSS") / 1024
    print(f"  RSS after imports and setup (included in every peak below): {mb(setup_mb)}", flush=True)

    # Stage 0: floors, not part of the pipeline total.
    floor_parse(files, meter)
    floor_seconds = next(s.seconds for s in meter.stages if s.label.startswith("0d"))

    # The production path on the first 1, 10, 100 games (after a one-game warm-up, not shown), each in
    # a lake of its own, then on the whole season: the headline run.
    print(f"  scaling runs: the production path on the first {', '.join(map(str, SCALING_GAMES))} games (after a 1-game warm-up)", flush=True)
    scaling_run(files[:1], game_dates, args.workdir)
    scaling = [
        min((scaling_run(files[:n], game_dates, args.workdir) for _ in range(runs)), key=lambda r: r["seconds"])
        for n, runs in SCALING_GAMES.items()
    ]
    print("  headline run: the production path on the whole season", flush=True)
    first = len(meter.stages)
    run = production_run(files, game_dates, lake, meter, progress=True)
    headline = meter.stages[first:]
    compute_seconds = sum(s.seconds for s in headline if s.kind == "compute")
    write_seconds = sum(s.seconds for s in headline if s.kind == "write")
    total_seconds = compute_seconds + write_seconds
    season_peak = max(s.peak_mb for s in headline)
    lineup_stages = [s for s in headline if s.label.split()[0] in ("3", "4", "5")]  # players_on_court, possessions, stints
    lineup_seconds = sum(s.seconds for s in lineup_stages)
    scaling.append({
        "games": run.games, "events": run.rows[PLAY_BY_PLAY.name], "seconds": total_seconds,
        "compute": compute_seconds, "peak_mb": season_peak, "stages": {s.label: s.seconds for s in headline},
    })

    # Not part of the total: silver read back, silver games, audits.
    with meter.stage("R  read silver play_by_play back (Lake.read_table)", in_total=False):
        pbp = lake.read_table(PLAY_BY_PLAY)
    games = GAMES.enforce(build_games(
        SCHEDULE.empty(), SCOREBOARD_GAMES.empty(), TEAM_GAME_LOGS.empty(), BOX_SCORE_TEAMS.empty(), pbp
    ))
    with meter.stage(f"S  write silver games (Lake.write_table, {games.height} rows; no gold input)", events=0, in_total=False):
        written_games = lake.write_table(GAMES, games, dates=dates)
    with meter.stage("A  audits: decreasing_scores, duplicate_event_keys, clock", in_total=False):
        findings = {
            "decreasing_scores": audits.decreasing_scores(pbp),
            "duplicate_event_keys": audits.duplicate_event_keys(pbp),
            "clock_out_of_bounds": audits.clock_out_of_bounds(pbp),
        }
    decreasing_by_type = (
        findings["decreasing_scores"].join(pbp.select("game_id", "event_order", "event_type"), on=["game_id", "event_order"])
        .group_by("event_type").len().sort(["len", "event_type"], descending=[True, False])
    )

    # Quality figures from the gold tables the headline wrote (read back, not timed).
    on_court, possessions, stints = (lake.read_table(t) for t in (PLAYERS_ON_COURT, POSSESSIONS, STINTS))
    quality = lineup_quality(pbp, on_court, possessions, stints)
    quality["secondary"] = secondary_player_counts(pbp)
    quality["unresolved_names"] = run.unresolved_names
    rows, written = run.rows, run.written
    counts = {
        "pbp": rows[PLAY_BY_PLAY.name], "reread": pbp.height,
        **{f"{name}_written": sum(w.values()) for name, w in written.items()},
        **{f"{name}_files": len(w) for name, w in written.items()},
    }
    del pbp, on_court, possessions, stints

    # Alternatives for parsing, each checked to build exactly the raw frame parse_play_by_play builds.
    with meter.stage("X0 parse_play_by_play's raw frame alone: json.loads, RAW_FRAMES v3, concat", in_total=False):
        raw, actions_read = raw_frames(files, progress=file_progress(files, "X0 parse"))
    raw_print = fingerprint(raw)
    del raw
    alternatives: dict[str, bool] = {}
    if orjson is not None:
        with meter.stage("X1 X0 with orjson.loads in place of json.loads", in_total=False):
            alt, _ = raw_frames(files, loads=orjson.loads, progress=file_progress(files, "X1 parse"))
        alternatives["X1"] = same_frame(alt, raw_print)
        del alt
    with meter.stage("X2 X0 as pl.read_json(bytes, schema) + game_id per file, concat", in_total=False):
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
        if "pbpstats" in compare:
            with every_thread_on_one_cpu():
                compare["pinned"] = (
                    pbpstats_game(COMPARE_GAME, REPLAY_DIR, repeats=COMPARE_REPEATS)["seconds"],
                    ours_on_one_game(COMPARE_GAME, COMPARE_GAME_DATE, REPLAY_DIR, COMPARE_REPEATS)["seconds"],
                )

    process_peak = meter.process_peak_mb()
    events = counts["pbp"]

    print("\nStages (wall time, events per second over the 603,750 actions, peak RSS within the stage)")
    print_stage_table(meter.stages)
    print("  (floors, R, S, A and X* are informational; the scaling runs are the same stages 1-9w on fewer games)")
    for key, same in alternatives.items():
        print(f"  {key} builds the same raw frame as X0 (parse_play_by_play's raw frame): {'yes' if same else 'NO'}")

    print("\nHEADLINE raw season JSON -> every per-date gold table (silver play_by_play, players_on_court, possessions, stints,")
    print("  team_game_stats, event_state, win_probability), stages 1-9w run back to back in one process:")
    print(f"    compute, stages 1-9 (no writes)         : {compute_seconds:6.2f} s = {compute_seconds / floor_seconds:4.1f}x the parse floor")
    print(f"    Lake writes, stages 2w-9w (7 tables)    : {write_seconds:6.2f} s")
    print(f"    compute + writes (THE TARGET USES THIS) : {total_seconds:6.2f} s = {total_seconds / floor_seconds:4.1f}x the parse floor, "
          f"{events / total_seconds:,.0f} events/s, peak RSS {mb(season_peak)}")
    print(f"    parse floor, stage 0d (pl.read_json(bytes, schema) per file, same run): {floor_seconds:.2f} s")
    floor_multiple = total_seconds / floor_seconds
    floor_ok = floor_multiple <= FLOOR_MULTIPLE_TARGET
    print(f"  raw -> all per-date gold: {total_seconds:.2f} s = {floor_multiple:.1f} x the parse floor "
          f"(target <= {FLOOR_MULTIPLE_TARGET:.0f}x): {'PASS' if floor_ok else 'MISS'}")
    print(f"  process-wide peak RSS (whole script, all stages, floors and scaling runs): {mb(process_peak)}")

    print("\nScaling: the same production path (stages 1-9w) on the first N games in game-id order, each in a fresh lake;")
    print(f"  best of {', '.join(f'{runs} for {n}' for n, runs in SCALING_GAMES.items())} games; the season is the headline run (one run)")
    print(f"  {'games':>6} {'events':>9} {'dates':>6} {'wall s':>8} {'compute s':>10} {'ms/game':>9} {'µs/event':>9} {'peak RSS':>10}")
    for r in scaling:
        dates_n = game_dates.head(r["games"])["game_date"].n_unique()
        print(f"  {r['games']:>6,} {r['events']:>9,} {dates_n:>6} {r['seconds']:>8.2f} {r['compute']:>10.2f} "
              f"{1000 * r['seconds'] / r['games']:>9.2f} {1e6 * r['seconds'] / r['events']:>9.2f} {mb(r['peak_mb']):>10}")
    per_game = {r["games"]: r["seconds"] / r["games"] for r in scaling}
    growth = per_game[run.games] / per_game[10] - 1
    growth_ok = abs(growth) <= COST_PER_GAME_TOLERANCE
    print(f"  cost per game 10 -> {run.games}: {100 * growth:+.0f}% (target within +-{100 * COST_PER_GAME_TOLERANCE:.0f}%): "
          f"{'PASS' if growth_ok else 'MISS'}")
    peak_ok = season_peak <= SEASON_PEAK_TARGET_MB
    print(f"  season peak RSS {season_peak:,.0f} MB (target <= {SEASON_PEAK_TARGET_MB / 1024:.0f} GB): {'PASS' if peak_ok else 'MISS'}"
          f"  (max over stages 1-9w of the headline run; includes the {mb(setup_mb)} after imports)")
    print("  ms/game by stage (a stage whose ms/game falls as games grow carries a fixed cost per run):")
    print(f"    {'stage':<78}" + "".join(f" {r['games']:>7,}" for r in scaling))
    for label in scaling[-1]["stages"]:
        print(f"    {label:<78}" + "".join(f" {1000 * r['stages'].get(label, 0.0) / r['games']:>7.2f}" for r in scaling))

    lineup_ok = lineup_seconds < LINEUP_TARGET_SECONDS
    print("\n  LINEUP TOTAL silver play_by_play -> gold players_on_court, possessions, stints = stages 3+4+5, whole season:")
    print(f"    {lineup_seconds:.2f} s wall, {events / lineup_seconds:,.0f} events/s, "
          f"peak RSS {mb(max(s.peak_mb for s in lineup_stages))}")
    print(f"    {'PASS' if lineup_ok else 'MISS'}: {lineup_seconds:.2f} s (target < {LINEUP_TARGET_SECONDS:.0f} s)")

    print("\nRow counts")
    print(f"  actions read from the files : {actions_read:,} (expected {EXPECTED_ACTIONS:,})")
    print(f"  silver play_by_play rows    : {counts['pbp']:,} (written {counts['play_by_play_written']:,} in "
          f"{counts['play_by_play_files']} partition files; re-read {counts['reread']:,}; "
          f"{rows['play_by_play published']:,} in the games the asset would publish)")
    print(f"  silver games rows           : {games.height:,} (written {sum(written_games.values()):,} in {len(written_games)} files)")
    for table in (PLAYERS_ON_COURT, POSSESSIONS, STINTS, TEAM_GAME_STATS, EVENT_STATE, WIN_PROBABILITY):
        name = table.name
        print(f"  gold {name + ' rows':<23}: {rows[name]:,} (written {counts[name + '_written']:,} in {counts[name + '_files']} files)")
    print(f"  games by status             : {dict(games.group_by('status').len().iter_rows())}; "
          f"with winner: {games['winner_team_id'].is_not_null().sum()}; "
          f"home/away team ids from play-by-play: {games['home_team_id'].is_not_null().sum()}/{games['away_team_id'].is_not_null().sum()}")
    print("  games the assets' rules would hold back (kept in this run, see HEADLINE):")
    for name, failed in run.held_back.items():
        by_rule = ", ".join(f"{rule} {n}" for rule, n in failed.group_by("rule").len().sort("rule").iter_rows()) or "none"
        print(f"    {name:<17}: {failed['game_id'].n_unique()} games ({by_rule})")
    print(f"    play_by_play flags (published with a caveat): {run.flagged['game_id'].n_unique()} games")

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
    print("\nLineups, possessions and stints on the season (from the gold tables the headline wrote; no box scores)")
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
    one_game_ratio = season_ratio = None
    if "skipped" in compare:
        print(f"  skipped: {compare['skipped']}")
    if "pbpstats" in compare:
        ps = compare["pbpstats"]
        print(f"  pbpstats {ps['pbpstats_version']}: {ps['events']} events, best of {ps['repeats']} "
              f"{ps['seconds'] * 1000:.1f} ms = {us(ps['seconds_per_event'])}/event "
              "(loading + parsing the files, period starters, possessions;\n"
              "    its per-event lineups are resolved lazily on access, outside this time)")
        print(f"    then reading every event's lineup once (what players_on_court holds): "
              f"{ps['lineup_seconds'] * 1000:.1f} ms more")
        print(f"    possessions by team: {ps['possessions_by_team']}")
    if "ours" in compare:
        ours = compare["ours"]
        n = ours["events"]
        stage_ms = ", ".join(f"{k} {v * 1000:.1f}" for k, v in ours["per_stage"].items())
        print(f"  ours, players_on_court + possessions + stints (each + enforce): {n} events, best of {COMPARE_REPEATS} "
              f"{ours['seconds'] * 1000:.1f} ms = {us(ours['seconds'] / n)}/event  (ms: {stage_ms})")
        print(f"    the same plus both JSON files -> silver (json.loads, play_by_play/box_score_from_payload, "
              f"game_outcomes): {ours['with_parse'] * 1000:.1f} ms = {us(ours['with_parse'] / n)}/event")
        print(f"    events not 5+5: {ours['not_five']}; stints: {ours['stints']}; possessions by team: {ours['possessions_by_team']}")
    print(f"  ours over the whole season, stages 3+4+5 of the headline: {lineup_seconds:.2f} s / {events:,} events = "
          f"{us(lineup_seconds / events)}/event")
    if "ours" in compare and "pbpstats" in compare:
        ours, n = compare["ours"], compare["ours"]["events"]
        ps_per = compare["pbpstats"]["seconds_per_event"]
        one_game_ratio = ps_per / (ours["seconds"] / n)
        season_ratio = ps_per / (lineup_seconds / events)
        print("  pbpstats time per event / ours (> 1: ours is faster):")
        print(f"    one game {one_game_ratio:.2f}x (target >= {ONE_GAME_TARGET:.0f}x): {'PASS' if one_game_ratio >= ONE_GAME_TARGET else 'MISS'}")
        print(f"    season per event {season_ratio:.2f}x (target >= {SEASON_PER_EVENT_TARGET:.0f}x): "
              f"{'PASS' if season_ratio >= SEASON_PER_EVENT_TARGET else 'MISS'}")
        ps = compare["pbpstats"]
        with_lineups = ps["seconds"] + ps["lineup_seconds"]
        per_event = with_lineups / ps["events"]
        print("    information, not targets (the target keeps the issue's definition, above): pbpstats with every event's "
              f"lineup read, {with_lineups * 1000:.1f} ms,\n"
              f"      against ours {per_event / (ours['seconds'] / n):.2f}x; against ours with both JSON files -> silver "
              f"{per_event / (ours['with_parse'] / n):.2f}x (both sides then parse and find possessions and lineups)")
        pinned_ps, pinned_ours = compare["pinned"]
        print(f"    diagnostic, one game with every thread on one CPU (no wake-ups of an idle CPU): pbpstats "
              f"{pinned_ps * 1000:.1f} ms, ours {pinned_ours * 1000:.1f} ms -> {pinned_ps / pinned_ours:.2f}x (not a target)")

    checks = {
        f"actions read == {EXPECTED_ACTIONS:,}": actions_read == EXPECTED_ACTIONS,
        "silver rows == actions read": counts["pbp"] == actions_read,
        "silver rows written == silver rows": counts["play_by_play_written"] == counts["pbp"],
        f"games == {EXPECTED_GAMES}": games.height == EXPECTED_GAMES == run.games,
        "event_state rows == silver rows (built and written)": rows["event_state"] == counts["event_state_written"] == counts["pbp"],
        "silver re-read == silver rows": counts["reread"] == counts["pbp"],
        "players_on_court rows == silver rows (built and written)": rows["players_on_court"] == counts["players_on_court_written"] == counts["pbp"],
        "possessions, stints: written == built": all(rows[t] == counts[f"{t}_written"] for t in ("possessions", "stints")),
        "win_probability rows == event_state rows (built and written)": rows["win_probability"] == counts["win_probability_written"] == rows["event_state"],
        "team_game_stats rows == 0 (no box scores)": rows["team_game_stats"] == counts["team_game_stats_written"] == 0,
    }
    print("\nChecks")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")

    def verdict(ok: bool | None) -> str:
        return "skipped" if ok is None else "PASS" if ok else "MISS"

    print("\nIssue 17 targets (this run)")
    print(f"  {verdict(floor_ok)}  raw -> all per-date gold (compute + writes) {total_seconds:.2f} s = {floor_multiple:.1f}x the parse floor "
          f"{floor_seconds:.2f} s (<= {FLOOR_MULTIPLE_TARGET:.0f}x); compute alone {compute_seconds / floor_seconds:.1f}x")
    print(f"  {verdict(growth_ok)}  cost per game 10 -> {run.games} games: {100 * growth:+.0f}% "
          f"({1000 * per_game[10]:.1f} -> {1000 * per_game[run.games]:.1f} ms/game; within +-{100 * COST_PER_GAME_TOLERANCE:.0f}%)")
    print(f"  {verdict(peak_ok)}  season peak RSS {mb(season_peak)} (<= {SEASON_PEAK_TARGET_MB / 1024:.0f} GB)")
    one_ok = None if one_game_ratio is None else one_game_ratio >= ONE_GAME_TARGET
    season_ok = None if season_ratio is None else season_ratio >= SEASON_PER_EVENT_TARGET
    print(f"  {verdict(one_ok)}  one game vs pbpstats {one_game_ratio or 0:.2f}x (>= {ONE_GAME_TARGET:.0f}x)")
    print(f"  {verdict(season_ok)}  season per event vs pbpstats {season_ratio or 0:.2f}x (>= {SEASON_PER_EVENT_TARGET:.0f}x)")
    print(f"  {'PASS' if all(checks.values()) else 'FAIL'}  row-count checks; quality figures printed above")
    time_ok, memory_ok = total_seconds < TARGET_SECONDS, process_peak < TARGET_PEAK_MB
    print(f"Earlier targets: total {total_seconds:.2f} s (< {TARGET_SECONDS:.0f} s: {'ok' if time_ok else 'MISS'}), "
          f"process peak RSS {mb(process_peak)} (< {TARGET_PEAK_MB / 1024:.0f} GB: {'ok' if memory_ok else 'MISS'}), "
          f"lineup total {lineup_seconds:.2f} s (< {LINEUP_TARGET_SECONDS:.0f} s: {'ok' if lineup_ok else 'MISS'})")

    if not args.keep_lake:
        shutil.rmtree(lake_root, ignore_errors=True)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
