"""User-defined networks: network create, ls, inspect, rm, prune and exists with Podman's output, messages and exit
statuses, definitions that Podman and berth both read, and containers on one network reaching each other by
address and by name (netavark and aardvark-dns, as root).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

from fixtures.runner import Berth

HEX64 = re.compile(r"^[0-9a-f]{64}$")
HOST_PYTHON = ["-v", "/usr:/usr:ro", "-v", "/lib:/lib:ro", "-v", "/lib64:/lib64:ro"]
FETCH = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end='')"
HTTPD = "mkdir -p /www && echo hello-from-{} > /www/index.html && exec httpd -f -p 80 -h /www"


@pytest.fixture(scope="module", params=["root", "rootless"])
def berth(request, berth_binary, shared_registry):
    if request.param == "root":
        runner = Berth(berth_binary)
    else:
        runner = Berth(request.getfixturevalue("berth_user_binary"), request.getfixturevalue("test_user"))
    with runner:
        runner.image = shared_registry.reference("busybox")
        yield runner


@pytest.fixture
def root(berth_binary, shared_registry):
    with Berth(berth_binary) as runner:
        runner.image = shared_registry.reference("busybox")
        runner.run("pull", "-q", "--tls-verify=false", runner.image)
        yield runner
        runner.run("rm", "-a", "-f", "-t", "0", check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def host_address() -> str:
    for line in subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"], capture_output=True,
                               text=True, check=True).stdout.splitlines():
        return line.split()[3].split("/")[0]
    pytest.skip("the host has no global IPv4 address")


def http_get(url: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def names(berth: Berth, *args: str) -> list[str]:
    return berth.run("network", "ls", "-q", *args).stdout.split()


def test_network_commands_match_podman(berth):
    assert berth.run("network", "create", "--label", "app=web", "front").stdout == "front\n"
    berth.run("network", "create", "--internal", "--disable-dns", "--subnet", "10.213.0.0/16", "--ip-range",
              "10.213.1.0/24", "-o", "mtu=1400", "back")
    (front,) = berth.json("network", "inspect", "front")
    assert HEX64.match(front["id"])
    assert front["driver"] == "bridge" and re.match(r"^podman\d+$", front["network_interface"])
    assert re.match(r"^10\.\d+\.\d+\.0/24$", front["subnets"][0]["subnet"])
    assert front["dns_enabled"] is True and front["labels"] == {"app": "web"}
    assert front["ipam_options"] == {"driver": "host-local"}
    (back,) = berth.json("network", "inspect", "back")
    assert back["subnets"] == [{"subnet": "10.213.0.0/16",
                                "lease_range": {"start_ip": "10.213.1.1", "end_ip": "10.213.1.255"}}]
    assert (back["internal"], back["dns_enabled"], back["options"]) == (True, False, {"mtu": "1400"})
    # The file is Podman's: its own name, 5-space indent as `podman network inspect` prints it.
    stored = (berth.root / "networks" / "front.json").read_text()
    assert json.loads(stored) == front and stored.startswith('{\n     "name": "front"')

    assert names(berth) == ["back", "front", "podman"]
    table = berth.run("network", "ls").stdout.splitlines()
    assert table[0].split() == ["NETWORK", "ID", "NAME", "DRIVER"]
    assert table[1].split() == [back["id"][:12], "back", "bridge"]
    assert berth.run("network", "ls", "--no-trunc", "--filter", "name=fro").stdout.splitlines()[1].split()[0] == \
        front["id"]
    assert names(berth, "--filter", "label=app=web") == ["front"]
    assert names(berth, "--filter", "id=" + back["id"][:6]) == ["back"]
    assert names(berth, "--filter", "driver=bridge", "--filter", "name=^ba") == ["back"]
    assert berth.run("network", "ls", "--format", "{{.Name}} {{.Labels}}", "--filter", "name=front").stdout == \
        "front app=web\n"
    assert berth.run("network", "ls", "--format", "table {{.Name}} {{.ID}}").stdout.splitlines()[0].split() == \
        ["NAME", "NETWORK", "ID"]
    assert [entry["name"] for entry in berth.json("network", "ls", "--format", "json")] == ["back", "front", "podman"]
    assert berth.run("network", "inspect", "--format", "{{.Name}} {{.NetworkInterface}} {{.DNSEnabled}}",
                     "podman").stdout == "podman berth0 false\n"
    bad_filter = berth.run("network", "ls", "--filter", "foo=bar", check=False)
    assert (bad_filter.returncode, bad_filter.stderr) == (125, 'Error: invalid filter "foo"\n')

    taken = berth.run("network", "create", "front", check=False)
    assert (taken.returncode, taken.stderr) == (125, "Error: network name front already used: network already exists\n")
    assert berth.run("network", "create", "--ignore", "front").stdout == "front\n"
    overlap = berth.run("network", "create", "--subnet", "10.213.5.0/24", "x", check=False)
    assert (overlap.returncode, overlap.stderr) == (
        125, "Error: subnet 10.213.5.0/24 is already used on the host or by another config\n")
    gateway = berth.run("network", "create", "--gateway", "10.90.0.1", "x", check=False)
    assert gateway.stderr == "Error: cannot set gateway or range without subnet\n"
    assert berth.run("network", "create", "-d", "foo", "x", check=False).stderr == \
        "Error: unsupported driver foo: invalid argument\n"
    assert berth.run("network", "create", "bad name", check=False).returncode == 125

    assert berth.run("network", "exists", "front").returncode == 0
    assert berth.run("network", "exists", "nosuch", check=False).returncode == 1
    missing = berth.run("network", "inspect", "front", "nosuch", check=False)
    assert missing.returncode == 125 and json.loads(missing.stdout)[0]["name"] == "front"
    assert missing.stderr == ("Error: inspecting object: network nosuch: unable to find network with name or ID "
                              "nosuch: network not found\n")
    gone = berth.run("network", "rm", "nosuch", check=False)
    assert (gone.returncode, gone.stderr) == (1, "Error: unable to find network with name or ID nosuch: network not "
                                                 "found\n")
    default = berth.run("network", "rm", "podman", check=False)
    assert (default.returncode, default.stderr) == (125, "Error: default network podman cannot be removed\n")

    assert berth.run("network", "prune", "-f", "--filter", "label=app=db").stdout == ""
    assert berth.run("network", "prune", "-f", "--filter", "label=app=web").stdout == "front\n"
    assert berth.run("network", "rm", "back").stdout == "back\n"
    assert names(berth) == ["podman"]
    # With nothing given, the name is the first free podmanN.
    assert berth.run("network", "create").stdout == "podman1\n"
    assert berth.run("network", "prune", "-f").stdout == "podman1\n"


def test_rootless_containers_refuse_user_networks_clearly(berth):
    if not berth.rootless:
        pytest.skip("root attaches user-defined networks")
    berth.run("pull", "-q", "--tls-verify=false", berth.image)
    berth.run("network", "create", "mine")
    try:
        result = berth.run("create", "--network", "mine", berth.image, "true", check=False)
        assert result.returncode == 125
        assert "user-defined networks need root for now" in result.stderr
    finally:
        berth.run("network", "rm", "mine")


@pytest.fixture
def podman(root):
    """Rootful Podman on berth's graph root: the same networks directory (--network-config-dir, as root's default
    is /etc/containers/networks)."""
    with tempfile.TemporaryDirectory(prefix="berth-podman-") as directory:
        yield ["podman", "--root", f"{directory}/root", "--runroot", f"{directory}/run", "--storage-driver", "vfs",
               "--network-config-dir", str(root.root / "networks")]


def test_podman_and_berth_read_each_others_networks(root, podman):
    def run_podman(*args: str) -> str:
        return subprocess.run([*podman, *args], check=True, capture_output=True, text=True, timeout=60).stdout

    run_podman("network", "create", "--label", "made=podman", "--subnet", "10.214.0.0/24", "bypodman")
    root.run("network", "create", "--label", "made=berth", "--ipv6", "byberth")
    assert root.json("network", "inspect", "bypodman") == json.loads(run_podman("network", "inspect", "bypodman"))
    assert json.loads(run_podman("network", "inspect", "byberth")) == root.json("network", "inspect", "byberth")
    assert run_podman("network", "ls", "-q").split() == names(root) == ["byberth", "bypodman", "podman"]
    # berth's allocation sees Podman's subnet, Podman's sees berth's.
    taken = root.run("network", "create", "--subnet", "10.214.0.0/24", "again", check=False)
    assert taken.returncode == 125
    byberth = root.json("network", "inspect", "byberth")[0]["subnets"][0]["subnet"]
    assert subprocess.run([*podman, "network", "create", "--subnet", byberth, "again"], capture_output=True,
                          timeout=60).returncode == 125
    run_podman("network", "rm", "byberth")
    root.run("network", "rm", "bypodman")
    assert names(root) == ["podman"]


def kill_monitor_and_remove(root: Berth, name: str) -> dict:
    container = root.json("inspect", name)[0]
    monitor = int((root.root / "containers" / container["Id"] / "userdata" / "monitor.pid").read_text())
    os.kill(monitor, signal.SIGKILL)
    os.kill(container["State"]["Pid"], signal.SIGKILL)
    root.run("rm", "-f", name)
    return container


def test_containers_on_a_network_reach_each_other_by_address_and_name(root):
    root.run("network", "create", "--subnet", "10.215.0.0/24", "app")
    port = free_port()
    root.run("run", "-d", "--name", "web", "--network", "app", "--network-alias", "www", "-p", f"{port}:80",
             root.image, "sh", "-c", HTTPD.format("web"))
    root.run("run", "-d", "--name", "fixed", "--network", "app", "--ip", "10.215.0.50", "--mac-address",
             "92:d0:c6:0a:29:33", root.image, "sh", "-c", HTTPD.format("fixed"))
    hosts = root.run("exec", "web", "cat", "/etc/hosts").stdout
    address = re.search(r"^(10\.215\.0\.\d+)\s.*\bweb\b", hosts, re.M).group(1)
    assert address != "10.215.0.1"
    settings = root.json("inspect", "--format", "{{json .NetworkSettings.Networks}}", "fixed")
    assert (settings["app"]["IPAddress"], settings["app"]["IPPrefixLen"], settings["app"]["Gateway"],
            settings["app"]["MacAddress"]) == ("10.215.0.50", 24, "10.215.0.1", "92:d0:c6:0a:29:33")
    bad_mac = root.run("create", "--network", "app", "--mac-address", "nope", root.image, check=False)
    assert (bad_mac.returncode, bad_mac.stderr) == (125, "Error: invalid MAC address nope\n")
    assert root.run("inspect", "--format", "{{.NetworkSettings.Networks.app.IPAddress}}", "web").stdout == \
        address + "\n"

    def fetch(url: str) -> str:
        # The host's Python: busybox-static's wget cannot resolve names (static glibc has no NSS).
        result = root.run("run", "--rm", "--network", "app", *HOST_PYTHON, root.image, "/usr/bin/python3", "-c",
                          FETCH, url, check=False)
        return result.stdout or str(result)

    assert fetch(f"http://{address}/") == "hello-from-web\n"
    assert fetch("http://web/") == "hello-from-web\n"
    assert fetch("http://www/") == "hello-from-web\n"
    assert fetch("http://10.215.0.50/") == "hello-from-fixed\n"
    assert fetch("http://fixed/") == "hello-from-fixed\n"
    assert http_get(f"http://{host_address()}:{port}/") == "hello-from-web\n"
    taken = root.run("run", "--rm", "--network", "app", "--ip", "10.215.0.50", root.image, "true", check=False)
    assert taken.returncode != 0 and "already allocated" in taken.stderr

    # A monitor killed with SIGKILL gives nothing back; once its container is removed, the next container that
    # needs the address tears the leftover down and takes it.
    fixed = kill_monitor_and_remove(root, "fixed")
    root.run("run", "-d", "--name", "fixed2", "--network", "app", "--ip", "10.215.0.50", root.image, "sh", "-c",
             HTTPD.format("fixed2"))
    assert fetch("http://10.215.0.50/") == "hello-from-fixed2\n"
    assert not (root.runroot / "networks" / "netns" / fixed["Id"]).exists()

    missing = root.run("create", "--network", "nosuch", root.image, check=False)
    assert (missing.returncode, missing.stderr) == (
        125, "Error: unable to find network with name or ID nosuch: network not found\n")
    kill_monitor_and_remove(root, "web")  # network rm tears its leftover down
    in_use = root.run("network", "rm", "app", check=False)
    assert in_use.returncode == 2 and "network is being used" in in_use.stderr
    assert root.run("network", "rm", "-f", "app").stdout == "app\n"
    assert root.run("ps", "-aq").stdout == ""
    # The teardown left no address leased and no namespace bound.
    leases = root.runroot / "networks" / "leases" / "app"
    assert not leases.exists() or list(leases.iterdir()) == []
    assert list((root.runroot / "networks" / "netns").iterdir()) == []


def test_network_connect_and_disconnect(root):
    root.run("network", "create", "--subnet", "10.217.0.0/24", "one")
    root.run("network", "create", "--subnet", "10.218.0.0/24", "two")
    root.run("run", "-d", "--name", "srv", "--network", "one", root.image, "sh", "-c", HTTPD.format("srv"))

    def fetch_on_two(url: str) -> str:
        result = root.run("run", "--rm", "--network", "two", *HOST_PYTHON, root.image, "/usr/bin/python3", "-c",
                          FETCH, url, check=False)
        return result.stdout

    def leases(network: str) -> list:
        directory = root.runroot / "networks" / "leases" / network
        return sorted(path.name for path in directory.iterdir()) if directory.exists() else []

    assert fetch_on_two("http://srv/") == ""
    assert root.run("network", "connect", "--alias", "api", "two", "srv").stdout == ""
    assert fetch_on_two("http://api/") == "hello-from-srv\n"
    assert fetch_on_two("http://srv/") == "hello-from-srv\n"
    assert "inet 10.218.0." in root.run("exec", "srv", "ip", "addr", "show", "eth1").stdout
    assert root.run("network", "connect", "two", "srv").stdout == ""  # again: nothing to do, as in Podman
    in_use = root.run("network", "rm", "two", check=False)
    assert (in_use.returncode, in_use.stderr) == (2, 'Error: "two" has associated containers with it. Use -f to '
                                                     'forcibly delete containers and pods: network is being used\n')

    root.run("network", "disconnect", "two", "srv")
    assert fetch_on_two("http://srv/") == ""
    assert leases("two") == []
    missing = root.run("network", "disconnect", "two", "srv", check=False)
    assert (missing.returncode, missing.stderr) == (125, "Error: container srv is not connected to network two\n")
    nosuch = root.run("network", "disconnect", "two", "nosuch", check=False)
    assert (nosuch.returncode, nosuch.stderr) == (125, 'Error: no container with name or ID "nosuch" found: no such '
                                                       'container\n')

    # A stopped container's connection is made at each start and undone at each exit.
    root.run("network", "connect", "two", "srv")
    root.run("stop", "-t", "0", "srv")
    assert leases("one") == leases("two") == []
    root.run("start", "srv")
    assert fetch_on_two("http://srv/") == "hello-from-srv\n"
    # podman-compose's form for several networks: --net a,b with the service's alias on each.
    root.run("run", "-d", "--name", "both", "--net", "one,two", "--network-alias", "svc", root.image, "sh", "-c",
             HTTPD.format("both"))
    assert fetch_on_two("http://svc/") == "hello-from-both\n"
    assert root.run("network", "rm", "two", check=False).returncode == 2
    root.run("rm", "-f", "-t", "0", "srv", "both")
    assert leases("one") == leases("two") == []
    assert list((root.runroot / "networks" / "netns").iterdir()) == []
    root.run("network", "rm", "one", "two")
