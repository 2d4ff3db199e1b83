"""Faults between regions, black box: a network partition (a namespace with
nftables), clock skew (libfaketime), a receiver whose disk fills up (a small
tmpfs), corrupt replication batches, a stalled peer, and a backlog too large
for one request.

Each test states what last-writer-wins replication promises under its fault
and checks exactly that with real `tandem node` processes and boto3: every
acknowledged write survives, every region ends with identical items, and a
node that cannot do something says so (an API error, a 503, a log line)
instead of hanging, crashing or diverging. Waits are deadlines on observable
conditions (wait_until); nothing sleeps and hopes.

The parts that need root (namespaces, tmpfs) skip, saying why, without it.
"""
import errno
import json
import os
import signal
import shutil
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

import netns
from bbutil import error_of, unique
from conftest import ACCESS_KEY, AWS_CLI, SECRET_KEY, Node, create_table, free_port, wait_until
from test_replication import (get, make_global, peer_request, metric_value, metrics, scan_all,
                              wait_converged)

CONVERGE = 30  # seconds; a healed partition may first sit out a request timeout and a backoff
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


# ---- nodes with a command prefix (a namespace) or an environment (a clock) ----

class FaultNode(Node):
    """A conftest Node whose process runs under `prefix` (e.g. `ip netns exec NS`)
    with `env` added to the environment (e.g. libfaketime). Both may be changed
    before restart()."""

    def __init__(self, prefix=(), env=None, start_timeout=15, **kwargs):
        self.prefix = list(prefix)
        self.env = env
        self.start_timeout = start_timeout
        super().__init__(**kwargs)

    def _launch(self):
        self.log = open(self.log_path, "ab")
        env = dict(os.environ, **self.env) if self.env else None
        self.proc = subprocess.Popen(self.prefix + self.args, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)
        try:
            wait_until(self._healthy, timeout=self.start_timeout,
                       what=f"node {self.region} on {self.endpoint} to be up and ready")
        except BaseException:
            self.stop(signal.SIGKILL)  # never leave a process behind a failed start
            raise

    def log_since(self, offset):
        return self.read_log()[offset:]


class Regions:
    """Peered regions from specs {region, host, port, prefix, env, data_dir, peers_extra}:
    a full mesh of --peer flags, one --cluster-secret; indexed by region."""

    def __init__(self, specs, base_dir):
        self.dir = base_dir
        self.secret_file = os.path.join(base_dir, "cluster-secret")
        self.secret = os.urandom(32).hex()
        with open(self.secret_file, "w") as f:
            f.write(self.secret + "\n")
        self.urls = {s["region"]: f"http://{s['host']}:{s['port']}" for s in specs}
        self.nodes = {}
        try:
            for s in specs:
                peers = []
                for other, url in self.urls.items():
                    if other != s["region"]:
                        peers += ["--peer", f"{other}={url}"]
                for region, url in s.get("peers_extra", {}).items():
                    peers += ["--peer", f"{region}={url}"]
                data_dir = s.get("data_dir") or os.path.join(base_dir, s["region"])
                os.makedirs(data_dir, exist_ok=True)
                self.nodes[s["region"]] = FaultNode(
                    prefix=s.get("prefix", ()), env=s.get("env"), region=s["region"],
                    host=s["host"], port=s["port"], data_dir=data_dir,
                    extra_args=peers + ["--cluster-secret", self.secret_file])
        except BaseException:
            self.cleanup()
            raise

    def __getitem__(self, region):
        return self.nodes[region]

    @property
    def regions(self):
        return list(self.nodes)

    def cleanup(self):
        for n in self.nodes.values():
            if n.running:
                try:
                    os.kill(n.proc.pid, signal.SIGCONT)  # in case a test left it stopped
                except ProcessLookupError:
                    pass
            n.stop(timeout=10)  # a hung shutdown is not what teardown tests


def loopback_specs(*envs):
    """Specs for regions on 127.0.0.1, .2, .3 with the given extra environments."""
    names = [("us-east-1", "127.0.0.1"), ("eu-west-1", "127.0.0.2"), ("ap-south-1", "127.0.0.3")]
    return [{"region": r, "host": h, "port": free_port(h), "env": env}
            for (r, h), env in zip(names, envs)]


@pytest.fixture
def regions():
    """regions(specs) starts peered nodes; all are stopped and removed at the end."""
    bases, made = [], []

    def make(specs):
        bases.append(tempfile.mkdtemp(prefix="tandem-faults-"))
        made.append(Regions(specs, bases[-1]))
        return made[-1]

    yield make
    for r in made:
        r.cleanup()
    for base in bases:
        shutil.rmtree(base, ignore_errors=True)


def faketime_env(offset):
    """libfaketime moving CLOCK_REALTIME by `offset` (e.g. "+120s"), monotonic untouched."""
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": offset, "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def require_faketime():
    if not os.path.exists(FAKETIME_LIB):
        pytest.skip("libfaketime is not installed (the `faketime` package)")


# ---- small helpers -------------------------------------------------------------

def key(k):
    return json.dumps({"S": k})


def as_scan(items):
    """{name: item} as scan_all() returns it."""
    return {key(k): v for k, v in items.items()}


def pending(node, destination):
    return metric_value(metrics(node), "tandem_replication_pending", source=node.region,
                        destination=destination)


def health(node):
    try:
        with urllib.request.urlopen(node.endpoint + "/health", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def next_millisecond():
    """Returns once the wall clock is two milliseconds past now: writes after it
    get a later HLC timestamp than writes acknowledged before it, on any node
    of this machine whose clock is not skewed (HLC physical part = wall ms)."""
    start = time.time_ns() // 1_000_000
    wait_until(lambda: time.time_ns() // 1_000_000 > start + 1, timeout=1, interval=0.001,
               what="the next millisecond")


# ---- 1. partition and heal -----------------------------------------------------

@pytest.fixture
def ns_pair(tmp_path):
    """Two regions inside a fresh network namespace (10.213.N.2 and .3, port
    8000), reached from here over its veth pair. The namespace goes at the end,
    after the nodes, whatever the test did."""
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    with netns.Namespace(2) as ns:
        specs = [{"region": r, "host": h, "port": 8000, "prefix": ns.command([])}
                 for r, h in zip(["us-east-1", "eu-west-1"], ns.hosts)]
        pair = None
        try:
            pair = Regions(specs, str(tmp_path))
            yield ns, pair
        finally:
            ns.heal()  # connections stuck on the partition can finish, so nodes stop sooner
            if pair is not None:
                pair.cleanup()


def test_partition_both_sides_serve_then_converge_by_last_writer(ns_pair):
    """Two regions cut off from each other (every packet between them dropped)
    both keep serving reads and writes; their backlogs show in /metrics; after
    the heal, every acknowledged write is in both, and each key that both sides
    wrote or deleted holds the last writer's version in both."""
    ns, c = ns_pair
    east, west = c["us-east-1"], c["eu-west-1"]
    ec, wc = east.client(), west.client()
    t = make_global(c, unique("part"))
    expected = {}
    for k in range(30):
        expected[f"s{k}"] = {"id": {"S": f"s{k}"}, "v": {"S": "before"}}
        ec.put_item(TableName=t, Item=expected[f"s{k}"])
    wait_converged([ec, wc], t, expect=as_scan(expected))

    ns.partition(east.host, west.host)

    def put(client, name, value):
        item = {"id": {"S": name}, "v": {"S": value}}
        client.put_item(TableName=t, Item=item)
        expected[name] = item

    def delete(client, name):
        client.delete_item(TableName=t, Key={"id": {"S": name}})
        expected.pop(name, None)

    # Each side keeps taking writes alone: new keys, and conflicting writes and
    # deletes of the same keys in three rounds, each after the previous one on
    # the wall clock, so the later round is the last writer.
    for k in range(40):
        put(ec, f"east-{k}", "east")
        put(wc, f"west-{k}", "west")
    for k in range(0, 5):
        put(ec, f"s{k}", "east-A")          # loses to west-B
    for k in range(10, 13):
        delete(ec, f"s{k}")                 # loses to west's later put
    for k in range(15, 18):
        put(ec, f"s{k}", "east-A")          # loses to west's later delete
    next_millisecond()
    for k in list(range(0, 10)) + list(range(10, 13)):
        put(wc, f"s{k}", "west-B")
    for k in list(range(15, 18)) + list(range(20, 23)):
        delete(wc, f"s{k}")
    next_millisecond()
    for k in range(5, 10):
        put(ec, f"s{k}", "east-C")          # wins over west-B
    item = ec.update_item(TableName=t, Key={"id": {"S": "s25"}}, UpdateExpression="SET v = :v",
                          ExpressionAttributeValues={":v": {"S": "east-C"}},
                          ReturnValues="ALL_NEW")["Attributes"]
    expected["s25"] = item

    # Both sides serve reads of their own writes and see nothing of the other's.
    assert get(ec, t, "east-39") and get(wc, t, "west-39")
    assert get(ec, t, "west-0") is None and get(wc, t, "east-0") is None
    assert get(ec, t, "s0")["v"] == {"S": "east-A"} and get(wc, t, "s0")["v"] == {"S": "west-B"}
    assert health(east)[0] == 200 and health(west)[0] == 200
    # The backlog shows, and the partition is what holds it back.
    assert pending(east, "eu-west-1") >= 40 + 5 + 3 + 3 + 5 + 1
    assert pending(west, "us-east-1") >= 40 + 13 + 6
    wait_until(lambda: ns.dropped_packets() > 0, timeout=10, what="the partition to drop packets")

    ns.heal()
    common = wait_converged([ec, wc], t, timeout=CONVERGE, expect=as_scan(expected))
    assert len(common) == 30 - 6 + 80  # s15-17 and s20-22 deleted; s10-12 put back by west
    wait_until(lambda: pending(east, "eu-west-1") == 0 and pending(west, "us-east-1") == 0,
               timeout=CONVERGE, what="both backlogs drained")


def test_region_restarted_during_partition_comes_up_alone(ns_pair):
    """A region restarted while its peer is cut off (packets dropped, not
    refused) must not wait on it: the peer is unreachable, and unreachable
    peers do not hold readiness back (docs/REPLICATION.md), so /health turns
    200 within the status timeout. Its writes reach the peer after the heal."""
    ns, c = ns_pair
    east, west = c["us-east-1"], c["eu-west-1"]
    t = make_global(c, unique("partrestart"))
    east.client().put_item(TableName=t, Item={"id": {"S": "before"}})
    wait_until(lambda: get(west.client(), t, "before"), timeout=CONVERGE, what="before")
    ns.partition(east.host, west.host)
    east.stop()
    east.start_timeout = 10
    east.restart()  # waits for /health 200
    ec = east.client()
    ec.put_item(TableName=t, Item={"id": {"S": "during"}})
    assert get(west.client(), t, "during") is None
    ns.heal()
    wait_converged([ec, west.client()], t, timeout=CONVERGE, expect=as_scan(
        {n: {"id": {"S": n}} for n in ("before", "during")}))


# ---- 2. clock skew -------------------------------------------------------------

def test_two_minute_skew_replicates_and_keeps_causality(regions):
    """West's clock runs 120 s ahead. Replication flows both ways (the peer
    signature window is five minutes). What LWW with hybrid logical clocks
    promises: a write made after a node has seen another version wins over it,
    whatever the clocks say (the slow node's HLC moves up on receipt); writes
    that have not seen each other are ordered by their timestamps, so within
    the skew the fast clock's write wins even when it came first in real time.
    Either way every region keeps the same winner."""
    require_faketime()
    c = regions(loopback_specs(None, faketime_env("+120s")))
    east, west = c["us-east-1"], c["eu-west-1"]
    ec, wc = east.client(), west.client()
    t = make_global(c, unique("skew"))

    ec.put_item(TableName=t, Item={"id": {"S": "from-east"}})
    wc.put_item(TableName=t, Item={"id": {"S": "from-west"}})
    wait_converged([ec, wc], t, expect=as_scan({"from-east": {"id": {"S": "from-east"}},
                                                "from-west": {"id": {"S": "from-west"}}}))
    # The skew is real: west dates east's write two minutes before its arrival.
    lag = metric_value(metrics(west), "tandem_replication_latency_ms_sum",
                       source="us-east-1", destination="eu-west-1")
    assert lag is not None and lag >= 100_000, lag
    assert metric_value(metrics(west), "tandem_replication_refused_total") == 0
    assert metric_value(metrics(east), "tandem_replication_refused_total") == 0

    # Causality: east (behind) overwrites and deletes what it has seen from west.
    wc.put_item(TableName=t, Item={"id": {"S": "k"}, "v": {"S": "fast-first"}})
    wc.put_item(TableName=t, Item={"id": {"S": "gone"}, "v": {"S": "fast-first"}})
    wait_until(lambda: get(ec, t, "k") and get(ec, t, "gone"), timeout=CONVERGE,
               what="west's writes at east")
    ec.put_item(TableName=t, Item={"id": {"S": "k"}, "v": {"S": "slow-later"}})
    ec.delete_item(TableName=t, Key={"id": {"S": "gone"}})
    common = wait_converged([ec, wc], t, timeout=CONVERGE)
    assert common[key("k")]["v"] == {"S": "slow-later"}
    assert key("gone") not in common
    # And west (ahead) overwrites what it has seen from east.
    wc.put_item(TableName=t, Item={"id": {"S": "k"}, "v": {"S": "fast-third"}})
    common = wait_converged([ec, wc], t, timeout=CONVERGE)
    assert common[key("k")]["v"] == {"S": "fast-third"}

    # Concurrent writes (neither saw the other: two regional tables merged
    # afterwards): west's write came first in real time, east's second, and
    # west's wins in both regions because its timestamp is two minutes ahead.
    t2 = unique("skewrace")
    create_table(ec, t2)
    create_table(wc, t2)
    wc.put_item(TableName=t2, Item={"id": {"S": "x"}, "v": {"S": "west-earlier"}})
    ec.put_item(TableName=t2, Item={"id": {"S": "x"}, "v": {"S": "east-later"}})
    ec.create_global_table(GlobalTableName=t2, ReplicationGroup=[
        {"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}])
    common = wait_converged([ec, wc], t2, timeout=CONVERGE)
    assert common[key("x")]["v"] == {"S": "west-earlier"}


def test_restart_keeps_clock_above_versions_already_seen(regions):
    """A node behind (east, real clock) that received a version stamped by a
    clock two minutes ahead, then restarted, must still stamp its next write of
    that item later than the version it replaces; otherwise its own region keeps
    the new value and the peer keeps the old one, for good.

    The restart floor must not depend on which change-log record came last: here
    the last one is an older version re-announced when a table gained a replica."""
    require_faketime()
    c = regions(loopback_specs(None, faketime_env("+120s")))
    east, west = c["us-east-1"], c["eu-west-1"]
    ec, wc = east.client(), west.client()
    old = unique("skewold")
    create_table(ec, old)
    ec.put_item(TableName=old, Item={"id": {"S": "old"}})  # stamped before east saw west
    t = make_global(c, unique("skewrestart"))
    wc.put_item(TableName=t, Item={"id": {"S": "k"}, "v": {"S": "fast"}})
    wc.put_item(TableName=t, Item={"id": {"S": "gone"}, "v": {"S": "fast"}})
    wait_until(lambda: get(ec, t, "k") and get(ec, t, "gone"), timeout=CONVERGE,
               what="west's writes at east")
    ec.update_table(TableName=old, ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    wait_until(lambda: get(wc, old, "old"), timeout=CONVERGE, what="the backfill at west")
    east.stop()
    east.restart()
    ec = east.client()
    ec.put_item(TableName=t, Item={"id": {"S": "k"}, "v": {"S": "after-restart"}})
    ec.delete_item(TableName=t, Key={"id": {"S": "gone"}})
    assert get(ec, t, "k")["v"] == {"S": "after-restart"}
    # Once west has acknowledged it, west holds whatever it is going to hold.
    wait_until(lambda: pending(east, "eu-west-1") == 0, timeout=CONVERGE,
               what="east's writes acknowledged by west")
    at_west = get(wc, t, "k")["v"]["S"]
    assert at_west == "after-restart", (
        f"diverged: east holds 'after-restart', west kept '{at_west}' (east's new write was "
        "stamped below the version it replaced)")
    assert get(wc, t, "gone") is None, "diverged: east deleted 'gone', west kept it"


def cli(node, env_extra, *args):
    env = node.cli_env()
    env.update(env_extra)
    cmd = [AWS_CLI, "dynamodb", *args, "--region", node.region, "--endpoint-url",
           node.endpoint, "--output", "json", "--cli-read-timeout", "10"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)


def test_skew_beyond_signature_windows_is_refused_clearly_and_recovers(regions):
    """West's clock jumps 20 minutes ahead. API clients with true clocks get
    DynamoDB's answer to a stale signature (400 InvalidSignatureException,
    "Signature expired: ... - 15 min.)"), a client as far ahead as west is
    told the mirror image by east ("Signature not yet current: ..."), while a
    client sharing west's clock is served. Replication both ways is refused
    (403, logged on both sides with the reason: the date is outside the
    five-minute window) and nothing is lost: once west's clock is fixed, both
    backlogs arrive."""
    require_faketime()
    c = regions(loopback_specs(None, None))
    east, west = c["us-east-1"], c["eu-west-1"]
    t = make_global(c, unique("farskew"))
    east.client().put_item(TableName=t, Item={"id": {"S": "before"}})
    wait_until(lambda: get(west.client(), t, "before"), timeout=CONVERGE, what="before")

    west.stop()
    west.env = faketime_env("+20m")
    east_log, west_log = len(east.read_log()), len(west.read_log())
    west.restart()
    wc = west.client()

    code, message, response = error_of(wc.get_item, TableName=t, Key={"id": {"S": "before"}})
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert code == "InvalidSignatureException"
    assert message.startswith("Signature expired: ") and message.endswith(" - 15 min.)"), message

    ahead = faketime_env("+20m")
    r = cli(east, ahead, "list-tables")
    assert r.returncode != 0
    assert "InvalidSignatureException" in r.stderr and "Signature not yet current" in r.stderr, \
        r.stderr
    r = cli(west, ahead, "put-item", "--table-name", t, "--item",
            '{"id": {"S": "from-skewed-west"}}')
    assert r.returncode == 0, r.stderr
    east.client().put_item(TableName=t, Item={"id": {"S": "from-east"}})

    # East logs west's 403 when the answer arrives, after west logged refusing it.
    wait_until(lambda: "refused a replication request" in west.log_since(west_log)
               and "refused a replication request" in east.log_since(east_log)
               and "peer answered 403" in east.log_since(east_log),
               timeout=CONVERGE, what="both sides refusing the other's batches")
    for n in (east, west):
        assert "outside the allowed window (clock skew" in n.log_since(0), n.region
    assert pending(east, "eu-west-1") >= 1
    assert pending(west, "us-east-1") >= 1
    assert get(east.client(), t, "from-skewed-west") is None

    west.stop()
    west.env = None
    west.restart()
    wait_converged([east.client(), west.client()], t, timeout=CONVERGE, expect=as_scan({
        n: {"id": {"S": n}} for n in ("before", "from-east", "from-skewed-west")}))


# ---- 3. the receiver's disk fills up --------------------------------------------

@pytest.fixture
def small_disk():
    """small_disk(mb) makes a data directory whose db/ (where the node keeps
    RocksDB) is a tmpfs of that size; unmounted and removed at the end."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    made = []

    def make(mb):
        data_dir = tempfile.mkdtemp(prefix="tandem-full-")
        db_dir = os.path.join(data_dir, "db")
        os.makedirs(db_dir)
        made.append(data_dir)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mb}m,mode=0700", "tmpfs",
                            db_dir], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        return data_dir, db_dir

    yield make
    for data_dir in made:
        db_dir = os.path.join(data_dir, "db")
        if os.path.ismount(db_dir):
            subprocess.run(["umount", db_dir], capture_output=True)
        if os.path.ismount(db_dir):
            subprocess.run(["umount", "-l", db_dir], capture_output=True)
        shutil.rmtree(data_dir, ignore_errors=True)


def fill(path):
    """Writes a filler file under `path` until the file system is full."""
    filler = os.path.join(path, "filler")
    chunk = b"\0" * (1 << 20)
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
    return filler


def test_receiver_disk_full_origin_keeps_going_and_converges(small_disk, regions):
    # (small_disk first: its unmount then runs after the nodes have stopped.)
    # West keeps RocksDB (DATA_DIR/db) on a 64 MB tmpfs; its log stays outside.
    specs = loopback_specs(None, None)
    specs[1]["data_dir"], db_dir = small_disk(64)
    c = regions(specs)
    east, west = c["us-east-1"], c["eu-west-1"]
    ec = east.client()
    wc = west.client()
    t = make_global(c, unique("full"))
    acked = {}
    for k in range(10):
        acked[f"e{k}"] = {"id": {"S": f"e{k}"}, "n": {"N": str(k)}}
        ec.put_item(TableName=t, Item=acked[f"e{k}"])
    wait_converged([ec, wc], t, expect=as_scan(acked))

    east_log = len(east.read_log())
    filler = fill(db_dir)
    # A client of the full region: writes fail with an error, neither hang nor crash it.
    slow_client = boto3.client(
        "dynamodb", endpoint_url=west.endpoint, region_name=west.region,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(read_timeout=15, connect_timeout=5, retries={"max_attempts": 1}))
    payload = "z" * 100_000
    failure = None
    for k in range(300):  # bounded: 30 MB against a full 64 MB disk
        item = {"id": {"S": f"w{k}"}, "blob": {"S": payload}}
        try:
            slow_client.put_item(TableName=t, Item=item)
        except ClientError as e:
            failure = e.response
            break
        except (EndpointConnectionError, ReadTimeoutError) as e:
            pytest.fail(f"west went away or hung on a full disk after {k} writes: {e!r}\n"
                        + west.read_log()[-3000:])
        acked[f"w{k}"] = item
    assert failure is not None, "300 writes of 100 KB fitted on a full 64 MB disk?"
    assert failure["ResponseMetadata"]["HTTPStatusCode"] in (500, 503), failure
    assert failure["Error"]["Code"] in ("InternalServerError", "ServiceUnavailable"), failure
    assert west.running, west.read_log()[-3000:]

    # The origin keeps acknowledging writes; its backlog to west waits on disk.
    started = time.monotonic()
    for k in range(10, 110):
        acked[f"e{k}"] = {"id": {"S": f"e{k}"}, "n": {"N": str(k)}}
        ec.put_item(TableName=t, Item=acked[f"e{k}"])
    assert time.monotonic() - started < 20
    assert pending(east, "eu-west-1") >= 1
    wait_until(lambda: "No space left on device" in east.log_since(east_log), timeout=CONVERGE,
               what="east to log why west refuses its batches")
    assert west.running, west.read_log()[-3000:]
    status, body = health(west)
    assert status == 503 and body.get("status") != "ok", body
    # Reads of what it holds still work.
    assert get(wc, t, "e0") == acked["e0"]

    # Space back: RocksDB clears its NoSpace error by itself (its SstFileManager
    # checks every 5 s for room for a memtable), no restart needed.
    os.unlink(filler)
    wait_until(lambda: health(west)[0] == 200, timeout=CONVERGE, what="west healthy again")
    wc = west.client()
    wc.put_item(TableName=t, Item={"id": {"S": "after"}})
    acked["after"] = {"id": {"S": "after"}}
    wait_converged([ec, wc], t, timeout=CONVERGE, expect=as_scan(acked))


# ---- 4. corrupt batches and a stalled peer -----------------------------------------

def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def blob(b):
    return varint(len(b)) + b


def encode_item(attrs):
    """Item codec (item_codec.h) for string attributes: {name: str}."""
    out = varint(len(attrs))
    for name in sorted(attrs, key=lambda n: n.encode()):
        out += blob(name.encode()) + b"\x01" + blob(attrs[name].encode())
    return out


def encode_version(hlc, origin, image, version=1, flags=None):
    tomb = image is None
    head = bytes([version, (1 if tomb else 0) if flags is None else flags])
    return head + struct.pack(">QI", hlc, origin) + (b"" if tomb else encode_item(image))


def encode_batch(source, first, last, records, magic=b"TRB1", count=None):
    """wire.h: records are (seq, table, key attrs, version bytes)."""
    out = magic + blob(source.encode()) + struct.pack(">QQ", first, last)
    out += varint(len(records) if count is None else count)
    for seq, table, key_attrs, version in records:
        out += struct.pack(">Q", seq) + blob(table.encode()) + blob(encode_item(key_attrs))
        out += blob(version)
    return out


def signed_post(node, path, body, secret, region, signed_body=None):
    return peer_request(node, path, body, secret, region, signed_body=signed_body)


def test_corrupt_signed_batches_are_refused_and_apply_nothing(regions):
    """Batches signed with the cluster secret (as a third region the node has as
    a peer, so the real peer's cursor is untouched) but malformed: each is
    refused with 400 and changes nothing. The well-formed batch sent last with
    the same sequence numbers still applies, so no refused batch moved the
    receive cursor either."""
    specs = loopback_specs(None, None)
    specs[0]["peers_extra"] = {"ap-south-1": f"http://127.0.0.3:{free_port('127.0.0.3')}"}
    c = regions(specs)
    east, west = c["us-east-1"], c["eu-west-1"]
    ec = east.client()
    t = make_global(c, unique("corrupt"))
    ec.put_item(TableName=t, Item={"id": {"S": "legit"}, "v": {"S": "1"}})
    before = scan_all(ec, t)

    hlc = int(time.time() * 1000) << 16
    origin = 0x51ED0001
    good = (1, t, {"id": "forged"}, encode_version(hlc, origin, {"id": "forged", "v": "x"}))
    valid = encode_batch("ap-south-1", 1, 2, [good])

    def send(body, region="ap-south-1"):
        return signed_post(east, "/_tandem/replicate", body, c.secret, region)

    bad = {
        "empty": b"",
        "garbage": os.urandom(64),
        "bad magic": b"TRB9" + valid[4:],
        "trailing byte": valid + b"\0",
        "count lies": encode_batch("ap-south-1", 1, 2, [good], count=1000),
        "seq out of range": encode_batch("ap-south-1", 5, 6, [good]),
        "range reversed": encode_batch("ap-south-1", 2, 1, [good]),
        "unknown record format": encode_batch("ap-south-1", 1, 2, [
            (1, t, {"id": "forged"}, encode_version(hlc, origin, {"id": "forged"}, version=9))]),
        "unknown flag bits": encode_batch("ap-south-1", 1, 2, [
            (1, t, {"id": "forged"}, encode_version(hlc, origin, {"id": "forged"}, flags=6))]),
        "good record then a bad one": encode_batch("ap-south-1", 1, 2, [
            good, (2, t, {"id": "other"}, encode_version(hlc, origin, None)[:-3])]),
        "empty key": encode_batch("ap-south-1", 1, 2, [
            (1, t, {}, encode_version(hlc, origin, {"id": "forged"}))]),
    }
    for cut in range(1, len(valid), max(1, len(valid) // 12)):
        bad[f"truncated to {cut} bytes"] = valid[:cut]
    for name, body in bad.items():
        status, text = send(body)
        assert status == 400, (name, status, text)
        assert "corrupt replication batch" in text, (name, text)
    # A batch naming another source than the signed region.
    status, text = send(encode_batch("eu-west-1", 1, 2, [good]))
    assert status == 403, text
    # A correctly signed batch with one bit flipped on the way.
    flipped = bytearray(valid)
    flipped[-1] ^= 0x01
    status, text = signed_post(east, "/_tandem/replicate", bytes(flipped), c.secret,
                               "ap-south-1", signed_body=valid)
    assert status == 403 and "signature" in text, text
    assert scan_all(ec, t) == before
    assert "refused a replication batch from ap-south-1" in east.read_log()
    status, body = health(east)
    assert status == 200, body

    # The well-formed batch applies once; the same batch again is a duplicate.
    status, text = send(valid)
    assert status == 200, text
    assert json.loads(text)["applied"] == 1
    assert get(ec, t, "forged") == {"id": {"S": "forged"}, "v": {"S": "x"}}
    status, text = send(valid)
    assert status == 200 and json.loads(text)["applied"] == 0, text
    # And the real peer's replication was never disturbed.
    west.client().put_item(TableName=t, Item={"id": {"S": "from-west"}})
    wait_until(lambda: get(ec, t, "from-west"), timeout=CONVERGE, what="west's write at east")


@pytest.mark.parametrize("case", ["key type", "image disagrees with key",
                                  "image without key"])
def test_signed_batch_whose_records_break_the_schema_is_refused(regions, case):
    """Well-formed on the wire, wrong for the table: a key of the wrong type, or
    an item image whose key attributes are not the record's key. Applying it
    would store an item that GetItem of its own key does not return (or under
    a key the table cannot have); it must be refused, 400, nothing applied."""
    specs = loopback_specs(None)
    specs[0]["peers_extra"] = {"ap-south-1": f"http://127.0.0.3:{free_port('127.0.0.3')}"}
    c = regions(specs)
    east = c["us-east-1"]
    ec = east.client()
    t = unique("schema")
    create_table(ec, t)
    hlc = int(time.time() * 1000) << 16
    if case == "key type":
        # id as N ("1") while the table's hash key is S.
        key_bytes = varint(1) + blob(b"id") + b"\x02" + blob(b"1")
        image = varint(2) + blob(b"id") + b"\x02" + blob(b"1") + blob(b"v") + b"\x01" + blob(b"x")
        version = bytes([1, 0]) + struct.pack(">QI", hlc, 7) + image
        body = (b"TRB1" + blob(b"ap-south-1") + struct.pack(">QQ", 1, 1) + varint(1)
                + struct.pack(">Q", 1) + blob(t.encode()) + blob(key_bytes) + blob(version))
    else:
        image = {"id": "b", "v": "x"} if case == "image disagrees with key" else {"v": "x"}
        body = encode_batch("ap-south-1", 1, 1, [(1, t, {"id": "a"}, encode_version(hlc, 7, image))])
    status, text = signed_post(east, "/_tandem/replicate", body, c.secret, "ap-south-1")
    assert status == 400, (status, text)
    assert ec.scan(TableName=t, ConsistentRead=True)["Items"] == []
    assert get(ec, t, "a") is None


def stall_setup(regions, name):
    c = regions(loopback_specs(None, None))
    east, west = c["us-east-1"], c["eu-west-1"]
    t = make_global(c, unique(name))
    east.client().put_item(TableName=t, Item={"id": {"S": "warm"}})
    wait_until(lambda: get(west.client(), t, "warm"), timeout=CONVERGE, what="warm-up at west")
    return east, west, t


def test_stalled_peer_does_not_slow_local_writes(regions):
    """West freezes (SIGSTOP): it accepts connections but never answers, the
    slowest a peer can be. East's writes are acknowledged at local speed, well
    inside the 5 s replication request timeout a write waiting on the peer would
    show; the backlog waits on disk and arrives once west runs again."""
    east, west, t = stall_setup(regions, "stall")
    ec = east.client()
    expected = {"warm": {"id": {"S": "warm"}}}
    os.kill(west.proc.pid, signal.SIGSTOP)
    try:
        slowest, started = 0.0, time.monotonic()
        for k in range(200):
            item = {"id": {"S": f"k{k}"}, "n": {"N": str(k)}}
            t0 = time.monotonic()
            ec.put_item(TableName=t, Item=item)
            slowest = max(slowest, time.monotonic() - t0)
            expected[f"k{k}"] = item
        assert slowest < 2.0, f"a local write took {slowest:.2f}s while the peer was stalled"
        assert time.monotonic() - started < 20
        assert get(ec, t, "k199") == expected["k199"]
        assert pending(east, "eu-west-1") >= 200
        assert health(east)[0] == 200
    finally:
        os.kill(west.proc.pid, signal.SIGCONT)
    wait_converged([ec, west.client()], t, timeout=CONVERGE, expect=as_scan(expected))
    wait_until(lambda: pending(east, "eu-west-1") == 0, timeout=CONVERGE, what="backlog drained")


def test_stalled_peer_times_out_and_does_not_block_shutdown(regions):
    """The replication request to a frozen peer times out (5 s), is logged and
    retried; and the frozen peer does not stop this node from shutting down
    cleanly on SIGTERM."""
    east, west, t = stall_setup(regions, "stallstop")
    east_log = len(east.read_log())
    os.kill(west.proc.pid, signal.SIGSTOP)
    try:
        east.client().put_item(TableName=t, Item={"id": {"S": "stuck"}})
        wait_until(lambda: "replication to eu-west-1 failed" in east.log_since(east_log),
                   timeout=12, what="east's shipper to time out on the stalled peer")
        started = time.monotonic()
        assert east.stop(timeout=10) == 0, "east needed SIGKILL to stop"
        assert time.monotonic() - started < 10
        east.restart()
    finally:
        os.kill(west.proc.pid, signal.SIGCONT)
    wait_until(lambda: get(west.client(), t, "stuck"), timeout=CONVERGE, what="stuck at west")


def test_backlog_of_large_items_converges(regions):
    """A backlog of large items (here 60 x 300 KB, 18 MB) reaches a peer that
    was down: batches must stay under the receiver's 16 MB request limit
    rather than be refused (413) again and again."""
    c = regions(loopback_specs(None, None))
    east, west = c["us-east-1"], c["eu-west-1"]
    ec = east.client()
    t = make_global(c, unique("large"))
    west.stop()
    east_log = len(east.read_log())
    big = "L" * (300 * 1024)
    expected = {}
    for k in range(60):
        expected[f"big{k}"] = {"id": {"S": f"big{k}"}, "b": {"S": big}}
        ec.put_item(TableName=t, Item=expected[f"big{k}"])
    west.restart()
    wc = west.client()
    # Fail fast on a refusal that would repeat forever.
    wait_until(lambda: "answered 413" in east.log_since(east_log) or len(scan_all(wc, t)) == 60,
               timeout=CONVERGE, what="the backlog at west (or a refusal)")
    assert "answered 413" not in east.log_since(east_log), east.log_since(east_log)[-2000:]
    wait_converged([ec, wc], t, timeout=CONVERGE, expect=as_scan(expected))
