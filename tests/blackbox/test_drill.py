"""`tandem drill`, black box: the drill's scenarios in their `--quick` form,
run by the real binary the way CI and a user run them, and the report they
leave.

As root the drill runs in a network namespace of its own (nothing it binds
collides with the machine); elsewhere the sandbox test is skipped and the
loopback test still runs.
"""
import json
import os
import subprocess
import tempfile

import pytest

from conftest import TANDEM_BIN

SCENARIOS = ["region-outage", "db-outage", "partition", "flapping", "checker-partition",
             "failback"]
FIELDS = ["name", "passed", "detection_s", "dns_flip_s", "client_outage_s", "acked_writes",
          "lost_during_outage", "lost_after_recovery", "failback_s", "consistent"]
DRILL_TIMEOUT = 900  # six quick scenarios take about two minutes; a Debug build, longer


def run_drill(args, report):
    return subprocess.run([TANDEM_BIN, "drill", *args, "--report", report], capture_output=True,
                          text=True, timeout=DRILL_TIMEOUT)


def load_report(report):
    with open(os.path.join(report, "report.json")) as f:
        return json.load(f)


def explain(proc, report_dir):
    """What to print when a drill failed: its output and the report's verdicts."""
    lines = [proc.stdout[-6000:], proc.stderr[-3000:]]
    try:
        for s in load_report(report_dir)["scenarios"]:
            lines.append(f"{s['name']}: passed={s['passed']} error={s.get('error')}")
            for e in s["expectations"]:
                if not e["held"]:
                    lines.append(f"  {e['name']}: expected {e['expected']}, got {e['actual']}")
    except (OSError, ValueError, KeyError):
        pass
    return "\n".join(lines)


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandboxed drill needs root (namespaces)")
def test_quick_drill_meets_every_target_in_its_sandbox():
    with tempfile.TemporaryDirectory() as report:
        proc = run_drill(["all", "--quick"], report)
        assert proc.returncode == 0, explain(proc, report)
        data = load_report(report)
        assert "network namespace" in data["environment"]
        assert [s["name"] for s in data["scenarios"]] == SCENARIOS
        for s in data["scenarios"]:
            for field in FIELDS:
                assert field in s, (s["name"], field)
            assert s["passed"] is True
            assert s["not_real"] == [], s["name"]
            assert s["acked_writes"] > 0
            assert s["lost_after_recovery"] == 0
            assert s["consistent"] is True
        by_name = {s["name"]: s for s in data["scenarios"]}
        # The targets: interval 200 ms, threshold 3, TTL 1 s.
        for name in ("region-outage", "db-outage", "failback"):
            s = by_name[name]
            assert s["dns_flip_s"] is not None and s["dns_flip_s"] <= 1.0, s
            assert s["client_outage_s"] is not None and s["client_outage_s"] <= 3.0, s
            assert s["detection_s"] is not None and s["detection_s"] <= s["dns_flip_s"] + 0.2
            assert s["failback_s"] is not None
            assert s["traffic_moves"] == 2
        for name in ("flapping", "checker-partition", "partition"):
            assert by_name[name]["traffic_moves"] == 0, by_name[name]
            assert by_name[name]["dns_flip_s"] is None
        # A person reads the HTML: one plot per scenario, every scenario named.
        with open(os.path.join(report, "report.html")) as f:
            html = f.read()
        assert html.count("<svg") >= len(SCENARIOS)
        for name in SCENARIOS:
            assert name in html
        # The summary table, with the report's path.
        assert "drill PASSED" in proc.stdout
        assert os.path.join(report, "report.html") in proc.stdout


def test_drill_on_plain_loopback_says_what_was_not_real():
    with tempfile.TemporaryDirectory() as report:
        proc = run_drill(["db-outage", "checker-partition", "--quick", "--no-sandbox"], report)
        data = load_report(report)
        assert "plain loopback" in data["environment"]
        by_name = {s["name"]: s for s in data["scenarios"]}
        db = by_name["db-outage"]
        assert db["passed"] is True, explain(proc, report)
        assert db["not_real"] == []
        assert db["dns_flip_s"] is not None and db["dns_flip_s"] <= 1.0
        assert db["lost_after_recovery"] == 0
        checker = by_name["checker-partition"]
        assert any("checker-partition" in n for n in checker["not_real"]), checker
        assert proc.returncode == (0 if all(s["passed"] for s in data["scenarios"]) else 1)


def test_unknown_scenario_is_refused_with_the_known_ones():
    with tempfile.TemporaryDirectory() as report:
        proc = run_drill(["region-outtage"], report)
        assert proc.returncode == 2
        assert "unknown scenario 'region-outtage'" in proc.stderr
        assert "region-outage" in proc.stderr and "failback" in proc.stderr
        assert not os.path.exists(os.path.join(report, "report.json"))
