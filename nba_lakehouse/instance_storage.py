"""The Dagster event-log storage that dagster.postgres.yaml names: dagster-postgres' own, with pool
slot claims made one at a time per pool.

dagster-postgres runs every statement in autocommit, so the row lock of its claim's
``SELECT ... FOR UPDATE`` ends before the ``UPDATE`` that takes the slot: two processes claiming at
the same moment can both read the same free slot and both be told they hold it, and two
``nba_api`` steps then run at once against a pool of one (seen in
``test_the_nba_api_pool_holds_across_processes_on_postgres``). Here every claim first takes a
PostgreSQL advisory lock named after the pool, on a connection of its own, so claims on one pool
follow each other in every process and on every machine that shares the database. The lock is a
session lock: a process killed while holding it loses its connection, and with it the lock.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

import sqlalchemy as db
from dagster_postgres import PostgresEventLogStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

# The first key of the two-key advisory lock: this module's claims, apart from any other use of
# advisory locks in the same database.
POOL_CLAIM_LOCK_SPACE = zlib.crc32(b"nba_lakehouse pool claims") & 0x7FFFFFFF


class PoolSafePostgresEventLogStorage(PostgresEventLogStorage):
    """PostgresEventLogStorage whose slot claims on one pool never run at the same time."""

    @classmethod
    def from_config_value(cls, inst_data, config_value: Mapping[str, Any]) -> PoolSafePostgresEventLogStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )

    def claim_concurrency_slot(self, concurrency_key: str, run_id: str, step_key: str, priority: int | None = None):
        pool = zlib.crc32(concurrency_key.encode()) & 0x7FFFFFFF
        with self.index_connection() as lock:
            lock.execute(db.text("SELECT pg_advisory_lock(:space, :pool)"), {"space": POOL_CLAIM_LOCK_SPACE, "pool": pool})
            try:
                return super().claim_concurrency_slot(concurrency_key, run_id, step_key, priority)
            finally:
                lock.execute(db.text("SELECT pg_advisory_unlock(:space, :pool)"), {"space": POOL_CLAIM_LOCK_SPACE, "pool": pool})
