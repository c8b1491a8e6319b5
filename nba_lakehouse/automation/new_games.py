"""Which game dates need a run: the scoreboards seen so far, against what is already picked.

Plain functions over a cursor, so the sensor's decisions are testable without Dagster. The
watermark only moves past a date once every game on it was seen final and picked: a game seen
scheduled or in progress keeps its date open until a later tick sees it final.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from nba_lakehouse.sources.payloads import FINAL

# A game still not final this many days after its date was postponed (it reappears, same id, on
# the date it is played): its old date stops holding the watermark, or one postponement would stop
# the sensor for good. A game in progress is final within hours, so nothing is skipped.
POSTPONED_AFTER_DAYS = 2


@dataclass
class NewGamesCursor:
    watermark: dt.date  # every game on this date and before is final and picked
    picked: dict[str, str] = field(default_factory=dict)  # game id -> date, for dates after the watermark

    def dumps(self) -> str:
        return json.dumps({"watermark": self.watermark.isoformat(), "picked": dict(sorted(self.picked.items()))})

    @classmethod
    def loads(cls, text: str | None, default_watermark: dt.date) -> NewGamesCursor:
        if not text:
            return cls(default_watermark)
        try:
            data = json.loads(text)
            return cls(dt.date.fromisoformat(data["watermark"]), dict(data.get("picked", {})))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"new-games sensor cursor is not valid ({exc}): {text[:200]!r}; reset the cursor in the UI") from exc


@dataclass(frozen=True)
class DatePlan:
    game_date: dt.date
    new_final_games: list[str]  # final, not picked before and not archived: the run's games


def dates_to_poll(cursor: NewGamesCursor, today: dt.date, max_dates: int) -> list[dt.date]:
    """The open dates after the watermark, oldest first, up to today and at most ``max_dates``."""
    first = cursor.watermark + dt.timedelta(days=1)
    days = max(0, min((today - first).days + 1, max_dates))
    return [first + dt.timedelta(days=i) for i in range(days)]


def plan(
    cursor: NewGamesCursor,
    boards: dict[dt.date, dict[str, int] | None],
    archived: set[str],
    today: dt.date,
) -> tuple[list[DatePlan], NewGamesCursor]:
    """Decide the runs for the polled dates and the next cursor.

    ``boards`` maps each polled date to ``{game_id: gameStatus}``, or to None where no scoreboard
    could be read (that date stays open). ``archived`` holds game ids already in bronze.
    """
    picked = dict(cursor.picked)
    plans = []
    for game_date in sorted(boards):
        games = boards[game_date]
        if not games:
            continue
        new = sorted(g for g, status in games.items() if status == FINAL and g not in picked and g not in archived)
        for game_id in new:
            picked[game_id] = game_date.isoformat()
        if new:
            plans.append(DatePlan(game_date, new))
    watermark = cursor.watermark
    for game_date in sorted(boards):
        games = boards[game_date]
        settled = (
            game_date < today  # today's slate can still grow
            and games is not None
            and (
                all(status == FINAL for status in games.values())
                or (today - game_date).days > POSTPONED_AFTER_DAYS
            )
        )
        if not settled or game_date != watermark + dt.timedelta(days=1):
            break
        watermark = game_date
    picked = {g: d for g, d in picked.items() if dt.date.fromisoformat(d) > watermark}
    return plans, NewGamesCursor(watermark, picked)


def run_key(plan: DatePlan) -> str:
    """One key per date and set of games: the same games are never requested twice."""
    return f"{plan.game_date.isoformat()}:{'+'.join(plan.new_final_games)}"
