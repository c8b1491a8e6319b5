"""One request spacing per NBA host, shared by every process and machine that calls it.

Every request to a host (``stats``, ``cdn``) first takes a turn from that host's limiter
(pyrate-limiter's ``Limiter`` over a ``StateBucket``): a request may start once the gap reserved by
the previous request to the host, in any process, has passed, and it reserves the next gap,
``min_interval_s`` plus a random ``0..jitter_s``. So the gap between any two requests to one host
is at least ``min_interval_s``, whichever run, step, process or machine sent them; nothing depends
on Dagster's pool slot claims any more (the ``nba_api`` pool still takes turns between steps).

Where the turn is kept:

* **redis** (``NBA_RATE_LIMIT_REDIS_URL``, the client's ``rate_limit_redis_url``): one hash per host
  (``nba_lakehouse:rate_limit:<host>``) in pyrate-limiter's ``RedisStateStore``, checked and
  updated by one Lua script, atomically. The script reads the time from the redis server
  (``TIME``), not from the caller, so machines whose clocks disagree still keep the spacing.
* otherwise **this machine**: a small file per host (``NBA_THROTTLE_DIR``, default the temp dir)
  read and written under an exclusive ``flock``, with this machine's wall clock: every process on
  the machine shares it. Without ``fcntl`` (Windows) the turn is kept in this process only.

A redis that cannot be reached fails the request with ``RateLimitBackendError`` naming the
(redacted) URL: falling back to a per-machine spacing would silently let several machines send
at once, which is what the shared limit exists to prevent.
"""

from __future__ import annotations

import math
import os
import random
import tempfile
import threading
import time
import typing
from pathlib import Path

from pyrate_limiter import (
    Decision,
    InMemoryStateStore,
    Limiter,
    Rate,
    RedisStateStore,
    SingleBucketFactory,
    StateAlgorithm,
    StateBucket,
    StateStore,
    WallClock,
)

from nba_lakehouse.sources.errors import redact

try:
    import fcntl
except ImportError:  # Windows: spacing in this process only
    fcntl = None  # type: ignore[assignment]

REDIS_KEY = "nba_lakehouse:rate_limit:{host}"
# The state stays in redis for the gap plus this long, then expires by itself.
_EXPIRE_AFTER_MS = 60_000
# A request's weight is the gap it reserves, in milliseconds: the one rate is "1 ms per unit".
_RATE = Rate(1, 1)


class RateLimitBackendError(RuntimeError):
    """The shared rate limit's store (redis) could not be used: no request is sent without it."""


class Spacing(StateAlgorithm):
    """A request is admitted once the gap reserved by the previous one has passed; it then
    reserves its own gap (its weight, in ms) from now. State: the time the next request may start."""

    def initial(self, rates):
        return (0,)

    def max_weight(self, rate) -> int:
        return 2**40  # any gap fits: the weight is a duration, not a share of a budget

    def step(self, rates, state, now, weight):
        next_start = int(state[0]) if state else 0
        if next_start > now:
            return state, Decision(failing_rate=rates[0], retry_after_ms=next_start - now)
        return (now + weight,), Decision()

    def decode(self, values):
        return tuple(int(float(v)) for v in values)

    def redis_script(self) -> str:
        return _SPACING_LUA


# RedisStateStore's header: ARGV = now (the caller's clock: ignored), weight, ttl, number of rates.
_SPACING_LUA = f"""
local key = KEYS[1]
local weight = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next_start = tonumber(redis.call('HGET', key, 'tat1') or '0')
if next_start > now then
    return {{0, next_start - now}}
end
redis.call('HSET', key, 'tat1', string.format('%.0f', now + weight))
redis.call('PEXPIRE', key, weight + {_EXPIRE_AFTER_MS})
return {{-1, 0}}
"""


class MachineStateStore(StateStore):
    """The state in a file, read and written under an exclusive ``flock``: shared by every process
    of this machine. The time is read inside the lock, so no caller's stale clock can slip in."""

    is_async = False
    default_clock = WallClock()

    def __init__(self, path: Path) -> None:
        self.path = path

    def check(self, algorithm, rates, now, weight):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # released when the file closes
            f.seek(0)
            text = f.read().split()
            state = algorithm.decode(text) if text else algorithm.initial(rates)
            new_state, decision = algorithm.step(rates, state, time.time_ns() // 1_000_000, weight)
            if decision.allowed:
                f.seek(0)
                f.truncate()
                f.write(" ".join(str(v) for v in new_state))
                f.flush()
            return decision

    def read(self, algorithm, rates):
        try:
            text = self.path.read_text().split()
        except FileNotFoundError:
            text = []
        return algorithm.decode(text) if text else algorithm.initial(rates)

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)


def machine_dir() -> Path:
    return Path(os.environ.get("NBA_THROTTLE_DIR") or tempfile.gettempdir())


def describe(redis_url: str | None) -> str:
    """Where the spacing is kept, for messages: the redis URL with its password masked, or the machine."""
    return f"redis {redact(redis_url)}" if redis_url else f"this machine ({machine_dir()})"


_limiters: dict[tuple, Limiter] = {}
_guard = threading.Lock()


def _limiter(redis_url: str | None, host: str) -> Limiter:
    key = (os.getpid(), redis_url, host, None if redis_url else str(machine_dir()))
    with _guard:
        limiter = _limiters.get(key)
        if limiter is None:
            if redis_url:
                import redis

                client = redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=10)
                store: StateStore = RedisStateStore(client, REDIS_KEY.format(host=host))
            elif fcntl is not None:
                store = MachineStateStore(machine_dir() / f"nba_lakehouse_rate_limit_{host}")
            else:
                store = InMemoryStateStore()
            bucket = StateBucket([_RATE], algorithm=Spacing(), store=store)
            # No leak thread (a StateBucket has nothing to leak); 2 ms past the computed wait suffices.
            limiter = _limiters[key] = Limiter(SingleBucketFactory(bucket, schedule_leak=False), buffer_ms=2)
        return limiter


def take_turn(host: str, min_interval_s: float, jitter_s: float, *, redis_url: str | None, timeout_s: float) -> bool:
    """Wait for ``host``'s turn and reserve the gap after this request; False if ``timeout_s``
    passed first. Raises ``RateLimitBackendError`` if redis cannot be used."""
    gap_ms = max(1, math.ceil(1000 * (min_interval_s + random.uniform(0, jitter_s)))) + 1  # +1: ms rounding
    try:
        # A synchronous bucket: try_acquire answers a bool, not an awaitable.
        return typing.cast(bool, _limiter(redis_url, host).try_acquire(host, weight=gap_ms, timeout=max(0.0, timeout_s)))
    except Exception as exc:
        if not redis_url or not _is_redis_error(exc):
            raise
        detail = redact(f"{type(exc).__name__}: {exc}", [redis_url]).splitlines()[0] if str(exc) else type(exc).__name__
        raise RateLimitBackendError(
            f"shared rate limit for the NBA host {host!r}: redis at {redact(redis_url)} cannot be used ({detail}); "
            "start it, fix NBA_RATE_LIMIT_REDIS_URL (rate_limit_redis_url), or unset it to space requests on this "
            "machine only"
        ) from None


def _is_redis_error(exc: Exception) -> bool:
    import redis

    return isinstance(exc, (redis.RedisError, OSError))
