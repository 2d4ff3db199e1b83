"""Fixtures for black-box tests: the real `tandem` binary, real clients.

Every node a test starts listens on loopback on a free port, keeps its data
in a fresh temporary directory and is stopped (SIGTERM, then SIGKILL after a
deadline) when the test ends.
"""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

TANDEM_BIN = os.environ.get(
    "TANDEM_BIN",
    os.path.join(os.path.dirname(__file__), "..", "..", "build", "tandem"))
AWS_CLI = "/usr/bin/aws"  # Debian's awscli (v2)

ACCESS_KEY = "AKIATANDEMTEST000001"
SECRET_KEY = "tandemTestSecretKey/0123456789abcdefghij"


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Polls `predicate` until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Node:
    """A running `tandem node` process. With scheme="https" (the node given
    --tls-cert/--tls-key in extra_args), health checks and clients verify its
    certificate against `ca_file`."""

    ca_file = None

    def __init__(self, region="us-east-1", data_dir=None, credentials=True, port=None,
                 extra_args=(), host="127.0.0.1", scheme="http", ca_file=None):
        self.region = region
        self.host = host
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="tandem-node-")
        self.port = port or free_port(host)
        self.endpoint = f"{scheme}://{host}:{self.port}"
        self.ca_file = ca_file
        self.credentials_file = None
        args = [TANDEM_BIN, "node", "--region", region, "--listen", f"{host}:{self.port}",
                "--data-dir", self.data_dir]
        if credentials:
            self.credentials_file = os.path.join(self.data_dir, "test-credentials")
            with open(self.credentials_file, "w") as f:
                f.write(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                        f"aws_secret_access_key = {SECRET_KEY}\n")
            args += ["--credentials", self.credentials_file]
        args += list(extra_args)
        self.args = args
        self.log_path = os.path.join(self.data_dir, "node.log")
        self._launch()

    def _launch(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self._healthy, timeout=15, what=f"node {self.region} on {self.endpoint}")

    def restart(self):
        """Starts the node again (same flags, data and port) after stop() or kill()."""
        assert self.proc.poll() is not None, "node is still running"
        self._launch()

    @property
    def running(self):
        return self.proc.poll() is None

    def _healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"node exited with {self.proc.returncode}: {self.read_log()}")
        try:
            with urllib.request.urlopen(self.endpoint + "/health", timeout=1,
                                        context=self.ssl_context()) as r:
                return r.status == 200
        except OSError:
            return False

    def ssl_context(self):
        """For urllib/http.client: verifies against ca_file (None: the defaults)."""
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def client(self, validate=True, **kwargs):
        cfg = Config(parameter_validation=validate, retries={"max_attempts": 1})
        return boto3.client("dynamodb", endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id=kwargs.get("key", ACCESS_KEY),
                            aws_secret_access_key=kwargs.get("secret", SECRET_KEY), config=cfg,
                            verify=self.ca_file)

    def resource(self):
        return boto3.resource("dynamodb", endpoint_url=self.endpoint, region_name=self.region,
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                              verify=self.ca_file)

    def cli_env(self):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                    "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                    "AWS_PAGER": ""})
        return env

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.log.closed:
            return self.proc.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def kill(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture
def node():
    n = Node()
    yield n
    n.cleanup()


@pytest.fixture
def ddb(node):
    return node.client()


@pytest.fixture
def raw_ddb(node):
    """A client that sends invalid requests as given (no client-side checks)."""
    return node.client(validate=False)


@pytest.fixture
def start_node():
    """Starts nodes on demand; stops them all at the end of the test."""
    started = []

    def start(**kwargs):
        n = Node(**kwargs)
        started.append(n)
        return n

    yield start
    for n in started:
        n.cleanup()


def create_table(client, name="t", hash_key=("id", "S"), range_key=None, wait=True, **kwargs):
    defs = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    keys = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        defs.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
        keys.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    if "BillingMode" not in kwargs and "ProvisionedThroughput" not in kwargs:
        kwargs["BillingMode"] = "PAY_PER_REQUEST"
    client.create_table(TableName=name, AttributeDefinitions=defs, KeySchema=keys, **kwargs)
    return name


@pytest.fixture(scope="module")
def shared_node():
    """One node for a whole module; tests use unique table names on it."""
    n = Node()
    yield n
    n.cleanup()


@pytest.fixture(scope="module")
def sddb(shared_node):
    return shared_node.client()


@pytest.fixture(scope="module")
def sraw(shared_node):
    return shared_node.client(validate=False)


# ---- Several regions, replicating -------------------------------------------

REGION_HOSTS = [("us-east-1", "127.0.0.1"), ("eu-west-1", "127.0.0.2"),
                ("ap-south-1", "127.0.0.3")]


class Cluster:
    """N regions on 127.0.0.1/.2/.3 (free ports), full mesh of --peer flags and
    one shared --cluster-secret file. Nodes are indexed by region name."""

    def __init__(self, n=2):
        assert 1 <= n <= len(REGION_HOSTS)
        self.dir = tempfile.mkdtemp(prefix="tandem-cluster-")
        self.secret_file = os.path.join(self.dir, "cluster-secret")
        with open(self.secret_file, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        chosen = REGION_HOSTS[:n]
        ports = {region: free_port(host) for region, host in chosen}
        self.urls = {region: f"http://{host}:{ports[region]}" for region, host in chosen}
        self.nodes = {}
        try:
            for region, host in chosen:
                peers = []
                for other, _ in chosen:
                    if other != region:
                        peers += ["--peer", f"{other}={self.urls[other]}"]
                data_dir = os.path.join(self.dir, region)
                os.makedirs(data_dir)
                self.nodes[region] = Node(region=region, host=host, port=ports[region],
                                          data_dir=data_dir,
                                          extra_args=peers + ["--cluster-secret",
                                                              self.secret_file])
        except BaseException:
            self.cleanup()
            raise

    def __getitem__(self, region):
        return self.nodes[region]

    @property
    def regions(self):
        return list(self.nodes)

    def clients(self):
        return {r: n.client() for r, n in self.nodes.items()}

    def cleanup(self):
        for n in self.nodes.values():
            n.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    """Starts clusters on demand: cluster(2) or cluster(3); all stopped at the end."""
    made = []

    def make(n=2):
        c = Cluster(n)
        made.append(c)
        return c

    yield make
    for c in made:
        c.cleanup()
