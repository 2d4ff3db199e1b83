"""`tandem control` black box: the real binary next to a real `tandem dns`,
both watching small HTTP endpoints that stand in for the regions. The
primary fails: the controller confirms the secondary is healthy, takes the
primary out of the answers and runs the hook with a failover event. The
primary recovers: after the hold-down the controller hands it back to the
health checks (failback), and DNS answers the primary again. Every decision
is in the audit log.
"""
import json
import os
import subprocess
import sys

import pytest
from conftest import TANDEM_BIN, wait_until
from dnsutil import Deployment, Endpoint, answers

PRIMARY = {"127.0.0.1"}
SECONDARY = {"127.0.0.2"}

HOOK = """import json, sys
event = json.load(sys.stdin)
with open("events.jsonl", "a") as f:
    f.write(json.dumps(event) + "\\n")
"""


@pytest.fixture
def regions():
    eps = {"us-east-1": Endpoint("127.0.0.1"), "eu-west-1": Endpoint("127.0.0.2")}
    yield eps
    for ep in eps.values():
        ep.stop()


def control_sections(regions):
    # The endpoints stand in for the nodes' /health too (readiness gating).
    nodes = "".join(f'[[node]]\nregion = "{name}"\nlisten = "{ep.host}:{ep.port}"\n'
                    f'data_dir = "data/{name}"\n\n' for name, ep in regions.items())
    return nodes + f"""
[control]
name = "control-test"
poll = "100ms"
audit_log = "audit.jsonl"
state_file = "control-state.json"

[[alarm]]
name = "primary-down"
health_check = "us-east-1"
period = "200ms"
evaluation_periods = 2
datapoints_to_alarm = 2

[[alarm]]
name = "secondary-down"
health_check = "eu-west-1"
period = "200ms"
evaluation_periods = 2
datapoints_to_alarm = 2

[[failover]]
primary = "us-east-1"
secondary = "eu-west-1"
primary_alarm = "primary-down"
secondary_alarm = "secondary-down"
hold_down = "1s"

[[hook]]
name = "record"
on = ["failover", "failback", "region_unhealthy", "region_recovered", "failover_aborted"]
command = ["{sys.executable}", "hook.py"]
timeout = "5s"
"""


def events(d):
    path = os.path.join(d.dir, "events.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def event_types(d):
    return [e.get("type") for e in events(d)]


def diagnostics(d):
    out = []
    for name in ("control.log", "audit.jsonl", "events.jsonl"):
        path = os.path.join(d.dir, name)
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                out.append(f"--- {name}:\n" + "".join(f.readlines()[-30:]))
    return "\n".join(out)


def test_failover_hook_and_gated_failback(regions):
    d = Deployment(regions, interval="100ms", timeout="80ms", threshold=2,
                   extra=control_sections(regions))
    with open(os.path.join(d.dir, "hook.py"), "w") as f:
        f.write(HOOK)
    control = None
    try:
        d.start()
        s = d.server()
        log = open(os.path.join(d.dir, "control.log"), "ab")
        control = subprocess.Popen([TANDEM_BIN, "control", "--config", d.path],
                                   stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: control.poll() is not None or " started (" in diagnostics(d), timeout=10,
                   what="the controller to start")
        assert control.poll() is None, diagnostics(d)
        assert answers(s, "www.shop.example.") == PRIMARY

        regions["us-east-1"].stop()
        wait_until(lambda: "failover" in event_types(d), timeout=20,
                   what="the failover hook to run")
        assert control.poll() is None
        failover = next(e for e in events(d) if e["type"] == "failover")
        assert "us-east-1" in json.dumps(failover) and "eu-west-1" in json.dumps(failover)
        wait_until(lambda: answers(s, "www.shop.example.") == SECONDARY, timeout=10,
                   what="DNS to answer the secondary")

        # The primary comes back: health alone would move traffic at once;
        # the controller holds it out for the hold-down, then fails back.
        regions["us-east-1"].start()
        wait_until(lambda: "failback" in event_types(d), timeout=30,
                   what="the failback hook to run")
        wait_until(lambda: answers(s, "www.shop.example.") == PRIMARY, timeout=10,
                   what="DNS to answer the primary again")
        types = event_types(d)
        assert types.count("failover") == 1 and types.count("failback") == 1, types

        with open(os.path.join(d.dir, "audit.jsonl")) as f:
            audit = [json.loads(line) for line in f if line.strip()]
        assert audit, "the audit log is empty"
        assert any("failover" in json.dumps(a) for a in audit)
        assert any("failback" in json.dumps(a) for a in audit)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{diagnostics(d)}") from None
    finally:
        if control is not None and control.poll() is None:
            control.terminate()
            assert control.wait(timeout=15) == 0
        d.stop_all()


def test_a_bad_control_file_is_refused_with_file_and_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[cluster]\nsecret_file = "secret"\n\n[control]\npoll = "soon"\n')
    (tmp_path / "secret").write_text("x" * 64)
    out = subprocess.run([TANDEM_BIN, "control", "--config", str(path)], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 1
    assert f"{path}:" in out.stderr, out.stderr
