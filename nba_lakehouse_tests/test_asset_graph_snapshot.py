"""The asset graph against a committed snapshot, so a graph change (a key, a dependency, a partitioning,
a check, a group, a kind, an automation condition) shows in review as a diff of snapshots/asset_graph.json.

After a deliberate change, regenerate it and commit the diff:
    NBA_UPDATE_SNAPSHOTS=1 pytest nba_lakehouse_tests/test_asset_graph_snapshot.py
"""

import json
import os
from pathlib import Path

import dagster as dg

from nba_lakehouse.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"
REGENERATE = "NBA_UPDATE_SNAPSHOTS=1 pytest nba_lakehouse_tests/test_asset_graph_snapshot.py"


def partitions_text(partitions: dg.PartitionsDefinition | None) -> str | None:
    """The partitions as the snapshot keeps them. The season list grows by one each autumn, so it is
    kept as its first season only: a new season is not a change of the graph."""
    if partitions is None:
        return None
    if isinstance(partitions, dg.StaticPartitionsDefinition):
        keys = partitions.get_partition_keys()
        return f"static, from {keys[0]} to the current season"
    return str(partitions)


def live_asset_graph() -> dict[str, dict]:
    """Every asset by key: what the Dagster UI and the automation sensor see of it."""
    checks: dict[str, list[str]] = {}
    for check in defs.resolve_asset_graph().asset_check_keys:
        checks.setdefault(check.asset_key.to_user_string(), []).append(check.name)
    graph = {}
    for spec in defs.resolve_all_asset_specs():
        key = spec.key.to_user_string()
        condition = spec.automation_condition
        graph[key] = {
            "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps),
            "partitions": partitions_text(spec.partitions_def),
            "checks": sorted(checks.get(key, [])),
            "group": spec.group_name,
            "kinds": sorted(spec.kinds),
            "automation_condition": (condition.label or type(condition).__name__) if condition else None,
        }
    return dict(sorted(graph.items()))


def test_the_asset_graph_matches_its_committed_snapshot():
    live = live_asset_graph()
    if os.environ.get("NBA_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(live, indent=2) + "\n")
    committed = json.loads(SNAPSHOT.read_text())
    changed = sorted(k for k in live.keys() | committed.keys() if live.get(k) != committed.get(k))
    assert not changed, (
        f"the asset graph differs from {SNAPSHOT.name} for {', '.join(changed)}; "
        f"if the change is meant, run `{REGENERATE}` and commit the snapshot"
    )
