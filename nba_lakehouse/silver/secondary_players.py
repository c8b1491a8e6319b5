"""V3's secondary players: the names its descriptions write, resolved to ids (``silver.names``).

V2 and the CDN give the ids themselves (``silver.play_by_play`` fills them while parsing), and V3's
steal and block rows are paired there too. What is left are the names only V3's text holds:

- the assister of a made shot: "Allen 2' Cutting Layup Shot (2 PTS) (Love 1 AST)";
- the player coming in: "SUB: Okoro FOR LeVert" (the one going out is the row's personId);
- the jumpers and the player tipped to: "Jump Ball Allen vs. Vucevic: Tip to Dosunmu" (the first
  jumper is the row's personId, the second plays for the other team, the third for either).
"""

from __future__ import annotations

import polars as pl

from nba_lakehouse import game_issues
from nba_lakehouse.silver.names import resolve_mentions
from nba_lakehouse.silver.play_by_play import SECONDARY_COLUMNS

ASSIST = r"\(([^()]+?) \d+ AST\)"
SUBSTITUTION = r"^SUB: (.+?) FOR (.+)$"
JUMP_BALL = r"^Jump Ball (.+?) vs\.? (.+?)(?:: Tip to (.*))?$"
# The column each role fills.
ROLE_COLUMNS = {
    "assist": "assist_player_id",
    "sub_in": "sub_in_player_id",
    "jumper": "_other_jumper",
    "tipped_to": "jump_ball_possession_player_id",
}
# The silver columns a resolved role fills directly ("jumper" is placed on a side afterwards).
RESOLVED_COLUMNS = [c for c in ROLE_COLUMNS.values() if c in SECONDARY_COLUMNS]
# The play-by-play columns resolve_description_players reads.
RESOLVER_READS = ("game_id", "game_date", "event_order", "period", "event_type", "team_id", "player_id", "player_name",
                  "source", "description", "sub_out_player_id")
UNRESOLVED_SCHEMA = pl.Schema({"game_id": pl.String, "event_order": pl.Int32, "role": pl.String, "name": pl.String})


def _teams_of_games(pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, team_id): the (up to two) teams each game's rows act for."""
    return pbp.filter(pl.col("team_id").is_not_null()).select("game_id", "team_id").unique()


def description_mentions(pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, event_order, period, role, team_id, name): every player ``pbp``'s descriptions
    name besides the acting one, with the team he plays for (a "Tip to" once per team)."""
    desc = pl.col("description").fill_null("")
    keys = ["game_id", "event_order", "period"]
    assists = pbp.filter(pl.col("event_type") == "made_shot").select(
        *keys, role=pl.lit("assist"), team_id="team_id", name=desc.str.extract(ASSIST, 1)
    )
    subs = pbp.filter(pl.col("event_type") == "substitution").select(
        *keys, role=pl.lit("sub_in"), team_id="team_id", name=desc.str.extract(SUBSTITUTION, 1)
    )
    jumps = pbp.filter(pl.col("event_type") == "jump_ball")
    teams = _teams_of_games(pbp)
    opponents = (
        jumps.select(*keys, "team_id", name=desc.str.extract(JUMP_BALL, 2))
        .join(teams.rename({"team_id": "other_team_id"}), on="game_id")
        .filter(pl.col("other_team_id") != pl.col("team_id"))
        .select(*keys, role=pl.lit("jumper"), team_id="other_team_id", name="name")
    )
    tipped = (
        jumps.select(*keys, name=desc.str.extract(JUMP_BALL, 3))
        .join(teams, on="game_id")
        .select(*keys, role=pl.lit("tipped_to"), team_id="team_id", name="name")
    )
    mentions = pl.concat([assists, subs, opponents, tipped], how="vertical_relaxed").with_columns(
        name=pl.col("name").str.strip_chars()
    )
    # "Tip to Team (BKN)" and "Tip to" with nothing after it name no player.
    return mentions.filter(
        pl.col("name").is_not_null() & (pl.col("name") != "") & pl.col("team_id").is_not_null()
        & ~pl.col("name").str.to_lowercase().str.starts_with("team")
    )


def outgoing_names(pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, team_id, player_id, name): the name each V3 substitution takes a player off by."""
    return pbp.filter((pl.col("event_type") == "substitution") & (pl.col("source") == "v3")).select(
        "game_id", "team_id", player_id="sub_out_player_id",
        name=pl.col("description").str.extract(SUBSTITUTION, 2).str.strip_chars(),
    )


def resolve_description_players(pbp: pl.DataFrame, box_players: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Mentions in ``pbp``'s descriptions (every row given) as (game_id, event_order, role,
    player_id), and the mentions no rule settled (game_id, event_order, role, name)."""
    mentions = description_mentions(pbp)
    resolved = resolve_mentions(mentions, pbp, box_players, outgoing_names(pbp))
    one_row = mentions.unique(["game_id", "event_order", "role"], keep="first", maintain_order=True)
    unresolved = one_row.join(resolved, on=["game_id", "event_order", "role"], how="anti")
    return resolved, unresolved.select(UNRESOLVED_SCHEMA.keys()).cast(UNRESOLVED_SCHEMA)


def with_v3_secondary_players(pbp: pl.DataFrame, box_players: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``pbp`` (silver play_by_play of any feeds) with V3's assist, sub-in and jump-ball players
    filled, and the V3 mentions left unresolved (game_id, event_order, role, name).

    ``box_players`` is silver box_score_players of the same games (may be empty).
    """
    # Only the columns the resolver reads: its filters would copy every column of the rows they keep.
    v3 = pbp.select(RESOLVER_READS).filter(pl.col("source") == "v3")
    if v3.is_empty():
        return pbp, pl.DataFrame(schema=UNRESOLVED_SCHEMA)
    resolved, unresolved = resolve_description_players(v3, box_players)
    wide = resolved.with_columns(role=pl.col("role").replace_strict(ROLE_COLUMNS)).pivot(
        "role", index=["game_id", "event_order"], values="player_id"
    )
    wide = wide.with_columns(pl.lit(None, pl.Int64).alias(c) for c in ROLE_COLUMNS.values() if c not in wide.columns)
    # The first jumper is the row's own player, on the side the row's location says (no side
    # when the feed gives none); the second is on the other side.
    is_v3_jump = (pl.col("source") == "v3") & (pl.col("event_type") == "jump_ball")
    own_home = is_v3_jump & (pl.col("location") == "home")
    own_away = is_v3_jump & (pl.col("location") == "away")
    filled = (
        pbp.join(wide, on=["game_id", "event_order"], how="left", suffix="_resolved", maintain_order="left")
        .with_columns(pl.coalesce(c, f"{c}_resolved").alias(c) for c in RESOLVED_COLUMNS)
        .with_columns(
            jump_ball_home_player_id=pl.coalesce(
                "jump_ball_home_player_id", pl.when(own_home).then("player_id").when(own_away).then("_other_jumper")
            ),
            jump_ball_away_player_id=pl.coalesce(
                "jump_ball_away_player_id", pl.when(own_home).then("_other_jumper").when(own_away).then("player_id")
            ),
        )
        .drop("_other_jumper", *[f"{c}_resolved" for c in RESOLVED_COLUMNS])
    )
    return filled, unresolved


def unresolved_name_violations(unresolved: pl.DataFrame) -> pl.DataFrame:
    """One flag per game with names no rule settled (the game is published, those ids null)."""
    return game_issues.per_game(unresolved, "unresolved_player_names", "player names no roster rule settles")


def secondary_player_counts(pbp: pl.DataFrame) -> dict[str, int]:
    """Events with each secondary-player column filled (what the asset's metadata shows)."""
    return pbp.select(pl.col(c).is_not_null().sum() for c in SECONDARY_COLUMNS).row(0, named=True)
