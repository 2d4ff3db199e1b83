"""`tandem dns` protocol edges, black box: EDNS0, truncation and TCP,
malformed and unusual packets, refusals, minimal ANY, case and name
compression, TCP framing, size limits and a burst of garbage. Driven with
dig, kdig, dnspython and raw sockets against the real binary serving a
static zone.
"""
import random
import shutil
import socket
import struct
import subprocess
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.zone
import pytest

from conftest import wait_until
from dnsutil import dig, exchange, query, recv_tcp_message, static_deployment

KDIG = "/usr/bin/kdig"
ORIGIN = "shop.example."

ZONE = (f"""$ORIGIN {ORIGIN}
$TTL 300
@        IN SOA  ns1.shop.example. hostmaster.shop.example. 2026120101 3600 900 604800 60
@        IN NS   ns1.shop.example.
@        IN NS   ns2.shop.example.
@        IN MX   10 mail.shop.example.
@        IN MX   20 mx.other.example.
@        IN TXT  "v=spf1 mx -all"
ns1      IN A    127.0.0.1
ns2      IN A    192.0.2.2
mail     IN A    192.0.2.25
www      IN A    192.0.2.1
www      IN AAAA 2001:db8::1
www      IN TXT  "web"
_sip._tcp IN SRV 10 20 5060 sip.shop.example.
sip      IN A    192.0.2.60
""" + "".join(f"mv       IN A    192.0.2.{i}\n" for i in range(1, 13))
        + "".join(f'medium   IN TXT  "medium record {i:02} with some padding"\n'
                  for i in range(1, 16))
        + "".join(f'big      IN TXT  "record number {i} padding padding"\n' for i in range(1, 41)))

MAX_PAYLOAD = 1232  # what tandem advertises and caps UDP answers at


@pytest.fixture(scope="module")
def deployment():
    d = static_deployment(ZONE)
    try:
        d.start()
        yield d
    finally:
        d.stop_all()
        shutil.rmtree(d.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server(deployment):
    return deployment.server()


@pytest.fixture(scope="module")
def zone():
    return dns.zone.from_text(ZONE, origin=ORIGIN, relativize=False)


def wire_query(name="www.shop.example.", rdtype="A", qid=0x1234, **kwargs):
    q = dns.message.make_query(name, rdtype, **kwargs)
    q.id = qid
    return q.to_wire()


def edns_query(server, name, rdtype="A", version=0, payload=1232, dnssec=False, tcp=False):
    """A query with an OPT record. (Not make_query(use_edns=, want_dnssec=):
    with Python 3.11, dnspython 2.3's want_dnssec(False) clears the version.)"""
    q = dns.message.make_query(name, rdtype)
    q.use_edns(version, ednsflags=dns.flags.DO if dnssec else 0, payload=payload)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(q, server["host"], port=server["port"], timeout=2.0)


def parse_header(wire):
    """(id, flags, qdcount, ancount, nscount, arcount) of a raw message."""
    return struct.unpack("!6H", wire[:12])


def rcode_of(wire):
    return parse_header(wire)[1] & 0xF


def with_counts(wire, qdcount=None, ancount=None):
    h = list(parse_header(wire))
    if qdcount is not None:
        h[2] = qdcount
    if ancount is not None:
        h[3] = ancount
    return struct.pack("!6H", *h) + wire[12:]


def kdig(server, *args):
    return subprocess.run([KDIG, f"@{server['host']}", "-p", str(server["port"]), "+retry=0",
                           "+timeout=2", *args], capture_output=True, text=True, timeout=20)


def serves_correctly(server):
    try:
        r = query(server, "www.shop.example.", timeout=1.0)
    except Exception:
        return False
    return (r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA and
            {rd.to_text() for rrset in r.answer for rd in rrset} == {"192.0.2.1"})


# ---- EDNS0 -------------------------------------------------------------------


@pytest.mark.parametrize("payload", [512, 1232, 4096])
@pytest.mark.parametrize("dnssec", [False, True])
def test_edns_opt_is_echoed_with_payload_1232_and_the_do_bit(server, payload, dnssec):
    r = edns_query(server, "www.shop.example.", payload=payload, dnssec=dnssec)
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert r.edns == 0, "the response must carry an OPT (RFC 6891 7)"
    assert r.payload == MAX_PAYLOAD
    assert bool(r.ednsflags & dns.flags.DO) == dnssec
    assert {rd.to_text() for rrset in r.answer for rd in rrset} == {"192.0.2.1"}


def test_opt_only_when_asked_and_on_every_kind_of_answer(server):
    assert query(server, "www.shop.example.").edns == -1
    assert query(server, "www.shop.example.", tcp=True).edns == -1
    for name, rdtype, rcode in (("www.shop.example.", "A", dns.rcode.NOERROR),
                                ("nope.shop.example.", "A", dns.rcode.NXDOMAIN),
                                ("www.shop.example.", "MX", dns.rcode.NOERROR),
                                ("www.example.org.", "A", dns.rcode.REFUSED)):
        for tcp in (False, True):
            r = edns_query(server, name, rdtype, dnssec=True, tcp=tcp)
            assert r.rcode() == rcode, (name, rdtype, tcp)
            assert r.edns == 0 and r.ednsflags & dns.flags.DO, (name, rdtype, tcp)


def test_edns_version_1_gets_badvers(server):
    r = edns_query(server, "www.shop.example.", version=1)
    assert r.rcode() == dns.rcode.BADVERS
    assert r.flags & 0xF == 0, "BADVERS lives in the OPT's extended rcode, the header says 0"
    assert r.edns == 0, "the OPT of a BADVERS response has version 0 (RFC 6891 6.1.3)"
    assert not r.answer and not r.authority
    assert not r.flags & dns.flags.AA
    out = kdig(server, "+edns=1", "www.shop.example.", "A")
    assert "status: BADVERS" in out.stdout, out.stdout + out.stderr
    assert "ANSWER: 0" in out.stdout
    assert "Version: 0" in out.stdout


def test_badvers_over_tcp_too(server):
    r = edns_query(server, "nope.shop.example.", version=1, dnssec=True, tcp=True)
    assert r.rcode() == dns.rcode.BADVERS and r.edns == 0 and not r.answer


def test_unknown_edns_options_are_ignored_and_not_echoed(server):
    q = dns.message.make_query("www.shop.example.", "A")
    q.use_edns(0, payload=1232, options=[dns.edns.GenericOption(65001, b"hello")])
    r = dns.query.udp(q, server["host"], port=server["port"], timeout=2)
    assert r.rcode() == dns.rcode.NOERROR and r.edns == 0 and not r.options
    assert {rd.to_text() for rrset in r.answer for rd in rrset} == {"192.0.2.1"}


def test_two_opt_records_get_formerr_with_an_opt(server):
    wire = wire_query(qid=0x0202, use_edns=0)
    opt = wire[-11:]
    assert opt[:3] == b"\x00\x00\x29"  # root owner, type OPT
    two = bytearray(wire + opt)
    two[11] = 2  # ARCOUNT
    r = dns.message.from_wire(exchange(server, bytes(two)))
    assert r.id == 0x0202 and r.rcode() == dns.rcode.FORMERR
    assert r.edns == 0, "a response to a query with EDNS carries an OPT (RFC 6891 7)"


# ---- Truncation and TCP ------------------------------------------------------


def test_udp_answer_too_big_for_512_is_truncated_and_tcp_carries_it(server):
    wire = exchange(server, wire_query("big.shop.example.", "TXT"))
    assert wire is not None and len(wire) <= 512
    r = dns.message.from_wire(wire)
    assert r.flags & dns.flags.TC and r.flags & dns.flags.AA
    assert r.rcode() == dns.rcode.NOERROR and not r.answer and not r.authority
    full = exchange(server, wire_query("big.shop.example.", "TXT"), tcp=True)
    r = dns.message.from_wire(full)
    assert not r.flags & dns.flags.TC and len(full) > MAX_PAYLOAD
    assert len(r.answer) == 1 and len(r.answer[0]) == 40
    # A user's resolver: kdig without +tcp sees TC (and +ignore stops it there)...
    out = kdig(server, "+ignore", "big.shop.example.", "TXT")
    assert "Flags: qr aa tc rd" in out.stdout and "ANSWER: 0" in out.stdout, out.stdout
    # ...and dig retries over TCP by itself and gets all 40 records.
    out = dig(server, "big.shop.example.", "TXT")
    assert "status: NOERROR" in out.stdout and "ANSWER: 40," in out.stdout, out.stdout
    out = kdig(server, "+tcp", "big.shop.example.", "TXT")
    assert "ANSWER: 40" in out.stdout and "tc" not in out.stdout.split("Flags:")[1].split(";")[0]


def test_an_answer_that_fits_512_is_not_truncated(server):
    wire = exchange(server, wire_query("mv.shop.example."))
    r = dns.message.from_wire(wire)
    assert not r.flags & dns.flags.TC and len(r.answer[0]) == 12 and len(wire) <= 512


@pytest.mark.parametrize("payload", [100, 512, 600, 700, 1000, 1232, 1500, 4096, 65535])
def test_responses_never_exceed_the_requesters_edns_size(server, payload):
    limit = max(512, min(payload, MAX_PAYLOAD))
    for name, rdtype in (("big.shop.example.", "TXT"), ("medium.shop.example.", "TXT"),
                         ("mv.shop.example.", "A"), ("shop.example.", "NS"),
                         ("shop.example.", "MX"), ("shop.example.", "ANY")):
        q = wire_query(name, rdtype, use_edns=0, payload=payload)
        wire = exchange(server, q)
        assert wire is not None, (name, rdtype)
        assert len(wire) <= limit, (name, rdtype, len(wire), limit)
        r = dns.message.from_wire(wire)
        assert r.edns == 0
        if name.startswith(("big", "medium", "mv")):  # no additional data to drop
            full = exchange(server, q, tcp=True)
            assert bool(r.flags & dns.flags.TC) == (len(full) > limit), (name, len(full), limit)
            if not r.flags & dns.flags.TC:
                assert r == dns.message.from_wire(full)


def test_payload_600_medium_answer_is_truncated_within_600_bytes(server):
    q = wire_query("medium.shop.example.", "TXT", use_edns=0, payload=600)
    full = exchange(server, q, tcp=True)
    assert 600 < len(full) <= MAX_PAYLOAD  # the zone is built so
    wire = exchange(server, q)
    assert len(wire) <= 600
    r = dns.message.from_wire(wire)
    assert r.flags & dns.flags.TC and not r.answer and r.edns == 0
    q = wire_query("medium.shop.example.", "TXT", use_edns=0, payload=1232)
    r = dns.message.from_wire(exchange(server, q))
    assert not r.flags & dns.flags.TC and len(r.answer[0]) == 15


# ---- Malformed and unusual packets ------------------------------------------


def test_formerr_for_qdcount_0_and_2_and_trailing_junk(server):
    good = wire_query(qid=0x0101)
    one_question = good[12:]
    cases = {
        "header only, QDCOUNT=0": with_counts(good[:12], qdcount=0),
        "a question but QDCOUNT=0": with_counts(good, qdcount=0),
        "QDCOUNT=2, two questions": with_counts(good + one_question, qdcount=2),
        "QDCOUNT=2, one question": with_counts(good, qdcount=2),
        "trailing junk": good + b"\x00junk",
        "ANCOUNT=1 without the record": with_counts(good, ancount=1),
    }
    for what, packet in cases.items():
        for tcp in (False, True):
            wire = exchange(server, packet, tcp=tcp)
            assert wire is not None, f"{what}: no response (tcp={tcp})"
            qid, flags, *_ = parse_header(wire)
            assert qid == 0x0101 and flags & dns.flags.QR, what
            assert rcode_of(wire) == dns.rcode.FORMERR, (what, tcp, rcode_of(wire))
            assert not flags & dns.flags.AA, what
    assert serves_correctly(server)


@pytest.mark.parametrize("opcode", [dns.opcode.STATUS, dns.opcode.NOTIFY, dns.opcode.IQUERY])
def test_notimp_for_other_opcodes_with_the_question_echoed(server, opcode):
    q = dns.message.make_query(ORIGIN, "SOA")
    q.set_opcode(opcode)
    for tcp in (False, True):
        r = (dns.query.tcp if tcp else dns.query.udp)(q, server["host"], port=server["port"],
                                                      timeout=2)
        assert r.rcode() == dns.rcode.NOTIMP, dns.rcode.to_text(r.rcode())
        assert r.opcode() == opcode
        assert r.question == q.question
        assert not r.answer and not r.authority


def test_responses_and_short_packets_get_no_answer_and_the_next_query_does(server):
    response_like = bytearray(wire_query(qid=0x0bad))
    response_like[2] |= 0x80  # QR=1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2.0)
        address = (server["host"], server["port"])
        for junk in (bytes(response_like), b"", b"\x12", b"\x12\x34\x01",
                     wire_query(qid=0x0bad)[:11]):
            s.sendto(junk, address)
            # The next datagram back answers the next query: nothing came for
            # the junk (the server answers one client's packets in order).
            s.sendto(wire_query(qid=0x600d), address)
            wire = s.recv(65535)
            assert parse_header(wire)[0] == 0x600d, f"answered {junk!r}"
            assert dns.message.from_wire(wire).rcode() == dns.rcode.NOERROR
    # Over TCP, a response instead of a query ends the conversation.
    with socket.create_connection((server["host"], server["port"]), timeout=5) as s:
        s.sendall(struct.pack("!H", len(response_like)) + bytes(response_like))
        assert recv_tcp_message(s) is None
    assert serves_correctly(server)


def test_refused_outside_the_zones(server):
    for name, rdtype in (("www.example.org.", "A"), ("example.", "A"), (".", "NS"),
                         ("shop.example.com.", "A"), ("xshop.example.", "SOA")):
        for tcp in (False, True):
            r = query(server, name, rdtype, tcp=tcp)
            assert r.rcode() == dns.rcode.REFUSED, name
            assert not r.flags & dns.flags.AA, name
            assert not r.answer and not r.authority and not r.additional, name
            assert r.question[0].name == dns.name.from_text(name)
    out = dig(server, "www.example.org.", "A")
    assert "status: REFUSED" in out.stdout and "ANSWER: 0" in out.stdout


# ---- ANY, case, compression --------------------------------------------------


@pytest.mark.parametrize("name", [ORIGIN, "www.shop.example.", "mail.shop.example."])
def test_any_is_answered_with_one_rrset_that_exists(server, zone, name):
    for tcp in (False, True):
        r = query(server, name, "ANY", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
        assert len(r.answer) == 1, f"minimal ANY (RFC 8482) answers one RRset:\n{r}"
        got = r.answer[0]
        existing = zone.get_node(name).get_rdataset(got.rdclass, got.rdtype)
        assert existing is not None and set(existing) == set(got), r.to_text()
    r = query(server, "nope.shop.example.", "ANY")
    assert r.rcode() == dns.rcode.NXDOMAIN and r.authority[0].rdtype == dns.rdatatype.SOA


def dig_records(out):
    """The resource records dig printed, as lists of fields."""
    return [line.split() for line in out.stdout.splitlines() if line and line[0] != ";"]


def test_matching_ignores_case_and_dig_shows_the_querys_case(server):
    out = dig(server, "WwW.ShOp.ExAmPlE.", "A", "+norec")
    assert "status: NOERROR" in out.stdout and " aa" in out.stdout, out.stdout
    assert ";WwW.ShOp.ExAmPlE.\t\tIN\tA" in out.stdout
    assert dig_records(out) == [["WwW.ShOp.ExAmPlE.", "300", "IN", "A", "192.0.2.1"]]
    out = dig(server, "sHoP.eXaMpLe.", "MX", "+noadditional")
    # Names inside RDATA may take the question's case through compression
    # (suffixes match case-insensitively): compare those without case.
    records = dig_records(out)
    assert [r[:4] for r in records] == [["sHoP.eXaMpLe.", "300", "IN", "MX"]] * 2, out.stdout
    assert {" ".join(r[4:]).lower() for r in records} == {"10 mail.shop.example.",
                                                          "20 mx.other.example."}
    out = dig(server, "NoPe.ShOp.ExAmPlE.", "A")
    assert "status: NXDOMAIN" in out.stdout and ";NoPe.ShOp.ExAmPlE.\t\tIN\tA" in out.stdout


def uncompressed_size(r):
    size = 12 + sum(len(q.name.to_wire()) + 4 for q in r.question)
    for section in (r.answer, r.authority, r.additional):
        for rrset in section:
            for rd in rrset:
                size += len(rrset.name.to_wire()) + 10 + len(rd.to_wire())
    return size


@pytest.mark.parametrize("name,rdtype", [("mv.shop.example.", "A"), (ORIGIN, "NS"),
                                         (ORIGIN, "MX")])
def test_names_are_compressed(server, name, rdtype):
    wire = exchange(server, wire_query(name, rdtype))
    r = dns.message.from_wire(wire)  # dnspython follows every pointer
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert len(wire) < uncompressed_size(r), (len(wire), uncompressed_size(r))
    # Every answer owner is a pointer to the question name.
    assert wire.count(b"\xc0\x0c") >= len(r.answer[0])


def test_srv_targets_are_not_compressed(server):
    wire = exchange(server, wire_query("_sip._tcp.shop.example.", "SRV"))
    r = dns.message.from_wire(wire)
    assert [rd.to_text() for rd in r.answer[0]] == ["10 20 5060 sip.shop.example."]
    assert b"\x03sip\x04shop\x07example\x00" in wire  # RFC 2782: the target in full


# ---- TCP framing -------------------------------------------------------------


def test_pipelined_tcp_queries_get_one_answer_each(server):
    names = ["www.shop.example.", "mail.shop.example.", "nope.shop.example."]
    with socket.create_connection((server["host"], server["port"]), timeout=5) as s:
        s.sendall(b"".join(struct.pack("!H", len(w)) + w for w in
                           (wire_query(n, qid=i) for i, n in enumerate(names))))
        got = {}
        for _ in names:
            r = dns.message.from_wire(recv_tcp_message(s))
            got[r.id] = r
    assert sorted(got) == [0, 1, 2]
    assert got[2].rcode() == dns.rcode.NXDOMAIN
    assert {rd.to_text() for rd in got[1].answer[0]} == {"192.0.2.25"}


@pytest.mark.parametrize("framing", [b"\x00\x03abc" + b"\xff" * 40, b"\x00\x00", b"\x00\x0b" +
                                     b"\x00" * 11])
def test_a_bad_tcp_length_prefix_closes_the_connection(server, framing):
    with socket.create_connection((server["host"], server["port"]), timeout=5) as s:
        s.sendall(framing)
        try:
            assert s.recv(65535) == b"", "the server answered a bad frame"
        except ConnectionResetError:
            pass  # closed with unread data: a reset is a close too
    assert serves_correctly(server)
    assert query(server, "www.shop.example.", tcp=True).rcode() == dns.rcode.NOERROR


def test_a_tcp_client_that_sends_half_a_message_and_leaves_does_no_harm(server):
    q = wire_query()
    for _ in range(20):
        with socket.create_connection((server["host"], server["port"]), timeout=5) as s:
            s.sendall(struct.pack("!H", len(q) + 100) + q)  # promises more than it sends
    assert query(server, "www.shop.example.", tcp=True).rcode() == dns.rcode.NOERROR
    assert serves_correctly(server)


# ---- Garbage -----------------------------------------------------------------


def garbage(rng, templates):
    kind = rng.randrange(4)
    if kind == 0:  # random bytes, any length
        return rng.randbytes(rng.randrange(0, 300))
    base = bytearray(rng.choice(templates))
    if kind == 1:  # a valid query with a few bytes changed
        for _ in range(rng.randrange(1, 5)):
            base[rng.randrange(len(base))] = rng.randrange(256)
        return bytes(base)
    if kind == 2:  # a valid query cut short or extended
        return bytes(base[:rng.randrange(len(base))]) + rng.randbytes(rng.randrange(0, 8))
    # a valid header, then anything
    header = bytearray(base[:12])
    header[2] &= 0x7F  # a query
    return bytes(header) + rng.randbytes(rng.randrange(0, 200))


def test_a_burst_of_garbage_neither_crashes_nor_stops_the_server(deployment, server):
    rng = random.Random(20261201)
    templates = [wire_query(), wire_query("big.shop.example.", "TXT", use_edns=0, payload=4096),
                 wire_query(ORIGIN, "ANY", use_edns=0), wire_query("_sip._tcp.shop.example.",
                                                                   "SRV")]
    address = (server["host"], server["port"])
    responses = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        for i in range(2000):
            s.sendto(garbage(rng, templates), address)
            while True:
                try:
                    responses.append(s.recv(65535))
                except BlockingIOError:
                    break
        s.settimeout(0.5)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:  # the stragglers
            try:
                responses.append(s.recv(65535))
            except socket.timeout:
                break
    assert responses, "not one of 2,000 packets (many nearly valid) got an answer"
    for wire in responses:
        assert 12 <= len(wire) <= MAX_PAYLOAD
        assert parse_header(wire)[1] & dns.flags.QR
    # TCP: connections that send garbage and hang up.
    for _ in range(30):
        with socket.create_connection(address, timeout=5) as s:
            s.sendall(rng.randbytes(rng.randrange(1, 400)))
    wait_until(lambda: serves_correctly(server), timeout=10, what="a correct answer after garbage")
    assert len(query(server, "big.shop.example.", "TXT", tcp=True).answer[0]) == 40
    assert deployment.procs["ns1"].poll() is None, deployment.log()
