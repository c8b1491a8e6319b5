"""Progress of long work (backfills, the benchmark): done of total, elapsed, time left.

``Progress(total, label, log=...)`` counts steps and logs a line such as::

    bronze_play_by_play: 42/180 dates (23%), 1 min 03 s elapsed, about 3 min 27 s left (2022-11-29)

at most once every ``every_s`` seconds, and always once when the last step is done. The time
left is the average rate so far applied to what remains. ``log`` is any callable taking a
string: ``context.log.info`` in an asset, ``print`` on the command line, ``None`` for silence.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def format_duration(seconds: float) -> str:
    """``4.2`` -> ``4.2 s``, ``75`` -> ``1 min 15 s``, ``3720`` -> ``1 h 02 min``."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Progress:
    """Counts steps of a known total and logs how far along it is, rate-limited."""

    def __init__(
        self,
        total: int,
        label: str,
        log: Callable[[str], object] | None = print,
        every_s: float = 10.0,
        unit: str = "",
        clock: Callable[[], float] = time.monotonic,
    ):
        if total < 0:
            raise ValueError(f"progress total must be >= 0, not {total}")
        self.total = total
        self.label = label
        self.log = log
        self.every_s = every_s
        self.unit = unit
        self.clock = clock
        self.done = 0
        self.started = clock()
        self._last_logged = self.started
        self._ended = False
        self.lines: int = 0  # how many lines were logged

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def seconds_left(self, elapsed: float | None = None) -> float | None:
        """Time left at the average rate so far; None before the first step."""
        elapsed = self.elapsed if elapsed is None else elapsed
        if self.done <= 0:
            return None
        return elapsed / self.done * max(self.total - self.done, 0)

    def message(self, detail: str = "", now: float | None = None) -> str:
        elapsed = (self.clock() if now is None else now) - self.started
        pct = self.done / self.total if self.total else 1.0
        unit = f" {self.unit}" if self.unit else ""
        text = f"{self.label}: {self.done}/{self.total}{unit} ({pct:.0%}), {format_duration(elapsed)} elapsed"
        if self.done >= self.total:
            text += ", done"
        else:
            left = self.seconds_left(elapsed)
            text += ", time left unknown" if left is None else f", about {format_duration(left)} left"
        return f"{text} ({detail})" if detail else text

    def step(self, n: int = 1, detail: str = "") -> None:
        """Count ``n`` more done; log when ``every_s`` has passed since the last line, or at the end."""
        self.done += n
        now = self.clock()
        ending = self.done >= self.total and not self._ended
        if ending:
            self._ended = True
        if ending or now - self._last_logged >= self.every_s:
            self._last_logged = now
            if self.log is not None:
                self.log(self.message(detail, now))
                self.lines += 1


DATE_PROGRESS_EVERY_S = 10.0


def date_progress(context, dates, label: str | None = None, every_s: float | None = None) -> Progress:
    """Progress over the game dates of a Dagster run, logged through ``context.log.info``.

    Only a run covering more than one date (a backfill) logs, at most every
    ``DATE_PROGRESS_EVERY_S`` seconds and at the end; the label defaults to the step's name (the
    asset's, or the multi-asset's).
    """
    log = context.log.info if len(dates) > 1 else None
    every_s = DATE_PROGRESS_EVERY_S if every_s is None else every_s
    return Progress(len(dates), label or context.op_def.name, log=log, every_s=every_s, unit="dates")
