"""The data audit as plain functions: each returns the offending rows (empty frame = pass).

The Dagster asset checks in ``checks.py`` are thin wrappers around these, so the same audit can
be run on any frame, including deliberately corrupted copies in tests.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

import polars as pl

from nba_lakehouse import game_issues
from nba_lakehouse.game_clock import REGULATION_PERIODS, period_length
from nba_lakehouse.partitions import season_start_year_expr
from nba_lakehouse.silver.games import play_by_play_summary


def box_score_row_counts(box_teams: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    """Games without exactly two team rows, or with a team that has no player rows."""
    team_rows = box_teams.group_by("game_id").agg(team_rows=pl.len(), teams=pl.col("team_id"))
    players_per_team = box_players.group_by("game_id", "team_id").agg(player_rows=pl.len())
    per_team = (
        box_teams.select("game_id", "team_id")
        .join(players_per_team, on=["game_id", "team_id"], how="left")
        .group_by("game_id")
        .agg(teams_without_players=pl.col("player_rows").is_null().sum())
    )
    # Player rows whose game has no team rows at all.
    orphan = box_players.select("game_id").unique().join(box_teams.select("game_id").unique(), on="game_id", how="anti")
    bad = team_rows.join(per_team, on="game_id", how="left").filter(
        (pl.col("team_rows") != 2) | (pl.col("teams_without_players") > 0)
    ).select("game_id", "team_rows", "teams_without_players")
    return pl.concat(
        [bad, orphan.with_columns(team_rows=pl.lit(0, pl.UInt32), teams_without_players=pl.lit(None, pl.UInt32))],
        how="vertical_relaxed",
    )


def starters_per_team(box_players: pl.DataFrame) -> pl.DataFrame:
    """(game, team) pairs that do not have exactly five starters."""
    return (
        box_players.group_by("game_id", "team_id")
        .agg(starters=pl.col("starter").sum())
        .filter(pl.col("starters") != 5)
        .sort("game_id", "team_id")
    )


def final_score_mismatches(pbp: pl.DataFrame, games: pl.DataFrame) -> pl.DataFrame:
    """Games whose play-by-play final differs from the game's final score (box score team points).

    The play-by-play final is checked two ways: the last score the feed states, and the points
    of its scoring events added up. The second catches a missing scoring event even where the
    feed's running score (or a period-end row) still carries the right total.
    """
    summary = play_by_play_summary(pbp).select("game_id", "pbp_home_score", "pbp_away_score")
    scored = (
        pbp.filter(pl.col("shot_made").fill_null(False))
        .group_by("game_id", "team_id")
        .agg(points=pl.col("shot_value").cast(pl.Int32).sum())
    )
    sides = games.select("game_id", "home_team_id", "away_team_id", "home_score", "away_score")
    for side in ("home", "away"):
        sides = sides.join(
            scored.rename({"team_id": f"{side}_team_id", "points": f"{side}_points"}),
            on=["game_id", f"{side}_team_id"], how="left",
        )
    # Games without play-by-play (seen only in a schedule or game log) have nothing to compare, nor
    # have games no source gave a final score (completed_games_have_scores reports those).
    return (
        summary.join(sides, on="game_id", how="inner")
        .filter(pl.col("home_score").is_not_null() | pl.col("away_score").is_not_null())
        .filter(
            pl.col("pbp_home_score").ne_missing(pl.col("home_score"))
            | pl.col("pbp_away_score").ne_missing(pl.col("away_score"))
            | pl.col("home_points").fill_null(0).ne_missing(pl.col("home_score"))
            | pl.col("away_points").fill_null(0).ne_missing(pl.col("away_score"))
        )
        .select("game_id", "home_score", "pbp_home_score", "home_points", "away_score", "pbp_away_score", "away_points")
        .sort("game_id")
    )


def decreasing_scores(pbp: pl.DataFrame) -> pl.DataFrame:
    """Events after which a team's score is lower than before (scores only ever go up).

    An instant-replay row may lower the score: a review that takes a basket off is a real
    correction. (The 36 instant-replay rows of the 2022-23 season with a lower score all carry a
    stale score the game then comes back from; the ``isolated_score_drop`` repair sets them back.)
    """
    scored = pbp.sort("game_id", "event_order").with_columns(
        prev_home=pl.col("home_score").forward_fill().shift(1).over("game_id"),
        prev_away=pl.col("away_score").forward_fill().shift(1).over("game_id"),
    )
    return scored.filter(
        ((pl.col("home_score") < pl.col("prev_home")) | (pl.col("away_score") < pl.col("prev_away")))
        & (pl.col("event_type") != "instant_replay")
    ).select("game_id", "event_order", "period", "prev_home", "home_score", "prev_away", "away_score", "description")


def duplicate_event_keys(pbp: pl.DataFrame) -> pl.DataFrame:
    return pbp.group_by("game_id", "event_order").agg(rows=pl.len()).filter(pl.col("rows") > 1)


def clock_out_of_bounds(pbp: pl.DataFrame) -> pl.DataFrame:
    """Events whose clock is negative or longer than their period (12 min, 5 min in overtime)."""
    return pbp.filter(
        (pl.col("clock_seconds") < 0) | (pl.col("clock_seconds") > period_length(pl.col("period"))) | (pl.col("period") < 1)
    ).select("game_id", "event_order", "period", "clock_seconds")


def completed_games_missing_scores(pbp: pl.DataFrame, games: pl.DataFrame) -> pl.DataFrame:
    """Games whose play-by-play reached the end of regulation or later, without both final scores."""
    completed = play_by_play_summary(pbp).filter(pl.col("ended") & (pl.col("periods") >= REGULATION_PERIODS)).select("game_id")
    return (
        completed.join(games.select("game_id", "home_score", "away_score"), on="game_id", how="left")
        .filter(pl.col("home_score").is_null() | pl.col("away_score").is_null())
        .sort("game_id")
    )


# Per-game detail tables against the box score ------------------------------------------------
def _games_in_both(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    return left.select("game_id").unique().join(right.select("game_id").unique(), on="game_id", how="semi")


# Box score statistics and the play-by-play column that credits each one.
SECONDARY_STATS = {"assists": "assist_player_id", "steals": "steal_player_id", "blocks": "block_player_id"}


def secondary_stats_vs_box_score(pbp: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    """(game, player) pairs whose assists, steals or blocks counted from the play-by-play's
    secondary players differ from the box score's AST, STL, BLK. Only games in both frames."""
    games = _games_in_both(pbp, box_players)
    events = pbp.join(games, on="game_id", how="semi")
    counted = pl.concat(
        [
            events.filter(pl.col(column).is_not_null()).group_by("game_id", player_id=column).agg(
                stat=pl.lit(stat), play_by_play=pl.len().cast(pl.Int32)
            )
            for stat, column in SECONDARY_STATS.items()
        ]
    )
    boxed = (
        box_players.join(games, on="game_id", how="semi")
        .unpivot(list(SECONDARY_STATS), index=["game_id", "player_id"], variable_name="stat", value_name="box_score")
        .with_columns(pl.col("box_score").cast(pl.Int32))
    )
    return (
        counted.join(boxed, on=["game_id", "player_id", "stat"], how="full", coalesce=True)
        .with_columns(pl.col("play_by_play", "box_score").fill_null(0))
        .filter(pl.col("play_by_play") != pl.col("box_score"))
        .select("game_id", "player_id", "stat", "play_by_play", "box_score")
        .sort("game_id", "player_id", "stat")
    )


def shots_vs_box_score_fgm(shots: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    """(game, player) pairs whose shot chart makes or attempts differ from the box score FGM / FGA.

    Only games present in both frames are compared; a player with box score attempts but no
    shot rows counts as zero shots (and a shooter missing from the box score as zero FGM / FGA).
    Needs a full shot chart (``ContextMeasure=FG_PCT``): a makes-only chart fails on attempts.
    """
    games = _games_in_both(shots, box_players)
    charted = (
        shots.join(games, on="game_id", how="semi")
        .group_by("game_id", "player_id")
        .agg(shots_made=pl.col("shot_made").cast(pl.Int32).sum(), shots_attempted=pl.len().cast(pl.Int32))
    )
    boxed = box_players.join(games, on="game_id", how="semi").select(
        "game_id", "player_id", "field_goals_made", "field_goals_attempted"
    )
    compared = charted.join(boxed, on=["game_id", "player_id"], how="full", coalesce=True).with_columns(
        pl.col("shots_made", "shots_attempted", "field_goals_made", "field_goals_attempted").fill_null(0)
    )
    return (
        compared.filter(
            (pl.col("shots_made") != pl.col("field_goals_made"))
            | (pl.col("shots_attempted") != pl.col("field_goals_attempted"))
        )
        .select("game_id", "player_id", "shots_made", "field_goals_made", "shots_attempted", "field_goals_attempted")
        .sort("game_id", "player_id")
    )


def rotation_minutes_vs_box_score(
    rotations: pl.DataFrame, box_players: pl.DataFrame, tolerance_seconds: float = 1.0
) -> pl.DataFrame:
    """(game, player) pairs whose rotation stints add up to more than ``tolerance_seconds`` away
    from the box score minutes.

    Only games present in both frames; a player with box score minutes but no stints counts with
    zero seconds (and a player with stints but no box score line with zero minutes).
    """
    games = _games_in_both(rotations, box_players)
    stints = (
        rotations.join(games, on="game_id", how="semi")
        .group_by("game_id", "player_id")
        .agg(rotation_seconds=pl.col("seconds_played").sum())
    )
    boxed = box_players.join(games, on="game_id", how="semi").select(
        "game_id", "player_id", box_seconds=pl.col("minutes") * 60
    )
    compared = stints.join(boxed, on=["game_id", "player_id"], how="full", coalesce=True).with_columns(
        pl.col("rotation_seconds", "box_seconds").fill_null(0.0)
    )
    return (
        compared.with_columns(difference_seconds=pl.col("rotation_seconds") - pl.col("box_seconds"))
        .filter(pl.col("difference_seconds").abs() > tolerance_seconds)
        .select("game_id", "player_id", "rotation_seconds", "box_seconds", "difference_seconds")
        .sort("game_id", "player_id")
    )


def line_score_mismatches(line_scores: pl.DataFrame, box_teams: pl.DataFrame) -> pl.DataFrame:
    """(game, team) pairs whose period points do not add up to the line's own total, or to the
    box score team points where the box score has that game (a team missing on either side
    of such a game counts too)."""
    lines = line_scores.group_by("game_id", "team_id").agg(
        period_points=pl.col("points").sum(),
        # The total is repeated on every period row of the team: differing copies are an error too.
        total_points=pl.when(pl.col("total_points").n_unique() == 1).then(pl.col("total_points").first()),
    )
    boxed = box_teams.join(_games_in_both(line_scores, box_teams), on="game_id", how="semi").select(
        "game_id", "team_id", box_points="points"
    )
    box_games = boxed.select("game_id").unique().with_columns(in_box=pl.lit(True))
    compared = lines.join(boxed, on=["game_id", "team_id"], how="full", coalesce=True).join(
        box_games, on="game_id", how="left"
    )
    return (
        compared.filter(
            pl.col("period_points").ne_missing(pl.col("total_points"))
            | (pl.col("in_box").fill_null(False) & pl.col("period_points").ne_missing(pl.col("box_points")))
        )
        .select("game_id", "team_id", "period_points", "total_points", "box_points")
        .sort("game_id", "team_id")
    )


def player_points_vs_team_points(box_players: pl.DataFrame, box_teams: pl.DataFrame) -> pl.DataFrame:
    """(game, team) pairs whose player points do not add up to the team's points (a team without
    player rows, or player rows without their team row, counts too)."""
    players = box_players.group_by("game_id", "team_id").agg(player_points=pl.col("points").sum())
    teams = box_teams.select("game_id", "team_id", team_points="points")
    return (
        players.join(teams, on=["game_id", "team_id"], how="full", coalesce=True)
        .filter(pl.col("player_points").ne_missing(pl.col("team_points")))
        .select("game_id", "team_id", "player_points", "team_points")
        .sort("game_id", "team_id")
    )


# Regular-season games per team. A league rule, not a figure computed here: 82 since 1967-68,
# shortened by the 1998-99 and 2011-12 lockouts and the 2020-21 pandemic season. 2019-20 ended
# with teams on different counts (63 to 75 games), so it has no single number.
GAMES_PER_TEAM = {"1998-99": 50, "2011-12": 66, "2019-20": None, "2020-21": 72}
DEFAULT_GAMES_PER_TEAM = 82


@dataclass(frozen=True)
class SeasonCompleteness:
    violations: pl.DataFrame
    what: str
    summary: str
    metadata: dict


def regular_season_completeness(games: pl.DataFrame, teams: pl.DataFrame, season: str) -> SeasonCompleteness:
    """Judge a season's regular season in ``games`` against teams x games per team / 2.

    Complete once any team has played all its games: then every team must have played exactly
    that many and the distinct games must number teams x games / 2. Before that the season is in
    progress, and only counts above the rule are violations (a duplicated or misfiled game).
    """
    per_team = GAMES_PER_TEAM.get(season, DEFAULT_GAMES_PER_TEAM)
    year = int(season[:4])
    franchises = teams.select(
        "team_id",
        first=season_start_year_expr(pl.col("franchise_first_season")),
        last=season_start_year_expr(pl.col("franchise_last_season")),
    ).unique("team_id")
    league = franchises.filter((pl.col("first") <= year) & (pl.col("last") >= year))["team_id"]
    regular = games.filter((pl.col("season") == season) & (pl.col("season_type") == "Regular Season"))
    played = regular.filter(pl.col("status") == "final")
    counts = (
        pl.concat([played.select(team_id="home_team_id"), played.select(team_id="away_team_id")])
        .group_by("team_id").len("games")
    )
    per_team_counts = pl.DataFrame({"team_id": league}).join(counts, on="team_id", how="full", coalesce=True).with_columns(
        pl.col("games").fill_null(0)
    )
    distinct = regular["game_id"].n_unique()
    meta = {"regular_season_games": distinct, "final": played.height, "teams": league.len()}
    if per_team is None:
        return SeasonCompleteness(pl.DataFrame(), "", f"{season}: no single games-per-team rule; {distinct} games", meta)
    if league.is_empty():
        problem = pl.DataFrame({"problem": [f"no teams row valid in {season}: materialize teams"]})
        return SeasonCompleteness(problem, "season without teams to judge it", "", meta)
    expected = league.len() * per_team // 2
    meta["expected_games"] = expected
    complete = typing.cast(int, per_team_counts["games"].max()) >= per_team
    too_many = per_team_counts.filter(pl.col("games") > per_team)
    if not complete:
        summary = f"{season} in progress: {played.height} of {expected} regular-season games final"
        return SeasonCompleteness(too_many, "teams with more games than the season has", summary, meta)
    wrong = per_team_counts.filter(pl.col("games") != per_team).with_columns(expected=pl.lit(per_team))
    if distinct != expected:
        wrong = pl.concat(
            [wrong, pl.DataFrame({"team_id": [None], "games": [distinct], "expected": [expected]})],
            how="diagonal_relaxed",
        )
    summary = f"{season} complete: {distinct} regular-season games, {per_team} per team for {league.len()} teams"
    return SeasonCompleteness(wrong, "teams (or the season total, team_id null) off the games-per-team rule", summary, meta)


# Game-level rules: a box score that breaks one is held back, the date's other games published --
def box_score_rule_violations(box_players: pl.DataFrame, box_teams: pl.DataFrame) -> pl.DataFrame:
    """(game_id, rule, detail) per game whose box score breaks a rule of the checks that guard it."""
    return game_issues.combine(
        game_issues.per_game(box_score_row_counts(box_teams, box_players), "two_team_rows_with_players",
                             "games with wrong team/player rows"),
        game_issues.per_game(starters_per_team(box_players), "five_starters_per_team", "team-games without five starters"),
        game_issues.per_game(player_points_vs_team_points(box_players, box_teams), "player_points_sum_to_team_points",
                             "team-games whose player points do not add up"),
    )
