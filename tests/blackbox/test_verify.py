"""`tandem verify` and anti-entropy, black box: real nodes, the real command.

The divergence is made the way it happens to users: a region's data directory
is restored from a backup taken before some writes, so replication (whose
cursors say those writes were delivered) never sends them again. verify must
name exactly those keys; anti-entropy must repair them; writes taken on the
restored region must still reach the others.
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


def restored_from_backup(c, table):
    """us-east-1 and eu-west-1 hold `table`; eu-west-1 is then restored from a
    backup missing 20 new keys, an update of k0 and the delete of k1, all made
    in us-east-1, and 5 keys it took itself. Returns the keys that must differ."""
    east, west = c["us-east-1"], c["eu-west-1"]
    for n in (east, west):
        n.stop()
        set_anti_entropy(n, 0)
        n.restart()
    make_global(c, table)
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
    west.stop()
    shutil.rmtree(west.data_dir)
    shutil.copytree(backup, west.data_dir)
    shutil.rmtree(backup)
    west.restart()
    return {f"n{i}" for i in range(20)} | {f"w{i}" for i in range(5)} | {"k0", "k1"}


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
    wc = west.client()
    assert get(wc, t, "n0") is None and get(wc, t, "k0")["v"]["S"] == "v1"

    r = verify(c, t)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "DIFFERENT: 27 keys differ" in r.stdout, r.stdout
    assert '{"id":{"S":"n7"}}' in r.stdout
    r = verify(c, t, "--json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["equal"] is False and out["differing_key_count"] == 27
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
    assert repaired == 27, repaired
    # Equal replicas: further rounds repair nothing more.
    wait_until(lambda: metric_value(metrics(east), "tandem_anti_entropy_rounds_total",
                                    destination="eu-west-1") >= 3, timeout=CONVERGE)
    assert metric_value(metrics(east), "tandem_anti_entropy_repairs_total",
                        destination="eu-west-1") == 27
    assert metric_value(metrics(east), "tandem_anti_entropy_differing_ranges",
                        destination="eu-west-1") == 0


def test_verify_works_while_writes_flow(cluster):
    """Writers keep both regions busy; verify still reports exactly the
    restored-backup divergence and none of the writes in flight."""
    c = cluster(2)
    t = unique("vflow")
    differing = restored_from_backup(c, t)
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
