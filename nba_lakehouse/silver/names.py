"""The one name resolver: wherever a feed names a player in text, the name becomes a person id here.

PlayByPlayV3 gives the acting player's id but writes the others only in the description: the
assister "(Garland 6 AST)", the player coming in "SUB: Okoro FOR LeVert", the jumpers "Jump Ball
Allen vs. Vucevic: Tip to Dosunmu". The names are spelled as the feed likes: accents dropped
("Vucevic" for "Vučević"), a suffix the box score omits ("Boston Jr."), initials ("J. Green",
"Jal. Williams"), or a family name two teammates share ("Holiday").

Rules, in order:

1. Names are compared folded: case, accents (NFKD), punctuation and a generational suffix (Jr.,
   Sr., II, III, IV, V) do not count. An initial ("Jal.") must begin the candidate's first name
   where the first name is known. The closest spellings win: the suffix as written ("Jones Jr."
   over a teammate "Jones"), then an initial that meets a known first name, the same initial
   closest ("Jal." over "J.").
2. The roster is the game's box score when there is one (players who played first); without
   one, every name the feed spells for the team in the frame: players who acted, and the outgoing
   names of substitutions (written exactly as incoming names are), in this game and in the
   frame's other games, those kept only if the player belonged to the team at that game (he
   played for it in the nearest game before or after). So without a box score a run over a
   season can settle a name that a run over one date cannot.
3. One candidate is the answer. Among several, the game's own rows decide: for a player coming
   in, the one who was off the floor before and on it after; for an assister or a jumper, the one
   on the floor; for the player a jump ball is tipped to, the one whose team has the ball next.
   Where they cannot tell, a single candidate who played in the game wins (the feed writes
   initials when two namesakes play). Anything else stays unresolved: counted, reported,
   never guessed.

Everything works on whole frames of many games.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from nba_lakehouse.frames import with_values_per_distinct

PLAYERS_PER_SIDE = 5
GAME_KEY = ["game_id", "period"]
MENTION = ["game_id", "event_order", "role"]
# The two as-of joins of "was this player on the floor?": the last row before, the first after.
AS_OF_SIDES: tuple[tuple[Literal["backward", "forward"], str], ...] = (("backward", "before"), ("forward", "after"))
# Fouls, ejections and delays a player can be charged with from the bench: they say nothing
# about who is on the floor.
BENCH_ACTION = r"(?i)technical|non-unsportsmanlike|t\.foul|tech\.|ejection|delay|double personal"
# Roles whose player comes onto the floor at the mention; every other role is on the floor.
ENTERING_ROLES = ("sub_in",)
# Roles whose player's team has the ball next (a jump ball is tipped to a teammate), which
# settles a name both teams have ("Tip to Young": Trae of Atlanta or Thaddeus of Toronto).
NEXT_OFFENSE_ROLES = ("tipped_to",)
OFFENSIVE_EVENTS = ("made_shot", "missed_shot", "turnover", "free_throw")


# ------------------------------------------------------------------------------ folding
def _folded(name: pl.Expr) -> pl.Expr:
    return (
        name.str.normalize("NFKD").str.replace_all(r"\p{M}", "").str.to_lowercase()
        .str.replace_all(r"\s+", " ").str.strip_chars()
    )


def _spelled_key(text: pl.Expr) -> pl.Expr:
    return text.str.replace_all(r"[.,'’`]", "").str.replace_all(r"\s+", " ").str.strip_chars()


def _family_key(text: pl.Expr) -> pl.Expr:
    return _spelled_key(text).str.replace(r" (jr|sr|ii|iii|iv|v)$", "")


def folded_spelling(name: pl.Expr) -> pl.Expr:
    """A name with case, accents and punctuation folded, initials and suffix kept: "Vučević" and
    "Vucevic" are one spelling, "Jal. Williams" and "Williams" are not."""
    return _spelled_key(_folded(name))


def mention_parts(name: pl.Expr) -> dict[str, pl.Expr]:
    """A name as a description writes it: ``initial`` ("jal" for "Jal. Williams", else null) and
    ``family`` (the folded rest: "williams")."""
    base = _folded(name)
    initial = base.str.extract(r"^(\p{L}+)\. *\S", 1)
    rest = pl.when(initial.is_not_null()).then(base.str.replace(r"^\p{L}+\. *", "")).otherwise(base)
    return {"initial": initial, "family": _family_key(rest), "spelled": _spelled_key(rest)}


def full_name_parts(name: pl.Expr) -> dict[str, pl.Expr]:
    """A full name ("Brandon Boston Jr.") as ``first`` ("brandon") and ``family`` ("boston")."""
    base = _folded(name)
    first = base.str.extract(r"^(\S+) \S", 1)
    rest = pl.when(first.is_not_null()).then(base.str.replace(r"^\S+ ", "")).otherwise(base)
    return {"first": _family_key(first), "family": _family_key(rest), "spelled": _spelled_key(rest)}


def _compatible(initial: pl.Expr, first: pl.Expr) -> pl.Expr:
    """An initial fits a first name it begins (or an initial that begins it: "j" and "jal")."""
    return (
        initial.is_null() | first.is_null()
        | first.str.starts_with(initial.fill_null("")) | initial.str.starts_with(first.fill_null(""))
    )


# ------------------------------------------------------------------------------ rosters
def roster_names(pbp: pl.DataFrame, box_players: pl.DataFrame, outgoing: pl.DataFrame) -> pl.DataFrame:
    """Every way the frame's games name a player: (game_id, team_id, player_id, first, family,
    spelled, origin, played); ``spelled`` is the family name with its suffix.

    ``origin`` is box (a player of the game's box score, played or not in ``played``), acted (the
    feed's playerName on a row he acted on) or outgoing (the name a substitution took him off by).
    ``outgoing`` is (game_id, team_id, player_id, name).
    """
    box = with_values_per_distinct(box_players, "player_name", full_name_parts(pl.col("player_name"))).select(
        "game_id", "team_id", "player_id", "first", "family", "spelled", origin=pl.lit("box"), played="played",
    )
    # V2 spells full names, V3 and the CDN family names. The rows repeat each player's name
    # hundreds of times: one row per name a game's team uses is enough (the result is a set).
    named = pbp.filter(
        pl.col("player_id").is_not_null() & pl.col("player_name").is_not_null() & pl.col("team_id").is_not_null()
    ).select("game_id", "team_id", "player_id", "player_name", is_v2=pl.col("source") == "v2").unique()
    spelled = pl.col("player_name")
    full, family_only = full_name_parts(spelled), mention_parts(spelled)
    parts = {
        "full_first": full["first"], "full_family": full["family"], "full_spelled": full["spelled"],
        "short_family": family_only["family"], "short_spelled": family_only["spelled"],
    }
    is_v2 = pl.col("is_v2")
    acted = with_values_per_distinct(named, "player_name", parts).select(
        "game_id", "team_id", "player_id",
        first=pl.when(is_v2).then("full_first"),
        family=pl.when(is_v2).then("full_family").otherwise("short_family"),
        spelled=pl.when(is_v2).then("full_spelled").otherwise("short_spelled"),
        origin=pl.lit("acted"), played=pl.lit(True),
    )
    out = with_values_per_distinct(outgoing.drop_nulls(["player_id", "name"]), "name", mention_parts(pl.col("name"))).select(
        "game_id", "team_id", "player_id", first="initial", family="family",
        spelled="spelled", origin=pl.lit("outgoing"), played=pl.lit(True),
    )
    return pl.concat([box, acted, out], how="vertical_relaxed").unique()


def _game_order(pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, game_order): the frame's games in calendar order, ties broken by game id."""
    games = pbp.select("game_date", "game_id").unique().sort("game_date", "game_id")
    return games.select("game_id", game_order=pl.int_range(pl.len(), dtype=pl.Int64))


def _teammates_at_the_time(candidates: pl.DataFrame, pbp: pl.DataFrame) -> pl.DataFrame:
    """Keep the candidates (game_id, team_id, player_id, ...) who belonged to the team at that game.

    A name the team used in another game may belong to a player traded away before this one
    (Justin Holiday left the 2022-23 Hawks for Dallas in February, Aaron stayed), so a candidate
    counts only if the game he played nearest before this one (this one included) or nearest
    after it was for this team.
    """
    order = _game_order(pbp)
    played = (
        pbp.filter(pl.col("player_id").is_in(candidates["player_id"].unique().implode()) & pl.col("team_id").is_not_null())
        .group_by("game_id", "player_id").agg(played_for=pl.col("team_id").mode().first())
        .join(order, on="game_id").sort("game_order")
    )
    timed = candidates.join(order, on="game_id").sort("game_order")
    for strategy, column in AS_OF_SIDES:
        timed = timed.join_asof(
            played.select("player_id", "game_order", pl.col("played_for").alias(column)),
            on="game_order", by="player_id", strategy=strategy, allow_exact_matches=strategy == "backward",
            check_sortedness=False,  # both sides are sorted by game_order just above
        )
    return timed.filter((pl.col("before") == pl.col("team_id")) | (pl.col("after") == pl.col("team_id"))).drop(
        "game_order", "before", "after"
    )


# --------------------------------------------------------------------------- candidates
def _candidates(mentions: pl.DataFrame, roster: pl.DataFrame, pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, event_order, role, period, team_id, player_id, in_game, namesakes_set_aside):
    the closest-spelled players a mention may mean."""
    named = with_values_per_distinct(mentions, "name", mention_parts(pl.col("name"))).drop_nulls("family")
    fits = _compatible(pl.col("initial"), pl.col("first"))
    # How closely a roster name matches: the suffix as written ("Jones Jr." is not Carlik
    # "Jones"), then an initial that meets a known first name ("J. Holiday" is Justin), the
    # same initial ("Jal." written "Jal.") closest.
    initial_known = pl.col("initial").is_not_null() & pl.col("first").is_not_null()
    closeness = (
        (pl.col("spelled") == pl.col("spelled_right")).cast(pl.Int8) * 4
        + initial_known.cast(pl.Int8) + (initial_known & (pl.col("initial") == pl.col("first"))).cast(pl.Int8)
    )
    columns = [*MENTION, "period", "team_id", "player_id", "closeness"]

    def matches(mentioned: pl.DataFrame, names: pl.DataFrame, on: list[str]) -> pl.DataFrame:
        return mentioned.join(names, on=on).filter(fits).with_columns(closeness=closeness)

    # A box score is the game's whole roster; who played comes before who did not.
    box = roster.filter(pl.col("origin") == "box")
    in_box = (
        matches(named, box, ["game_id", "team_id", "family"])
        .filter(pl.col("played") | ~pl.col("played").any().over(MENTION))
        .select(columns)
    )
    has_box = box.select("game_id", "team_id").unique()
    without_box = named.join(has_box, on=["game_id", "team_id"], how="anti")
    spelled = roster.filter(pl.col("origin") != "box")
    in_game = matches(without_box, spelled, ["game_id", "team_id", "family"]).select(columns)
    # Names the team spells anywhere in the frame: a player who never acts in this game (he
    # only comes in) is known from the games he did act in.
    team_names = spelled.select("team_id", "player_id", "first", "family", "spelled").unique()
    elsewhere = _teammates_at_the_time(matches(without_box, team_names, ["team_id", "family"]).select(columns).unique(), pbp)
    found = pl.concat([
        in_box.with_columns(in_game=pl.lit(True)),
        in_game.with_columns(in_game=pl.lit(True)),
        elsewhere.with_columns(in_game=pl.lit(False)),
    ])
    # Per player his closest name and whether he is of the game; per mention the closest players.
    by_player = found.group_by(*MENTION, "period", "team_id", "player_id").agg(
        pl.col("closeness").max(), pl.col("in_game").any()
    )
    # (The two windows in two steps: a window over a window is evaluated slowly, 1.8 s a season.)
    closest = pl.col("closeness") == pl.col("closeness").max().over(MENTION)
    # A namesake left out for a farther spelling can still show the closest one to be wrong.
    return (
        by_player.with_columns(_closest=closest)
        .with_columns(namesakes_set_aside=(~pl.col("_closest")).any().over(MENTION))
        .filter("_closest")
        .drop("closeness", "_closest")
    )


def _on_floor_evidence(candidates: pl.DataFrame, pbp: pl.DataFrame, entering: pl.DataFrame) -> pl.DataFrame:
    """Each candidate with his row just ``before`` and just ``after`` the mention in its period
    (acts, leaves, enters or null) and ``others_started``: how many teammates other than the
    mention's candidates are known to have started the period.

    ``entering`` (game_id, period, event_order, team_id, player_id) are the players known to come
    in by substitution so far.
    """
    periods = candidates.select(GAME_KEY).unique()
    rows_in = pbp.join(periods, on=GAME_KEY, how="semi")
    plays = rows_in.filter(
        (pl.col("event_type") != "substitution") & pl.col("player_id").is_not_null()
        & ~pl.col("description").fill_null("").str.contains(BENCH_ACTION)
    )
    subs = rows_in.filter(pl.col("event_type") == "substitution")
    rows = pl.concat([
        plays.select(*GAME_KEY, "event_order", "team_id", "player_id", kind=pl.lit("acts")),
        subs.filter(pl.col("sub_out_player_id").is_not_null()).select(
            *GAME_KEY, "event_order", "team_id", player_id="sub_out_player_id", kind=pl.lit("leaves")),
        entering.join(periods, on=GAME_KEY, how="semi").select(
            *GAME_KEY, "event_order", "team_id", "player_id", kind=pl.lit("enters")),
    ]).sort("event_order")
    seen = candidates.sort("event_order")
    for strategy, column in AS_OF_SIDES:
        seen = seen.join_asof(
            rows.select(*GAME_KEY, "player_id", "event_order", pl.col("kind").alias(column)),
            on="event_order", by=[*GAME_KEY, "player_id"], strategy=strategy, allow_exact_matches=False,
            check_sortedness=False,  # both sides are sorted by event_order just above
        )
    # Five teammates other than the candidates who started the period (acted or left before
    # entering) prove a candidate silent until then was on the bench.
    first_rows = rows.unique([*GAME_KEY, "player_id"], keep="first", maintain_order=True)
    starters = first_rows.filter(pl.col("kind") != "enters").select(*GAME_KEY, "team_id", "player_id", started=pl.lit(True))
    n_started = starters.group_by(*GAME_KEY, "team_id").agg(n_started=pl.len())
    return (
        seen.join(starters, on=[*GAME_KEY, "team_id", "player_id"], how="left")
        .join(n_started, on=[*GAME_KEY, "team_id"], how="left")
        .with_columns(
            others_started=pl.col("n_started").fill_null(0)
            - pl.col("started").fill_null(False).sum().over(MENTION)
        )
        .drop("started", "n_started")
    )


def _pick(candidates: pl.DataFrame, pbp: pl.DataFrame, entering: pl.DataFrame) -> pl.DataFrame:
    """(game_id, event_order, role, player_id): the one candidate each mention means, where the
    rules single one out."""
    several = pl.len().over(MENTION) > 1
    # A lone candidate is the one, unless namesakes were set aside for his spelling alone: then
    # the rows must not contradict him.
    unquestioned = ~several & ~pl.col("namesakes_set_aside")
    alone = candidates.filter(unquestioned).select(*MENTION, "player_id")
    contested = candidates.filter(~unquestioned)
    if contested.is_empty():
        return alone
    judged = _on_floor_evidence(contested, pbp, entering).with_columns(
        # Coming in: not on the floor just before (he acted or came in) and not coming in again next.
        could_enter=~(pl.col("before").is_in(["acts", "enters"]).fill_null(False) | (pl.col("after") == "enters").fill_null(False)),
        off_before=(pl.col("before") == "leaves").fill_null(False)
        | (pl.col("before").is_null() & (pl.col("others_started") >= PLAYERS_PER_SIDE)),
        on_after=pl.col("after").is_in(["acts", "leaves"]).fill_null(False),
        # On the floor: he acted or came in before, or played from the period's start until after.
        on_now=pl.col("before").is_in(["acts", "enters"]).fill_null(False)
        | (pl.col("before").is_null() & pl.col("after").is_in(["acts", "leaves"]).fill_null(False)),
        # Benched: he left and has not come back.
        benched=(pl.col("before") == "leaves").fill_null(False),
    ).with_columns(came_in=pl.col("could_enter") & pl.col("off_before") & pl.col("on_after"))
    entering_role = pl.col("role").is_in(ENTERING_ROLES)
    one_could_enter = pl.col("could_enter").sum().over(MENTION) == 1
    one_came_in = pl.col("came_in").sum().over(MENTION) == 1
    one_on = pl.col("on_now").sum().over(MENTION) == 1
    by_rows = pl.when(entering_role).then(
        (one_could_enter & pl.col("could_enter")) | (~one_could_enter & one_came_in & pl.col("came_in"))
    ).otherwise(one_on & pl.col("on_now"))
    lone = pl.len().over(MENTION) == 1
    contradicted = pl.when(entering_role).then(~pl.col("could_enter")).otherwise(pl.col("benched"))
    judged = judged.filter(~(lone & contradicted))
    decided = judged.filter(by_rows | lone)
    undecided = judged.join(decided, on=MENTION, how="anti")
    # The feed writes initials when two namesakes play, so a bare name is the one who played.
    played = undecided.filter(pl.col("in_game") & (pl.col("in_game").sum().over(MENTION) == 1))
    return pl.concat([alone, decided.select(*MENTION, "player_id"), played.select(*MENTION, "player_id")])


def resolve_mentions(
    mentions: pl.DataFrame, pbp: pl.DataFrame, box_players: pl.DataFrame, outgoing: pl.DataFrame
) -> pl.DataFrame:
    """Mentions (game_id, event_order, period, role, team_id, name) to (game_id, event_order,
    role, player_id); a mention no rule settles is left out.

    ``team_id`` is the named player's team; a mention of either team (a jump ball's "Tip to") is
    given once per team. ``pbp`` is the frame's silver play-by-play with ``sub_out_player_id``
    and ``game_date`` (games are ordered by date to tell who belonged to a team when);
    ``outgoing`` (game_id, team_id, player_id, name) the names substitutions took players off by.
    Players coming in are resolved first, so the other roles can tell who was on the floor.
    """
    roster = roster_names(pbp, box_players, outgoing)
    candidates = _on_the_team_with_the_ball_next(_candidates(mentions, roster, pbp), pbp)
    is_entering = pl.col("role").is_in(ENTERING_ROLES)
    entering_candidates = candidates.filter(is_entering)
    # Entering players certain without the rows (one candidate) are the first evidence.
    certain = entering_candidates.filter(pl.len().over(MENTION) == 1)
    entering = _pick(entering_candidates, pbp, _entering_rows(certain))
    others = _pick(candidates.filter(~is_entering), pbp, _entering_rows(entering_candidates.join(entering, on=[*MENTION, "player_id"], how="semi")))
    return pl.concat([entering, others])


def _on_the_team_with_the_ball_next(candidates: pl.DataFrame, pbp: pl.DataFrame) -> pl.DataFrame:
    """Candidates of NEXT_OFFENSE_ROLES on both teams narrowed to the team of the period's next
    shot, free throw or turnover."""
    two_teams = pl.col("role").is_in(NEXT_OFFENSE_ROLES) & (pl.col("team_id").n_unique().over(MENTION) > 1)
    contested = candidates.filter(two_teams)
    if contested.is_empty():
        return candidates
    offense = (
        pbp.filter(pl.col("event_type").is_in(OFFENSIVE_EVENTS) & pl.col("team_id").is_not_null())
        .select(*GAME_KEY, "event_order", next_offense="team_id").sort("event_order")
    )
    nearest = contested.sort("event_order").join_asof(
        offense, on="event_order", by=GAME_KEY, strategy="forward", allow_exact_matches=False,
        check_sortedness=False,  # both sides are sorted by event_order just above
    )
    return pl.concat([
        candidates.filter(~two_teams),
        nearest.filter(pl.col("team_id") == pl.col("next_offense")).drop("next_offense"),
    ])


def _entering_rows(candidates: pl.DataFrame) -> pl.DataFrame:
    return candidates.select(*GAME_KEY, "event_order", "team_id", "player_id")
