"""Helpers for `tandem dns` black-box tests: a deployment file written per
test, the real `tandem dns` processes, controllable HTTP health endpoints,
and queries with dnspython and dig.
"""
import http.server
import os
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from conftest import TANDEM_BIN, free_port, wait_until

ZONE = """$ORIGIN shop.example.
$TTL 300
@       IN SOA  ns1.shop.example. hostmaster.shop.example. 2026112601 3600 600 86400 60
@       IN NS   ns1.shop.example.
ns1     IN A    127.0.0.1
@       IN MX   10 mail.shop.example.
mail    IN A    192.0.2.25
@       IN TXT  "v=spf1 mx -all"
shop    IN CNAME www.shop.example.
alias   IN CNAME mail.shop.example.
static  IN A    192.0.2.10
"""


class Endpoint:
    """A region's /health endpoint on loopback: `mode` is "ok" (200 "ok"),
    "fail" (503), "flap" (alternates ok and fail on every request), or the
    server is stopped (connection refused). Connections from an address in
    `cut_off` are dropped unanswered (that checker is cut off from it)."""

    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.port = free_port(host)
        self.mode = "ok"
        self.requests = 0
        self.cut_off = set()
        self._server = None
        self.start()

    def start(self):
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                endpoint.requests += 1
                mode = endpoint.mode
                if mode == "flap":
                    mode = "ok" if endpoint.requests % 2 else "fail"
                body = b'{"status": "ok"}' if mode == "ok" else b'{"status": "error"}'
                self.send_response(200 if mode == "ok" else 503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True

            def verify_request(self, request, client_address):
                return client_address[0] not in endpoint.cut_off

        self._server = Server((self.host, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class Deployment:
    """A deployment file in a temporary directory, with `servers` DNS
    instances on 127.0.0.x and health checks of the given endpoints."""

    def __init__(self, endpoints, servers=1, interval="200ms", timeout="150ms", threshold=3,
                 record=None, zone=ZONE, extra="", probe_sources=False):
        self.dir = tempfile.mkdtemp(prefix="tandem-dns-")
        with open(os.path.join(self.dir, "secret"), "w") as f:
            f.write(os.urandom(32).hex())
        with open(os.path.join(self.dir, "shop.example.zone"), "w") as f:
            f.write(zone)
        self.servers = []
        text = '[cluster]\nsecret_file = "secret"\n\n'
        for i in range(servers):
            host = f"127.0.0.{i + 1}"
            s = {"name": f"ns{i + 1}", "host": host, "port": free_port(host),
                 "admin": free_port(host)}
            self.servers.append(s)
            text += (f'[[dns.server]]\nname = "{s["name"]}"\nlisten = "{host}:{s["port"]}"\n'
                     f'admin = "{host}:{s["admin"]}"\n')
            if probe_sources:
                text += f'probe_source = "{host}"\n'
            text += "\n"
        text += '[[dns.zone]]\norigin = "shop.example."\nfile = "shop.example.zone"\n\n'
        for name, ep in endpoints.items():
            text += (f'[[health_check]]\nname = "{name}"\ntype = "HTTP_STR_MATCH"\n'
                     f'ip = "{ep.host}"\nport = {ep.port}\npath = "/health"\n'
                     f'search_string = "ok"\ninterval = "{interval}"\ntimeout = "{timeout}"\n'
                     f'failure_threshold = {threshold}\n\n')
        if record is None:
            record = ('[[record]]\nname = "www.shop.example."\ntype = "A"\nttl = 5\n'
                      'routing = "failover"\nanswers = [\n'
                      '  { set = "us-east-1", failover = "PRIMARY", value = "127.0.0.1", '
                      'health_check = "us-east-1" },\n'
                      '  { set = "eu-west-1", failover = "SECONDARY", value = "127.0.0.2", '
                      'health_check = "eu-west-1" },\n]\n')
        text += record + extra
        self.path = os.path.join(self.dir, "dns.toml")
        with open(self.path, "w") as f:
            f.write(text)
        self.procs = {}

    def rewrite(self, text):
        with open(self.path, "w") as f:
            f.write(text)

    def read(self):
        with open(self.path) as f:
            return f.read()

    def start(self, name="ns1", wait=True, env=None):
        log = open(os.path.join(self.dir, f"{name}.log"), "ab")
        proc = subprocess.Popen([TANDEM_BIN, "dns", "--config", self.path, "--server", name],
                                stdout=log, stderr=subprocess.STDOUT,
                                env=dict(os.environ, **env) if env else None)
        self.procs[name] = proc
        if wait:
            s = self.server(name)
            wait_until(lambda: proc.poll() is not None or answers(s, "ns1.shop.example."),
                       timeout=15, what=f"{name} to answer")
            assert proc.poll() is None, self.log(name)
        return proc

    def stop(self, name="ns1", sig=signal.SIGTERM):
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            proc.send_signal(sig)
            try:
                return proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError(f"{name} needed SIGKILL")
        return None

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name)

    def server(self, name="ns1"):
        return next(s for s in self.servers if s["name"] == name)

    def log(self, name="ns1"):
        with open(os.path.join(self.dir, f"{name}.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def tandem(self, *args, timeout=30):
        return subprocess.run([TANDEM_BIN, *args, "--config", self.path], capture_output=True,
                              text=True, timeout=timeout)


def query(server, name, rdtype="A", tcp=False, timeout=1.0, **kwargs):
    q = dns.message.make_query(name, rdtype, **kwargs)
    if tcp:
        return dns.query.tcp(q, server["host"], port=server["port"], timeout=timeout)
    return dns.query.udp(q, server["host"], port=server["port"], timeout=timeout)


def answers(server, name, rdtype="A"):
    """The set of answer values, or None when the server does not answer."""
    try:
        r = query(server, name, rdtype, timeout=0.5)
    except Exception:
        return None
    return {rd.to_text() for rrset in r.answer for rd in rrset if rrset.rdtype ==
            dns.rdatatype.from_text(rdtype)}


def dig(server, *args):
    return subprocess.run(["dig", f"@{server['host']}", "-p", str(server["port"]), "+tries=1",
                           "+time=2", *args], capture_output=True, text=True, timeout=20)


def wait_answer(server, name, expected, timeout, rdtype="A"):
    """Polls until the answer is `expected`; returns the seconds it took."""
    started = time.monotonic()
    wait_until(lambda: answers(server, name, rdtype) == expected, timeout=timeout,
               interval=0.01, what=f"{name} to answer {expected}")
    return time.monotonic() - started


# ---- Raw exchanges (protocol and differential tests) ------------------------


def static_deployment(zone, record=""):
    """A deployment serving the static `zone`, without health checks, with
    `record` as its only [[record]] ("" for none). The zone must give
    ns1.shop.example. an A record: start() waits for it."""
    return Deployment({}, record=record, zone=zone)


def exchange(server, wire, tcp=False, timeout=1.0):
    """Sends the raw message `wire` and returns the raw response, or None
    when none arrived within `timeout` (UDP) or the server closed the
    connection (TCP)."""
    address = (server["host"], server["port"])
    if not tcp:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(wire, address)
            try:
                return s.recv(65535)
            except socket.timeout:
                return None
    with socket.create_connection(address, timeout=timeout) as s:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        return recv_tcp_message(s)


def recv_tcp_message(sock):
    """Reads one length-prefixed DNS message from `sock`; None at EOF."""
    def read(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    prefix = read(2)
    if prefix is None:
        return None
    return read(struct.unpack("!H", prefix)[0])
