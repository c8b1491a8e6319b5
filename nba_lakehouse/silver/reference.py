"""Reference tables: teams (identities valid for season ranges) and players (seasons seen)."""

from __future__ import annotations

import polars as pl
from nba_api.stats.static import players as static_players
from nba_api.stats.static import teams as static_teams

from nba_lakehouse.partitions import current_season_start_year, season_label_expr, season_start_year_expr
from nba_lakehouse.schemas import PLAYERS, TEAMS
from nba_lakehouse.sources.payloads import result_set

_IDENTITY = ["team_tricode", "team_city", "team_name"]


def static_team_list() -> pl.DataFrame:
    """nba_api's bundled list of the current 30 teams (no request: it ships with the package)."""
    return pl.DataFrame(static_teams.get_teams()).select(
        team_id=pl.col("id").cast(pl.Int64),
        team_tricode="abbreviation",
        team_city="city",
        team_name="nickname",
        year_founded=pl.col("year_founded").cast(pl.Int32),
    )


def team_years_from_payload(payload: dict) -> pl.DataFrame:
    """CommonTeamYears: every franchise's first and last season start year."""
    try:
        years = result_set(payload, "TeamYears")
    except KeyError as exc:
        raise ValueError(f"CommonTeamYears payload: {exc.args[0]}") from None
    return years.select(
        team_id=pl.col("TEAM_ID").cast(pl.Int64),
        first_year=pl.col("MIN_YEAR").cast(pl.Int32),
        last_year=pl.col("MAX_YEAR").cast(pl.Int32),
    )


def build_teams(team_years: pl.DataFrame, static: pl.DataFrame, observed: pl.DataFrame) -> pl.DataFrame:
    """One row per team identity and the contiguous seasons it holds.

    ``observed`` has ``team_id, season, team_tricode, team_city, team_name`` as seen in that
    season's data (nulls allowed). A season without observations takes nba_api's current
    identity and says so in ``identity_source``: the static list knows no history.
    """
    current = current_season_start_year()
    franchises = (
        team_years.join(static.select("team_id", "year_founded"), on="team_id", how="full", coalesce=True)
        .with_columns(
            first_year=pl.coalesce("first_year", "year_founded"),
            last_year=pl.coalesce("last_year", pl.lit(current, pl.Int32)),
        )
        .filter(pl.col("first_year").is_not_null())
        .select("team_id", "first_year", "last_year")
    )
    seen = (
        observed.filter(pl.col("team_id").is_not_null() & pl.col("season").is_not_null())
        .group_by("team_id", "season")
        .agg(
            team_tricode=pl.col("team_tricode").drop_nulls().mode().sort().first(),
            team_city=pl.col("team_city").drop_nulls().mode().sort().first(),
            team_name=pl.col("team_name").drop_nulls().mode().sort().first(),
        )
        .with_columns(year=season_start_year_expr(pl.col("season")))
    )
    # A team seen outside CommonTeamYears' range still gets its seasons (the range widens).
    span = (
        pl.concat([
            franchises.select("team_id", lo="first_year", hi="last_year"),
            seen.select("team_id", lo="year", hi="year"),
        ])
        .group_by("team_id")
        .agg(pl.col("lo").min(), pl.col("hi").max())
    )
    grid = (
        span.with_columns(year=pl.int_ranges("lo", pl.col("hi") + 1, dtype=pl.Int32))
        .explode("year")
        .select("team_id", "year")
    )
    fallback = static.select("team_id", *[pl.col(c).alias(f"static_{c}") for c in _IDENTITY])
    per_season = (
        grid.join(seen.drop("season"), on=["team_id", "year"], how="left")
        .join(fallback, on="team_id", how="left")
        .with_columns(
            identity_source=pl.when(pl.col("team_tricode").is_not_null()).then(pl.lit("observed")).otherwise(pl.lit("static")),
            **{c: pl.coalesce(c, f"static_{c}") for c in _IDENTITY},
        )
        .sort("team_id", "year")
    )
    # A run is a stretch of seasons with one identity; it counts as observed if any season of it was.
    changed = pl.any_horizontal(pl.col(c).ne_missing(pl.col(c).shift(1).over("team_id")) for c in _IDENTITY)
    runs = per_season.with_columns(run=changed.cum_sum().over("team_id"))
    teams = (
        runs.group_by("team_id", "run")
        .agg(
            *[pl.col(c).first() for c in _IDENTITY],
            identity_source=pl.col("identity_source").min(),  # "observed" < "static"
            first_year=pl.col("year").min(),
            last_year=pl.col("year").max(),
        )
        .join(franchises, on="team_id", how="left", suffix="_franchise")
        .with_columns(is_active=pl.col("team_id").is_in(static["team_id"].implode()))
    )
    return teams.select(
        "team_id",
        *_IDENTITY,
        first_season=season_label_expr(pl.col("first_year")),
        last_season=season_label_expr(pl.col("last_year")),
        franchise_first_season=season_label_expr(pl.col("first_year_franchise")),
        franchise_last_season=season_label_expr(pl.col("last_year_franchise")),
        is_active="is_active",
        identity_source="identity_source",
    ).sort("team_id", "first_season").pipe(TEAMS.cast)


def teams_valid_for(teams: pl.DataFrame) -> pl.DataFrame:
    """``(team_id, first_year, last_year)`` of each identity, for range joins by season."""
    return teams.select(
        "team_id", first_year=season_start_year_expr(pl.col("first_season")), last_year=season_start_year_expr(pl.col("last_season"))
    )


def unresolved_team_ids(rows: pl.DataFrame, teams: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (team_id, season) pairs with no ``teams`` identity valid in that season."""
    pairs = rows.select("team_id", "season").drop_nulls().unique()
    valid = pairs.with_columns(year=season_start_year_expr(pl.col("season"))).join(
        teams_valid_for(teams), on="team_id", how="inner"
    ).filter(pl.col("year").is_between("first_year", "last_year")).select("team_id", "season").unique()
    return pairs.join(valid, on=["team_id", "season"], how="anti").sort("season", "team_id")


def static_player_list() -> pl.DataFrame:
    return pl.DataFrame(static_players.get_players()).select(
        player_id=pl.col("id").cast(pl.Int64),
        static_name="full_name",
        first_name="first_name",
        last_name="last_name",
        is_active="is_active",
    )


def build_players(static: pl.DataFrame, seen: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    """``seen`` has ``player_id, player_name, season, game_date, team_id`` from every silver player table.

    ``game_date`` orders the sightings (null for season totals, which count as the season's end).
    """
    sightings = seen.filter(pl.col("player_id").is_not_null() & (pl.col("player_id") > 0))
    ordered = sightings.sort("season", "game_date", nulls_last=True)
    per_player = ordered.group_by("player_id").agg(
        first_season_seen=pl.col("season").min(),
        last_season_seen=pl.col("season").max(),
        seen_name=pl.col("player_name").drop_nulls().last(),
        last_team_id=pl.col("team_id").drop_nulls().last(),
    )
    games = box_players.group_by("player_id").agg(box_score_games=pl.col("game_id").n_unique())
    players = (
        static.join(per_player, on="player_id", how="full", coalesce=True)
        .join(games, on="player_id", how="left")
        .with_columns(
            player_name=pl.coalesce("static_name", "seen_name"),
            in_static_list=pl.col("static_name").is_not_null(),
            box_score_games=pl.col("box_score_games").fill_null(0),
        )
    )
    return players.select(PLAYERS.column_names).sort("player_id").pipe(PLAYERS.cast)
