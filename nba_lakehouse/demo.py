"""The main job of the README: materialize the recorded sample games end to end and show the result."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from nba_lakehouse.charts import game_title, overtime_suffix, read_game_events, save_game_flow_png, save_win_probability_png
from nba_lakehouse.definitions import all_assets, all_checks, per_game_date, per_season
from nba_lakehouse.lake import PROJECT_ROOT, Lake
from nba_lakehouse.recovery import worker_tags
from nba_lakehouse.resources import build_resources
from nba_lakehouse.sources.replay import recorded_games, recorded_partitions

# The summary is the demo's output; Dagster's step-by-step log stays in the instance (and the UI).
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


GOLD_QUERY = """
SELECT g.game_date,
       g.away_team_tricode || ' @ ' || g.home_team_tricode           AS matchup,
       g.away_score || '-' || g.home_score                           AS final,
       CASE e.final_winning_team WHEN 0 THEN g.home_team_tricode ELSE g.away_team_tricode END AS winner,
       max(e.point_differential)                                      AS biggest_home_lead,
       -min(e.point_differential)                                     AS biggest_away_lead,
       count(*) FILTER (WHERE e.current_winning_team IS DISTINCT FROM e.prev_leader
                        AND e.current_winning_team IS NOT NULL AND e.prev_leader IS NOT NULL) AS lead_changes
FROM (SELECT *, lag(current_winning_team IGNORE NULLS) OVER (PARTITION BY game_id ORDER BY event_order) AS prev_leader
      FROM gold.event_state) e
JOIN silver.games g USING (game_id)
GROUP BY ALL
ORDER BY g.game_date
"""

FOUR_FACTORS_QUERY = """
SELECT game_date, team_tricode AS team, points, possessions,
       round(pace, 1) AS pace, round(offensive_rating, 1) AS off_rtg, round(defensive_rating, 1) AS def_rtg,
       round(effective_fg_pct, 3) AS efg, round(turnover_pct, 3) AS tov, round(offensive_rebound_pct, 3) AS orb,
       round(free_throw_rate, 3) AS ftr
FROM gold.team_game_stats
ORDER BY game_date, game_id, is_home NULLS FIRST, team_id
"""

# Per game: the opening home win probability and the play that moved it most (its |WPA|), named
# from silver.play_by_play.
WIN_PROBABILITY_QUERY = """
WITH wp AS (
    SELECT *,
           first_value(home_win_probability_before) OVER (PARTITION BY game_id ORDER BY event_order) AS opening,
           -- The period's clock: in regulation the seconds left in the game less the periods still to play.
           seconds_remaining_game - greatest(4 - period, 0) * 720                                  AS clock
    FROM gold.win_probability
)
SELECT g.game_date,
       g.away_team_tricode || ' @ ' || g.home_team_tricode AS matchup,
       round(w.opening, 3)                                 AS home_opening,
       w.event_type || coalesce(' ' || p.player_name, '') || coalesce(' (' || p.team_tricode || ')', '') AS biggest_play,
       CASE WHEN w.period <= 4 THEN 'Q' || w.period ELSE 'OT' || (w.period - 4) END AS period,
       CASE WHEN w.clock < 60 AND w.clock <> floor(w.clock) THEN printf('0:%04.1f', w.clock)
            ELSE printf('%d:%02d', CAST(floor(w.clock / 60) AS INTEGER), CAST(floor(w.clock % 60) AS INTEGER)) END AS clock,
       round(w.home_wpa, 3)                                AS home_wpa,
       round(w.home_win_probability, 3)                    AS home_after
FROM wp w
JOIN silver.games g USING (game_id)
LEFT JOIN silver.play_by_play p USING (game_id, event_order)
QUALIFY row_number() OVER (PARTITION BY w.game_id ORDER BY abs(w.home_wpa) DESC, w.event_order) = 1
ORDER BY g.game_date
"""

# The games with a recorded play-by-play; silver.games also holds whole seasons from game logs.
SAMPLE_GAMES_QUERY = """
SELECT game_id, game_date, away_team_tricode AS away, home_team_tricode AS home, away_score, home_score,
       CASE WHEN winner_team_id = home_team_id THEN home_team_tricode ELSE away_team_tricode END AS winner,
       periods, status, play_by_play_source AS pbp_feed, sources
FROM silver.games WHERE play_by_play_source IS NOT NULL ORDER BY game_date
"""

# The game drawn as a picture: the README's headline game. CLE trailed CHI by 21 late in the
# second quarter, tied it at the end of regulation and won in overtime (Mitchell's 71), so its
# flow shows a long deficit, the comeback, every period boundary and an overtime. Where the
# recordings lack it, the first sample game.
CHART_GAME_ID = "0022200552"


@dataclass
class DemoResult:
    lake_root: str
    duckdb_path: str
    games: pl.DataFrame
    events: int
    checks: list[tuple[str, str, bool]] = field(default_factory=list)
    gold_query: pl.DataFrame | None = None
    four_factors: pl.DataFrame | None = None
    tables: pl.DataFrame | None = None
    seconds: float = 0.0
    game_flow_png: str | None = None  # <lake root>/charts/game_flow_<game_id>.png (S3: beside the catalog)
    game_flow_note: str = ""          # what the picture shows, or why there is none
    win_probability: pl.DataFrame | None = None  # WIN_PROBABILITY_QUERY: opening probability and biggest play per game
    win_probability_png: str | None = None  # beside the game-flow chart: win_probability_<game_id>.png


def default_instance() -> dg.DagsterInstance:
    """The instance at $DAGSTER_HOME, or the project's .dagster_home so `dagster dev` sees the runs."""
    if not os.environ.get("DAGSTER_HOME"):
        home = PROJECT_ROOT / ".dagster_home"
        home.mkdir(exist_ok=True)
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
        os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def _check_outcomes(result: dg.ExecuteInProcessResult) -> list[tuple[str, str, bool]]:
    return [
        (e.asset_key.to_user_string(), e.check_name, e.passed)
        for e in result.get_asset_check_evaluations()
    ]


def _season_run_config(players_by_season: dict[str, list[int]], season: str) -> dict:
    """Replay holds one player's game log, not the league's: ask for the recorded players."""
    players = players_by_season.get(season)
    if not players:
        return QUIET
    return {**QUIET, "ops": {"bronze_player_game_logs": {"config": {"player_ids": players}}}}


def demo_date_order(dates: list[dt.date], game_dates: set[dt.date]) -> list[dt.date]:
    """The dates with no recorded game (a scoreboard alone) first, then the game dates in order.

    The UI opens every per-date asset on its latest materialization: the demo's must be a date
    with games, not an empty one ("Row count 0").
    """
    return sorted(dates, key=lambda date: (date in game_dates, date))


def run_demo(lake_root: str | None = None, instance: dg.DagsterInstance | None = None) -> DemoResult:
    started = time.perf_counter()
    resources = build_resources(lake_root=lake_root, mode="replay")
    lake = resources["lake"].lake()
    recorded = recorded_partitions(resources["nba"].replay_dir)
    assets = [*all_assets, *all_checks]
    checks: list[tuple[str, str, bool]] = []

    def run(selection, partition_key=None, run_config=QUIET):
        result = dg.materialize(
            assets, selection=selection, partition_key=partition_key, resources=resources, instance=instance,
            run_config=run_config, tags=worker_tags(),  # this process is the worker: `recover` can judge it
        )
        checks.extend(_check_outcomes(result))
        return result

    # The bundled model (trained on the bulk 2022-23 season), published into the lake before the
    # dates are built, so each date's win_probability scores its games: the demo's four games are
    # far too few to train one on (training wants 200 finished games). Without its calibration
    # check: it judges the model on the lake's finished games it did not train on, three here, and
    # would only warn that 100 are needed.
    bundled = {**QUIET, "ops": {"win_probability_model": {"config": {"bundled": True}}}}
    run(dg.AssetSelection.assets("win_probability_model").without_checks(), run_config=bundled)
    print("published the bundled win probability model (trained on the 2022-23 season) into the lake")
    for game_date in demo_date_order(recorded.dates, set(recorded_games(resources["nba"].replay_dir).values())):
        result = run(per_game_date, game_date.isoformat())
        print(f"materialized {game_date}: every per-game table, {len(result.get_asset_check_evaluations())} checks")
    # Teams first from the box scores, so the season checks can resolve team ids; again at the end
    # with what the season game logs and schedules add.
    run(["bronze_team_years", "teams"])
    for season in recorded.seasons:
        result = run(per_season, season, _season_run_config(recorded.players_by_season, season))
        print(f"materialized {season}: schedule, game logs, season stats, games, starter and clutch splits, "
              f"{len(result.get_asset_check_evaluations())} checks")
    final = run(["teams", "players", "duckdb_catalog"])
    # The rows per table, as the catalog build counted them through its views (not counted again:
    # that reads every file's footer once more, a few thousand requests on an object store).
    counted = final.asset_materializations_for_node("duckdb_catalog")[-1].metadata["rows"].value
    tables = pl.DataFrame({"table": list(counted), "rows": list(counted.values())},
                          schema={"table": pl.String, "rows": pl.Int64})

    with duckdb.connect(lake.duckdb_path, read_only=True) as conn:
        lake.duckdb_setup(conn)
        games = conn.sql(SAMPLE_GAMES_QUERY).pl()
        events = conn.execute("SELECT count(*) FROM gold.event_state").fetchall()[0][0]
        gold = conn.sql(GOLD_QUERY).pl()
        four_factors = conn.sql(FOUR_FACTORS_QUERY).pl()
        win_probability = conn.sql(WIN_PROBABILITY_QUERY).pl()
    png, note = write_game_flow_chart(lake, games)
    wp_png = write_win_probability_chart(lake, games) if win_probability.height else None
    return DemoResult(
        lake_root=lake.root_uri, duckdb_path=lake.duckdb_path, games=games, events=events,
        checks=checks, gold_query=gold, four_factors=four_factors, tables=tables, seconds=time.perf_counter() - started,
        game_flow_png=png, game_flow_note=note, win_probability=win_probability, win_probability_png=wp_png,
    )


def chart_game(games: pl.DataFrame) -> dict:
    """The sample game the demo draws: CHART_GAME_ID, or where the recordings lack it the first."""
    game_id = CHART_GAME_ID if CHART_GAME_ID in games["game_id"] else games["game_id"][0]
    return games.filter(pl.col("game_id") == game_id).row(0, named=True)


def games_row(game: dict) -> dict:
    """The teams and score of a SAMPLE_GAMES_QUERY row as silver.games names them (for ``game_title``):
    no scan of silver.games (hundreds of season files, each a request or more on an object store) for one row."""
    return {"away_team_tricode": game["away"], "home_team_tricode": game["home"], "away_score": game["away_score"],
            "home_score": game["home_score"], "periods": game["periods"], "game_date": game["game_date"], "game_id": game["game_id"]}


def charts_dir(lake: Lake) -> str:
    """``<lake root>/charts``; an object-store lake: ``charts/`` beside the local DuckDB catalog, where a picture can be opened."""
    return lake.path("charts") if lake.is_local else str(Path(lake.duckdb_path).parent / "charts")


def write_game_flow_chart(lake: Lake, games: pl.DataFrame) -> tuple[str | None, str]:
    """Draw one sample game's flow from the lake's gold.event_state as
    ``<lake root>/charts/game_flow_<game_id>.png`` (an object-store lake: ``charts/`` beside the
    local DuckDB catalog, where a picture can be opened); return its path (None if not drawn) and a
    line saying what it shows."""
    if games.is_empty():
        return None, "no game with a play-by-play in the lake: no game-flow chart"
    game = chart_game(games)
    game_id, charts = game["game_id"], charts_dir(lake)
    path = save_game_flow_png(read_game_events(lake, game_id, game["game_date"]), game_id, f"{charts}/game_flow_{game_id}.png",
                              title=f"Game flow: {game_title(games_row(game))}", home=game["home"], away=game["away"])
    return str(path), (
        f"{game['away']} @ {game['home']} {game['game_date']}, final {game['away_score']}-{game['home_score']}"
        f"{overtime_suffix(game['periods'])}: "
        f"point differential ({game['home']} minus {game['away']}) over game time, period boundaries dashed"
    )


def write_win_probability_chart(lake: Lake, games: pl.DataFrame) -> str:
    """Draw the game-flow chart's game's win probability from gold.win_probability as
    ``win_probability_<game_id>.png`` beside it; return its path."""
    game = chart_game(games)
    path = save_win_probability_png(lake, game["game_id"], f"{charts_dir(lake)}/win_probability_{game['game_id']}.png",
                                    game["game_date"], home=game["home"], away=game["away"],
                                    title=f"Win probability: {game_title(games_row(game))}")
    return str(path)


def print_summary(result: DemoResult) -> None:
    with pl.Config(tbl_rows=80, tbl_cols=20, tbl_width_chars=160, tbl_hide_dataframe_shape=True, fmt_str_lengths=48):
        print(f"\nLake: {result.lake_root}    DuckDB: {result.duckdb_path}    ({result.seconds:.1f} s)")
        print(f"\n{result.games.height} games, {result.events} play-by-play events in gold.event_state\n")
        print(result.games)
        print("\nRows per table (DuckDB views over the Parquet)")
        print(result.tables)
        passed = sum(ok for *_, ok in result.checks)
        print(f"\nAsset checks: {passed}/{len(result.checks)} passed")
        for asset, name, ok in sorted(set(result.checks)):
            print(f"  {'PASS' if ok else 'FAIL'}  {asset}.{name}")
        print("\nDuckDB over gold.event_state: biggest leads and lead changes per game")
        print(result.gold_query)
        print("\nDuckDB over gold.team_game_stats: pace, ratings and the four factors from counted possessions")
        print(result.four_factors)
        if result.win_probability is not None and result.win_probability.height:
            print("\nDuckDB over gold.win_probability (the bundled model): the home team's opening win probability,"
                  " and the play that moved it most (home WPA)")
            print(result.win_probability)
            print("  (pregame strength comes from a season's earlier games: the demo has one game per season, so each opens"
                  " on home court alone)")
        if result.game_flow_png:
            print(f"\nGame-flow chart: {result.game_flow_png}")
            print(f"  {result.game_flow_note}")
        elif result.game_flow_note:
            print(f"\nNote: {result.game_flow_note}")
        if result.win_probability_png:
            print(f"\nWin-probability chart: {result.win_probability_png}")
            print("  the home team's win probability over game time, 0.5 line, period boundaries dashed,"
                  " the 3 plays with the largest |WPA| circled")
        print(f"\nOpen the Dagster UI on the same runs and data:  DAGSTER_HOME={os.environ.get('DAGSTER_HOME')} "
              ".venv/bin/dagster dev -w workspace.yaml")


def main() -> None:
    print_summary(run_demo(instance=default_instance()))


if __name__ == "__main__":
    main()
