"""`tandem up`, black box: the whole system on this machine, driven the way a
user would — the seed's AWS CLI commands (/usr/bin/aws) against the nodes
it starts, dig and dnspython against its DNS servers, `tandem status` (with
the controller's section), the controller's alarms, failover and hook when a
region's health fails, then Ctrl-C (SIGINT).

The issue fixes the addresses (127.0.0.1:8000, 127.0.0.2:8000, DNS on port
5353, admin 9053, probes 8081-8082), so these tests skip, saying which, when
one of them is already taken. Every wait is a deadline on an observable
condition.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile

import pytest

from conftest import AWS_CLI, TANDEM_BIN, wait_until
import dnsutil

REGIONS = [("us-east-1", "127.0.0.1", 8081), ("eu-west-1", "127.0.0.2", 8082)]
READY_TIMEOUT = 120  # a Debug build on a busy machine
STOP_TIMEOUT = 30
SEED_CREATE = ["dynamodb", "create-table", "--table-name", "woocommerce_data",
               "--attribute-definitions", "AttributeName=id,AttributeType=S",
               "--key-schema", "AttributeName=id,KeyType=HASH",
               "--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5"]


def taken(host, port, udp=False):
    """Why host:port cannot be bound now, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    try:
        if not udp:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return None
    except OSError as e:
        return f"{host}:{port}{'/udp' if udp else ''} ({e.strerror})"
    finally:
        s.close()


@pytest.fixture(autouse=True)
def fixed_ports_free():
    busy = []
    for _, host, probe_port in REGIONS:
        for port, udp in ((8000, False), (probe_port, False), (5353, False), (5353, True),
                          (9053, False)):
            why = taken(host, port, udp)
            if why:
                busy.append(why)
    if busy:
        pytest.skip("tandem up needs the addresses the issue fixes; in use: " + ", ".join(busy))


def children_of(pid):
    """Pids whose parent is `pid` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def alive(pid):
    """Whether `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


class Up:
    """A running `tandem up --dir DIR`, its output in DIR/../up-N.out."""

    count = 0

    def __init__(self, dir, args=(), wait=True):
        Up.count += 1
        self.dir = dir
        self.out_path = f"{dir}-up-{Up.count}.out"
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen([TANDEM_BIN, "up", "--dir", dir, *args], stdout=self.out,
                                     stderr=subprocess.STDOUT)
        self.children = []
        if wait:
            wait_until(self._ready, timeout=READY_TIMEOUT, interval=0.1, what="tandem up: ready")
            self.children = children_of(self.proc.pid)

    def output(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"tandem up exited with {self.proc.returncode}:\n{self.output()}")
        return "tandem up: ready" in self.output()

    def wait_exit(self, timeout=STOP_TIMEOUT):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"tandem up still running after {timeout}s:\n{self.output()}")

    def interrupt(self):
        """Ctrl-C: up must exit 0 and leave no child behind."""
        self.proc.send_signal(signal.SIGINT)
        code = self.wait_exit()
        assert code == 0, self.output()
        wait_until(lambda: not any(alive(p) for p in self.children), timeout=STOP_TIMEOUT,
                   what="every child of tandem up to be gone")

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()  # its children get SIGTERM from the kernel (parent death)
            self.proc.wait()
        for p in self.children:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.out.close()


@pytest.fixture
def up_dir():
    base = tempfile.mkdtemp(prefix="tandem-up-test-")
    started = []

    def start(*args, wait=True):
        u = Up(os.path.join(base, "up"), args, wait=wait)
        started.append(u)
        return u

    yield start
    for u in started:
        u.cleanup()
    shutil.rmtree(base, ignore_errors=True)


def status(dir):
    """`tandem status --config DIR/tandem.toml`: (exit code, output)."""
    r = subprocess.run([TANDEM_BIN, "status", "--config", os.path.join(dir, "tandem.toml")],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def status_shows(dir, *patterns):
    """The status output when it matches every one of `patterns` (regular
    expressions; runs of spaces match any column padding), else None."""
    _, out = status(dir)
    return out if all(re.search(p.replace(" ", " +"), out) for p in patterns) else None


def hook_events(dir):
    """The events the hook `log` of tandem.toml appended to DIR/hooks.log."""
    path = os.path.join(dir, "hooks.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        text = f.read()
    # A line still being appended is not an event yet.
    return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]


def controller_pid(u):
    """The child running `tandem control --config DIR/tandem.toml`."""
    for pid in u.children:
        with open(f"/proc/{pid}/cmdline") as f:
            argv = f.read().split("\0")
        if argv[1:4] == ["control", "--config", os.path.join(u.dir, "tandem.toml")]:
            return pid
    raise AssertionError(f"no controller among {u.children}:\n{u.output()}")


def aws(dir, region, *args, endpoint=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_SHARED_CREDENTIALS_FILE": os.path.join(dir, "credentials"),
                "AWS_PROFILE": "default", "AWS_CONFIG_FILE": "/dev/null", "AWS_PAGER": ""})
    host = dict((r, h) for r, h, _ in REGIONS)[region]
    cmd = [AWS_CLI, *args, "--region", region, "--endpoint-url", endpoint or f"http://{host}:8000",
           "--output", "json"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)


def ok(result):
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip() else None


NS1 = {"host": "127.0.0.1", "port": 5353}


def test_up_runs_the_seed_recipe_and_stops_on_ctrl_c(up_dir):
    u = up_dir()
    out = u.output()
    # Ready-to-paste commands, as the issue lists them.
    assert "--region us-east-1 --endpoint-url http://127.0.0.1:8000" in out
    assert "create-global-table --global-table-name woocommerce_data --replication-group " \
           "RegionName=us-east-1 RegionName=eu-west-1" in out
    assert "describe-global-table --global-table-name woocommerce_data" in out
    assert "dig @127.0.0.1 -p 5353 www.shop.example" in out
    assert f"AWS_SHARED_CREDENTIALS_FILE={u.dir}/credentials" in out
    assert f"status --config {u.dir}/tandem.toml" in out
    assert f"tail -f {u.dir}/control-audit.jsonl" in out
    assert f"control ready (pid {controller_pid(u)}): a new line in {u.dir}/control-audit.jsonl" \
        in out
    # Seven processes of the same binary, each in its own process group.
    assert len(u.children) == 7, out
    for pid in u.children:
        assert os.getpgid(pid) == pid
        assert os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(TANDEM_BIN)
    for name in ("node-us-east-1", "node-eu-west-1", "probe-us-east-1", "probe-eu-west-1",
                 "dns-us-east-1", "dns-eu-west-1", "control"):
        assert os.path.getsize(os.path.join(u.dir, "logs", name + ".log")) > 0, name
    assert alive(controller_pid(u))

    # The seed's commands, unchanged but for the endpoint.
    for region, host, _ in REGIONS:
        ok(aws(u.dir, region, *SEED_CREATE))
    created = ok(aws(u.dir, "us-east-1", "dynamodb", "create-global-table",
                     "--global-table-name", "woocommerce_data", "--replication-group",
                     "RegionName=us-east-1", "RegionName=eu-west-1"))
    assert created["GlobalTableDescription"]["GlobalTableName"] == "woocommerce_data"
    described = ok(aws(u.dir, "us-east-1", "dynamodb", "describe-global-table",
                       "--global-table-name", "woocommerce_data"))
    group = {r["RegionName"] for r in described["GlobalTableDescription"]["ReplicationGroup"]}
    assert group == {"us-east-1", "eu-west-1"}
    # The user's tables are the user's: only the probes' own table besides.
    tables = ok(aws(u.dir, "eu-west-1", "dynamodb", "list-tables"))["TableNames"]
    assert sorted(tables) == ["tandem_health", "woocommerce_data"]

    ok(aws(u.dir, "us-east-1", "dynamodb", "put-item", "--table-name", "woocommerce_data",
           "--item", '{"id":{"S":"p1"},"name":{"S":"Mug"}}'))

    def replicated():
        r = aws(u.dir, "eu-west-1", "dynamodb", "get-item", "--table-name", "woocommerce_data",
                "--key", '{"id":{"S":"p1"}}', "--consistent-read")
        return r.returncode == 0 and r.stdout.strip() and json.loads(r.stdout).get("Item")

    item = wait_until(replicated, timeout=30, interval=0.2, what="p1 to reach eu-west-1")
    assert item["name"] == {"S": "Mug"}

    # DNS: the failover record answers the primary region.
    dnsutil.wait_answer(NS1, "www.shop.example.", {"127.0.0.1"}, timeout=30)
    if shutil.which("dig"):
        r = dnsutil.dig(NS1, "www.shop.example", "+short")
        assert r.stdout.split() == ["127.0.0.1"], r
    dnsutil.wait_answer({"host": "127.0.0.2", "port": 5353}, "all.shop.example.",
                        {"127.0.0.1", "127.0.0.2"}, timeout=30)

    code, out = status(u.dir)
    assert code == 0, out
    assert "www.shop.example." in out
    # The regions' section: each node ready, with its replication backlog.
    out = wait_until(lambda: status_shows(
        u.dir, r"Regions\n", r"us-east-1 http://127\.0\.0\.1:8000 ready replication backlog \d+",
        r"eu-west-1 http://127\.0\.0\.2:8000 ready replication backlog \d+"),
        timeout=30, interval=0.2, what="tandem status to show both regions ready")
    # The controller's section: its audit log, the pair, the alarms, which
    # reach OK once the controller has seen three healthy periods.
    out = wait_until(lambda: status_shows(
        u.dir, re.escape(f"Controller (audit log {u.dir}/control-audit.jsonl)"),
        "failover us-east-1 -> eu-west-1 normal",
        "alarm us-east-1-unhealthy OK", "alarm eu-west-1-unhealthy OK",
        "latest in the audit log"), timeout=30, interval=0.2,
        what="tandem status to show the controller with both alarms OK")
    assert "leadership" in out or "INSUFFICIENT_DATA -> OK" in out, out

    u.interrupt()
    out = u.output()
    assert "tandem up: received SIGINT" in out
    assert "tandem up: stopped" in out


def test_up_second_start_reuses_data_survives_a_dead_child_and_owns_its_dir(up_dir):
    first = up_dir()
    dir = first.dir
    secret = open(os.path.join(dir, "secret")).read()
    credentials = open(os.path.join(dir, "credentials")).read()
    ok(aws(dir, "us-east-1", *SEED_CREATE))
    ok(aws(dir, "us-east-1", "dynamodb", "put-item", "--table-name", "woocommerce_data",
           "--item", '{"id":{"S":"kept"}}'))
    first.proc.send_signal(signal.SIGTERM)  # SIGTERM stops it as Ctrl-C does
    assert first.wait_exit() == 0, first.output()

    second = up_dir()
    assert "made a fresh" not in second.output()
    assert open(os.path.join(dir, "secret")).read() == secret
    assert open(os.path.join(dir, "credentials")).read() == credentials
    got = ok(aws(dir, "us-east-1", "dynamodb", "get-item", "--table-name", "woocommerce_data",
                 "--key", '{"id":{"S":"kept"}}'))
    assert got["Item"]["id"] == {"S": "kept"}

    # A second `up` on the same directory is refused, and changes nothing.
    third = up_dir(wait=False)
    assert third.wait_exit() == 2
    assert f"{dir} is in use by another tandem up (pid {second.proc.pid})" in third.output()

    # A child that dies is reported loudly; up and the others keep running;
    # the controller raises the region's alarm and runs the hook for it.
    probe_pid = next(p for p in second.children
                     if "probe" in open(f"/proc/{p}/cmdline").read() and
                     "127.0.0.2:8082" in open(f"/proc/{p}/cmdline").read())
    os.kill(probe_pid, signal.SIGKILL)
    wait_until(lambda: "!!! probe-eu-west-1" in second.output(), timeout=30,
               what="up to report the dead probe")
    out = second.output()
    assert "killed by signal 9" in out
    assert "to run it again by hand:" in out
    assert second.proc.poll() is None
    dnsutil.wait_answer(NS1, "www.shop.example.", {"127.0.0.1"}, timeout=30)
    unhealthy = wait_until(
        lambda: [e for e in hook_events(dir) if e.get("type") == "region_unhealthy"], timeout=30,
        interval=0.2, what="the hook to get region_unhealthy for eu-west-1")
    assert unhealthy[0]["alarm"]["name"] == "eu-west-1-unhealthy", unhealthy
    assert status_shows(dir, "alarm eu-west-1-unhealthy ALARM"), status(dir)[1]
    second.children.remove(probe_pid)
    second.interrupt()


def test_up_with_three_regions_serves_all_of_them(up_dir):
    busy = [w for w in (taken("127.0.0.3", 8000), taken("127.0.0.3", 8083),
                        taken("127.0.0.3", 5353, udp=True), taken("127.0.0.3", 5353),
                        taken("127.0.0.3", 9053)) if w]
    if busy:
        pytest.skip("the third region's addresses are in use: " + ", ".join(busy))
    u = up_dir("--regions", "3")
    assert len(u.children) == 10, u.output()
    assert "RegionName=us-east-1 RegionName=eu-west-1 RegionName=ap-southeast-1" in u.output()
    # www stays failover between the first two; `all` lists every region.
    dnsutil.wait_answer({"host": "127.0.0.3", "port": 5353}, "www.shop.example.", {"127.0.0.1"},
                        timeout=30)
    dnsutil.wait_answer(NS1, "all.shop.example.", {"127.0.0.1", "127.0.0.2", "127.0.0.3"},
                        timeout=30)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_SHARED_CREDENTIALS_FILE": os.path.join(u.dir, "credentials"),
                "AWS_PROFILE": "default", "AWS_CONFIG_FILE": "/dev/null", "AWS_PAGER": ""})
    r = subprocess.run([AWS_CLI, "dynamodb", "describe-global-table", "--global-table-name",
                        "tandem_health", "--region", "ap-southeast-1", "--endpoint-url",
                        "http://127.0.0.3:8000", "--output", "json"],
                       env=env, capture_output=True, text=True, timeout=60)
    group = {m["RegionName"] for m in ok(r)["GlobalTableDescription"]["ReplicationGroup"]}
    assert group == {"us-east-1", "eu-west-1", "ap-southeast-1"}
    u.interrupt()


def test_up_controller_fails_over_when_the_primary_fails(up_dir):
    u = up_dir()
    dnsutil.wait_answer(NS1, "www.shop.example.", {"127.0.0.1"}, timeout=30)
    wait_until(lambda: status_shows(u.dir, "alarm us-east-1-unhealthy OK",
                                    "alarm eu-west-1-unhealthy OK"),
               timeout=30, interval=0.2, what="both alarms OK")
    # us-east-1's health fails (its probe dies): the controller confirms
    # eu-west-1 is healthy, routes us-east-1 out and runs the hook.
    probe_pid = next(p for p in u.children
                     if "127.0.0.1:8081" in open(f"/proc/{p}/cmdline").read())
    os.kill(probe_pid, signal.SIGKILL)
    u.children.remove(probe_pid)
    failover = wait_until(lambda: [e for e in hook_events(u.dir) if e.get("type") == "failover"],
                          timeout=30, interval=0.2, what="the hook to get the failover")
    assert failover[0]["primary"] == "us-east-1" and failover[0]["secondary"] == "eu-west-1"
    assert failover[0]["routing"] == {"set": "us-east-1", "control": "out", "result": "applied"}
    dnsutil.wait_answer(NS1, "www.shop.example.", {"127.0.0.2"}, timeout=30)
    out = status_shows(u.dir, "failover us-east-1 -> eu-west-1 failed_over",
                       "failover:us-east-1:1", "alarm us-east-1-unhealthy ALARM")
    assert out, status(u.dir)[1]
    # The DNS servers hold the controller's control, set by its name.
    assert re.search(r"us-east-1 +out +set by control ", out), out
    with open(os.path.join(u.dir, "control-audit.jsonl")) as f:
        audit = [json.loads(line) for line in f if line.endswith("\n")]
    decided = [a for a in audit if a["event"] == "failover"]
    assert len(decided) == 1 and decided[0]["inputs"]["secondary_alarm"]["state"] == "OK", decided
    assert alive(controller_pid(u))
    u.interrupt()


def test_up_refuses_to_start_when_an_address_is_taken(up_dir):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.2", 8082))
        s.listen(1)
        u = up_dir(wait=False)
        assert u.wait_exit() == 1
    out = u.output()
    assert "cannot start probe-eu-west-1: 127.0.0.2:8082 is already in use" in out, out
    assert children_of(u.proc.pid) == []
