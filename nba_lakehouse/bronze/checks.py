"""The data audit on bronze: which final games no feed could supply (held back, with the reason)."""

from nba_lakehouse.wiring import held_back_check

bronze_play_by_play_held_back = held_back_check(
    "bronze_play_by_play", "bronze_play_by_play", "every final game's play-by-play archived from some feed"
)
bronze_box_score_held_back = held_back_check(
    "bronze_box_score", "bronze_box_score", "every final game's box score archived from some feed"
)
