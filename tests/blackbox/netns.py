"""Private network namespaces for fault tests: partitions without touching the host.

A Namespace is a fresh `ip netns` joined to the root namespace by one veth
pair: the root side is 10.213.N.1/24, the namespace side holds the hosts
10.213.N.2, .3, ... (`hosts`), so a process in the root namespace (the test
and its clients) reaches servers started inside with `command([...])`.

Faults are nftables tables inside the namespace only; the root namespace gets
an address and a link, never a rule. `partition(a, b)` drops every packet
between two hosts of the namespace, both ways, at the input hook (a black
hole: senders time out, as across a real partition, rather than being told);
`heal()` deletes the table. Traffic between two addresses of one namespace
goes over its loopback, and the kernel gives every connection to a local
address the primary address (.2) as its source, whichever process opens it:
a connection from the node on .3 to the one on .2 goes from .2 to .2. So the
rule drops what goes between any two of {a, b}, which with two hosts is
exactly the traffic between them; with more hosts the source no longer tells
who is talking, so partition() refuses (a drill with three regions would give
each its own namespace).

`close()` (or leaving the `with` block) deletes the namespace, which removes
the veth pair too; stop the processes inside first. Namespaces left behind by
a test process that died are deleted by the next `Namespace()`.

Needs root, iproute2 and nft: `unavailable()` says why not.
"""
import functools
import itertools
import os
import re
import shutil
import subprocess

PREFIX = "tandem-t-"  # namespace names: PREFIX + "<pid>-<n>"
_counter = itertools.count()


def _run(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=20)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


@functools.lru_cache(maxsize=None)
def unavailable():
    """None when namespaces with nftables can be made here, else the reason."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (scripts/install-deps.sh installs it)"
    probe = f"{PREFIX}probe-{os.getpid()}"
    r = _run("ip", "netns", "add", probe, check=False)
    if r.returncode != 0:
        return f"`ip netns add` does not work here: {r.stderr.strip()}"
    try:
        r = _run("ip", "netns", "exec", probe, "nft", "list", "tables", check=False)
        if r.returncode != 0:
            return f"nftables does not work in a namespace here: {r.stderr.strip()}"
    finally:
        _run("ip", "netns", "del", probe, check=False)
    return None


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap_stale():
    """Deletes namespaces of this module whose test process is gone."""
    listing = _run("ip", "netns", "list", check=False).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(re.escape(PREFIX) + r"(?:probe-)?(\d+)(?:-\d+)?", name)
        if m and not _alive(int(m.group(1))):
            _run("ip", "netns", "del", name, check=False)


def _free_subnet():
    """A third octet N such that 10.213.N.0/24 and its link names are unused here."""
    used_addrs = _run("ip", "-4", "-o", "addr", "show").stdout
    used_links = _run("ip", "-o", "link", "show").stdout
    start = (os.getpid() * 7 + next(_counter)) % 250
    for i in range(250):
        n = 1 + (start + i) % 250
        if f"10.213.{n}." not in used_addrs and f"tdm{n}r" not in used_links:
            return n
    raise RuntimeError("no free 10.213.N.0/24 subnet for a test namespace")


class Namespace:
    """A network namespace with `host_count` addresses reachable from the root namespace."""

    def __init__(self, host_count=2):
        assert 1 <= host_count <= 200
        _reap_stale()
        self.name = f"{PREFIX}{os.getpid()}-{next(_counter)}"
        self.subnet = _free_subnet()
        self.gateway = f"10.213.{self.subnet}.1"  # the root namespace's side
        self.hosts = [f"10.213.{self.subnet}.{2 + i}" for i in range(host_count)]
        self.root_link = f"tdm{self.subnet}r"
        self.ns_link = f"tdm{self.subnet}n"
        self._partitions = 0
        _run("ip", "netns", "add", self.name)
        try:
            _run("ip", "link", "add", self.root_link, "type", "veth", "peer", "name",
                 self.ns_link, "netns", self.name)
            _run("ip", "addr", "add", f"{self.gateway}/24", "dev", self.root_link)
            _run("ip", "link", "set", self.root_link, "up")
            for host in self.hosts:
                self.ip("addr", "add", f"{host}/24", "dev", self.ns_link)
            self.ip("link", "set", self.ns_link, "up")
            self.ip("link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def command(self, argv):
        """`argv` run inside the namespace (`ip netns exec` execs it: same pid)."""
        return ["ip", "netns", "exec", self.name, *argv]

    def ip(self, *args):
        return _run("ip", "-n", self.name, *args)

    def nft(self, ruleset):
        """Loads an nftables ruleset (text) inside the namespace."""
        r = subprocess.run(self.command(["nft", "-f", "-"]), input=ruleset, capture_output=True,
                           text=True, timeout=20)
        if r.returncode != 0:
            raise RuntimeError(f"nft in {self.name} failed: {r.stderr.strip()}\n{ruleset}")

    def partition(self, a, b):
        """Drops every packet between hosts `a` and `b`, both ways, until heal()."""
        assert a in self.hosts and b in self.hosts and a != b
        if len(self.hosts) != 2:
            raise NotImplementedError("partition() needs a namespace of exactly two hosts")
        table = f"tandem_partition_{self._partitions}"
        self._partitions += 1
        self.nft(f"""
table inet {table} {{
  chain input {{
    type filter hook input priority 0; policy accept;
    ip saddr {{ {a}, {b} }} ip daddr {{ {a}, {b} }} counter drop
  }}
}}
""")
        return table

    def dropped_packets(self):
        """Packets the partition rules have dropped so far (proof they bite)."""
        out = subprocess.run(self.command(["nft", "list", "ruleset"]), capture_output=True,
                             text=True, timeout=20).stdout
        return sum(int(m) for m in re.findall(r"counter packets (\d+)", out))

    def heal(self):
        """Deletes every partition table."""
        out = subprocess.run(self.command(["nft", "list", "tables"]), capture_output=True,
                             text=True, timeout=20).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2].startswith("tandem_partition_"):
                _run(*self.command(["nft", "delete", "table", parts[1], parts[2]]))

    def close(self):
        _run("ip", "netns", "del", self.name, check=False)
        # The pair goes with the namespace; make sure the root side did too.
        if _run("ip", "link", "show", self.root_link, check=False).returncode == 0:
            _run("ip", "link", "del", self.root_link, check=False)
