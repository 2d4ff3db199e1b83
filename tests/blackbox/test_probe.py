"""`tandem probe`, black box: the real binary serving /health in front of a
real node (conftest's Node), queried with plain http.client requests (and
curl when installed), the way Route 53 or a load balancer would.

Faults are real too: a node killed or SIGSTOPped, a TCP server that accepts
and never answers, an app answering 500, a wrong secret. Every wait is a
deadline on an observable condition (wait_until).
"""
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from bbutil import error_of, unique
from conftest import ACCESS_KEY, SECRET_KEY, TANDEM_BIN, create_table, free_port, wait_until

OK_BODY = b'{"status": "ok", "message": "All systems nominal."}'
EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


class Probe:
    """A running `tandem probe` on 127.0.0.1 (free port), stopped at the end."""

    def __init__(self, endpoint, table, credentials=None, args=(), env=None):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="tandem-probe-")
        self.log_path = os.path.join(self.dir, "probe.log")
        cmd = [TANDEM_BIN, "probe", "--listen", f"127.0.0.1:{self.port}", "--endpoint", endpoint,
               "--table", table]
        if credentials:
            cmd += ["--credentials", credentials]
        cmd += list(args)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        wait_until(self._listening, timeout=10, what=f"probe on port {self.port}")

    def _listening(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"probe exited with {self.proc.returncode}: {self.read_log()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def request(self, method="GET", path="/health", timeout=15):
        """(status, headers with lowercase names, body bytes) of one request."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
        finally:
            conn.close()

    def health(self, timeout=15):
        """(status, parsed body) of GET /health."""
        status, _, body = self.request(timeout=timeout)
        return status, json.loads(body)

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"probe ignored signal {sig} for {timeout}s")
        self.log.close()
        return self.proc.returncode

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def start_probe():
    started = []

    def start(*args, **kwargs):
        p = Probe(*args, **kwargs)
        started.append(p)
        return p

    yield start
    for p in started:
        if not p.log.closed:
            p.cleanup()


def probe_for(start_probe, node, table, **kwargs):
    return start_probe(node.endpoint, table, credentials=node.credentials_file, **kwargs)


def table_on(node, **kwargs):
    return create_table(node.client(), unique("probe"), **kwargs)


class App:
    """An HTTP app on 127.0.0.1 answering every GET with `status`."""

    def __init__(self, status=200):
        self.status = status
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"app says %d\n" % app.status
                self.send_response(app.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ready"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app():
    a = App()
    yield a
    a.close()


class SilentServer:
    """Accepts TCP connections and never answers; counts them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for c in self.accepted:
            c.close()


@pytest.fixture
def silent():
    s = SilentServer()
    yield s
    s.close()


# ---- healthy ---------------------------------------------------------------------

def test_healthy_table_answers_the_seed_body_exactly(node, start_probe):
    probe = probe_for(start_probe, node, table_on(node))
    status, headers, body = probe.request()
    assert (status, body) == (200, OK_BODY)
    assert headers["content-type"] == "application/json"
    # HEAD: the same status and length, no body.
    status, headers, body = probe.request("HEAD")
    assert (status, body) == (200, b"")
    assert headers["content-length"] == str(len(OK_BODY))
    # Route 53 may add a query string; other paths and methods are refused.
    assert probe.request(path="/health?probe=1")[0] == 200
    assert probe.request(path="/")[0] == 404
    assert probe.request(path="/status")[0] == 404
    status, headers, _ = probe.request("POST")
    assert status == 405 and headers["allow"] == "GET, HEAD"


def test_curl_sees_the_same(node, start_probe):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    probe = probe_for(start_probe, node, table_on(node))
    url = f"http://127.0.0.1:{probe.port}/health"
    out = subprocess.run([curl, "-s", "-w", "\n%{http_code}", url], capture_output=True,
                         timeout=30)
    body, code = out.stdout.rsplit(b"\n", 1)
    assert (code, body) == (b"200", OK_BODY)


def test_keep_alive_connection_serves_many_checks(node, start_probe):
    probe = probe_for(start_probe, node, table_on(node))
    conn = http.client.HTTPConnection("127.0.0.1", probe.port, timeout=15)
    try:
        for _ in range(5):
            conn.request("GET", "/health")
            resp = conn.getresponse()
            assert (resp.status, resp.read()) == (200, OK_BODY)
    finally:
        conn.close()


def node_operations(node):
    """Successful DynamoDB requests the node has served, by operation."""
    with urllib.request.urlopen(node.endpoint + "/metrics", timeout=5) as r:
        text = r.read().decode()
    pattern = r'tandem_requests_total\{operation="(\w+)",outcome="success"\} (\d+)'
    return {op: int(n) for op, n in re.findall(pattern, text)}


def test_a_check_scans_writes_reads_back_and_deletes(node, start_probe):
    probe = probe_for(start_probe, node, table_on(node))
    assert probe.request()[0] == 200  # the key schema is known from here on
    before = node_operations(node)
    assert probe.request()[0] == 200
    after = node_operations(node)
    done = {op: n - before.get(op, 0) for op, n in after.items() if n != before.get(op, 0)}
    assert done == {"Scan": 1, "PutItem": 1, "GetItem": 1, "DeleteItem": 1}


@pytest.mark.parametrize("hash_key,range_key", [
    (("id", "S"), None),
    (("n", "N"), ("b", "B")),
    (("pk", "B"), ("sk", "S")),
])
def test_canary_does_not_remain(node, start_probe, hash_key, range_key):
    ddb = node.client()
    table = table_on(node, hash_key=hash_key, range_key=range_key)
    value = {"S": "app-item", "N": "42", "B": b"app"}
    item = {hash_key[0]: {hash_key[1]: value[hash_key[1]]}}
    if range_key:
        item[range_key[0]] = {range_key[1]: value[range_key[1]]}
    ddb.put_item(TableName=table, Item=item)
    probe = probe_for(start_probe, node, table)
    for _ in range(3):
        assert probe.request()[::2] == (200, OK_BODY)
    items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
    assert items == [item], "only the application's item remains"


def test_credentials_from_the_environment(node, start_probe):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)
    probe = start_probe(node.endpoint, table_on(node), env=env)
    assert probe.request()[::2] == (200, OK_BODY)


def test_app_healthy(node, start_probe, app):
    probe = probe_for(start_probe, node, table_on(node), args=["--app", app.url])
    assert probe.request()[::2] == (200, OK_BODY)


# ---- failures --------------------------------------------------------------------

def test_missing_table_reports_dynamodbs_message(node, start_probe):
    missing = unique("missing")
    _, message, _ = error_of(node.client().scan, TableName=missing, Limit=1)
    probe = probe_for(start_probe, node, missing)
    assert probe.health() == (503, {"status": "error",
                                    "message": f"DynamoDB connection failed: {message}"})


def test_killed_node_fails_fast(node, start_probe):
    probe = probe_for(start_probe, node, table_on(node))
    assert probe.health()[0] == 200
    node.kill()
    start = time.monotonic()
    status, body = probe.health()
    assert time.monotonic() - start < 1.0
    assert status == 503
    assert body["message"] == (f"DynamoDB connection failed: cannot connect to "
                               f"127.0.0.1:{node.port}: Connection refused")


def test_stopped_node_fails_within_the_timeout(node, start_probe):
    probe = probe_for(start_probe, node, table_on(node), args=["--timeout", "1"])
    assert probe.health()[0] == 200
    os.kill(node.proc.pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        status, body = probe.health()
        took = time.monotonic() - start
        assert status == 503
        assert body["message"] == "DynamoDB connection failed: Scan timed out after 1s"
        assert took < 1.0 + 1.0, took
    finally:
        os.kill(node.proc.pid, signal.SIGCONT)
    # Back to healthy once the node runs again.
    wait_until(lambda: probe.health()[0] == 200, timeout=10, what="healthy again")


def test_silent_server_is_a_failure_not_a_hang(start_probe, silent, tmp_path):
    creds = tmp_path / "creds"
    creds.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                     f"aws_secret_access_key = {SECRET_KEY}\n")
    probe = start_probe(f"http://127.0.0.1:{silent.port}", "orders", credentials=str(creds),
                        args=["--timeout", "500ms"])
    start = time.monotonic()
    assert probe.health() == (503, {"status": "error", "message":
                                    "DynamoDB connection failed: Scan timed out after 0.5s"})
    assert time.monotonic() - start < 1.5


def test_concurrent_requests_share_one_check(start_probe, silent, tmp_path):
    creds = tmp_path / "creds"
    creds.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                     f"aws_secret_access_key = {SECRET_KEY}\n")
    probe = start_probe(f"http://127.0.0.1:{silent.port}", "orders", credentials=str(creds),
                        args=["--timeout", "1"])
    # The check the probe makes at start-up connects once and then hangs.
    wait_until(lambda: len(silent.accepted) >= 1, timeout=5, what="the first check")
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(lambda _: probe.health(timeout=10), range(40)))
    took = time.monotonic() - start
    assert all(r[0] == 503 for r in results)
    # Each check opens one connection: 40 requests cost at most a check
    # in progress plus one more, not 40.
    assert len(silent.accepted) <= 3, len(silent.accepted)
    assert took < 2 * 1.0 + 1.0, took


def test_app_answering_500_names_the_app(node, start_probe, app):
    app.status = 500
    probe = probe_for(start_probe, node, table_on(node), args=["--app", app.url])
    assert probe.health() == (503, {"status": "error",
                                    "message": f"App check failed: GET {app.url} returned 500"})
    app.status = 204
    assert probe.health()[0] == 200


def test_app_down(node, start_probe):
    url = f"http://127.0.0.1:{free_port()}/"
    probe = probe_for(start_probe, node, table_on(node), args=["--app", url])
    status, body = probe.health()
    assert status == 503
    assert body["message"].startswith(f"App check failed: GET {url}: cannot connect to ")
    assert body["message"].endswith("Connection refused")


def test_wrong_secret_reports_the_signature_error(node, start_probe, tmp_path):
    creds = tmp_path / "creds"
    creds.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                     f"aws_secret_access_key = wrong{SECRET_KEY}\n")
    code, message, _ = error_of(node.client(secret="wrong" + SECRET_KEY).scan,
                                TableName="orders", Limit=1)
    assert code == "InvalidSignatureException"
    probe = start_probe(node.endpoint, table_on(node), credentials=str(creds))
    status, body = probe.health()
    assert status == 503
    # The node's message goes on to show the canonical request it computed,
    # which differs between clients; its first sentence does not.
    first = message.split(".")[0]
    assert body["message"].startswith(f"DynamoDB connection failed: {first}."), body


def test_unknown_key_reports_dynamodbs_message(node, start_probe, tmp_path):
    creds = tmp_path / "creds"
    creds.write_text("[default]\naws_access_key_id = AKIAUNKNOWN000000000\n"
                     f"aws_secret_access_key = {SECRET_KEY}\n")
    code, message, _ = error_of(node.client(key="AKIAUNKNOWN000000000").scan,
                                TableName="orders", Limit=1)
    assert code == "UnrecognizedClientException"
    probe = start_probe(node.endpoint, table_on(node), credentials=str(creds))
    assert probe.health() == (503, {"status": "error",
                                    "message": f"DynamoDB connection failed: {message}"})


def test_state_changes_are_logged(node, start_probe):
    ddb = node.client()
    table = table_on(node)
    probe = probe_for(start_probe, node, table)
    assert probe.health()[0] == 200
    ddb.delete_table(TableName=table)
    wait_until(lambda: probe.health()[0] == 503, timeout=10, what="the probe to notice")
    create_table(ddb, table)
    wait_until(lambda: probe.health()[0] == 200, timeout=10, what="the probe to recover")
    log = probe.read_log()
    first = log.index("health: first check ok")
    down = log.index("health: ok -> error: DynamoDB connection failed: ")
    up = log.index("health: error -> ok")
    assert first < down < up, log


# ---- the process -------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly_even_mid_check(start_probe, silent, tmp_path, sig):
    creds = tmp_path / "creds"
    creds.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                     f"aws_secret_access_key = {SECRET_KEY}\n")
    probe = start_probe(f"http://127.0.0.1:{silent.port}", "orders", credentials=str(creds),
                        args=["--timeout", "30"])
    wait_until(lambda: len(silent.accepted) >= 1, timeout=5, what="a check in progress")
    start = time.monotonic()
    assert probe.stop(sig) == 0
    assert time.monotonic() - start < 5
    assert "stopping" in probe.read_log()


@pytest.mark.parametrize("flags,message", [
    ({"--endpoint": "127.0.0.1:8000"}, "--endpoint: invalid URL '127.0.0.1:8000'"),
    ({"--endpoint": "http://[::1:8000"}, "--endpoint: invalid URL"),
    ({"--app": "ftp://x/"}, "--app: invalid URL 'ftp://x/'"),
    ({"--credentials": "/nonexistent/creds"}, "/nonexistent/creds: cannot open"),
    ({"--listen": "localhost:1"}, "invalid listen address 'localhost:1'"),
    ({"--timeout": "0"}, "--timeout: invalid duration '0'"),
    ({"--ca": "/nonexistent/ca.pem"}, "cannot load CA certificates from /nonexistent/ca.pem"),
    ({"--ca": "/nonexistent/ca.pem", "--insecure": None}, "--ca and --insecure"),
])
def test_bad_flags_exit_with_a_clear_message(tmp_path, flags, message):
    creds = tmp_path / "creds"
    creds.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                     f"aws_secret_access_key = {SECRET_KEY}\n")
    given = {"--listen": f"127.0.0.1:{free_port()}", "--endpoint": "http://127.0.0.1:1",
             "--table": "orders", "--credentials": str(creds)}
    given.update(flags)
    cmd = [TANDEM_BIN, "probe"]
    for name, value in given.items():
        cmd += [name] if value is None else [name, value]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r
    assert message in r.stderr, r.stderr


def test_no_credentials_at_all(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    r = subprocess.run([TANDEM_BIN, "probe", "--listen", f"127.0.0.1:{free_port()}",
                        "--endpoint", "http://127.0.0.1:1", "--table", "orders"],
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 2
    assert "give --credentials FILE or set AWS_ACCESS_KEY_ID" in r.stderr


def test_busy_port_exits_1(tmp_path):
    creds = tmp_path / "creds"
    creds.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                     f"aws_secret_access_key = {SECRET_KEY}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = subprocess.run([TANDEM_BIN, "probe", "--listen", f"127.0.0.1:{port}",
                            "--endpoint", "http://127.0.0.1:1", "--table", "orders",
                            "--credentials", str(creds)],
                           capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr


# ---- https -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("probe-pki"))
    r = subprocess.run(["sh", os.path.join(EXAMPLES, "make-certs.sh"), d,
                        "us-east-1=IP:127.0.0.1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return d


@pytest.fixture
def https_node(start_node, certs):
    return start_node(scheme="https", ca_file=os.path.join(certs, "ca.pem"),
                      extra_args=["--tls-cert", os.path.join(certs, "us-east-1.pem"),
                                  "--tls-key", os.path.join(certs, "us-east-1.key")])


def test_https_endpoint_verified_with_ca(https_node, start_probe, certs):
    table = table_on(https_node)
    ca = os.path.join(certs, "ca.pem")
    verified = probe_for(start_probe, https_node, table, args=["--ca", ca])
    assert verified.request()[::2] == (200, OK_BODY)
    # The system's CAs do not know this private CA.
    default = probe_for(start_probe, https_node, table)
    status, body = default.health()
    assert status == 503
    assert body["message"].startswith("DynamoDB connection failed: TLS handshake with 127.0.0.1:")
    assert "certificate verify failed" in body["message"]
    insecure = probe_for(start_probe, https_node, table, args=["--insecure"])
    assert insecure.request()[::2] == (200, OK_BODY)
