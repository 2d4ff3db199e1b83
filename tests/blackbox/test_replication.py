"""Global tables, black box: real `tandem node` processes in 2 or 3 regions on
127.0.0.1/.2/.3, wired as a full mesh with one cluster secret, driven with the
AWS CLI and boto3.

Every wait is a deadline on an observable condition (wait_until), never a
sleep; convergence means every region's Scan returns identical items.
"""
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.request
from decimal import Decimal

import pytest

from bbutil import error_of, unique
from conftest import AWS_CLI, TANDEM_BIN, create_table, free_port, wait_until

CONVERGE = 15  # seconds: generous for a loaded CI box; typical is well under 1 s


# ---- helpers -----------------------------------------------------------------

def scan_all(client, table):
    items, start = {}, None
    while True:
        kwargs = {"TableName": table, "ConsistentRead": True}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.scan(**kwargs)
        for item in page["Items"]:
            items[json.dumps(item["id"], sort_keys=True)] = item
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def converged(clients, table):
    """The common contents when every region holds identical items, else None."""
    scans = [scan_all(c, table) for c in clients]
    return scans[0] if all(s == scans[0] for s in scans[1:]) else None


def wait_converged(clients, table, timeout=CONVERGE, expect=None):
    def check():
        common = converged(clients, table)
        if common is None:
            return None
        if expect is not None and common != expect:
            return None
        return common or {"__empty__": True}
    wait_until(check, timeout=timeout, interval=0.05, what=f"{table} to converge")
    return scan_all(clients[0], table)


def get(client, table, key):
    return client.get_item(TableName=table, Key={"id": {"S": key}},
                           ConsistentRead=True).get("Item")


def make_global(c, table, regions=None):
    regions = regions or c.regions
    for r in regions:
        create_table(c[r].client(), table)
    c[regions[0]].client().create_global_table(
        GlobalTableName=table, ReplicationGroup=[{"RegionName": r} for r in regions])
    return table


def metrics(node):
    with urllib.request.urlopen(node.endpoint + "/metrics", timeout=5) as r:
        return r.read().decode()


def metric_value(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(name + ("{" + want + "}" if want else " ")):
            return float(line.rsplit(" ", 1)[1])
    return None


def peer_request(node, path, body, secret, region="eu-west-1", signed_body=None):
    """A node-to-node request signed the way PeerAuth signs (peer_auth.h); the
    signature covers `signed_body` when given (a body altered in transit)."""
    date = str(int(time.time() * 1000))
    nonce = os.urandom(16).hex()
    digest = hashlib.sha256(body if signed_body is None else signed_body).hexdigest()
    text = "\n".join(["POST", path, region, date, nonce, digest])
    sig = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    headers = {"X-Tandem-Region": region, "X-Tandem-Date": date, "X-Tandem-Nonce": nonce,
               "X-Tandem-Signature": sig, "Content-Type": "application/json"}
    conn = http.client.HTTPConnection(node.host, node.port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def aws(node, *args):
    cmd = [AWS_CLI, "dynamodb", *args, "--region", node.region, "--endpoint-url",
           node.endpoint, "--output", "json"]
    return subprocess.run(cmd, env=node.cli_env(), capture_output=True, text=True, timeout=60)


# ---- the four CLI commands ------------------------------------------

def test_seed_cli_commands(cluster):
    c = cluster(2)
    east, west = c["us-east-1"], c["eu-west-1"]
    assert (east.host, west.host) == ("127.0.0.1", "127.0.0.2")
    table_args = ["--table-name", "woocommerce_data", "--attribute-definitions",
                  "AttributeName=id,AttributeType=S", "--key-schema",
                  "AttributeName=id,KeyType=HASH", "--provisioned-throughput",
                  "ReadCapacityUnits=5,WriteCapacityUnits=5"]
    for node in (east, west):
        r = aws(node, "create-table", *table_args)
        assert r.returncode == 0, r.stderr
    # The seed's own name for the global table is not the tables' name.
    r = aws(east, "create-global-table", "--global-table-name", "woocommerce_global_data",
            "--replication-group", "RegionName=us-east-1", "RegionName=eu-west-1")
    assert r.returncode != 0
    assert "TableNotFoundException" in r.stderr, r.stderr
    assert "woocommerce_global_data" in r.stderr and "name of" in r.stderr, r.stderr

    r = aws(east, "create-global-table", "--global-table-name", "woocommerce_data",
            "--replication-group", "RegionName=us-east-1", "RegionName=eu-west-1")
    assert r.returncode == 0, r.stderr
    created = json.loads(r.stdout)["GlobalTableDescription"]
    assert created["GlobalTableName"] == "woocommerce_data"
    assert created["GlobalTableStatus"] == "ACTIVE"

    r = aws(west, "describe-global-table", "--global-table-name", "woocommerce_data")
    assert r.returncode == 0, r.stderr
    desc = json.loads(r.stdout)["GlobalTableDescription"]
    assert desc["GlobalTableName"] == "woocommerce_data"
    assert desc["GlobalTableStatus"] == "ACTIVE"
    assert desc["GlobalTableArn"].endswith(":global-table/woocommerce_data")
    assert sorted(m["RegionName"] for m in desc["ReplicationGroup"]) == ["eu-west-1", "us-east-1"]
    assert all(m["ReplicaStatus"] == "ACTIVE" for m in desc["ReplicationGroup"])
    assert desc["CreationDateTime"] == created["CreationDateTime"]

    r = aws(west, "describe-global-table", "--global-table-name", "woocommerce_global_data")
    assert r.returncode != 0 and "GlobalTableNotFoundException" in r.stderr

    # And the table replicates: a write in one region shows in the other.
    r = aws(east, "put-item", "--table-name", "woocommerce_data", "--item",
            '{"id": {"S": "order-1"}, "total": {"N": "19.99"}}')
    assert r.returncode == 0, r.stderr
    wait_until(lambda: get(west.client(), "woocommerce_data", "order-1"), timeout=CONVERGE,
               what="order-1 in eu-west-1")


# ---- convergence -------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 3])
def test_puts_updates_deletes_converge(cluster, n):
    c = cluster(n)
    t = make_global(c, unique("conv"))
    clients = [c[r].client() for r in c.regions]
    for i, client in enumerate(clients):
        for k in range(20):
            client.put_item(TableName=t, Item={"id": {"S": f"r{i}-{k}"}, "n": {"N": str(k)},
                                               "tags": {"SS": ["a", f"r{i}"]}})
    common = wait_converged(clients, t)
    assert len(common) == 20 * n

    # Updates and deletes, each issued in a different region from the write.
    for i, client in enumerate(clients):
        other = (i + 1) % n
        for k in range(0, 20, 2):
            client.update_item(TableName=t, Key={"id": {"S": f"r{other}-{k}"}},
                               UpdateExpression="SET n = n + :one, note = :s ADD tags :t",
                               ExpressionAttributeValues={":one": {"N": "1"}, ":s": {"S": "x"},
                                                          ":t": {"SS": ["b"]}})
        for k in range(1, 20, 4):
            client.delete_item(TableName=t, Key={"id": {"S": f"r{other}-{k}"}})
    common = wait_converged(clients, t)
    assert len(common) == 20 * n - 5 * n
    item = common[json.dumps({"S": "r0-4"})]
    assert item["n"] == {"N": "5"} and item["note"] == {"S": "x"}
    assert sorted(item["tags"]["SS"]) == ["a", "b", "r0"]
    assert json.dumps({"S": "r0-1"}) not in common

    # A delete of an item created elsewhere, then re-created: the newest wins.
    clients[0].put_item(TableName=t, Item={"id": {"S": "again"}, "v": {"S": "1"}})
    wait_until(lambda: get(clients[-1], t, "again"), timeout=CONVERGE, what="again")
    clients[-1].delete_item(TableName=t, Key={"id": {"S": "again"}})
    wait_until(lambda: get(clients[0], t, "again") is None, timeout=CONVERGE, what="delete")
    clients[0].put_item(TableName=t, Item={"id": {"S": "again"}, "v": {"S": "2"}})
    common = wait_converged(clients, t)
    assert common[json.dumps({"S": "again"})]["v"] == {"S": "2"}


def test_concurrent_conflicting_writes_converge_identically(cluster):
    c = cluster(3)
    t = make_global(c, unique("lww"))
    clients = [c[r].client() for r in c.regions]
    keys = [f"hot-{k}" for k in range(5)]
    errors = []

    def writer(i):
        client = c[c.regions[i]].client()
        try:
            for round_ in range(30):
                for key in keys:
                    if round_ % 7 == 6 and i == 1:
                        client.delete_item(TableName=t, Key={"id": {"S": key}})
                    else:
                        client.put_item(TableName=t, Item={
                            "id": {"S": key}, "writer": {"S": c.regions[i]},
                            "round": {"N": str(round_)}, f"only_{i}": {"BOOL": True}})
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    common = wait_converged(clients, t)
    # Whole items win, never a mix of two writers' attributes.
    for item in common.values():
        writer_index = c.regions.index(item["writer"]["S"])
        assert set(item) == {"id", "writer", "round", f"only_{writer_index}"}
    # The conflict rule discarded something somewhere.
    discarded = sum(metric_value(metrics(c[r]), "tandem_replication_discarded_total",
                                 source=s) or 0
                    for r in c.regions for s in c.regions if s != r)
    assert discarded > 0


def test_tables_with_data_in_both_regions_merge(cluster):
    c = cluster(2)
    t = unique("merge")
    east, west = c["us-east-1"].client(), c["eu-west-1"].client()
    for client in (east, west):
        create_table(client, t)
    for k in range(30):
        east.put_item(TableName=t, Item={"id": {"S": f"e{k}"}, "from": {"S": "east"}})
        west.put_item(TableName=t, Item={"id": {"S": f"w{k}"}, "from": {"S": "west"}})
    east.put_item(TableName=t, Item={"id": {"S": "both"}, "from": {"S": "east"}})
    west.put_item(TableName=t, Item={"id": {"S": "both"}, "from": {"S": "west"}})  # later
    west.create_global_table(GlobalTableName=t, ReplicationGroup=[
        {"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}])
    common = wait_converged([east, west], t)
    assert len(common) == 61
    assert common[json.dumps({"S": "both"})]["from"] == {"S": "west"}


# ---- faults ------------------------------------------------------------------

class Writer(threading.Thread):
    """Puts unique keys into one region until stopped; records what was acknowledged."""

    def __init__(self, node, table, prefix):
        super().__init__(daemon=True)
        self.client = node.client()
        self.table, self.prefix = table, prefix
        self.acked, self.failures = [], 0
        self.halt = threading.Event()

    def run(self):
        k = 0
        while not self.halt.is_set():
            key = f"{self.prefix}-{k}"
            k += 1
            try:
                self.client.put_item(TableName=self.table,
                                     Item={"id": {"S": key}, "k": {"N": str(k)}})
                self.acked.append(key)
            except Exception:
                self.failures += 1
                if self.failures > 2000:
                    return
                time.sleep(0.01)  # the region is down; the test restarts it

    def stop(self):
        self.halt.set()
        self.join(timeout=30)


def test_sigkill_under_write_load_then_catch_up(cluster):
    c = cluster(2)
    east, west = c["us-east-1"], c["eu-west-1"]
    t = make_global(c, unique("kill"))
    writers = [Writer(east, t, "east"), Writer(west, t, "west")]
    for w in writers:
        w.start()
    wait_until(lambda: all(len(w.acked) >= 100 for w in writers), timeout=30,
               what="writes before the kill")
    east.kill()
    acked_before_kill = len(writers[0].acked)
    wait_until(lambda: writers[0].failures > 0, timeout=10, what="east refusing writes")
    east.restart()
    wait_until(lambda: len(writers[0].acked) >= acked_before_kill + 50, timeout=30,
               what="writes after the restart")
    for w in writers:
        w.stop()
    clients = [east.client(), west.client()]
    common = wait_converged(clients, t, timeout=30)
    for w in writers:
        missing = [k for k in w.acked if json.dumps({"S": k}) not in common]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
    # No full resync: the restarted node shipped from its cursor, so what the
    # peer discarded as already known stays small compared to the table.
    text = metrics(east)
    shipped = metric_value(text, "tandem_replication_shipped_records_total",
                           source="us-east-1", destination="eu-west-1")
    assert shipped is not None and shipped < len(common)


def test_stopped_peer_gets_backlog_after_restart(cluster):
    c = cluster(2)
    east, west = c["us-east-1"], c["eu-west-1"]
    t = make_global(c, unique("backlog"))
    west.stop()
    client = east.client()
    started = time.monotonic()
    for k in range(300):
        client.put_item(TableName=t, Item={"id": {"S": f"k{k}"}, "v": {"N": str(k)}})
    client.delete_item(TableName=t, Key={"id": {"S": "k0"}})
    # Local writes never wait for the down peer.
    assert time.monotonic() - started < 20
    pending = metric_value(metrics(east), "tandem_replication_pending",
                           source="us-east-1", destination="eu-west-1")
    assert pending and pending >= 300
    west.restart()
    common = wait_converged([client, west.client()], t, timeout=30)
    assert len(common) == 299
    wait_until(lambda: metric_value(metrics(east), "tandem_replication_pending",
                                    source="us-east-1", destination="eu-west-1") == 0,
               timeout=CONVERGE, what="backlog drained")


def test_stranded_write_reaches_third_region_through_survivor(cluster):
    c = cluster(3)
    a, b, cc = c["us-east-1"], c["eu-west-1"], c["ap-south-1"]
    t = make_global(c, unique("strand"))
    cc.stop()
    a.client().put_item(TableName=t, Item={"id": {"S": "stranded"}, "v": {"S": "from-a"}})
    wait_until(lambda: get(b.client(), t, "stranded"), timeout=CONVERGE, what="B has it")
    a.kill()
    cc.restart()
    item = wait_until(lambda: get(cc.client(), t, "stranded"), timeout=CONVERGE,
                      what="C gets the write from B")
    assert item["v"] == {"S": "from-a"}
    a.restart()
    wait_converged([a.client(), b.client(), cc.client()], t)


def test_forged_replication_requests_are_refused(cluster):
    c = cluster(2)
    east = c["us-east-1"]
    t = make_global(c, unique("forge"))
    with open(c.secret_file) as f:
        secret = f.read().strip()
    before = metric_value(metrics(east), "tandem_replication_refused_total") or 0
    leave = json.dumps({"op": "SetReplicas", "table": t, "replicas": {}}).encode()
    for path, body in [("/_tandem/control", leave), ("/_tandem/replicate", b"\x00" * 64)]:
        status, text = peer_request(east, path, body, "not-the-cluster-secret-0123456789")
        assert status == 403, text
    # Unsigned.
    conn = http.client.HTTPConnection(east.host, east.port, timeout=10)
    conn.request("POST", "/_tandem/replicate", body=b"{}")
    assert conn.getresponse().status == 403
    conn.close()
    # Nothing applied: the table is still global in both regions.
    assert east.client().describe_global_table(GlobalTableName=t)["GlobalTableDescription"]
    assert c["eu-west-1"].client().describe_global_table(GlobalTableName=t)
    after = metric_value(metrics(east), "tandem_replication_refused_total")
    assert after >= before + 3
    assert "refused" in east.read_log()
    # The right secret is accepted (so the refusals above are about the secret).
    status, text = peer_request(east, "/_tandem/control",
                                json.dumps({"op": "DescribeTable", "table": t}).encode(), secret)
    assert status == 200, text
    # A captured request cannot be replayed.
    date = str(int(time.time() * 1000))
    nonce = os.urandom(16).hex()
    body = json.dumps({"op": "DescribeTable", "table": t}).encode()
    msg = "\n".join(["POST", "/_tandem/control", "eu-west-1", date, nonce,
                     hashlib.sha256(body).hexdigest()])
    headers = {"X-Tandem-Region": "eu-west-1", "X-Tandem-Date": date, "X-Tandem-Nonce": nonce,
               "X-Tandem-Signature": hmac.new(secret.encode(), msg.encode(),
                                              hashlib.sha256).hexdigest()}
    statuses = []
    for _ in range(2):
        conn = http.client.HTTPConnection(east.host, east.port, timeout=10)
        conn.request("POST", "/_tandem/control", body=body, headers=headers)
        statuses.append(conn.getresponse().status)
        conn.close()
    assert statuses == [200, 403]


def test_peer_without_cluster_secret_refuses_to_start():
    data_dir = tempfile.mkdtemp(prefix="tandem-nosecret-")
    r = subprocess.run([TANDEM_BIN, "node", "--region", "us-east-1", "--listen",
                        f"127.0.0.1:{free_port()}", "--data-dir", data_dir,
                        "--peer", "eu-west-1=http://127.0.0.2:8000"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "--cluster-secret" in out and "secret" in out, out


# ---- 2017.11.29 API ----------------------------------------------------------

def test_global_table_api_2017(cluster):
    c = cluster(3)
    a, b, cc = (c[r].client() for r in c.regions)
    t = unique("api")
    for client in (a, b, cc):
        create_table(client, t)
    a.create_global_table(GlobalTableName=t, ReplicationGroup=[
        {"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}])
    code, msg, _ = error_of(b.create_global_table, GlobalTableName=t, ReplicationGroup=[
        {"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}])
    assert code == "GlobalTableAlreadyExistsException"

    listed = b.list_global_tables()["GlobalTables"]
    assert [g["GlobalTableName"] for g in listed] == [t]
    assert sorted(m["RegionName"] for m in listed[0]["ReplicationGroup"]) == [
        "eu-west-1", "us-east-1"]
    assert b.list_global_tables(RegionName="ap-south-1")["GlobalTables"] == []
    code, _, _ = error_of(cc.describe_global_table, GlobalTableName=t)
    assert code == "GlobalTableNotFoundException"

    # Add the third region (from a member other than the creator).
    desc = b.update_global_table(GlobalTableName=t, ReplicaUpdates=[
        {"Create": {"RegionName": "ap-south-1"}}])["GlobalTableDescription"]
    assert sorted(m["RegionName"] for m in desc["ReplicationGroup"]) == [
        "ap-south-1", "eu-west-1", "us-east-1"]
    for client in (a, b, cc):
        group = client.describe_global_table(GlobalTableName=t)["GlobalTableDescription"]
        assert len(group["ReplicationGroup"]) == 3
    code, _, _ = error_of(a.update_global_table, GlobalTableName=t, ReplicaUpdates=[
        {"Create": {"RegionName": "ap-south-1"}}])
    assert code == "ReplicaAlreadyExistsException"
    cc.put_item(TableName=t, Item={"id": {"S": "from-c"}})
    wait_converged([a, b, cc], t)

    # Remove it again; it stops receiving.
    a.update_global_table(GlobalTableName=t, ReplicaUpdates=[
        {"Delete": {"RegionName": "ap-south-1"}}])
    code, _, _ = error_of(a.update_global_table, GlobalTableName=t, ReplicaUpdates=[
        {"Delete": {"RegionName": "ap-south-1"}}])
    assert code == "ReplicaNotFoundException"
    code, _, _ = error_of(cc.describe_global_table, GlobalTableName=t)
    assert code == "GlobalTableNotFoundException"
    a.put_item(TableName=t, Item={"id": {"S": "after-removal"}})
    wait_until(lambda: get(b, t, "after-removal"), timeout=CONVERGE, what="B still replicates")
    assert get(cc, t, "after-removal") is None

    for call, kwargs in [(a.describe_global_table, {"GlobalTableName": "nope_nope"}),
                         (a.update_global_table, {"GlobalTableName": "nope_nope",
                                                  "ReplicaUpdates": [{"Create": {
                                                      "RegionName": "eu-west-1"}}]})]:
        code, _, _ = error_of(call, **kwargs)
        assert code == "GlobalTableNotFoundException"
    # Describing on any member shows the same group.
    da = a.describe_global_table(GlobalTableName=t)["GlobalTableDescription"]
    db = b.describe_global_table(GlobalTableName=t)["GlobalTableDescription"]
    assert da == db

    # Metrics are exported.
    text = metrics(c["us-east-1"])
    for name in ["tandem_replication_pending", "tandem_replication_shipped_bytes_total",
                 "tandem_replication_latency_ms_bucket", "tandem_replication_latency_ms_count",
                 "tandem_replication_discarded_total", "tandem_replication_refused_total"]:
        assert name in text, name
    assert metric_value(text, "tandem_replication_latency_ms_count", source="eu-west-1",
                        destination="us-east-1") is not None


# ---- 2019.11.21 API ----------------------------------------------------------

def replica_states(client, table):
    desc = client.describe_table(TableName=table)["Table"]
    return {r["RegionName"]: r["ReplicaStatus"] for r in desc.get("Replicas", [])}


def test_update_table_replica_updates_2019(cluster):
    c = cluster(3)
    a, b, cc = (c[r].client() for r in c.regions)
    t = unique("v2")
    create_table(a, t, range_key=("sk", "N"), BillingMode="PROVISIONED",
                 ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})
    for k in range(50):
        a.put_item(TableName=t, Item={"id": {"S": f"pre{k}"}, "sk": {"N": str(k)}})
    assert "Replicas" not in a.describe_table(TableName=t)["Table"]

    desc = a.update_table(TableName=t, ReplicaUpdates=[
        {"Create": {"RegionName": "eu-west-1"}}])["TableDescription"]
    assert desc["GlobalTableVersion"] == "2019.11.21"
    assert [r["RegionName"] for r in desc["Replicas"]] == ["eu-west-1"]
    # CREATING while the members backfill it; ACTIVE once they have.
    assert desc["Replicas"][0]["ReplicaStatus"] == "CREATING"
    # The replica table exists in eu-west-1 with the same schema and billing.
    there = b.describe_table(TableName=t)["Table"]
    assert there["KeySchema"] == desc["KeySchema"]
    assert there["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert there["GlobalTableVersion"] == "2019.11.21"
    assert [r["RegionName"] for r in there["Replicas"]] == ["us-east-1"]
    wait_until(lambda: replica_states(a, t) == {"eu-west-1": "ACTIVE"}, timeout=CONVERGE,
               what="replica ACTIVE")
    # Backfilled, and both keep serving and replicating.
    assert len(scan_all(b, t)) == 50
    b.put_item(TableName=t, Item={"id": {"S": "from-b"}, "sk": {"N": "1"}})
    a.put_item(TableName=t, Item={"id": {"S": "from-a"}, "sk": {"N": "1"}})
    wait_converged([a, b], t)

    # A 2019 table is not a 2017 global table.
    code, _, _ = error_of(a.describe_global_table, GlobalTableName=t)
    assert code == "GlobalTableNotFoundException"
    assert a.list_global_tables()["GlobalTables"] == []

    # Errors.
    code, msg, _ = error_of(a.update_table, TableName=t, ReplicaUpdates=[
        {"Create": {"RegionName": "us-east-1"}}])
    assert code == "ValidationException" and "local region" in msg
    code, msg, _ = error_of(a.update_table, TableName=t, ReplicaUpdates=[
        {"Create": {"RegionName": "eu-west-1"}}])
    assert code == "ValidationException" and "already" in msg
    code, msg, _ = error_of(a.update_table, TableName=t, ReplicaUpdates=[
        {"Create": {"RegionName": "sa-east-1"}}])
    assert code == "ValidationException" and "sa-east-1" in msg
    code, msg, _ = error_of(a.update_table, TableName=t, ReplicaUpdates=[
        {"Delete": {"RegionName": "ap-south-1"}}])
    assert code == "ValidationException"
    code, _, _ = error_of(a.update_table, TableName="no_such_table", ReplicaUpdates=[
        {"Create": {"RegionName": "eu-west-1"}}])
    assert code == "ResourceNotFoundException"

    # The third region, added from the second; described from the new one.
    desc = b.update_table(TableName=t, ReplicaUpdates=[
        {"Create": {"RegionName": "ap-south-1"}}])["TableDescription"]
    assert sorted(r["RegionName"] for r in desc["Replicas"]) == ["ap-south-1", "us-east-1"]
    wait_until(lambda: replica_states(cc, t) == {"us-east-1": "ACTIVE", "eu-west-1": "ACTIVE"}
               and replica_states(a, t).get("ap-south-1") == "ACTIVE",
               timeout=CONVERGE, what="third replica ACTIVE")
    common = wait_converged([a, b, cc], t)
    assert len(common) == 52

    # Delete drops the replica and its table there.
    desc = a.update_table(TableName=t, ReplicaUpdates=[
        {"Delete": {"RegionName": "ap-south-1"}}])["TableDescription"]
    assert sorted(r["RegionName"] for r in desc["Replicas"]) == ["eu-west-1"]
    code, _, _ = error_of(cc.describe_table, TableName=t)
    assert code == "ResourceNotFoundException"
    assert replica_states(b, t) == {"us-east-1": "ACTIVE"}
    a.update_table(TableName=t, ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    after = a.describe_table(TableName=t)["Table"]
    assert "Replicas" not in after and "GlobalTableVersion" not in after
    assert "ResourceNotFoundException" == error_of(b.describe_table, TableName=t)[0]
    # Writes stay local now; replication of other tables is not stuck.
    a.put_item(TableName=t, Item={"id": {"S": "alone"}, "sk": {"N": "0"}})
    t2 = make_global(c, unique("v2after"), ["us-east-1", "eu-west-1"])
    a.put_item(TableName=t2, Item={"id": {"S": "x"}})
    wait_until(lambda: get(b, t2, "x"), timeout=CONVERGE, what="other table replicates")


def test_delete_table_of_a_replica_leaves_the_group(cluster):
    c = cluster(2)
    a, b = c["us-east-1"].client(), c["eu-west-1"].client()
    t = unique("drop")
    create_table(a, t)
    a.update_table(TableName=t, ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    b.delete_table(TableName=t)
    assert "Replicas" not in a.describe_table(TableName=t)["Table"]
    # Replication of another table between the two regions still flows.
    t2 = make_global(c, unique("drop2"))
    a.put_item(TableName=t, Item={"id": {"S": "local"}})
    a.put_item(TableName=t2, Item={"id": {"S": "y"}})
    wait_until(lambda: get(b, t2, "y"), timeout=CONVERGE, what="t2 replicates")
