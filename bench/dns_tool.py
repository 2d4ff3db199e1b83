#!/usr/bin/python3
"""Helpers for scripts/bench-dns.sh: free loopback ports, the query mix, the
regions' /health endpoints, waiting for an answer, comparing the servers'
answers, reading the load generators' output (dnsperf, dnsblast), the
failover-time measurement and the final report. Needs dnspython (Debian's python3-dnspython, hence
/usr/bin/python3) for wait-answer, verify and failover.

  dns_tool.py ports N                       # N ports free for TCP and UDP on 127.0.0.1/.2
  dns_tool.py queries OUT [--lines N]       # the dnsperf query file (deterministic)
  dns_tool.py health-server HOST PORT       # 200 "ok" on /health until killed
  dns_tool.py wait-answer HOST:PORT NAME VALUE --timeout S
  dns_tool.py verify QUERIES NAME=HOST:PORT ...   # JSON: answer differences
  dns_tool.py dnsperf FILE                  # dnsperf output -> JSON
  dns_tool.py dnsblast FILE                 # dnsblast output, checked -> JSON
  dns_tool.py summary GENERATOR JSON        # one line for the log
  dns_tool.py probes HOST:PORT              # tandem's health probes so far, by result
  dns_tool.py failover --dns HOST:PORT --endpoint HOST:PORT --repeats N ...
  dns_tool.py report RESULTS.jsonl

Failover time: the tool runs the primary region's /health endpoint as its own
child process, waits until the record answers the primary, then kills the
endpoint (SIGKILL: new connections are refused) or freezes it (SIGSTOP: the
kernel still accepts connections, nothing answers, so probes time out), and
from just before the signal queries the server over UDP every millisecond
until the answer is the secondary. The reported time is from the signal to
the first flipped answer. Then it restores the endpoint and times the flip
back the same way.
"""
import argparse
import ctypes
import http.server
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

ORIGIN = "shop.example."
WWW = "www.shop.example."


# --- ports ---------------------------------------------------------------------


def port_free(port, hosts=("127.0.0.1", "127.0.0.2")):
    for host in hosts:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind((host, port))
            except OSError:
                return False
            finally:
                s.close()
    return True


def cmd_ports(a):
    """Ports outside the ephemeral range (so dnsperf's and the probes' own
    sockets cannot take them between this check and the servers' bind)."""
    rng = random.Random()
    start = rng.randrange(20000, 30000)
    out = []
    port = start
    while len(out) < a.n:
        if port_free(port):
            out.append(port)
        port += 1
        if port >= 32000:
            port = 20000
    print(" ".join(map(str, out)))


# --- the query mix -------------------------------------------------------------

# (weight, name, type): about half of the queries ask for the health-driven
# name; the rest are what resolvers ask a shop's domain for, plus NODATA and
# NXDOMAIN. Names are relative to shop.example.
MIX = [
    (50, "www", "A"),
    (3, "shop", "A"),            # CNAME to the health-driven name
    (3, "@", "A"),
    (2, "@", "AAAA"),
    (3, "@", "MX"),
    (2, "mail", "A"),
    (1, "mail", "AAAA"),
    (2, "@", "TXT"),
    (1, "_dmarc", "TXT"),
    (1, "s1._domainkey", "TXT"),
    (2, "@", "NS"),
    (1, "@", "SOA"),
    (1, "@", "CAA"),
    (3, "api", "A"),
    (1, "api", "AAAA"),
    (3, "static", "A"),
    (3, "img", "A"),             # CNAME -> CNAME -> A
    (1, "_https._tcp", "SRV"),
    (1, "_imaps._tcp", "SRV"),
    (4, "app*", "A"),            # app1..app8
    (1, "db*", "A"),             # db1..db2
    (1, "blog", "A"),
    (2, "www", "AAAA"),          # NODATA
    (1, "mail2", "TXT"),         # NODATA
    (6, "nx*", "A"),             # NXDOMAIN: nx-<n>.shop.example.
    (1, "nx*", "AAAA"),          # NXDOMAIN
]


def fqdn(rel):
    return ORIGIN if rel == "@" else f"{rel}.{ORIGIN}"


def expand(rel, rng):
    if rel == "app*":
        return f"app{rng.randint(1, 8)}"
    if rel == "db*":
        return f"db{rng.randint(1, 2)}"
    if rel == "nx*":
        return f"nx-{rng.randint(0, 999)}"
    return rel


def cmd_queries(a):
    rng = random.Random(20261126)
    weights = [w for w, _, _ in MIX]
    lines = []
    for _ in range(a.lines):
        _, rel, rdtype = rng.choices(MIX, weights=weights)[0]
        lines.append(f"{fqdn(expand(rel, rng))} {rdtype}")
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    www = sum(1 for line in lines if line == f"{WWW} A")
    nx = sum(1 for line in lines if line.startswith("nx-"))
    print(json.dumps({"lines": len(lines), "distinct": len(set(lines)),
                      "www_a_share": round(www / len(lines), 3),
                      "nxdomain_share": round(nx / len(lines), 3)}))


# --- the regions' /health endpoints --------------------------------------------


def cmd_health_server(a):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.path.split("?")[0] == "/health"
            body = b"ok\n" if ok else b"not found\n"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        allow_reuse_address = True
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # a checker that gave up (timeout) and closed: not our business

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Server((a.host, a.port), Handler).serve_forever()


# --- DNS over UDP ----------------------------------------------------------------


def hostport(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


class Prober:
    """One UDP socket asking one server one question, over and over."""

    def __init__(self, server, name, rdtype="A"):
        import dns.message
        import dns.rdatatype
        self.dns_message = dns.message
        self.addr = hostport(server)
        self.rdtype = dns.rdatatype.from_text(rdtype)
        self.query = dns.message.make_query(name, rdtype)
        self.query.flags = 0  # an authoritative server: no RD
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.next_id = random.randrange(65536)

    def answer(self, timeout=0.2):
        """The answer's values for the type (a frozenset), or None."""
        self.next_id = (self.next_id + 1) & 0xFFFF
        self.query.id = self.next_id
        self.sock.settimeout(timeout)
        try:
            self.sock.sendto(self.query.to_wire(), self.addr)
            deadline = time.monotonic() + timeout
            while True:
                data, _ = self.sock.recvfrom(4096)
                r = self.dns_message.from_wire(data)
                if r.id == self.next_id:
                    break
                self.sock.settimeout(max(0.001, deadline - time.monotonic()))
        except Exception:  # noqa: BLE001 - timeouts, refusals, garbage: no answer
            return None
        return frozenset(rd.to_text() for rrset in r.answer if rrset.rdtype == self.rdtype
                         for rd in rrset)


def cmd_wait_answer(a):
    p = Prober(a.server, a.name)
    want = frozenset(a.value.split(","))
    deadline = time.monotonic() + a.timeout
    got = None
    while time.monotonic() < deadline:
        got = p.answer()
        if got == want:
            return
        time.sleep(0.02)
    raise SystemExit(f"{a.server}: {a.name} answered {sorted(got) if got else got}, "
                     f"not {sorted(want)}, for {a.timeout}s")


def describe(r):
    """What must match between servers: rcode, AA, the answer section as a
    set of (owner, type, rdata), and the authority section's types."""
    import dns.rcode
    import dns.rdatatype
    return {
        "rcode": dns.rcode.to_text(r.rcode()),
        "aa": bool(r.flags & 0x0400),
        "answer": sorted(f"{rrset.name.to_text().lower()} {dns.rdatatype.to_text(rrset.rdtype)} "
                         f"{rd.to_text().lower()}" for rrset in r.answer for rd in rrset),
        "authority_types": sorted({dns.rdatatype.to_text(rrset.rdtype) for rrset in r.authority}),
    }


def cmd_verify(a):
    import dns.message
    import dns.query
    servers = [(spec.split("=", 1)[0], hostport(spec.split("=", 1)[1])) for spec in a.server]
    with open(a.queries) as f:
        questions = sorted({tuple(line.split()) for line in f if line.strip()})
    diffs, sizes = [], {name: 0 for name, _ in servers}
    for qname, rdtype in questions:
        seen = {}
        for name, (host, port) in servers:
            q = dns.message.make_query(qname, rdtype)
            q.flags = 0
            try:
                r = dns.query.udp(q, host, port=port, timeout=2)
                seen[name] = describe(r)
                sizes[name] += len(r.to_wire())
            except Exception as e:  # noqa: BLE001 - reported, not fatal
                seen[name] = {"error": str(e)}
        first = servers[0][0]
        for name, _ in servers[1:]:
            x, y = seen[first], seen[name]
            if x.get("rcode") != y.get("rcode") or x.get("answer") != y.get("answer") or \
                    x.get("aa") != y.get("aa") or "error" in x or "error" in y:
                diffs.append({"query": f"{qname} {rdtype}", first: x, name: y})
    print(json.dumps({"questions": len(questions), "differences": diffs,
                      "mean_response_bytes": {n: round(s / len(questions), 1)
                                              for n, s in sizes.items()}}))


# --- dnsperf -----------------------------------------------------------------------


def parse_dnsperf(text):
    out = {}
    patterns = {
        "sent": r"Queries sent:\s+(\d+)",
        "completed": r"Queries completed:\s+(\d+)",
        "lost": r"Queries lost:\s+(\d+)",
        "run_s": r"Run time \(s\):\s+([\d.]+)",
        "qps": r"Queries per second:\s+([\d.]+)",
        "latency_stddev_s": r"Latency StdDev \(s\):\s+([\d.]+)",
        "request_bytes": r"Average packet size:\s+request (\d+)",
        "response_bytes": r"Average packet size:.*response (\d+)",
    }
    for key, pattern in patterns.items():
        m = re.search(pattern, text)
        if m:
            out[key] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    m = re.search(r"Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)", text)
    if m:
        out["latency_avg_s"], out["latency_min_s"], out["latency_max_s"] = map(float, m.groups())
    m = re.search(r"Response codes:\s+(.*)", text)
    if m:
        out["rcodes"] = {code: int(n) for code, n in re.findall(r"(\w+) (\d+) \(", m.group(1))}
    if "qps" not in out:
        raise SystemExit("dnsperf printed no 'Queries per second':\n" + text[-2000:])
    return out


def cmd_dnsperf(a):
    with open(a.file) as f:
        print(json.dumps(parse_dnsperf(f.read())))


def cmd_dnsblast(a):
    """dnsblast prints one JSON line; anything else means it failed."""
    with open(a.file) as f:
        text = f.read()
    lines = [line for line in text.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit("dnsblast printed no JSON:\n" + text[-2000:])
    d = json.loads(lines[-1])
    if "qps" not in d:
        raise SystemExit("dnsblast printed no qps: " + lines[-1])
    print(json.dumps(d))


def cmd_summary(a):
    d = json.loads(a.json)
    lat = latency_s(d)
    line = f"{d['qps']:.0f} qps, avg {ms(lat['avg'])} ms"
    if lat["p99"] is not None:
        line += f", p99 {ms(lat['p99'])} ms"
    print(f"{line}, lost {d.get('lost')}")


def cmd_probes(a):
    """tandem's probe counters by result, summed over checks: {"healthy": n, ...}."""
    import urllib.request
    counts = {}
    with urllib.request.urlopen(f"http://{a.admin}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            m = re.match(r'tandem_health_check_probes_total\{.*result="(\w+)".*\}\s+(\S+)$', line)
            if m:
                counts[m.group(1)] = counts.get(m.group(1), 0) + int(float(m.group(2)))
    print(json.dumps(counts))


# --- failover time -----------------------------------------------------------------


def pdeathsig():
    """The endpoint dies with this tool (PR_SET_PDEATHSIG = 1)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


class Endpoint:
    def __init__(self, host, port, cpu):
        self.host, self.port, self.cpu = host, port, cpu
        self.proc = None

    def start(self):
        cmd = [sys.executable, os.path.abspath(__file__), "health-server", self.host,
               str(self.port)]
        if self.cpu is not None:
            cmd = ["taskset", "-c", str(self.cpu)] + cmd
        self.proc = subprocess.Popen(cmd, preexec_fn=pdeathsig)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.01)
        raise SystemExit(f"endpoint {self.host}:{self.port} did not start")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def wait_for(prober, want, started, timeout, poll_s):
    """Seconds from `started` to the first answer equal to `want`, or None."""
    while time.monotonic() - started < timeout:
        got = prober.answer(timeout=0.05)
        if got == want:
            return time.monotonic() - started
        time.sleep(poll_s)
    return None


def cmd_failover(a):
    host, port = hostport(a.endpoint)
    prober = Prober(a.dns, a.name)
    primary, secondary = frozenset([a.primary]), frozenset([a.secondary])
    ep = Endpoint(host, port, a.cpu)
    rng = random.Random()
    try:
        ep.start()
        if wait_for(prober, primary, time.monotonic(), a.timeout, 0.01) is None:
            raise SystemExit(f"{a.dns} never answered the primary {a.primary}")
        for i in range(1, a.repeats + 1):
            # A random phase against the checker's schedule.
            time.sleep(a.settle + rng.uniform(0, a.phase))
            t0 = time.monotonic()
            if a.mode == "kill":
                ep.kill()
            else:
                os.kill(ep.proc.pid, signal.SIGSTOP)
            flip = wait_for(prober, secondary, t0, a.timeout, a.poll)
            t1 = time.monotonic()
            if a.mode == "kill":
                ep.start()
            else:
                os.kill(ep.proc.pid, signal.SIGCONT)
            back = wait_for(prober, primary, t1, a.timeout, a.poll)
            print(json.dumps({"phase": "failover", "server": a.label, "mode": a.mode,
                              "repeat": i, "flip_s": None if flip is None else round(flip, 4),
                              "back_s": None if back is None else round(back, 4),
                              **json.loads(a.extra)}), flush=True)
            if flip is None or back is None:
                raise SystemExit(f"repeat {i}: no flip within {a.timeout}s")
    finally:
        if ep.proc and ep.proc.poll() is None:
            os.kill(ep.proc.pid, signal.SIGCONT)
        ep.kill()


# --- the report ----------------------------------------------------------------------


def fmt_int(x):
    return f"{x:,.0f}"


def ms(x):
    return "—" if x is None else f"{x * 1000:.3f}"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def probes(r):
    before, after = r.get("probes_before"), r.get("probes_after")
    if not before or not after:
        return "—"
    ok = after.get("healthy", 0) - before.get("healthy", 0)
    bad = after.get("unhealthy", 0) - before.get("unhealthy", 0)
    return f"{ok}/{bad}"


def load(r):
    """The load generator's report of a run (runs before dnsblast: dnsperf)."""
    return r[r.get("generator", "dnsperf")]


def latency_s(d):
    """Latency in seconds, the same keys for both generators, None if not reported."""
    if "latency_us" in d:  # dnsblast
        us = d["latency_us"]
        return {"avg": us["avg"] / 1e6, "min": None, "p50": us["p50"] / 1e6,
                "p99": us["p99"] / 1e6, "max": us["max"] / 1e6}
    return {"avg": d.get("latency_avg_s"), "min": d.get("latency_min_s"), "p50": None,
            "p99": None, "max": d.get("latency_max_s")}


# The latency columns each generator reports.
LATENCY_COLUMNS = {"dnsperf": ("avg", "min", "max"), "dnsblast": ("avg", "p50", "p99", "max")}


def us_per_query(r, key="server_cpu_s"):
    done = load(r).get("completed")
    return 1e6 * r[key] / done if done and key in r else None


def generator_us_per_query(r):
    """dnsblast's own CPU per answer (it measures itself); None for dnsperf."""
    d = load(r)
    done = d.get("completed")
    return 1e6 * d["cpu_s"] / done if done and "cpu_s" in d else None


def busy(r, which):
    return r.get("cpu_busy_pct", {}).get(which)


def num(x, fmt="{:.1f}"):
    return "—" if x is None else fmt.format(x)


def medians_table(p, runs, generator):
    runs = [r for r in runs if r.get("generator", "dnsperf") == generator]
    if not runs:
        return
    cols = LATENCY_COLUMNS.get(generator, ("avg", "max"))
    servers = list(dict.fromkeys(r["server"] for r in runs))
    med = {}
    for s in servers:
        rs = [r for r in runs if r["server"] == s]
        m = {"n": len(rs), "all": [load(r)["qps"] for r in rs],
             "qps": median([load(r)["qps"] for r in rs]),
             "lost": median([load(r).get("lost") for r in rs]),
             "us": median([us_per_query(r) for r in rs]),
             "user_us": median([us_per_query(r, "server_user_s") for r in rs]),
             "gen_us": median([generator_us_per_query(r) for r in rs]),
             "busy_server": median([busy(r, "server") for r in rs]),
             "busy_client": median([busy(r, "client") for r in rs])}
        for c in cols:
            m[c] = median([latency_s(load(r))[c] for r in rs])
        med[s] = m
    p(f"### Medians, load from {generator}\n")
    head = ("| server | health-driven www | runs | qps (median) | qps of each run | " +
            " | ".join(f"{c} ms" for c in cols) + " | lost | server CPU busy % | "
            f"{generator} CPU busy % | server µs/query | of which user |")
    sep = "|---|---|---:|---:|---|" + "---:|" * (len(cols) + 5)
    if generator == "dnsblast":
        head += " dnsblast µs/query |"
        sep += "---:|"
    head += " qps one full core could give |"
    sep += "---:|"
    refs = [s for s in ("gdnsd", "knot") if s in med]
    for ref in refs:
        head += f" qps vs {ref} |"
        sep += "---:|"
    for ref in refs:
        head += f" CPU/query vs {ref} |"
        sep += "---:|"
    p(head)
    p(sep)
    health = {r["server"]: r.get("health_driven") for r in runs}
    for s in servers:
        m = med[s]
        line = (f"| {s} | {'yes' if health.get(s) else 'no (static)'} | {m['n']} | "
                f"**{fmt_int(m['qps'])}** | {', '.join(fmt_int(x) for x in m['all'])} | " +
                " | ".join(ms(m[c]) for c in cols) +
                f" | {fmt_int(m['lost'])} | {num(m['busy_server'])} | {num(m['busy_client'])} | "
                f"{num(m['us'], '{:.2f}')} | {num(m['user_us'], '{:.2f}')} |")
        if generator == "dnsblast":
            line += f" {num(m['gen_us'], '{:.2f}')} |"
        line += f" {fmt_int(1e6 / m['us']) if m['us'] else '—'} |"
        for ref in refs:
            line += f" {m['qps'] / med[ref]['qps']:.2f}× |"
        for ref in refs:
            ratio = m["us"] / med[ref]["us"] if m["us"] and med[ref]["us"] else None
            line += f" {num(ratio, '{:.2f}×')} |"
        p(line)
    p("")
    if generator == "dnsperf":
        p("dnsperf makes a send and a recv system call per query and saturates its own core "
          "first (compare the busy shares), so its qps is a floor for the servers.")
    elif generator == "dnsblast":
        p("dnsblast batches with sendmmsg/recvmmsg; with the server's CPU near 100 % busy and "
          "dnsblast's below, qps is the server's capacity on one core. dnsblast µs/query: "
          "its own CPU time per answer.")
    p("Medians per column (each over that server's runs). CPU busy: the whole CPU over the "
      "run, from /proc/stat (the generator's CPU also runs the /health endpoints). "
      "CPU/query below 1× means less server CPU per answer than the peer; \"qps one full "
      "core could give\" is 1 / (server µs/query).\n")


def cmd_report(a):
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    meta = next((r for r in rows if r["phase"] == "meta"), {})
    runs = [r for r in rows if r["phase"] == "throughput"]
    out = []
    p = out.append
    p(f"## DNS benchmark ({meta.get('date', '?')}, commit {meta.get('commit', '?')}"
      f"{' + uncommitted changes' if meta.get('dirty') else ''})\n")
    generators = meta.get("generators", "dnsperf").split()
    args = "; ".join(f"{g} `{meta.get(g + '_args', '')}`" for g in generators)
    p(f"{meta.get('nproc')} cores; servers pinned to CPU {meta.get('server_cpu')}, the load "
      f"generator to CPU {meta.get('client_cpu')}; {meta.get('duration_s')} s per run; "
      f"{args}; query file {meta.get('queries', {}).get('lines')} "
      f"lines, {meta.get('queries', {}).get('www_a_share', 0) * 100:.0f} % "
      f"www.shop.example A, {meta.get('queries', {}).get('nxdomain_share', 0) * 100:.0f} % "
      f"NXDOMAIN. tandem binary built {meta.get('tandem_mtime', '?')}; "
      f"{meta.get('versions', '')}; load average at the start {meta.get('loadavg_start')}.\n")
    if runs:
        p("### Every run (in the order run)\n")
        p("| # | server | generator | load avg before | qps | avg ms | min ms | p50 ms | p99 ms | "
          "max ms | lost | resp. bytes | server CPU % | server µs/query (of which user) | "
          "CPU0 busy % | CPU1 busy % | health probes during the run (ok/failed) |")
        p("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for i, r in enumerate(runs, 1):
            d = load(r)
            lat = latency_s(d)
            cpu = {meta.get("server_cpu", 0): busy(r, "server"),
                   meta.get("client_cpu", 1): busy(r, "client")}
            resp = d.get("response_bytes")
            p(f"| {i} | {r['server']} | {r.get('generator', 'dnsperf')} | "
              f"{r['loadavg_before']} | {fmt_int(d['qps'])} | {ms(lat['avg'])} | "
              f"{ms(lat['min'])} | {ms(lat['p50'])} | {ms(lat['p99'])} | {ms(lat['max'])} | "
              f"{d.get('lost', '—')} | {'—' if resp is None else f'{resp:.0f}'} | "
              f"{r.get('server_cpu_pct', '—')} | "
              f"{us_per_query(r) or 0:.2f} ({us_per_query(r, 'server_user_s') or 0:.2f}) | "
              f"{num(cpu.get(0))} | {num(cpu.get(1))} | {probes(r)} |")
        p("")
        p("server µs/query: the server process's CPU time (all its threads, user + system, "
          "from /proc) over the run divided by the queries the generator completed, in "
          "parentheses the user-space part (the rest is the kernel's UDP path); "
          "CPUn busy: the whole CPU, other processes on this shared machine included.\n")
        for g in dict.fromkeys([r.get("generator", "dnsperf") for r in runs]):
            medians_table(p, runs, g)
    fo = [r for r in rows if r["phase"] == "failover"]
    if fo:
        p("### Failover time (kill/freeze of the primary's endpoint → first answer of the "
          "secondary)\n")
        p("| server | checks | endpoint | each repeat, flip (s) | median flip | "
          "each repeat, flip back (s) | median back |")
        p("|---|---|---|---|---:|---|---:|")
        groups = list(dict.fromkeys((r["server"], r["mode"]) for r in fo))
        for s, mode in groups:
            rs = [r for r in fo if r["server"] == s and r["mode"] == mode]
            what = "killed (refused)" if mode == "kill" else "frozen (SIGSTOP: timeouts)"
            flips = [r["flip_s"] for r in rs]
            backs = [r["back_s"] for r in rs]
            p(f"| {s} | {rs[0].get('checks', '')} | {what} | "
              f"{', '.join(f'{x:.3f}' for x in flips if x is not None)} | "
              f"**{median(flips):.3f}** | {', '.join(f'{x:.3f}' for x in backs if x is not None)}"
              f" | {median(backs):.3f} |")
        p("")
        p("Route 53's fastest: request interval 10 s × failure threshold 1, plus the record's "
          "TTL in resolvers.\n")
    ver = [r for r in rows if r["phase"] == "verify"]
    for v in ver:
        p(f"Answers compared on {v['questions']} distinct questions "
          f"({', '.join(v['servers'])}): {len(v['differences'])} differ in rcode, AA or "
          f"answer section. Mean response size: "
          f"{', '.join(f'{k} {x} B' for k, x in v['mean_response_bytes'].items())}.\n")
        for d in v["differences"][:10]:
            p(f"- `{d['query']}`: " + "; ".join(
                f"{k}: {json.dumps(x)}" for k, x in d.items() if k != "query"))
        if v["differences"]:
            p("")
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("ports")
    s.add_argument("n", type=int)
    s.set_defaults(fn=cmd_ports)
    s = sub.add_parser("queries")
    s.add_argument("out")
    s.add_argument("--lines", type=int, default=10000)
    s.set_defaults(fn=cmd_queries)
    s = sub.add_parser("health-server")
    s.add_argument("host")
    s.add_argument("port", type=int)
    s.set_defaults(fn=cmd_health_server)
    s = sub.add_parser("wait-answer")
    s.add_argument("server")
    s.add_argument("name")
    s.add_argument("value", help="comma-separated values")
    s.add_argument("--timeout", type=float, default=30)
    s.set_defaults(fn=cmd_wait_answer)
    s = sub.add_parser("verify")
    s.add_argument("queries")
    s.add_argument("server", nargs="+", help="NAME=HOST:PORT; the first is the reference")
    s.set_defaults(fn=cmd_verify)
    s = sub.add_parser("dnsperf")
    s.add_argument("file")
    s.set_defaults(fn=cmd_dnsperf)
    s = sub.add_parser("dnsblast")
    s.add_argument("file")
    s.set_defaults(fn=cmd_dnsblast)
    s = sub.add_parser("summary")
    s.add_argument("generator", choices=("dnsperf", "dnsblast"))
    s.add_argument("json")
    s.set_defaults(fn=cmd_summary)
    s = sub.add_parser("probes")
    s.add_argument("admin", help="HOST:PORT of tandem's admin API")
    s.set_defaults(fn=cmd_probes)
    s = sub.add_parser("failover")
    s.add_argument("--dns", required=True, help="HOST:PORT of the DNS server")
    s.add_argument("--endpoint", required=True, help="HOST:PORT of the primary's /health")
    s.add_argument("--name", default=WWW)
    s.add_argument("--primary", default="127.0.0.1")
    s.add_argument("--secondary", default="127.0.0.2")
    s.add_argument("--mode", choices=("kill", "stop"), default="kill")
    s.add_argument("--repeats", type=int, default=5)
    s.add_argument("--settle", type=float, default=0.5,
                   help="seconds to wait after the flip back before the next failure")
    s.add_argument("--phase", type=float, default=0.2, help="plus a random 0..PHASE s")
    s.add_argument("--poll", type=float, default=0.001, help="seconds between queries")
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--cpu", type=int, help="pin the endpoint to this CPU")
    s.add_argument("--label", default="tandem")
    s.add_argument("--extra", default="{}", help="JSON object merged into each line")
    s.set_defaults(fn=cmd_failover)
    s = sub.add_parser("report")
    s.add_argument("results")
    s.set_defaults(fn=cmd_report)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
