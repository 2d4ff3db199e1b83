"""`tandem dns` black box: the real binary answering dig and dnspython, its
answers following health checks of small HTTP endpoints, routing controls
and `tandem status` through the authenticated admin API.
"""
import hashlib
import hmac
import json
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request

import dns.flags
import dns.rcode
import dns.rdatatype
import pytest

from conftest import wait_until
from dnsutil import Deployment, Endpoint, answers, dig, query, wait_answer

PRIMARY = {"127.0.0.1"}
SECONDARY = {"127.0.0.2"}


@pytest.fixture
def regions():
    eps = {"us-east-1": Endpoint("127.0.0.1"), "eu-west-1": Endpoint("127.0.0.2")}
    yield eps
    for ep in eps.values():
        ep.stop()


@pytest.fixture
def deployment(regions):
    made = []

    def make(**kwargs):
        d = Deployment(regions, **kwargs)
        made.append(d)
        return d

    yield make
    for d in made:
        d.stop_all()


def test_static_zone_and_failover_record_answer_authoritatively(deployment):
    d = deployment()
    d.start()
    s = d.server()
    r = query(s, "www.shop.example.")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    assert {rd.to_text() for rd in r.answer[0]} == PRIMARY
    assert r.answer[0].ttl == 5
    assert answers(s, "static.shop.example.") == {"192.0.2.10"}
    assert answers(s, "shop.example.", "MX") == {"10 mail.shop.example."}
    # A CNAME to the health-driven record is followed inside the zone.
    r = query(s, "shop.shop.example.")
    assert [rrset.rdtype for rrset in r.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]
    # NXDOMAIN and NODATA carry the SOA with the negative TTL.
    r = query(s, "nope.shop.example.")
    assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & dns.flags.AA
    assert r.authority[0].rdtype == dns.rdatatype.SOA and r.authority[0].ttl == 60
    r = query(s, "www.shop.example.", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert r.authority[0].rdtype == dns.rdatatype.SOA
    # Outside its zones: REFUSED.
    assert query(s, "www.example.com.").rcode() == dns.rcode.REFUSED
    # dig over UDP and TCP, with the query's case kept.
    out = dig(s, "WwW.Shop.Example.", "A", "+norec")
    assert out.returncode == 0, out.stderr
    assert "status: NOERROR" in out.stdout and " aa" in out.stdout
    assert "WwW.Shop.Example.\t5\tIN\tA\t127.0.0.1" in out.stdout
    out = dig(s, "+tcp", "www.shop.example.", "A")
    assert "127.0.0.1" in out.stdout and "status: NOERROR" in out.stdout


def test_failover_flips_within_the_bound_and_back(deployment, regions):
    # interval 500 ms, threshold 3: the flip must come within 3 x 0.5 + 0.5 s.
    d = deployment(interval="500ms", timeout="300ms", threshold=3)
    d.start()
    s = d.server()
    assert answers(s, "www.shop.example.") == PRIMARY
    regions["us-east-1"].stop()
    took = wait_answer(s, "www.shop.example.", SECONDARY, timeout=10)
    assert took <= 0.5 * 3 + 0.5, took
    assert "now answers 127.0.0.2 (eu-west-1)" in d.log()
    regions["us-east-1"].start()
    took = wait_answer(s, "www.shop.example.", PRIMARY, timeout=10)
    assert took <= 0.5 * 3 + 0.5, took
    # Both down: Route 53 answers the primary.
    regions["us-east-1"].stop()
    regions["eu-west-1"].stop()
    def both_down():
        with urllib.request.urlopen(f"http://{s['host']}:{s['admin']}/metrics", timeout=5) as r:
            text = r.read().decode()
        return all(f'tandem_dns_check_agreed_healthy{{check="{c}"}} 0' in text
                   for c in ("us-east-1", "eu-west-1"))

    # (Which one is seen down first decides whether the answer moves at all.)
    wait_until(both_down, timeout=10, what="both regions seen down")
    assert answers(s, "www.shop.example.") == PRIMARY


def test_a_flapping_endpoint_does_not_move_traffic(deployment, regions):
    d = deployment(interval="100ms", timeout="80ms", threshold=3)
    d.start()
    s = d.server()
    regions["us-east-1"].mode = "flap"
    start = regions["us-east-1"].requests
    deadline = time.monotonic() + 15
    # Watch at least 20 alternating probes: the answer never moves.
    while regions["us-east-1"].requests - start < 20:
        assert answers(s, "www.shop.example.") == PRIMARY
        assert time.monotonic() < deadline, "the endpoint was not probed"
        time.sleep(0.02)
    assert "now answers" not in d.log()


def test_routing_controls_and_their_safety_rule_persist(deployment):
    d = deployment()
    d.start()
    s = d.server()
    r = d.tandem("route", "out", "us-east-1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ns1: us-east-1 is now out" in r.stdout
    wait_answer(s, "www.shop.example.", SECONDARY, timeout=5)
    # Taking the last set out is refused, and nothing changes.
    r = d.tandem("route", "out", "eu-west-1")
    assert r.returncode == 1
    assert "www.shop.example. A would have nothing to serve" in r.stdout, r.stdout
    assert answers(s, "www.shop.example.") == SECONDARY
    # An unknown set is refused.
    r = d.tandem("route", "out", "ap-south-1")
    assert r.returncode == 1 and "no [[record]] has an answer set 'ap-south-1'" in r.stdout
    # Persisted across a restart.
    d.stop()
    d.start()
    assert answers(s, "www.shop.example.") == SECONDARY
    status = d.tandem("status")
    assert status.returncode == 0, status.stderr
    assert "us-east-1" in status.stdout and "out" in status.stdout
    # --force takes the last one out too: the name then has no A data.
    r = d.tandem("route", "out", "eu-west-1", "--force")
    assert r.returncode == 0, r.stdout
    wait_until(lambda: answers(s, "www.shop.example.") == set(), timeout=5, what="no answer")
    for set_name in ("us-east-1", "eu-west-1"):
        assert d.tandem("route", "auto", set_name).returncode == 0
    wait_answer(s, "www.shop.example.", PRIMARY, timeout=5)


def test_in_forces_an_unhealthy_primary_in(deployment, regions):
    d = deployment()
    d.start()
    s = d.server()
    regions["us-east-1"].mode = "fail"
    wait_answer(s, "www.shop.example.", SECONDARY, timeout=10)
    assert d.tandem("route", "in", "us-east-1").returncode == 0
    wait_answer(s, "www.shop.example.", PRIMARY, timeout=5)


def test_status_shows_checks_observations_answers_and_controls(deployment, regions):
    d = deployment()
    d.start()
    regions["eu-west-1"].mode = "fail"
    s = d.server()
    wait_until(lambda: "UNHEALTHY" in d.tandem("status").stdout, timeout=10,
               what="eu-west-1 unhealthy in status")
    out = d.tandem("status").stdout
    assert "us-east-1" in out and "HTTP_STR_MATCH" in out and "HEALTHY" in out
    assert "HTTP 503" in out  # the observation's reason
    assert "www.shop.example. A failover ttl 5  ->  127.0.0.1" in out
    assert "(none: every answer set follows its health check)" in out
    js = json.loads(d.tandem("status", "--json").stdout)
    checks = {c["name"]: c for c in js["ns1"]["checks"]}
    assert checks["eu-west-1"]["healthy"] is False
    assert checks["eu-west-1"]["observations"][0]["server"] == "ns1"
    assert answers(s, "www.shop.example.") == PRIMARY


def test_admin_api_refuses_unauthenticated_callers(deployment):
    d = deployment()
    d.start()
    s = d.server()
    base = f"http://{s['host']}:{s['admin']}"
    for method, path, body in (("GET", "/v1/status", None),
                               ("POST", "/v1/route", b'{"set":"us-east-1","control":"out"}'),
                               ("POST", "/v1/observations", b'{"checks":{}}')):
        req = urllib.request.Request(base + path, data=body, method=method)
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        assert e.value.code == 403
    assert answers(s, "www.shop.example.") == PRIMARY  # nothing changed
    with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
        text = r.read().decode()
    assert "tandem_dns_queries_total" in text
    assert 'tandem_health_check_healthy{check="us-east-1"} 1' in text


def test_invalid_configuration_is_refused_with_file_and_line(deployment):
    d = deployment()
    d.rewrite(d.read().replace('failure_threshold = 3', 'failure_threshold = 30', 1))
    proc = d.start(wait=False)
    assert proc.wait(timeout=10) == 1
    assert "dns.toml:" in d.log() and "'failure_threshold' must be an integer from 1 to 10" in d.log()


def test_sighup_reloads_and_keeps_the_old_config_when_the_new_is_invalid(deployment):
    d = deployment()
    d.start()
    s = d.server()
    zone_path = os.path.join(d.dir, "shop.example.zone")
    with open(zone_path, "a") as f:
        f.write("added   IN A    192.0.2.99\n")
    d.procs["ns1"].send_signal(signal.SIGHUP)
    wait_until(lambda: answers(s, "added.shop.example.") == {"192.0.2.99"}, timeout=10,
               what="the reloaded zone")
    # A broken zone file: refused, the running zone keeps answering.
    with open(zone_path, "a") as f:
        f.write("broken  IN A    not-an-address\n")
    d.procs["ns1"].send_signal(signal.SIGHUP)
    wait_until(lambda: "reload refused" in d.log(), timeout=10, what="the refusal")
    assert "shop.example.zone:" in d.log()
    assert answers(s, "added.shop.example.") == {"192.0.2.99"}
    assert answers(s, "www.shop.example.") == PRIMARY


def test_reloads_under_load_drop_no_query(deployment):
    """20 SIGHUPs, each changing the zone, while queries keep coming over
    UDP and TCP: every query is answered, with the record as it was before
    or after the reload, never an error."""
    d = deployment()
    d.start()
    s = d.server()
    zone_path = os.path.join(d.dir, "shop.example.zone")
    with open(zone_path) as f:
        base = f.read()
    stop = threading.Event()
    results = {"udp": 0, "tcp": 0, "bad": []}

    def ask(tcp):
        kind = "tcp" if tcp else "udp"
        while not stop.is_set():
            try:
                r = query(s, "www.shop.example.", tcp=tcp, timeout=2.0)
                if r.rcode() != 0 or not r.answer:
                    results["bad"].append((kind, r.rcode(), len(r.answer)))
                results[kind] += 1
            except Exception as e:  # a timeout or a refused connection: a dropped query
                results["bad"].append((kind, repr(e)))

    threads = [threading.Thread(target=ask, args=(tcp,)) for tcp in (False, False, True)]
    for t in threads:
        t.start()
    try:
        for i in range(20):
            with open(zone_path, "w") as f:
                f.write(base + f"gen{i}   IN A    192.0.2.{i + 1}\n")
            d.procs["ns1"].send_signal(signal.SIGHUP)
            wait_until(lambda: d.log().count("configuration reloaded") >= i + 1, timeout=10,
                       what=f"reload {i + 1}")
            assert answers(s, f"gen{i}.shop.example.") == {f"192.0.2.{i + 1}"}
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert results["bad"] == []
    assert results["udp"] > 100 and results["tcp"] > 10, results


def test_sighup_names_the_settings_that_wait_for_a_restart(deployment):
    d = deployment()
    d.start()
    s = d.server()
    with open(os.path.join(d.dir, "secret"), "w") as f:
        f.write("0123456789abcdef" * 4 + "\n")
    assert "probe_source" not in d.read()
    d.rewrite(d.read().replace('name = "ns1"', 'name = "ns1"\nprobe_source = "127.0.0.1"', 1))
    d.procs["ns1"].send_signal(signal.SIGHUP)
    wait_until(lambda: "configuration reloaded" in d.log(), timeout=10, what="the reload")
    assert "reload: probe_source, the secret in" in d.log(), d.log()
    assert "the running values stay until a restart" in d.log()
    # The running secret still signs: status (signed with the new file) is
    # refused, while DNS answers as before.
    assert d.tandem("status").returncode != 0
    assert answers(s, "www.shop.example.") == PRIMARY


def test_two_checkers_share_observations_and_agree(deployment, regions):
    d = deployment(servers=2)
    d.start("ns1")
    d.start("ns2")
    s1, s2 = d.server("ns1"), d.server("ns2")
    # Each sees the other's observations (fresh), then both flip together.
    wait_until(lambda: "ns2" in json.loads(d.tandem("status", "--json").stdout)["ns1"]
               ["fresh_peers"], timeout=10, what="ns1 to hear from ns2")
    regions["us-east-1"].stop()
    wait_answer(s1, "www.shop.example.", SECONDARY, timeout=10)
    wait_answer(s2, "www.shop.example.", SECONDARY, timeout=10)
    # A control set through the deployment reaches both.
    regions["us-east-1"].start()
    wait_answer(s1, "www.shop.example.", PRIMARY, timeout=10)
    assert d.tandem("route", "out", "us-east-1").returncode == 0
    wait_answer(s2, "www.shop.example.", SECONDARY, timeout=5)
    # A server that was down takes the control from the other when back.
    d.stop("ns2")
    assert d.tandem("route", "auto", "us-east-1").returncode == 0
    d.start("ns2")
    wait_answer(s2, "www.shop.example.", PRIMARY, timeout=10)


def own_observation(d, server, check):
    """What `server` itself last observed of `check` (True/False), per its status."""
    status = json.loads(d.tandem("status", "--json").stdout).get(server)
    if not status:
        return None
    for c in status["checks"]:
        if c["name"] == check:
            for o in c["observations"]:
                if o["server"] == server:
                    return o["healthy"]
    return None


def test_one_of_three_checkers_cut_off_from_the_primary_moves_nothing(deployment, regions):
    """Each server probes from its own address; the primary's endpoint drops
    ns3's probes. ns3 sees it down, the others up: 2 of 3 is more than 18%,
    so every server keeps answering the primary. When all three lose it, all
    three flip."""
    d = deployment(servers=3, probe_sources=True)
    for name in ("ns1", "ns2", "ns3"):
        d.start(name)
    servers = [d.server(n) for n in ("ns1", "ns2", "ns3")]

    def status(name):
        return json.loads(d.tandem("status", "--json").stdout)[name]

    wait_until(lambda: sorted(status("ns1")["fresh_peers"]) == ["ns2", "ns3"], timeout=10,
               what="ns1 to hear from ns2 and ns3")
    regions["us-east-1"].cut_off.add("127.0.0.3")

    wait_until(lambda: own_observation(d, "ns3", "us-east-1") is False, timeout=10,
               what="ns3 to see the primary down")
    # Several intervals later, nobody has moved.
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        for s in servers:
            assert answers(s, "www.shop.example.") == PRIMARY
        time.sleep(0.05)
    checks = {c["name"]: c for c in status("ns3")["checks"]}
    assert checks["us-east-1"]["healthy"] is True
    assert checks["us-east-1"]["why"] == "2 of 3 checkers see it healthy"
    regions["us-east-1"].stop()
    for s in servers:
        wait_answer(s, "www.shop.example.", SECONDARY, timeout=10)


WEIGHTED = """[[record]]
name = "api.shop.example."
type = "A"
ttl = 1
routing = "weighted"
answers = [
  { set = "us-east-1", weight = 30, value = "127.0.0.1", health_check = "us-east-1" },
  { set = "eu-west-1", weight = 10, value = "127.0.0.2", health_check = "eu-west-1" },
  { set = "standby", weight = 0, value = "192.0.2.99" },
]
"""


def test_weighted_answers_follow_weights_and_health(deployment, regions):
    d = deployment(record=WEIGHTED)
    d.start()
    s = d.server()
    counts = {}
    for _ in range(400):
        got = answers(s, "api.shop.example.")
        assert got is not None and len(got) == 1, got
        value = got.pop()
        counts[value] = counts.get(value, 0) + 1
    # 30:10 by weight (3:1 with 400 draws: well inside 200..360 for the heavy one),
    # and the zero-weight standby is never drawn while the others are healthy.
    assert set(counts) == {"127.0.0.1", "127.0.0.2"}, counts
    assert 200 <= counts["127.0.0.1"] <= 360, counts
    # Only the zero-weight answer is left healthy: it is served.
    regions["us-east-1"].mode = "fail"
    regions["eu-west-1"].mode = "fail"
    wait_answer(s, "api.shop.example.", {"192.0.2.99"}, timeout=10)


MULTIVALUE = "[[record]]\nname = \"mv.shop.example.\"\ntype = \"A\"\nttl = 1\n" \
    "routing = \"multivalue\"\nanswers = [\n" + "".join(
        f'  {{ set = "s{i}", value = "192.0.2.{i}", '
        f'health_check = "{"us-east-1" if i < 5 else "eu-west-1"}" }},\n'
        for i in range(1, 11)) + "]\n"


def test_multivalue_serves_up_to_eight_healthy_answers(deployment, regions):
    d = deployment(record=MULTIVALUE)
    d.start()
    s = d.server()
    every = {f"192.0.2.{i}" for i in range(1, 11)}
    seen = set()
    for _ in range(50):
        got = answers(s, "mv.shop.example.")
        assert len(got) == 8 and got <= every, got
        seen |= got
    assert seen == every  # the 8 are drawn per query
    # eu-west-1's six go unhealthy: the four healthy ones, all of them.
    regions["eu-west-1"].mode = "fail"
    wait_answer(s, "mv.shop.example.", {f"192.0.2.{i}" for i in range(1, 5)}, timeout=10)
    # None healthy: up to 8 of the unhealthy ones.
    regions["us-east-1"].mode = "fail"
    wait_until(lambda: len(answers(s, "mv.shop.example.") or ()) == 8, timeout=10,
               what="8 answers with none healthy")


def test_during_a_rolling_reload_observations_of_another_definition_do_not_count(deployment):
    """ns2 has reloaded a changed definition of the us-east-1 check; ns1
    has not yet. Until both hold the same definition, neither counts the
    other's observations of that check (they observe different things);
    other checks are shared as before."""
    d = deployment(servers=2)
    d.start("ns1")
    d.start("ns2")

    def ns1_sees_from_ns2():
        st = json.loads(d.tandem("status", "--json").stdout).get("ns1", {})
        return {c["name"] for c in st.get("checks", [])
                for o in c["observations"] if o["server"] == "ns2" and o["fresh"]}

    wait_until(lambda: ns1_sees_from_ns2() == {"us-east-1", "eu-west-1"}, timeout=10,
               what="ns1 to hear ns2 on both checks")
    text = d.read()
    first = text.index('search_string = "ok"')
    d.rewrite(text[:first] + 'search_string = "status"' + text[first + len('search_string = "ok"'):])
    d.procs["ns2"].send_signal(signal.SIGHUP)
    wait_until(lambda: "configuration reloaded" in d.log("ns2"), timeout=10, what="ns2's reload")
    wait_until(lambda: ns1_sees_from_ns2() == {"eu-west-1"}, timeout=10,
               what="ns1 to stop counting ns2's us-east-1 observations")
    d.procs["ns1"].send_signal(signal.SIGHUP)
    wait_until(lambda: ns1_sees_from_ns2() == {"us-east-1", "eu-west-1"}, timeout=10,
               what="ns1 to count them again once it has the same definition")


FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


@pytest.mark.skipif(not os.path.exists(FAKETIME_LIB), reason="needs libfaketime")
def test_a_peers_observations_age_by_our_clock_whatever_its_clock_says(deployment):
    """ns2's wall clock is 40 s behind. Its observations arrive dated by
    its clock, yet ns1 (and so the controller reading ns1's status) must see
    them as fresh, seconds old, not 40 s old and stale."""
    d = deployment(servers=2)
    d.start("ns1")
    d.start("ns2", env={"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": "-40s",
                        "FAKETIME_DONT_FAKE_MONOTONIC": "1"})

    def ns2_seen_by_ns1():
        st = json.loads(d.tandem("status", "--json").stdout).get("ns1", {})
        for check in st.get("checks", []):
            for o in check["observations"]:
                if o["server"] == "ns2":
                    return o
        return None

    seen = wait_until(ns2_seen_by_ns1, timeout=10, what="ns1 to hear from ns2")
    assert seen["fresh"] is True
    assert -1.0 <= seen["age_s"] <= 5.0, seen


def test_a_checker_cut_off_from_its_peers_decides_alone(deployment, regions):
    """ns1's probes of the primary are dropped. While ns2 reports it healthy
    (1 of 2 is more than 18%) nothing moves; once ns2 is gone, ns1's own
    observation is all it has, and it flips."""
    d = deployment(servers=2, probe_sources=True)
    d.start("ns1")
    d.start("ns2")
    s1 = d.server("ns1")
    wait_until(lambda: json.loads(d.tandem("status", "--json").stdout)["ns1"]["fresh_peers"]
               == ["ns2"], timeout=10, what="ns1 to hear from ns2")
    regions["us-east-1"].cut_off.add("127.0.0.1")
    wait_until(lambda: own_observation(d, "ns1", "us-east-1") is False, timeout=10,
               what="ns1 to see the primary down")
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        assert answers(s1, "www.shop.example.") == PRIMARY
        time.sleep(0.05)
    d.stop("ns2")
    wait_answer(s1, "www.shop.example.", SECONDARY, timeout=10)
    js = json.loads(d.tandem("status", "--json").stdout)
    assert js["ns1"]["fresh_peers"] == []


CNAME_FAILOVER = """[[record]]
name = "app.shop.example."
type = "CNAME"
ttl = 5
routing = "failover"
answers = [
  { set = "us-east-1", failover = "PRIMARY", value = "us.cdn.example.", health_check = "us-east-1" },
  { set = "eu-west-1", failover = "SECONDARY", value = "eu.cdn.example.", health_check = "eu-west-1" },
]
"""


def test_a_failover_cname_record_starts_and_follows_health(deployment, regions):
    d = deployment(record=CNAME_FAILOVER)
    d.start()
    s = d.server()
    assert answers(s, "app.shop.example.", "CNAME") == {"us.cdn.example."}
    regions["us-east-1"].stop()
    wait_answer(s, "app.shop.example.", {"eu.cdn.example."}, timeout=10, rdtype="CNAME")


# ---- Routing controls: the operator's time, last writer wins, all or none ----


def signed_request(d, server, method, path, body=b"", signer="tandem-cli@test", date_ms=None):
    """Sends `body` to `server`'s admin API signed with the cluster secret
    (replication/peer_auth.h); returns (HTTP status, parsed JSON body)."""
    with open(os.path.join(d.dir, "secret")) as f:
        secret = f.read().strip().encode()
    date = str(int(time.time() * 1000) if date_ms is None else date_ms)
    nonce = os.urandom(16).hex()
    text = "\n".join([method, path, signer, date, nonce, hashlib.sha256(body).hexdigest()])
    headers = {"X-Tandem-Region": signer, "X-Tandem-Date": date, "X-Tandem-Nonce": nonce,
               "X-Tandem-Signature": hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()}
    req = urllib.request.Request(f"http://{server['host']}:{server['admin']}{path}",
                                 data=body if method == "POST" else None, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def route_request(d, server, control, set_name="us-east-1", date_ms=None, **fields):
    body = json.dumps({"set": set_name, "control": control, "to": server["name"], **fields})
    return signed_request(d, server, "POST", "/v1/route", body.encode(), date_ms=date_ms)


def controls_of(d, server):
    status, js = signed_request(d, server, "GET", "/v1/status")
    assert status == 200, js
    return js["controls"]


def test_a_control_is_dated_when_the_operator_issued_it(deployment):
    d = deployment()
    d.start()
    s = d.server()
    # Through the CLI: dated by the command, before it reached the server.
    before = int(time.time() * 1e6)
    r = d.tandem("route", "out", "us-east-1")
    after = int(time.time() * 1e6)
    assert r.returncode == 0, r.stdout + r.stderr
    entry = controls_of(d, s)["us-east-1"]
    assert before <= entry["at"] <= after and entry["by"].startswith("tandem-cli@"), entry
    wait_answer(s, "www.shop.example.", SECONDARY, timeout=5)
    # A request that took a minute to arrive keeps its issue time ("at", or
    # else the signed date): here it is older than the control in place, so
    # last writer wins and it changes nothing.
    issued = entry["at"] - 60_000_000
    status, js = route_request(d, s, "auto", at=issued)
    assert status == 409 and "a newer control for 'us-east-1' is in place" in js["error"], js
    assert controls_of(d, s)["us-east-1"] == entry
    assert answers(s, "www.shop.example.") == SECONDARY
    date_ms = int(time.time() * 1000) - 90_000  # within the signature's window
    body = json.dumps({"set": "eu-west-1", "control": "in", "to": "ns1"}).encode()
    status, js = signed_request(d, s, "POST", "/v1/route", body, date_ms=date_ms)
    assert status == 200, js
    assert controls_of(d, s)["eu-west-1"]["at"] == date_ms * 1000
    # From a clock too far ahead: refused with the reason, nothing changes.
    for fields in ({"at": int(time.time() * 1e6) + 600_000_000},
                   {"date_ms": int(time.time() * 1000) + 120_000}):
        status, js = route_request(d, s, "auto", **fields)
        assert status == 400, js
        assert "ahead of ns1's clock" in js["error"] and "at most 30 s" in js["error"], js
    assert controls_of(d, s)["us-east-1"] == entry
    assert answers(s, "www.shop.example.") == SECONDARY


EXTRA_RECORD = """
[[record]]
name = "eu.shop.example."
type = "A"
ttl = 5
routing = "simple"
answers = [ { set = "eu-west-1", value = "127.0.0.2", health_check = "eu-west-1" } ]
"""


def test_route_fails_and_changes_nothing_when_any_server_refuses(deployment):
    d = deployment(servers=2)
    d.start("ns1")
    d.start("ns2")
    # Only ns2 has reloaded a record that eu-west-1 alone serves: taking
    # eu-west-1 out is fine for ns1 but would leave ns2's record empty.
    d.rewrite(d.read() + EXTRA_RECORD)
    d.procs["ns2"].send_signal(signal.SIGHUP)
    wait_until(lambda: answers(d.server("ns2"), "eu.shop.example.") == SECONDARY, timeout=10,
               what="ns2 to reload")
    r = d.tandem("route", "out", "eu-west-1")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "ns2: refused: eu.shop.example. A would have nothing to serve" in r.stdout, r.stdout
    assert "refused by ns2" in r.stdout and "nothing was changed" in r.stdout, r.stdout
    for name in ("ns1", "ns2"):
        assert "eu-west-1" not in controls_of(d, d.server(name)), name
    # With --force both apply it.
    r = d.tandem("route", "out", "eu-west-1", "--force")
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("ns1", "ns2"):
        assert controls_of(d, d.server(name))["eu-west-1"]["control"] == "out"


# ---- Reload: a changed check keeps its state until observed -----------------


def test_a_changed_check_keeps_its_state_until_its_new_definition_is_observed(deployment,
                                                                            regions):
    d = deployment()
    d.start()
    s = d.server()
    regions["us-east-1"].mode = "fail"
    wait_answer(s, "www.shop.example.", SECONDARY, timeout=10)
    # The primary's check now points at an endpoint that never answers, so
    # the first probe of the new definition takes its whole timeout.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        text = d.read()
        start = text.index('name = "us-east-1"')
        end = text.index("[[", start)
        block = (text[start:end]
                 .replace(f"port = {regions['us-east-1'].port}", f"port = {hung.getsockname()[1]}")
                 .replace('interval = "200ms"', 'interval = "3s"')
                 .replace('timeout = "150ms"', 'timeout = "1500ms"'))
        d.rewrite(text[:start] + block + text[end:])
        d.procs["ns1"].send_signal(signal.SIGHUP)
        # Until the new definition is observed, the primary stays unhealthy:
        # the answer never moves back to it.
        deadline = time.monotonic() + 15
        while "configuration reloaded" not in d.log():
            assert answers(s, "www.shop.example.") == SECONDARY
            assert time.monotonic() < deadline, "no reload"
            time.sleep(0.02)
        assert answers(s, "www.shop.example.") == SECONDARY
        status, js = signed_request(d, s, "GET", "/v1/status")
        check = next(c for c in js["checks"] if c["name"] == "us-east-1")
        assert check["healthy"] is False
        assert check["observations"][0]["reason"] == "timeout after 1500 ms", check
    assert "now answers 127.0.0.1" not in d.log()


# ---- The admin API protects itself ------------------------------------------


def test_admin_api_caps_connections_and_closes_idle_ones(deployment):
    d = deployment()
    d.start()
    s = d.server()
    address = (s["host"], s["admin"])
    # An anonymous caller takes all 64 slots and sends nothing.
    held = [socket.create_connection(address, timeout=5) for _ in range(64)]
    try:
        # The operator still gets in: a newcomer displaces the oldest
        # anonymous connection, which the server closes unread.
        status = d.tandem("status")
        assert status.returncode == 0, status.stderr
        held[0].settimeout(5)
        assert held[0].recv(1) == b""
        assert answers(s, "www.shop.example.") == PRIMARY  # DNS is unaffected
    finally:
        for c in held:
            c.close()
    wait_until(lambda: d.tandem("status").returncode == 0, timeout=10,
               what="the admin API to serve again")
    # A connection that sends no request is closed after the request timeout.
    with socket.create_connection(address, timeout=5) as idle:
        idle.settimeout(15)
        started = time.monotonic()
        assert idle.recv(1) == b""
        assert time.monotonic() - started < 10
    # Unauthenticated callers are still refused, and change nothing.
    req = urllib.request.Request(f"http://{s['host']}:{s['admin']}/v1/route", method="POST",
                                 data=b'{"set":"us-east-1","control":"out","to":"ns1"}')
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code in (401, 403)
    assert answers(s, "www.shop.example.") == PRIMARY
