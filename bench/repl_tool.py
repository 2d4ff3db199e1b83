#!/usr/bin/env python3
"""Helpers for scripts/bench-replication.sh: table setup through the DynamoDB
API (boto3), reading the nodes' /metrics, replication-lag percentiles from
the receiver's histogram, and the final table.

  repl_tool.py setup --creds FILE --node REGION=URL ... --global T ... --local T ...
  repl_tool.py count --creds FILE --node REGION=URL --table T
  repl_tool.py metrics URL                  # /metrics text to stdout
  repl_tool.py pending URL DESTINATION      # tandem_replication_pending on a node
  repl_tool.py wait-pending URL DESTINATION --timeout S [--zero-for S]
  repl_tool.py catchup ORIGIN_URL DESTINATION PEER_URL --since EPOCH_S --timeout S
  repl_tool.py lag BEFORE AFTER --source R --destination R
  repl_tool.py report RESULTS.jsonl

Lag percentiles: tandem_replication_latency_ms is a histogram of receiver
apply time minus the write's origin HLC physical time, in whole milliseconds.
The delta of its buckets over a window holds exactly the writes applied in
that window; a percentile is found in its bucket and interpolated linearly
between the bucket's bounds (as Prometheus' histogram_quantile does), so it
is exact to within one bucket (1 ms wide at 1-2 ms, 5-10 ms wide up to 100 ms).
"""
import argparse
import configparser
import json
import re
import sys
import time
import urllib.request

LATENCY = "tandem_replication_latency_ms"


def read_creds(path):
    cp = configparser.ConfigParser()
    cp.read(path)
    sec = cp["default"]
    return sec["aws_access_key_id"], sec["aws_secret_access_key"]


def client(creds, region, url):
    import boto3
    from botocore.config import Config
    key, secret = read_creds(creds)
    return boto3.client("dynamodb", endpoint_url=url, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 3}))


def parse_nodes(specs):
    nodes = []
    for spec in specs:
        region, url = spec.split("=", 1)
        nodes.append((region, url))
    return nodes


def wait_active(c, table, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if c.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise SystemExit(f"{table} did not become ACTIVE in {timeout}s")


def cmd_setup(a):
    """Creates every table on the nodes that hold it (hash key pk S, on-demand)
    and makes the --global ones global tables over all nodes (2017.11.29 API,
    as the seed's `aws dynamodb create-global-table`)."""
    nodes = parse_nodes(a.node)
    clients = {r: client(a.creds, r, u) for r, u in nodes}
    schema = dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                  KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                  BillingMode="PAY_PER_REQUEST")
    for table in a.global_tables:
        for r, c in clients.items():
            c.create_table(TableName=table, **schema)
            wait_active(c, table)
    first_region = nodes[0][0]
    for table in a.local_tables:
        clients[first_region].create_table(TableName=table, **schema)
        wait_active(clients[first_region], table)
    for table in a.global_tables:
        clients[first_region].create_global_table(
            GlobalTableName=table, ReplicationGroup=[{"RegionName": r} for r, _ in nodes])
    for table in a.global_tables:
        for r, c in clients.items():
            d = c.describe_global_table(GlobalTableName=table)["GlobalTableDescription"]
            regions = sorted(x["RegionName"] for x in d["ReplicationGroup"])
            if regions != sorted(r for r, _ in nodes):
                raise SystemExit(f"{table} on {r}: replication group {regions}")
    print(json.dumps({"global": a.global_tables, "local": a.local_tables}))


def cmd_count(a):
    (region, url), = parse_nodes([a.node])
    t = client(a.creds, region, url).describe_table(TableName=a.table)["Table"]
    print(t["ItemCount"])


def fetch_metrics(url, timeout=5):
    with urllib.request.urlopen(url.rstrip("/") + "/metrics", timeout=timeout) as r:
        return r.read().decode()


def metric(text, name, **labels):
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        m = re.match(r"([^{\s]+)(?:\{(.*)\})?\s+(\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return None


def cmd_metrics(a):
    sys.stdout.write(fetch_metrics(a.url))


def pending(url, destination):
    v = metric(fetch_metrics(url), "tandem_replication_pending", destination=destination)
    if v is None:
        raise SystemExit(f"no tandem_replication_pending for {destination} at {url}")
    return int(v)


def cmd_pending(a):
    print(pending(a.url, a.destination))


def cmd_wait_pending(a):
    """Polls until the origin's pending count to DESTINATION is 0 (and stays 0
    for --zero-for seconds); prints the seconds waited. Exit 1 on timeout."""
    start = time.monotonic()
    deadline = start + a.timeout
    zero_since = None
    last = None
    while True:
        try:
            last = pending(a.url, a.destination)
        except OSError:
            last = None
        now = time.monotonic()
        if last == 0:
            if zero_since is None:
                zero_since = now
            if now - zero_since >= a.zero_for:
                print(f"{zero_since - start:.3f}")
                return
        else:
            zero_since = None
        if now > deadline:
            print(f"timeout: pending {last} after {a.timeout}s", file=sys.stderr)
            sys.exit(1)
        time.sleep(a.poll)


def health_ok(url):
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=1) as r:
            return r.status == 200
    except OSError:  # refused while starting, or 503 catching up (HTTPError)
        return False


def cmd_catchup(a):
    """After the peer was started at --since (epoch seconds): polls the origin's
    pending count to DESTINATION and the peer's /health until pending is 0.
    Prints JSON: seconds from --since to the first progress (pending below its
    first reading), to the peer's first /health 200, and to pending 0; and
    pending once a second. After pending 0 it waits up to 30 s more for /health."""
    first = None
    first_progress = ready = done = None
    samples = []
    next_sample = a.since
    while True:
        now = time.time()
        try:
            p = pending(a.url, a.destination)
        except OSError:
            p = None
        if p is not None:
            if first is None:
                first = p
            if first_progress is None and p < first:
                first_progress = now - a.since
            if now >= next_sample:
                samples.append([round(now - a.since, 1), p])
                while next_sample <= now:
                    next_sample += 1.0
        if ready is None and health_ok(a.peer_url):
            ready = now - a.since
        if p == 0 and done is None:
            done = now - a.since
        if done is not None and (ready is not None or now - a.since > done + 30):
            break  # caught up, and ready (or 30 s more without it)
        if now - a.since > a.timeout:
            break
        time.sleep(a.poll)
    r = lambda v: round(v, 2) if v is not None else None
    print(json.dumps({"pending_first": first, "first_progress_s": r(first_progress),
                      "ready_s": r(ready), "catchup_s": r(done), "samples": samples}))


def histogram(text, source, destination):
    """{le: cumulative count} with le as float (inf for +Inf), plus sum."""
    buckets = {}
    for line in text.splitlines():
        if not line.startswith(LATENCY + "_bucket{"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
        if labels.get("source") != source or labels.get("destination") != destination:
            continue
        le = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
        buckets[le] = float(line.rsplit(" ", 1)[1])
    total = metric(text, LATENCY + "_sum", source=source, destination=destination) or 0.0
    return buckets, total


def quantile(bounds, cumulative, q):
    """Interpolated quantile from sorted bucket bounds and cumulative counts."""
    n = cumulative[-1] if cumulative else 0
    if n <= 0:
        return None
    rank = q * n
    prev_bound, prev_cum = 0.0, 0.0
    for bound, cum in zip(bounds, cumulative):
        if cum >= rank and cum > prev_cum:
            if bound == float("inf"):
                return prev_bound  # beyond the last finite bound: a floor
            return prev_bound + (bound - prev_bound) * (rank - prev_cum) / (cum - prev_cum)
        prev_bound, prev_cum = bound, cum
    return prev_bound


def lag_delta(before_text, after_text, source, destination):
    b_before, s_before = histogram(before_text, source, destination)
    b_after, s_after = histogram(after_text, source, destination)
    bounds = sorted(b_after)
    cum = [b_after[le] - b_before.get(le, 0.0) for le in bounds]
    n = cum[-1] if cum else 0
    out = {"count": int(n)}
    if n:
        out["mean_ms"] = round((s_after - s_before) / n, 2)
        for name, q in (("p50_ms", 0.50), ("p90_ms", 0.90), ("p99_ms", 0.99),
                        ("p999_ms", 0.999)):
            v = quantile(bounds, cum, q)
            out[name] = round(v, 2) if v is not None else None
        # The smallest finite bound holding every write ("max <= x").
        out["max_le_ms"] = next((le if le != float("inf") else "+Inf")
                                for le, c in zip(bounds, cum) if c >= n)
        out["buckets"] = {("+Inf" if le == float("inf") else f"{le:g}"): int(c)
                          for le, c in zip(bounds, cum)}
    return out


def cmd_lag(a):
    with open(a.before) as f:
        before = f.read()
    with open(a.after) as f:
        after = f.read()
    print(json.dumps(lag_delta(before, after, a.source, a.destination)))


def cores(r, res):
    """CPU of the origin, the peer and the load generator over a lag run, in cores."""
    wall = r.get("wall_s")
    if not wall:
        return ""
    return " + ".join(f"{v / wall:.2f}" for v in (r["origin_cpu_s"], r["peer_cpu_s"],
                                                  res["loadgen_cpu_s"]))


def cmd_report(a):
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    thr = [r for r in rows if r["phase"] == "throughput"]
    lag = [r for r in rows if r["phase"] == "lag"]
    cat = [r for r in rows if r["phase"] == "catchup"]
    meta = next((r for r in rows if r["phase"] == "meta"), {})
    if thr:
        layout = ("each region on a core of its own: origin + loadgen on CPU 0, peer + relays "
                  "on CPU 1" if meta.get("pinned") else "all processes share every core")
        print("\n(a) PutItem 1 KB at the origin, 16 connections: replication off (local table) "
              f"vs on (global table, one peer); {layout}\n")
        print("| round | replication | ops/s | p50 ms | p99 ms | errors | origin CPU s "
              "(us/write) | peer CPU s (us/write) | relay CPU s | loadgen CPU s | "
              "pending at end |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in thr:
            res = r["result"]
            # CPU over the whole run (warm-up included) per write in the window: an estimate.
            writes = max(res["ops"], 1) * (1 + 1 / max(res["seconds"], 1))
            print(f"| {r['round']} | {r['mode']} | {res['ops_per_s']:,} | {res['p50_ms']:.2f} | "
                  f"{res['p99_ms']:.2f} | {res['errors']} | {r['origin_cpu_s']:.1f} "
                  f"({r['origin_cpu_s'] / writes * 1e6:.0f}) | {r['peer_cpu_s']:.1f} "
                  f"({r['peer_cpu_s'] / writes * 1e6:.0f}) | {r['relay_cpu_s']:.1f} | "
                  f"{res['loadgen_cpu_s']:.1f} | {r['pending_at_end']:,} |")
        on = [r["result"]["ops_per_s"] for r in thr if r["mode"] == "on"]
        off = [r["result"]["ops_per_s"] for r in thr if r["mode"] == "off"]
        if on and off:
            ratio = (sum(on) / len(on)) / (sum(off) / len(off))
            print(f"\non/off = {ratio:.2f} (mean of {len(on)} on / {len(off)} off runs; "
                  f"target >= 0.80: {'met' if ratio >= 0.8 else 'NOT met'})")
    if lag:
        print("\n(b) Replication lag us-east-1 -> eu-west-1 (receiver histogram delta, "
              "interpolated within buckets)\n")
        print("| RTT ms | offered w/s | achieved w/s | late | writes | lag p50 ms | p90 | p99 | "
              "mean | max <= | origin put p99 ms | cores origin + peer + loadgen | load avg | "
              "target p99 <= | status |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
        for r in lag:
            res, lg = r["result"], r["lag"]
            target = r["rtt_ms"] + 50
            p99 = lg.get("p99_ms")
            ok = p99 is not None and p99 <= target and res["errors"] == 0
            # A lag read at a rate the origin did not sustain is not the lag at that rate.
            reached = res["ops_per_s"] >= 0.95 * r["rate"]
            print(f"| {r['rtt_ms']} | {r['rate']} | {res['ops_per_s']:,} | {res.get('late', 0)} | "
                  f"{lg['count']:,} | {lg.get('p50_ms')} | {lg.get('p90_ms')} | {p99} | "
                  f"{lg.get('mean_ms')} | {lg.get('max_le_ms')} | {res['p99_ms']:.2f} | "
                  f"{cores(r, res)} | {r.get('loadavg', '')} | {target} | "
                  f"{('met' if ok else 'NOT met') if reached else 'rate not reached'} |")
    if cat:
        print("\n(c) Catch-up after a backlog written while the peer was stopped "
              "(seconds from starting the peer)\n")
        print("| RTT ms | items | load s (items/s) | pending at restart | first progress s | "
              "peer /health 200 s | pending 0 s | records/s | items origin / peer | "
              "target < 60 s |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for r in cat:
            c = r["catchup"]
            done = c.get("catchup_s")
            ok = done is not None and done < 60 and r["origin_count"] == r["peer_count"]
            rate = f"{r['pending_at_restart'] / done:,.0f}" if done else ""
            print(f"| {r['rtt_ms']} | {r['items']:,} | {r['load_s']:.1f} "
                  f"({r['items'] / r['load_s']:,.0f}) | {r['pending_at_restart']:,} | "
                  f"{c.get('first_progress_s')} | {c.get('ready_s')} | {done} | {rate} | "
                  f"{r['origin_count']:,} / {r['peer_count']:,} | {'met' if ok else 'NOT met'} |")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--creds", required=True)
    s.add_argument("--node", action="append", required=True)
    s.add_argument("--global", dest="global_tables", action="append", default=[])
    s.add_argument("--local", dest="local_tables", action="append", default=[])
    s.set_defaults(fn=cmd_setup)
    s = sub.add_parser("count")
    s.add_argument("--creds", required=True)
    s.add_argument("--node", required=True)
    s.add_argument("--table", required=True)
    s.set_defaults(fn=cmd_count)
    s = sub.add_parser("metrics")
    s.add_argument("url")
    s.set_defaults(fn=cmd_metrics)
    s = sub.add_parser("pending")
    s.add_argument("url")
    s.add_argument("destination")
    s.set_defaults(fn=cmd_pending)
    s = sub.add_parser("wait-pending")
    s.add_argument("url")
    s.add_argument("destination")
    s.add_argument("--timeout", type=float, default=120)
    s.add_argument("--zero-for", type=float, default=0)
    s.add_argument("--poll", type=float, default=0.05)
    s.set_defaults(fn=cmd_wait_pending)
    s = sub.add_parser("catchup")
    s.add_argument("url")
    s.add_argument("destination")
    s.add_argument("peer_url")
    s.add_argument("--since", type=float, required=True)
    s.add_argument("--timeout", type=float, default=600)
    s.add_argument("--poll", type=float, default=0.05)
    s.set_defaults(fn=cmd_catchup)
    s = sub.add_parser("lag")
    s.add_argument("before")
    s.add_argument("after")
    s.add_argument("--source", required=True)
    s.add_argument("--destination", required=True)
    s.set_defaults(fn=cmd_lag)
    s = sub.add_parser("report")
    s.add_argument("results")
    s.set_defaults(fn=cmd_report)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
