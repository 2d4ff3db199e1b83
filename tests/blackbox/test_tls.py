"""TLS, black box: nodes serving HTTPS with certificates from a throwaway CA
made with the openssl CLI (examples/make-certs.sh), driven with boto3 and the
AWS CLI, replicating to https:// peers verified against that CA.

Every wait is a deadline on an observable condition (wait_until).
"""
import configparser
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from bbutil import unique
from conftest import AWS_CLI, TANDEM_BIN, Node, create_table, free_port, wait_until

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
MAKE_CERTS = os.path.join(EXAMPLES, "make-certs.sh")
CONVERGE = 15  # seconds
HANDSHAKE_TIMEOUT = 10  # seconds: ServerOptions::tls_handshake_timeout
EAST, WEST = ("us-east-1", "127.0.0.1"), ("eu-west-1", "127.0.0.2")


class Pki:
    """A CA with certificates for us-east-1 (IP:127.0.0.1) and eu-west-1
    (IP:127.0.0.2), and a second, unrelated CA with its own eu-west-1
    certificate: an impostor at the peer's address."""

    def __init__(self, root):
        self.dir = os.path.join(root, "tls")
        self.rogue_dir = os.path.join(root, "rogue")
        for d, regions in [(self.dir, ["us-east-1=IP:127.0.0.1", "eu-west-1=IP:127.0.0.2"]),
                           (self.rogue_dir, ["eu-west-1=IP:127.0.0.2"])]:
            r = subprocess.run(["sh", MAKE_CERTS, d, *regions], capture_output=True, text=True,
                               timeout=60)
            assert r.returncode == 0, r.stderr
        self.ca = os.path.join(self.dir, "ca.pem")
        self.rogue_ca = os.path.join(self.rogue_dir, "ca.pem")

    def cert(self, region, rogue=False):
        return os.path.join(self.rogue_dir if rogue else self.dir, region + ".pem")

    def key(self, region, rogue=False):
        return os.path.join(self.rogue_dir if rogue else self.dir, region + ".key")

    def flags(self, region, rogue=False):
        return ["--tls-cert", self.cert(region, rogue), "--tls-key", self.key(region, rogue)]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "cluster-secret"
    path.write_text(os.urandom(32).hex() + "\n")
    return str(path)


def https_node(start_node, pki, region="us-east-1", host="127.0.0.1", rogue=False, extra=(),
               **kwargs):
    return start_node(region=region, host=host, scheme="https",
                      ca_file=pki.rogue_ca if rogue else pki.ca,
                      extra_args=pki.flags(region, rogue) + list(extra), **kwargs)


def get_url(node, path):
    with urllib.request.urlopen(node.endpoint + path, timeout=5,
                                context=node.ssl_context()) as r:
        return r.status, r.read().decode()


def get(client, table, key):
    return client.get_item(TableName=table, Key={"id": {"S": key}},
                           ConsistentRead=True).get("Item")


def scan_ids(client, table):
    items, kwargs = {}, {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.update({item["id"]["S"]: item for item in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def wait_converged(clients, table, count):
    def check():
        scans = [scan_ids(c, table) for c in clients]
        return len(scans[0]) == count and all(s == scans[0] for s in scans[1:])
    wait_until(check, timeout=CONVERGE, interval=0.05, what=f"{table} to converge")


def make_global(nodes, table):
    for n in nodes:
        create_table(n.client(), table)
    nodes[0].client().create_global_table(
        GlobalTableName=table, ReplicationGroup=[{"RegionName": n.region} for n in nodes])
    return table


def pending(node, source, destination):
    _, text = get_url(node, "/metrics")
    want = f'tandem_replication_pending{{source="{source}",destination="{destination}"}} '
    for line in text.splitlines():
        if line.startswith(want):
            return float(line.rsplit(" ", 1)[1])
    return None


def tls_pair(start_node, pki, secret_file):
    """us-east-1 on 127.0.0.1 and eu-west-1 on 127.0.0.2, both serving TLS,
    each the other's https:// peer, both verifying peers against the CA."""
    ports = {EAST[0]: free_port(EAST[1]), WEST[0]: free_port(WEST[1])}
    url = {r: f"https://{h}:{ports[r]}" for r, h in (EAST, WEST)}
    nodes = []
    for (region, host), (other, _) in [(EAST, WEST), (WEST, EAST)]:
        nodes.append(https_node(
            start_node, pki, region, host, port=ports[region],
            extra=["--peer", f"{other}={url[other]}", "--peer-ca", pki.ca,
                   "--cluster-secret", secret_file]))
    return nodes


# ---- clients over HTTPS ---------------------------------------------------------

@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated")
def test_boto3_and_health_over_https(start_node, pki):
    node = https_node(start_node, pki)
    assert node.endpoint.startswith("https://")
    assert f"serving the DynamoDB API on https://127.0.0.1:{node.port}" in node.read_log()
    client = node.client()
    create_table(client, "orders")
    client.put_item(TableName="orders", Item={"id": {"S": "o-1"}, "total": {"N": "19.99"}})
    assert get(client, "orders", "o-1") == {"id": {"S": "o-1"}, "total": {"N": "19.99"}}
    status, body = get_url(node, "/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, body = get_url(node, "/metrics")
    assert status == 200 and "tandem_" in body
    # Many requests over one keep-alive connection.
    conn = http.client.HTTPSConnection(node.host, node.port, timeout=5,
                                       context=node.ssl_context())
    for _ in range(20):
        conn.request("GET", "/health")
        r = conn.getresponse()
        assert r.status == 200 and r.read()
    conn.close()
    # Only TLS 1.2 and newer: a client offering at most TLS 1.1 is refused.
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(pki.ca)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError, match="(?i)protocol version"):
        with socket.create_connection((node.host, node.port), timeout=5) as raw:
            with old.wrap_socket(raw, server_hostname=node.host):
                pass
    # A client that does not trust the CA refuses the node.
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(node.endpoint + "/health", timeout=5)


def test_aws_cli_with_ca_bundle(start_node, pki):
    node = https_node(start_node, pki)
    create_table(node.client(), "via_cli")
    base = [AWS_CLI, "dynamodb", "list-tables", "--region", node.region, "--endpoint-url",
            node.endpoint, "--output", "json"]
    r = subprocess.run(base + ["--ca-bundle", pki.ca], env=node.cli_env(), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["TableNames"] == ["via_cli"]
    # Without the CA bundle the CLI refuses the certificate.
    r = subprocess.run(base + ["--cli-read-timeout", "5", "--cli-connect-timeout", "5"],
                       env=node.cli_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "SSL" in r.stderr, r.stderr


# ---- replication over TLS ---------------------------------------------------------

def test_global_table_replicates_both_ways_over_tls(start_node, pki, secret_file):
    east, west = tls_pair(start_node, pki, secret_file)
    t = make_global([east, west], unique("tls"))
    a, b = east.client(), west.client()
    for k in range(10):
        a.put_item(TableName=t, Item={"id": {"S": f"east-{k}"}, "k": {"N": str(k)}})
        b.put_item(TableName=t, Item={"id": {"S": f"west-{k}"}, "k": {"N": str(k)}})
    b.delete_item(TableName=t, Key={"id": {"S": "east-0"}})
    a.update_item(TableName=t, Key={"id": {"S": "west-1"}}, UpdateExpression="SET n = :n",
                  ExpressionAttributeValues={":n": {"S": "x"}})
    wait_converged([a, b], t, 19)
    assert get(a, t, "west-1")["n"] == {"S": "x"}
    desc = b.describe_global_table(GlobalTableName=t)["GlobalTableDescription"]
    assert sorted(m["RegionName"] for m in desc["ReplicationGroup"]) == ["eu-west-1", "us-east-1"]
    for node, other in ((east, west), (west, east)):
        log = node.read_log()
        assert "certificate verify failed" not in log and "not encrypted" not in log
        assert f"peer {other.region} at {other.endpoint}" in log, log


def test_peer_with_certificate_from_another_ca_is_refused(start_node, pki, secret_file):
    east, west = tls_pair(start_node, pki, secret_file)
    t = make_global([east, west], unique("rogue"))
    a = east.client()
    a.put_item(TableName=t, Item={"id": {"S": "before"}})
    wait_until(lambda: get(west.client(), t, "before"), timeout=CONVERGE, what="before in west")

    # An impostor takes eu-west-1's address: same data and secret, but its
    # certificate is signed by a CA the cluster does not trust.
    west.stop()
    data_dir, port = west.data_dir, west.port
    west.owns_dir = False
    impostor = https_node(start_node, pki, "eu-west-1", "127.0.0.2", rogue=True, port=port,
                          data_dir=data_dir,
                          extra=["--peer", f"us-east-1={east.endpoint}", "--peer-ca", pki.ca,
                                 "--cluster-secret", secret_file])
    impostor.owns_dir = True
    a.put_item(TableName=t, Item={"id": {"S": "after"}})
    wait_until(lambda: "certificate verify failed" in east.read_log(), timeout=CONVERGE,
               what="us-east-1 to log the certificate verification error")
    assert re.search(r"replication to eu-west-1 failed.*certificate verify failed",
                     east.read_log()), east.read_log()
    assert get(impostor.client(), t, "after") is None
    assert pending(east, "us-east-1", "eu-west-1") >= 1
    # Control calls to the impostor are refused the same way.
    t2 = unique("rogue2")
    create_table(a, t2)
    create_table(impostor.client(), t2)
    with pytest.raises(a.exceptions.InternalServerError, match="certificate verify failed"):
        a.create_global_table(GlobalTableName=t2, ReplicationGroup=[
            {"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}])
    # us-east-1 stays up and serving.
    assert east.running and east._healthy()
    a.put_item(TableName=t, Item={"id": {"S": "still-serving"}})
    assert get(impostor.client(), t, "after") is None

    # The real eu-west-1 comes back: the backlog arrives.
    impostor.stop()
    impostor.owns_dir = False
    real = https_node(start_node, pki, "eu-west-1", "127.0.0.2", port=port, data_dir=data_dir,
                      extra=["--peer", f"us-east-1={east.endpoint}", "--peer-ca", pki.ca,
                             "--cluster-secret", secret_file])
    real.owns_dir = True
    wait_until(lambda: get(real.client(), t, "still-serving"), timeout=CONVERGE,
               what="backlog delivered to the real eu-west-1")
    assert get(real.client(), t, "after")


# ---- what is not TLS gets nothing -------------------------------------------------

def test_plain_http_and_silent_clients_get_no_service(start_node, pki):
    node = https_node(start_node, pki)
    conn = http.client.HTTPConnection(node.host, node.port, timeout=5)
    with pytest.raises((http.client.HTTPException, OSError)):
        conn.request("GET", "/health")
        conn.getresponse()
    conn.close()
    with socket.create_connection((node.host, node.port), timeout=5) as s:
        s.sendall(b"\x00garbage\r\n\r\n" * 100)
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        assert b"HTTP/" not in data

    # A client that connects and never says anything is dropped after the
    # handshake timeout; others are served meanwhile.
    silent = socket.create_connection((node.host, node.port), timeout=HANDSHAKE_TIMEOUT + 15)
    started = time.monotonic()
    client = node.client()
    create_table(client, "meanwhile")
    assert client.list_tables()["TableNames"] == ["meanwhile"]
    try:
        closed = silent.recv(1) == b""
    except ConnectionResetError:
        closed = True
    finally:
        silent.close()
    assert closed
    assert HANDSHAKE_TIMEOUT - 1 <= time.monotonic() - started < HANDSHAKE_TIMEOUT + 10
    assert node.running and node._healthy()


def test_plain_peer_beyond_loopback_is_warned_about(start_node, secret_file):
    node = start_node(extra_args=["--peer", "eu-west-1=http://peer.invalid:8000",
                                  "--peer", "ap-south-1=http://127.0.0.3:8000",
                                  "--cluster-secret", secret_file])
    log = node.read_log()
    assert "replication to eu-west-1 is not encrypted" in log, log
    assert "replication to ap-south-1 is not encrypted" not in log


# ---- refusing to start ---------------------------------------------------------

def run_node(*args, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    return subprocess.run([TANDEM_BIN, "node", "--region", "us-east-1", "--listen",
                           f"127.0.0.1:{free_port()}", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=30)


def test_mismatched_key_and_certificate_refuse_to_start(pki, tmp_path):
    r = run_node("--tls-cert", pki.cert("us-east-1"), "--tls-key", pki.key("eu-west-1"),
                 tmp_path=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "does not match" in out and pki.key("eu-west-1") in out, out
    assert pki.cert("us-east-1") in out


@pytest.mark.parametrize("given,missing", [("--tls-cert", "--tls-key"),
                                           ("--tls-key", "--tls-cert")])
def test_one_tls_flag_alone_refuses_to_start(pki, tmp_path, given, missing):
    path = pki.cert("us-east-1") if given == "--tls-cert" else pki.key("us-east-1")
    r = run_node(given, path, tmp_path=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert f"{given} was given without {missing}" in out, out


def test_unreadable_or_wrong_files_are_named(pki, tmp_path):
    missing = str(tmp_path / "no-such.pem")
    r = run_node("--tls-cert", missing, "--tls-key", pki.key("us-east-1"), tmp_path=tmp_path)
    assert r.returncode != 0
    assert f"cannot read TLS certificate file {missing}" in r.stdout + r.stderr
    # The key where the certificate belongs.
    r = run_node("--tls-cert", pki.key("us-east-1"), "--tls-key", pki.key("us-east-1"),
                 tmp_path=tmp_path)
    assert r.returncode != 0
    assert f"certificate chain from {pki.key('us-east-1')}" in r.stdout + r.stderr


def test_unusable_peer_ca_refuses_to_start(pki, tmp_path):
    r = run_node("--peer-ca", pki.key("us-east-1"), tmp_path=tmp_path)
    assert r.returncode != 0
    assert f"cannot load the peer CA file {pki.key('us-east-1')}" in r.stdout + r.stderr


def test_half_tls_entry_in_config_refuses_to_start(pki, tmp_path):
    config = tmp_path / "t.toml"
    config.write_text(f'[[node]]\nregion = "us-east-1"\nlisten = "127.0.0.1:{free_port()}"\n'
                      f'data_dir = "data"\ntls_cert = "{pki.cert("us-east-1")}"\n')
    r = subprocess.run([TANDEM_BIN, "node", "--config", str(config), "--region", "us-east-1"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "tls_cert and tls_key go together" in r.stdout + r.stderr


# ---- the deployment file ---------------------------------------------------------

class ConfigNode(Node):
    """A node started from the deployment file alone (--config, --region), with
    the key pair it generated in its data directory."""

    def __init__(self, config, region, host, port, data_dir, ca_file, extra_args=()):
        self.region, self.host, self.port = region, host, port
        self.owns_dir = False
        self.data_dir = data_dir
        os.makedirs(data_dir, exist_ok=True)
        self.endpoint = f"https://{host}:{port}"
        self.ca_file = ca_file
        self.credentials_file = os.path.join(data_dir, "credentials")
        self.args = [TANDEM_BIN, "node", "--config", config, "--region", region, *extra_args]
        self.log_path = os.path.join(data_dir, "node.log")
        self._launch()

    def client(self, validate=True, **kwargs):
        creds = configparser.ConfigParser()
        creds.read(self.credentials_file)
        return super().client(validate, key=creds["default"]["aws_access_key_id"],
                              secret=creds["default"]["aws_secret_access_key"])


def test_tls_from_the_example_deployment_file(tmp_path):
    # examples/two-regions-tls.toml as shipped, on free ports.
    with open(os.path.join(EXAMPLES, "two-regions-tls.toml")) as f:
        text = f.read()
    ports = {EAST[0]: free_port(EAST[1]), WEST[0]: free_port(WEST[1])}
    for region, host in (EAST, WEST):
        assert f'listen = "{host}:8443"' in text
        text = text.replace(f"{host}:8443", f"{host}:{ports[region]}")
    # us-east-1's ready_lag comes from the file; eu-west-1 has none (default).
    assert "ready_lag = 100 " in text
    text = text.replace("ready_lag = 100 ", "ready_lag = 250 ")
    config = tmp_path / "two-regions-tls.toml"
    config.write_text(text)
    r = subprocess.run(["sh", MAKE_CERTS, str(tmp_path / "tls")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    (tmp_path / "secret").write_text(os.urandom(32).hex() + "\n")
    ca = str(tmp_path / "tls" / "ca.pem")
    nodes = []
    try:
        for region, host in (EAST, WEST):
            nodes.append(ConfigNode(str(config), region, host, ports[region],
                                    str(tmp_path / "data-tls" / region), ca))
        east, west = nodes
        for n, other in ((east, west), (west, east)):
            log = n.read_log()
            assert f"serving the DynamoDB API on https://{n.host}:{n.port}" in log, log
            assert f"peer {other.region} at https://{other.host}:{other.port}" in log, log
            assert "not encrypted" not in log
        assert "fewer than 250 records" in east.read_log()
        assert "fewer than 100 records" in west.read_log()
        t = make_global(nodes, unique("toml"))
        east.client().put_item(TableName=t, Item={"id": {"S": "from-east"}})
        west.client().put_item(TableName=t, Item={"id": {"S": "from-west"}})
        wait_converged([east.client(), west.client()], t, 2)

        # Flags override the file.
        west.stop()
        west.args += ["--ready-lag", "7"]
        west.restart()
        assert "fewer than 7 records" in west.read_log()
        west.client().put_item(TableName=t, Item={"id": {"S": "after-restart"}})
        wait_converged([east.client(), west.client()], t, 3)
    finally:
        for n in nodes:
            n.stop()
        shutil.rmtree(tmp_path / "data-tls", ignore_errors=True)
