"""`tandem verify` and anti-entropy, black box: real nodes, the real command.

The divergence is made the way it happens to users: a region's data directory
is restored from a backup taken before some writes, after its peer had trimmed
those writes from its change log (every region had them), so replication
cannot send them again. verify must name exactly those keys; anti-entropy must
repair them; writes taken on the restored region must still reach the others.
What the peer's log still holds is shipped again at once (see
test_restored_region_gets_back_what_the_peer_log_holds).
"""
import json
import os
import shutil
import subprocess
import threading

from bbutil import unique
from conftest import TANDEM_BIN, wait_until
from test_replication import (CONVERGE, get, make_global, metric_value, metrics,
                              wait_converged)


def verify(c, table, *extra, regions=None):
    regions = regions or c.regions
    cmd = [TANDEM_BIN, "verify", "--table", table, "--cluster-secret", c.secret_file]
    for r in regions:
        cmd += ["--endpoint", f"{r}={c.urls[r]}"]
    return subprocess.run(cmd + list(extra), capture_output=True, text=True, timeout=120)


def put(client, table, key, value):
    client.put_item(TableName=table, Item={"id": {"S": key}, "v": {"S": value}})


def set_anti_entropy(node, seconds):
    args = list(node.args)
    if "--anti-entropy-interval" in args:
        i = args.index("--anti-entropy-interval")
        args[i + 1] = str(seconds)
    else:
        args += ["--anti-entropy-interval", str(seconds)]
    node.args = args


def changelog_trimmed(node):
    """Whether `node` has trimmed its change log down to its newest record
    (every peer acknowledged everything)."""
    text = metrics(node)
    seq = metric_value(text, "tandem_changelog_sequence")
    return seq and metric_value(text, "tandem_changelog_trimmed_below") == seq


def restored_from_backup(c, table, trim=True):
    """us-east-1 and eu-west-1 hold `table`; eu-west-1 is then restored from a
    backup missing 20 new keys, an update of k0 and the delete of k1, all made
    in us-east-1, and 5 keys it took itself (w0..w4, the last of which is the
    newest record of us-east-1's change log). With `trim`, us-east-1 has
    trimmed its change log down to that newest record first; without, a third
    region of `c` that also replicates `table` is stopped, so us-east-1 keeps
    its whole change log for it. Returns the keys
    that must differ once us-east-1 has shipped what its log holds again
    (after `wait_rewound`)."""
    east, west = c["us-east-1"], c["eu-west-1"]
    for n in (east, west):
        n.stop()
        set_anti_entropy(n, 0)
        n.restart()
    make_global(c, table)
    if not trim:
        for r in c.regions:
            if r not in ("us-east-1", "eu-west-1"):
                c[r].stop()
    ec = east.client()
    for i in range(50):
        put(ec, table, f"k{i}", "v1")
    wait_converged([ec, west.client()], table)
    backup = west.data_dir + ".backup"
    west.stop()
    shutil.copytree(west.data_dir, backup)
    west.restart()
    for i in range(20):
        put(ec, table, f"n{i}", "new")
    put(ec, table, "k0", "v2")
    ec.delete_item(TableName=table, Key={"id": {"S": "k1"}})
    for i in range(5):
        put(west.client(), table, f"w{i}", "west")
    wait_converged([ec, west.client()], table)
    if trim:
        wait_until(lambda: changelog_trimmed(east), timeout=CONVERGE,
                   what="us-east-1 to trim its change log")
    west.stop()
    shutil.rmtree(west.data_dir)
    shutil.copytree(backup, west.data_dir)
    shutil.rmtree(backup)
    west.restart()
    if not trim:
        return set()
    return {f"n{i}" for i in range(20)} | {f"w{i}" for i in range(4)} | {"k0", "k1"}


def wait_rewound(c, table):
    """us-east-1 notices eu-west-1 lost part of its log and ships it again what
    its own log still holds: w4, eu-west-1's own write (echoed back, since
    us-east-1 may hold the only copy)."""
    wait_until(lambda: get(c["eu-west-1"].client(), table, "w4"), timeout=CONVERGE,
               what="w4 shipped back to the restored region")


def test_equal_replicas_verify_equal(cluster):
    c = cluster(3)
    t = make_global(c, unique("veq"))
    clients = [n.client() for n in c.nodes.values()]
    for i in range(300):
        put(clients[i % 3], t, f"k{i}", str(i))
    for i in range(0, 300, 7):
        clients[1].delete_item(TableName=t, Key={"id": {"S": f"k{i}"}})
    wait_converged(clients, t)
    r = verify(c, t)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "equal" in r.stdout
    r = verify(c, t, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["equal"] is True and out["differing_keys"] == []
    assert out["item_counts"] == {region: 257 for region in c.regions}


def test_verify_names_the_keys_a_restored_backup_lacks_and_anti_entropy_repairs_them(cluster):
    c = cluster(2)
    east, west = c["us-east-1"], c["eu-west-1"]
    t = unique("vbak")
    differing = restored_from_backup(c, t)
    wait_rewound(c, t)
    wc = west.client()
    assert get(wc, t, "n0") is None and get(wc, t, "k0")["v"]["S"] == "v1"

    r = verify(c, t)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "DIFFERENT: 26 keys differ" in r.stdout, r.stdout
    assert '{"id":{"S":"n7"}}' in r.stdout
    r = verify(c, t, "--json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["equal"] is False and out["differing_key_count"] == 26
    assert {k["key"]["id"]["S"] for k in out["differing_keys"]} == differing
    by_key = {k["key"]["id"]["S"]: k["versions"] for k in out["differing_keys"]}
    assert by_key["n3"]["eu-west-1"] == "missing"
    assert by_key["n3"]["us-east-1"].startswith("item ")
    assert by_key["k1"]["us-east-1"].startswith("deleted ")
    assert by_key["k1"]["eu-west-1"].startswith("item ")
    assert by_key["w2"]["eu-west-1"] == "missing"
    assert by_key["w2"]["us-east-1"].endswith(" in eu-west-1")  # its origin

    # A write taken by the restored region still reaches the other: its
    # change log continues past what us-east-1 already received from it
    # (the w* writes), instead of reusing those sequence numbers.
    put(wc, t, "after-restore", "w")
    wait_until(lambda: get(east.client(), t, "after-restore"), timeout=CONVERGE,
               what="the restored region's new write at us-east-1")

    # Anti-entropy in the region holding the newer versions repairs them.
    east.stop()
    set_anti_entropy(east, 0.5)
    east.restart()
    wait_until(lambda: verify(c, t).returncode == 0, timeout=CONVERGE * 2, interval=0.5,
               what="anti-entropy to repair eu-west-1")
    assert get(wc, t, "n19") == {"id": {"S": "n19"}, "v": {"S": "new"}}
    assert get(wc, t, "k0")["v"]["S"] == "v2"
    assert get(wc, t, "k1") is None
    assert get(wc, t, "w4") == {"id": {"S": "w4"}, "v": {"S": "west"}}
    repaired = metric_value(metrics(east), "tandem_anti_entropy_repairs_total",
                            destination="eu-west-1")
    assert repaired == 26, repaired
    # Equal replicas: further rounds repair nothing more.
    wait_until(lambda: metric_value(metrics(east), "tandem_anti_entropy_rounds_total",
                                    destination="eu-west-1") >= 3, timeout=CONVERGE)
    assert metric_value(metrics(east), "tandem_anti_entropy_repairs_total",
                        destination="eu-west-1") == 26
    assert metric_value(metrics(east), "tandem_anti_entropy_differing_ranges",
                        destination="eu-west-1") == 0


def test_restored_region_gets_back_what_the_peer_log_holds(cluster):
    """Restored from a backup while us-east-1 still holds the later writes in
    its change log: us-east-1 notices (the region's receive cursor is behind
    what it acknowledged) and ships them again, eu-west-1's own lost writes
    included, without anti-entropy (off here)."""
    c = cluster(3)
    east, west = c["us-east-1"], c["eu-west-1"]
    t = unique("vlog")
    east_log = len(east.read_log())
    assert restored_from_backup(c, t, trim=False) == set()
    wc = west.client()
    wait_converged([east.client(), wc], t, timeout=CONVERGE)
    assert get(wc, t, "n19") == {"id": {"S": "n19"}, "v": {"S": "new"}}
    assert get(wc, t, "k0")["v"]["S"] == "v2"
    assert get(wc, t, "k1") is None
    assert get(wc, t, "w0") == {"id": {"S": "w0"}, "v": {"S": "west"}}
    assert "restored from a backup?" in east.read_log()[east_log:]
    r = verify(c, t, regions=["us-east-1", "eu-west-1"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert metric_value(metrics(east), "tandem_anti_entropy_rounds_total",
                        destination="eu-west-1") in (None, 0)


def test_verify_works_while_writes_flow(cluster):
    """Writers keep both regions busy; verify still reports exactly the
    restored-backup divergence and none of the writes in flight."""
    c = cluster(2)
    t = unique("vflow")
    differing = restored_from_backup(c, t)
    wait_rewound(c, t)
    stop = threading.Event()
    errors = []

    def writer(node, prefix):
        client = node.client()
        i = 0
        while not stop.is_set() and i < 5000:
            try:
                put(client, t, f"{prefix}{i % 200}", str(i))
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
                return
            i += 1

    threads = [threading.Thread(target=writer, args=(c[r], f"w-{r}-")) for r in c.regions]
    for th in threads:
        th.start()
    try:
        r = verify(c, t, "--json")
    finally:
        stop.set()
        for th in threads:
            th.join()
    assert not errors, errors
    assert r.returncode == 1, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert {k["key"]["id"]["S"] for k in out["differing_keys"]} == differing


def test_verify_usage_errors_exit_2(cluster):
    c = cluster(2)
    t = make_global(c, unique("verr"))
    r = verify(c, "no_such_table")
    assert r.returncode == 2
    assert "does not exist" in r.stderr
    r = subprocess.run([TANDEM_BIN, "verify", "--table", t, "--endpoint",
                        f"us-east-1={c.urls['us-east-1']}", "--cluster-secret", c.secret_file],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "at least two" in r.stderr
    r = subprocess.run([TANDEM_BIN, "verify", "--table", t,
                        "--endpoint", f"us-east-1={c.urls['us-east-1']}",
                        "--endpoint", f"eu-west-1={c.urls['eu-west-1']}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "cluster secret" in r.stderr
    wrong = os.path.join(c.dir, "wrong-secret")
    with open(wrong, "w") as f:
        f.write("0" * 64)
    r = subprocess.run([TANDEM_BIN, "verify", "--table", t, "--cluster-secret", wrong,
                        "--endpoint", f"us-east-1={c.urls['us-east-1']}",
                        "--endpoint", f"eu-west-1={c.urls['eu-west-1']}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "signature" in r.stderr.lower(), r.stderr
