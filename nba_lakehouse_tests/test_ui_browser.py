"""End to end through the Dagster UI, in headless Chromium, as a person would use it.

A temporary lake and DAGSTER_HOME get three of the four recorded sample games (so the UI has
data and run history); `dagster dev` (webserver and daemon) serves them on loopback; Playwright
drives Debian's Chromium: the global asset graph must show the bronze, silver and gold groups;
on the `game_date_job` page, "Materialize all…" → "Show all partitions" → partition
2023-01-02 → "Launch 1 run"; the run page must reach Success, and the gold table of that date
must be in the lake. Screenshots go to test-artifacts/ (the graph, the launch dialog, the run).

Skips, saying how to install what is missing, without /usr/bin/chromium or the playwright
package (`python3 tasks.py test` installs both where it can).
"""

from __future__ import annotations

import json
import re
import shutil
import time

import dagster as dg
import pytest

from nba_lakehouse.definitions import all_assets, all_checks, per_game_date
from nba_lakehouse.lake import PROJECT_ROOT
from nba_lakehouse.resources import build_resources
from nba_lakehouse_tests.conftest import game_dates
from nba_lakehouse_tests.dagster_ui import CHROMIUM, CHROMIUM_ARGS, DagsterDev, chromium_missing_reason, graphql

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
GROUPS = ("bronze", "silver", "gold")
LAUNCHED_DATE = "2023-01-02"  # CHI @ CLE, Mitchell's 71: materialized from the UI, bronze to gold
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

RUN_QUERY = """
query ($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status jobName tags { key value } }
  }
}
"""


def _skip_without_browser():
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    return pytest.importorskip(
        "playwright.sync_api",
        reason="the Python package playwright is missing: `pip install -e '.[test]'` (never `playwright install`: "
               "the test drives Debian's /usr/bin/chromium)",
    )


def _prepare_lake(lake_root, dagster_home) -> list[str]:
    """The per-date assets of the other sample games, recorded in the instance the UI will show."""
    dates = sorted({d.isoformat() for d in game_dates().values()} - {LAUNCHED_DATE})
    resources = build_resources(lake_root=str(lake_root), mode="replay")
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for date in dates:
            result = dg.materialize(
                [*all_assets, *all_checks], selection=per_game_date, partition_key=date,
                resources=resources, instance=instance, run_config=QUIET,
            )
            assert result.success, date
    return dates


def _launched_files(lake_root):
    return sorted(lake_root.glob(f"gold/event_state/*/game_date={LAUNCHED_DATE}/*.parquet"))


def _run_errors(dagster_home, run_id) -> str:
    """The run's error events (a step's, or the run worker's "Could not load job definition"),
    which the log of `dagster dev` does not hold."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        errors = [
            f"{e.dagster_event.event_type_value} {e.step_key or ''}: {e.dagster_event.message}\n"
            f"{e.dagster_event.event_specific_data.error.to_string()}"
            for e in instance.all_logs(run_id)
            if e.dagster_event is not None and getattr(e.dagster_event.event_specific_data, "error", None)
        ]
    return "\n".join(errors) or "(no error event in the run's log)"


def test_materialize_a_game_date_from_the_ui(tmp_path):
    sync_api = _skip_without_browser()
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        timings[name] = round(now - clock, 1)
        clock = now

    lake_root, dagster_home = tmp_path / "lake", tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    prepared = _prepare_lake(lake_root, dagster_home)
    assert prepared and not _launched_files(lake_root)
    lap("materialize sample dates in-process")

    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("ui-*.png"):
        old.unlink()
    server = DagsterDev(dagster_home, lake_root, log_path=tmp_path / "dagster_dev.log").start()
    page = None
    try:
        server.wait_loaded(timeout=90)
        lap("dagster dev until LOADED")
        base = server.base_url
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                # One patient timeout for every wait on a loaded 2-core machine: actions (click and fill
                # wait until their element is visible and enabled), navigation, and expect(), whose own
                # 5 s default page.set_default_timeout does not cover.
                page.set_default_timeout(60_000)
                expect = sync_api.expect
                expect.set_options(timeout=60_000)
                lap("start chromium")

                # The global asset graph: one node per group (the graph is an SVG).
                page.goto(f"{base}/asset-groups")
                graph = page.locator("svg")
                for group in GROUPS:
                    expect(graph.get_by_text(group, exact=True).first).to_be_visible()
                # Each group node reads "N assets (fetching statuses)" until its badges load.
                expect(graph.get_by_text("fetching statuses")).to_have_count(0)
                page.screenshot(path=ARTIFACTS / "ui-asset-graph.png")
                lap("asset graph shows bronze, silver, gold")

                # Launch one game date of game_date_job (bronze to gold) from its page.
                page.goto(f"{base}/locations/nba_lakehouse/jobs/game_date_job")
                materialize = page.get_by_role("button", name="Materialize all…")
                expect(materialize).to_be_enabled()  # ready (not only drawn) before the click
                materialize.click()
                # win_probability reads the (unpartitioned) model, which this lake has not trained:
                # the UI asks first; the run goes on and win_probability scores nothing.
                warning = page.get_by_role("dialog").filter(has_text="Are you sure?")
                expect(warning.get_by_text("win_probability_model")).to_be_visible()
                warning.get_by_role("button", name="Confirm").click()
                expect(warning).to_be_hidden()
                dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
                expect(dialog).to_be_visible()
                # Only the last 90 days are listed until this is clicked.
                dialog.get_by_text("Show all partitions").click()
                partitions = dialog.get_by_role("textbox")
                partitions.fill(LAUNCHED_DATE)
                partitions.press("Enter")
                expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
                page.screenshot(path=ARTIFACTS / "ui-launch-dialog.png")
                dialog.get_by_role("button", name="Launch 1 run").click()
                toast = page.get_by_text(re.compile(r"^Launched run [0-9a-f]{8}$"))
                expect(toast).to_be_visible()
                view = page.get_by_role("link", name="View", exact=True)
                expect(view).to_have_attribute("href", re.compile(r"/runs/[0-9a-f-]+$"))
                run_id = view.get_attribute("href").rsplit("/", 1)[-1]
                view.click()
                page.wait_for_url(f"**/runs/{run_id}")
                lap("launch from the UI")

                # The run page's status tag; runs are queued, then started by the daemon.
                status = (
                    page.get_by_text("Success", exact=True)
                    .or_(page.get_by_text("Failure", exact=True))
                    .or_(page.get_by_text("Canceled", exact=True))
                )
                status.first.wait_for(timeout=90_000)
                shown = status.first.inner_text()
                assert shown == "Success", f"run {run_id} ended {shown}:\n{_run_errors(dagster_home, run_id)}\n{server.log_tail()}"
                expect(page.get_by_text("RUN_SUCCESS", exact=True)).to_be_visible()
                expect(page.get_by_text(f"partition: {LAUNCHED_DATE}")).to_be_visible()
                page.screenshot(path=ARTIFACTS / "ui-run-success.png")
                lap("run page shows Success")
            except Exception:
                if page is not None:
                    page.screenshot(path=ARTIFACTS / "ui-failure.png")
                raise
            finally:
                browser.close()

        run = graphql(base, RUN_QUERY, {"runId": run_id})["runOrError"]
        tags = {t["key"]: t["value"] for t in run["tags"]}
        assert (run["status"], run["jobName"], tags.get("dagster/partition")) == (
            "SUCCESS", "game_date_job", LAUNCHED_DATE)
        assert _launched_files(lake_root), "the run launched from the UI wrote no gold/event_state for the date"
    finally:
        left = server.stop()
        lap("stop dagster dev")
        (ARTIFACTS / "ui-timings.json").write_text(json.dumps(timings, indent=2) + "\n")
        print("timings (s):", timings)
    assert not left, f"processes of dagster dev left running: {left}"
