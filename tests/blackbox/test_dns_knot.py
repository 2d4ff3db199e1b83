"""Differential test of `tandem dns` against Knot DNS (issue 4, "Tests").

The same static zone is served by Debian's knotd and by `tandem dns` (a
[[dns.zone]] with that file and no [[record]]). Every query of the corpus
goes to both; their responses must agree on the rcode, the opcode, the
header flags, the question as sent, whether EDNS is present (version and DO
bit), and the answer, authority and additional RRsets compared as sets
(dnspython RRset equality, plus TTLs); of truncated responses only the
header, as clients retry them over TCP. OPT options and the advertised UDP
payload are not compared: Knot adds NSID/EDE options, and the payload is
each server's choice. For ANY (RFC 8482, minimal) each server may choose
which RRset to return: both must return exactly one, and it must be one that
exists at the name in the zone.

Left out on purpose, where Knot differs by design (research brief, section
2): NOTIFY/UPDATE (Knot: NOTAUTH), AXFR/IXFR, QDCOUNT >= 2 (Knot drops it),
class CH (Knot answers version.bind), and packets Knot drops.
"""
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.zone
import pytest

from conftest import free_port, wait_until
from dnsutil import exchange, static_deployment

KNOTD = "/usr/sbin/knotd"

if not os.access(KNOTD, os.X_OK):
    pytest.skip(f"{KNOTD} not found: install Debian's `knot` package for the differential test",
                allow_module_level=True)

ORIGIN = "shop.example."

_BIG = "".join(f'big      IN TXT  "record number {i} padding padding"\n' for i in range(1, 41))
_MEDIUM = "".join(f'medium   IN TXT  "medium record {i:02} with some padding"\n'
                  for i in range(1, 16))
_MANY_A = "".join(f"mv       IN A    192.0.2.{i}\n" for i in range(1, 13))
_MANY_NS = "".join(f"manyns   IN NS   ns{i}.manyns\n" for i in range(1, 11)) + "".join(
    f"ns{i}.manyns IN A 192.0.2.{100 + i}\nns{i}.manyns IN AAAA 2001:db8::{100 + i:x}\n"
    for i in range(1, 11))

# Every static type the issue names (A AAAA CNAME MX TXT NS SOA SRV CAA),
# CNAME chains in and out of the zone, a wildcard with an existing name and
# an empty non-terminal below it, empty non-terminals, delegations with glue,
# and RRsets too big for 512 bytes (medium) and for 1,232 bytes (big).
ZONE = f"""$ORIGIN {ORIGIN}
$TTL 300
@        IN SOA  ns1.shop.example. hostmaster.shop.example. 2026120101 3600 900 604800 60
@        IN NS   ns1.shop.example.
@        IN NS   ns2.shop.example.
@        IN MX   10 mail.shop.example.
@        IN MX   20 mx.other.example.
@        IN TXT  "v=spf1 mx -all"
@        IN CAA  0 issue "letsencrypt.org"
@        IN CAA  0 iodef "mailto:security@shop.example"
ns1      IN A    127.0.0.1
ns2      IN A    192.0.2.2
ns2      IN AAAA 2001:db8::2
mail     IN A    192.0.2.25
mail     IN AAAA 2001:db8::25
WwW.Static 60 IN A 192.0.2.1
           60 IN AAAA 2001:db8::1
txt      IN TXT  "hello world" "two"
_sip._tcp  IN SRV 10 20 5060 sip.shop.example.
sip      IN A    192.0.2.60
_xmpp._tcp IN SRV 5 0 5222 xmpp.elsewhere.org.
alias    IN CNAME WwW.Static
chain    IN CNAME alias
chain3   IN CNAME chain
ext      IN CNAME www.elsewhere.org.
dangling IN CNAME nothing.shop.example.
tomail   IN CNAME mail
towild   IN CNAME foo.wild
tochild  IN CNAME www.child
loop1    IN CNAME loop2
loop2    IN CNAME loop1
selfloop IN CNAME selfloop
tobig    IN CNAME big
*.wild   IN A    192.0.2.50
*.wild   IN TXT  "wild"
exists.wild IN AAAA 2001:db8::50
deep.sub.wild IN A 192.0.2.51
*.wc     IN CNAME WwW.Static
deep.ent.sub 3600 IN A 192.0.2.9
child    IN NS   ns.child
child    IN NS   ns.elsewhere.org.
ns.child IN A    192.0.2.77
ns.child IN AAAA 2001:db8::77
{_MANY_NS}{_MANY_A}{_MEDIUM}{_BIG}"""

KNOT_CONF = """server:
    rundir: "{dir}/run"
    listen: {host}@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{dir}/db"
log:
  - target: stderr
    any: info
zone:
  - domain: {origin}
    file: "{zone}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
"""


class Knot:
    """knotd serving `zone_path` on 127.0.0.1 (free port), from a private
    directory; stopped with SIGTERM."""

    def __init__(self, zone_path):
        self.dir = tempfile.mkdtemp(prefix="tandem-knot-")
        self.server = {"name": "knot", "host": "127.0.0.1", "port": free_port()}
        for sub in ("run", "db"):
            os.makedirs(os.path.join(self.dir, sub))
        conf = os.path.join(self.dir, "knot.conf")
        with open(conf, "w") as f:
            f.write(KNOT_CONF.format(dir=self.dir, host=self.server["host"],
                                     port=self.server["port"], origin=ORIGIN, zone=zone_path))
        self.log_path = os.path.join(self.dir, "knotd.log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([KNOTD, "-c", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_until(self._serving, timeout=15, what="knotd to load the zone")

    def _serving(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"knotd exited with {self.proc.returncode}: {self.read_log()}")
        try:
            r = dns.query.udp(dns.message.make_query(ORIGIN, "SOA"), self.server["host"],
                              port=self.server["port"], timeout=0.5)
        except Exception:
            return False
        return r.rcode() == dns.rcode.NOERROR and bool(r.flags & dns.flags.AA) and r.answer

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def servers():
    """(knot, tandem): the same zone file served by both."""
    deployment = static_deployment(ZONE)
    knot = None
    try:
        knot = Knot(os.path.join(deployment.dir, "shop.example.zone"))
        deployment.start()
        yield knot.server, deployment.server()
    finally:
        deployment.stop_all()
        if knot:
            knot.stop()
        shutil.rmtree(deployment.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def zone():
    """The zone as dnspython reads it: which RRsets exist at each name."""
    return dns.zone.from_text(ZONE, origin=ORIGIN, relativize=False, check_origin=True)


# ---- The corpus --------------------------------------------------------------

RD = dns.flags.RD


@dataclass(frozen=True)
class Case:
    name: str
    rdtype: str = "A"
    rdclass: str = "IN"
    edns: int = -1  # -1: no OPT
    payload: int = 1232
    dnssec: bool = False
    flags: int = RD
    any_owner: str = ""  # ANY: the zone name whose RRsets may answer


def c(name, rdtype="A", **kwargs):
    if not name.endswith("."):
        name = f"{name}.{ORIGIN}" if name != "@" else ORIGIN
    return Case(name, rdtype, **kwargs)


CORPUS = {
    # Static types at the apex and below it.
    "apex-SOA": c("@", "SOA"),
    "apex-NS-with-glue": c("@", "NS"),
    "apex-MX": c("@", "MX"),
    "apex-TXT": c("@", "TXT"),
    "apex-CAA": c("@", "CAA"),
    "apex-A-nodata": c("@", "A"),
    "apex-SOA-upper-case": c("SHOP.EXAMPLE.", "SOA"),
    "A": c("www.static"),
    "A-mixed-case": c("wWw.sTaTiC.ShOp.ExAmPlE."),
    "AAAA": c("www.static", "AAAA"),
    "MX-nodata": c("www.static", "MX"),
    "AAAA-glue-host": c("ns2", "AAAA"),
    "A-mail-case": c("MaIl.ShOp.eXaMpLe.", "A"),
    "TXT-two-strings": c("txt", "TXT"),
    "SRV-in-zone-target": c("_sip._tcp", "SRV"),
    "SRV-out-of-zone-target": c("_xmpp._tcp", "SRV"),
    "A-twelve-records": c("mv"),
    "SOA-below-apex-nodata": c("mail", "SOA"),
    "NS-below-apex-nodata": c("mail", "NS"),
    "unknown-type-nodata": c("www.static", "TYPE65000"),
    "RRSIG-unsigned-nodata": c("www.static", "RRSIG"),
    "MAILA-nodata": c("www.static", "MAILA"),
    "type-0": c("www.static", "TYPE0"),
    "DS-at-apex": c("@", "DS"),
    "escaped-dot-in-label": c("www\\.static.shop.example."),
    "nxdomain": c("nope"),
    "nxdomain-deep": c("a.b.nope", "AAAA"),
    "nxdomain-MX": c("nope", "MX"),
    # CNAMEs, followed inside the zone, not out of it.
    "cname-to-A": c("alias"),
    "cname-chain-2": c("chain"),
    "cname-chain-3-AAAA": c("chain3", "AAAA"),
    "cname-chain-nodata": c("chain", "MX"),
    "cname-qtype-cname": c("alias", "CNAME"),
    "cname-upper-case": c("CHAIN.SHOP.EXAMPLE."),
    "cname-out-of-zone": c("ext"),
    "cname-dangling-nxdomain": c("dangling"),
    "cname-to-mail": c("tomail"),
    "cname-to-wildcard": c("towild"),
    "cname-into-delegation": c("tochild"),
    "cname-loop": c("loop1"),
    "cname-self-loop": c("selfloop", "AAAA"),
    # Wildcards (RFC 4592).
    "wildcard-A": c("foo.wild"),
    "wildcard-TXT": c("foo.wild", "TXT"),
    "wildcard-nodata": c("foo.wild", "MX"),
    "wildcard-two-labels": c("a.b.wild"),
    "wildcard-case": c("FoO.WiLd.ShOp.ExAmPlE."),
    "wildcard-literal-star": c("*.wild"),
    "wildcard-blocked-by-existing-name": c("exists.wild"),
    "wildcard-existing-name-AAAA": c("exists.wild", "AAAA"),
    "wildcard-ent-nodata": c("sub.wild"),
    "wildcard-blocked-by-ent": c("x.sub.wild"),
    "wildcard-below-existing-name": c("x.exists.wild"),
    "wildcard-cname": c("x.wc"),
    "wildcard-cname-AAAA": c("y.wc", "AAAA"),
    # Empty non-terminals (RFC 8020).
    "ent-top": c("sub"),
    "ent-middle": c("ent.sub", "TXT"),
    "below-ent-nxdomain": c("x.ent.sub"),
    "ent-leaf": c("deep.ent.sub"),
    # Delegations: referrals with glue.
    "delegation-NS": c("child", "NS"),
    "delegation-A": c("child"),
    "delegation-below": c("www.child"),
    "delegation-glue-name": c("ns.child"),
    "delegation-deep-AAAA": c("a.b.child", "AAAA"),
    "delegation-DS-at-cut": c("child", "DS"),
    "delegation-many-glue": c("www.manyns"),
    "delegation-many-glue-edns": c("www.manyns", edns=0),
    # ANY: minimal (RFC 8482).
    "ANY-apex": c("@", "ANY", any_owner=ORIGIN),
    "ANY-name": c("www.static", "ANY", any_owner="www.static." + ORIGIN),
    "ANY-mail": c("mail", "ANY", any_owner="mail." + ORIGIN),
    "ANY-cname": c("alias", "ANY", any_owner="alias." + ORIGIN),
    "ANY-wildcard": c("foo.wild", "ANY", any_owner="*.wild." + ORIGIN),
    "ANY-edns": c("txt", "ANY", edns=0, any_owner="txt." + ORIGIN),
    "ANY-nxdomain": c("nope", "ANY"),
    # qclass ANY is answered as IN.
    "qclass-ANY": c("www.static", rdclass="ANY"),
    "qclass-ANY-MX": c("@", "MX", rdclass="ANY"),
    # EDNS payload sizes and DO.
    "edns-4096": c("www.static", edns=0, payload=4096),
    "edns-512-DO": c("www.static", edns=0, payload=512, dnssec=True),
    "edns-DO-nxdomain": c("nope", edns=0, dnssec=True),
    "edns-small-payload": c("mv", edns=0, payload=100),
    "edns-version-1": c("www.static", edns=1),
    "edns-version-1-DO-nxdomain": c("nope", edns=1, dnssec=True),
    "edns-version-1-out-of-zone": c("www.example.org.", edns=1),
    # Sizes: TC over UDP at 512 without EDNS, and at the EDNS size.
    "tc-medium-no-edns": c("medium", "TXT"),
    "tc-medium-edns-512": c("medium", "TXT", edns=0, payload=512),
    "tc-medium-edns-100": c("medium", "TXT", edns=0, payload=100),
    "fits-medium-edns-1232": c("medium", "TXT", edns=0, payload=1232),
    "fits-medium-edns-4096-DO": c("medium", "TXT", edns=0, payload=4096, dnssec=True),
    "tc-big-no-edns": c("big", "TXT"),
    "tc-big-edns-4096": c("big", "TXT", edns=0, payload=4096),
    "tc-cname-to-big": c("tobig", "TXT"),
    "long-name-nxdomain": c(".".join(["a" * 60] * 3) + "." + ORIGIN, "AAAA"),
    "A-twelve-edns-512": c("mv", edns=0, payload=512),
    # Header flags: RD copied, AD and CD cleared.
    "no-RD": c("www.static", flags=0),
    "no-RD-nxdomain": c("nope", flags=0),
    "RD-AD-CD": c("www.static", flags=RD | dns.flags.AD | dns.flags.CD),
    # Outside the zone: REFUSED.
    "refused-other-zone": c("www.example.org."),
    "refused-parent": c("example."),
    "refused-root": c(".", "NS"),
    "refused-longer-tld": c("shop.example.com."),
    "refused-label-suffix": c("xshop.example."),
}


def make_query(case):
    q = dns.message.make_query(case.name, case.rdtype, case.rdclass)
    if case.edns >= 0:
        # Not make_query(use_edns=, want_dnssec=): with Python 3.11, dnspython
        # 2.3's want_dnssec(False) clears the EDNS version too.
        q.use_edns(case.edns, ednsflags=dns.flags.DO if case.dnssec else 0,
                   payload=case.payload)
    q.flags = case.flags
    return q


def ask(server, q, tcp):
    send = dns.query.tcp if tcp else dns.query.udp
    return send(q, server["host"], port=server["port"], timeout=2.0)


# ---- Comparison --------------------------------------------------------------

FLAGS = (dns.flags.QR | dns.flags.AA | dns.flags.TC | dns.flags.RD | dns.flags.RA |
         dns.flags.AD | dns.flags.CD)


def header(r):
    edns = None
    if r.edns >= 0:
        edns = (r.edns, bool(r.ednsflags & dns.flags.DO))
    return {"rcode": dns.rcode.to_text(r.rcode()), "opcode": r.opcode(),
            "flags": dns.flags.to_text(r.flags & FLAGS),
            "question": [q.to_text() for q in r.question],  # case-sensitive text
            "edns (version, DO)": edns}


def same_rrsets(a, b):
    """True when the sections hold the same RRsets, in any order: equal
    as dnspython RRsets (owner, class, type, rdata set) and equal TTLs."""
    if len(a) != len(b):
        return False
    rest = list(b)
    for x in a:
        match = next((y for y in rest if x == y and x.ttl == y.ttl), None)
        if match is None:
            return False
        rest.remove(match)
    return True


def show(r):
    return r.to_text()


def assert_one_existing_rrset(r, zone, owner, who):
    assert len(r.answer) == 1, f"{who}: minimal ANY must answer one RRset:\n{show(r)}"
    got = r.answer[0]
    node = zone.get_node(owner)
    assert node is not None, owner
    existing = node.get_rdataset(got.rdclass, got.rdtype)
    assert existing is not None and set(existing) == set(got) and existing.ttl == got.ttl, (
        f"{who}: ANY answered an RRset that is not at {owner}:\n{show(r)}")


@pytest.mark.parametrize("transport", ["udp", "tcp"])
@pytest.mark.parametrize("case_id", list(CORPUS))
def test_tandem_answers_like_knot(servers, zone, case_id, transport):
    knot, tandem = servers
    case = CORPUS[case_id]
    q = make_query(case)
    tcp = transport == "tcp"
    k = ask(knot, q, tcp)
    t = ask(tandem, q, tcp)
    context = f"\n--- knot:\n{show(k)}\n--- tandem:\n{show(t)}"
    assert header(t) == header(k), context
    if t.flags & dns.flags.TC:
        # Both truncated. What a truncated response carries is the server's
        # choice (Knot keeps the records that fit, tandem none) and clients
        # retry over TCP, where the same case compares the full answer.
        return
    if case.any_owner:
        assert_one_existing_rrset(k, zone, case.any_owner, "knot")
        assert_one_existing_rrset(t, zone, case.any_owner, "tandem")
    else:
        assert same_rrsets(t.answer, k.answer), "answer section differs" + context
    assert same_rrsets(t.authority, k.authority), "authority section differs" + context
    if not case.any_owner:  # Knot adds glue for whichever RRset it picked
        assert same_rrsets(t.additional, k.additional), "additional section differs" + context
    # The query's case comes back in the owners of records at the query name.
    for rrset in t.answer + t.authority:
        if rrset.name == q.question[0].name:
            assert rrset.name.to_text() == q.question[0].name.to_text(), context


def test_corpus_is_large_and_covers_every_static_type():
    types = {case.rdtype for case in CORPUS.values()}
    assert {"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "SRV", "CAA", "ANY"} <= types
    assert len(CORPUS) >= 60


def test_a_deployment_with_a_record_still_serves_the_static_zone_like_knot(servers):
    """The same zone with a health-free [[record]] beside it: the static data
    is answered as before."""
    knot, _ = servers
    d = static_deployment(ZONE, record='[[record]]\nname = "extra.shop.example."\ntype = "A"\n'
                          'answers = [ { set = "x", value = "192.0.2.254" } ]\n')
    try:
        d.start(wait=False)
        s = d.server()
        q = make_query(CORPUS["apex-SOA"])
        wait_until(lambda: d.procs["ns1"].poll() is not None or
                   exchange(s, q.to_wire(), timeout=0.2), timeout=15, what="ns1 to answer")
        assert d.procs["ns1"].poll() is None, d.log()
        t = ask(s, q, tcp=False)
        k = ask(knot, q, tcp=False)
        assert header(t) == header(k), f"\n--- knot:\n{show(k)}\n--- tandem:\n{show(t)}"
        assert same_rrsets(t.answer, k.answer)
    finally:
        d.stop_all()
        shutil.rmtree(d.dir, ignore_errors=True)
