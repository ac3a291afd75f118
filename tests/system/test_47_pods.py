"""Pods: pod create with its infra (catatonit from the host, no image), containers that join it with --pod and
reach each other on localhost, the pod's ports published once by the infra; pod ps / inspect formats and filters;
pod stop/start/rm with Podman's messages and exit statuses; rm -f leaves no container, process or namespace
behind. Mostly rootless, berth's main use."""

from __future__ import annotations

import os
import re
import socket
import time
import urllib.request
from contextlib import closing

import pytest

from fixtures.runner import Berth, container_leftovers

POD_ID = re.compile(r"^[0-9a-f]{64}$")
HTTPD = "mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 80 -h /www"


@pytest.fixture(scope="module", params=["rootless", "root"])
def berth(request, berth_binary, shared_registry):
    if request.param == "root":
        runner = Berth(berth_binary)
    else:
        runner = Berth(request.getfixturevalue("berth_user_binary"), request.getfixturevalue("test_user"))
    with runner:
        runner.image = shared_registry.reference("busybox")
        runner.run("pull", "-q", "--tls-verify=false", runner.image)
        yield runner


@pytest.fixture(autouse=True)
def clean_pods(berth):
    yield
    # What Podman's own system tests run in every teardown.
    assert berth.run("pod", "rm", "-t", "0", "--all", "--force", "--ignore").returncode == 0
    berth.run("rm", "-a", "-f", check=False)


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    return None


def http_get(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=2) as response:
            return response.read().decode()
    except OSError:
        return None


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_pod_with_published_port_and_two_containers_on_localhost(berth):
    port = free_port()
    pod_id = berth.run("pod", "create", "--name", "web", "-p", f"{port}:80", "--label", "app=web").stdout.strip()
    assert POD_ID.match(pod_id)
    assert berth.run("pod", "exists", "web").returncode == 0
    berth.run("run", "-d", "--name", "server", "--pod", "web", berth.image, "sh", "-c", HTTPD)
    page = wait_until(lambda: http_get(port))
    assert page == "hello-from-pod\n", berth.run("logs", "server", check=False)
    # The other container reaches the server on localhost: one network namespace, the infra's.
    fetched = berth.run("run", "--rm", "--pod", "web", berth.image, "sh", "-c",
                        "for i in 1 2 3 4 5; do wget -q -O - http://127.0.0.1:80/index.html && break; sleep 0.2; done")
    assert fetched.stdout == "hello-from-pod\n"
    # ... and shares its hostname (uts): the pod's name.
    assert berth.run("run", "--rm", "--pod", "web", berth.image, "hostname").stdout == "web\n"
    ports = berth.run("run", "--pod", "web", "-p", "8080:80", berth.image, "true", check=False)
    assert ports.returncode == 125 and "published or exposed ports must be defined when the pod is created" in \
        ports.stderr

    inspect = berth.json("pod", "inspect", "web")
    assert inspect["Id"] == pod_id and inspect["Name"] == "web" and inspect["State"] == "Running"
    assert inspect["SharedNamespaces"] == ["ipc", "net", "uts"]
    assert inspect["InfraConfig"]["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": str(port)}]}
    assert inspect["NumContainers"] == 2 and inspect["Labels"] == {"app": "web"}
    infra_id = inspect["InfraContainerID"]
    assert berth.run("pod", "inspect", "--format", "{{.Name}} {{.NumContainers}}", "web").stdout == "web 2\n"

    table = berth.run("pod", "ps").stdout.splitlines()
    assert table[0].split() == ["POD", "ID", "NAME", "STATUS", "CREATED", "INFRA", "ID", "#", "OF", "CONTAINERS"]
    assert table[1].split()[:3] == [pod_id[:12], "web", "Running"] and table[1].split()[-2:] == [infra_id[:12], "2"]
    assert berth.run("pod", "ps", "-q", "--no-trunc").stdout == pod_id + "\n"
    assert berth.run("pod", "ps", "--filter", "label=app=web", "--format", "{{.Name}}:{{.NumberOfContainers}}"
                     ).stdout == "web:2\n"
    assert berth.run("pod", "ps", "--filter", "status=exited", "-q").stdout == ""
    assert berth.run("pod", "ps", "--filter", "name=^we", "--filter", "id=" + pod_id[:5], "-q").stdout == \
        pod_id[:12] + "\n"
    (listed,) = berth.json("pod", "ps", "--format", "json")
    assert listed["Id"] == pod_id and listed["InfraId"] == infra_id and len(listed["Containers"]) == 2

    members = berth.run("ps", "--filter", "pod=web", "--format", "{{.Names}} {{.PodName}} {{.IsInfra}}").stdout
    assert sorted(members.splitlines()) == sorted([f"{pod_id[:12]}-infra web true", "server web false"])
    assert berth.run("ps", "--filter", "pod=nosuch", "-q").stdout == ""
    assert berth.run("ps", "--filter", "name=server", "--format", "{{.Ports}}").stdout == f"0.0.0.0:{port}->80/tcp\n"
    assert berth.run("ps", "--pod").stdout.splitlines()[0].split()[-3:] == ["POD", "ID", "PODNAME"]

    pids = [berth.json("inspect", name)[0]["State"]["Pid"] for name in (infra_id, "server")]
    assert all(alive(pid) for pid in pids)
    assert berth.run("pod", "rm", "web", check=False).returncode == 125  # running: only with --force
    assert berth.run("pod", "rm", "-f", "-t", "0", "web").stdout == pod_id + "\n"
    assert wait_until(lambda: not any(alive(pid) for pid in pids)), "pod processes left behind"
    assert berth.run("ps", "-a", "-q").stdout == ""
    assert container_leftovers(berth.root) == []
    assert not (berth.root / "pods" / pod_id).exists()
    assert wait_until(lambda: http_get(port) is None)


def test_pod_lifecycle_and_podman_messages(berth):
    missing = berth.run("pod", "rm", "nosuch", check=False)
    assert (missing.returncode, missing.stderr) == (1, "Error: no pod with name or ID nosuch found: no such pod\n")
    assert berth.run("pod", "rm", "--ignore", "nosuch").returncode == 0
    assert berth.run("pod", "rm", "--force", "nosuch").stdout == ""  # as Podman: nothing to force
    assert berth.run("pod", "exists", "nosuch", check=False).returncode == 1
    for command in (["start"], ["stop"], ["kill"]):
        result = berth.run("pod", *command, "nosuch", check=False)
        assert (result.returncode, result.stderr) == (125, "Error: no pod with name or ID nosuch found: no such pod\n")
    result = berth.run("pod", "inspect", "nosuch", check=False)
    assert (result.returncode, result.stderr) == (125, "Error: inspecting object: no such pod nosuch\n")

    id_file = berth.home / "pod.id"
    pod_id = berth.run("pod", "create", "--network", "none", "--infra-name", "life-infra", "--name", "life",
                       "--pod-id-file", str(id_file)).stdout.strip()
    assert id_file.read_text() == pod_id
    assert berth.run("ps", "-a", "--format", "{{.Names}} {{.Command}}").stdout == "life-infra /catatonit -P\n"
    again = berth.run("pod", "create", "--name", "life", check=False)
    assert (again.returncode, again.stderr) == (
        125, 'Error: adding pod to state: name "life" is in use: pod already exists\n')
    assert berth.run("pod", "ps", "--format", "{{.Status}}").stdout == "Created\n"
    assert berth.run("pod", "start", "life").stdout == pod_id + "\n"
    assert berth.run("pod", "ps", "--format", "{{.Status}}").stdout == "Running\n"
    # ipc is shared, /dev/shm with it (Podman's 200-pod test).
    berth.run("run", "--rm", "--pod", "life", "--user", "1000", berth.image, "touch", "/dev/shm/test1")
    assert berth.run("run", "--rm", "--pod", "life", berth.image, "ls", "/dev/shm").stdout == "test1\n"
    berth.run("create", "--name", "member", "--pod", "life", berth.image, "sleep", "100")
    assert berth.run("pod", "ps", "--format", "{{.Status}}").stdout == "Degraded\n"
    assert berth.run("pod", "stop", "-t", "1", "life").stdout == pod_id + "\n"
    assert berth.run("pod", "ps", "--format", "{{.Status}}").stdout == "Exited\n"
    berth.run("pod", "restart", "life")
    assert berth.run("pod", "ps", "--format", "{{.Status}}").stdout == "Running\n"
    top = berth.run("pod", "top", "life").stdout
    assert "sleep 100" in top and "catatonit" in top
    berth.run("pod", "kill", "life")
    assert wait_until(lambda: berth.run("pod", "ps", "--format", "{{.Status}}").stdout == "Exited\n")
    assert berth.run("pod", "prune", "-f").stdout == pod_id + "\n"
    assert berth.run("pod", "ps", "-q").stdout == "" and berth.run("ps", "-aq").stdout == ""

    # --exit-policy stop: the infra stops with the pod's last container.
    stopping = berth.run("pod", "create", "--exit-policy", "stop", "--network", "none").stdout.strip()
    talker = berth.run("run", "-d", "--pod", stopping, berth.image, "echo", "said-hello").stdout.strip()
    assert berth.run("wait", talker).stdout == "0\n"
    assert berth.run("pod", "logs", stopping).stdout == f"{talker[:12]} said-hello\n"
    assert wait_until(lambda: berth.run("pod", "inspect", "--format", "{{.State}} {{.ExitPolicy}}", stopping
                                        ).stdout == "Exited stop\n")
    berth.run("pod", "rm", stopping)

    # --pod new:NAME makes the pod (the container's --hostname is the pod's); --no-infra pods have no infra.
    assert berth.run("run", "--rm", "--pod", "new:fresh", "--network", "none", "--hostname", "foobar", berth.image,
                     "hostname").stdout == "foobar\n"
    infra = berth.run("pod", "inspect", "--format", "{{.InfraContainerID}}", "fresh").stdout.strip()
    refused = berth.run("rm", "-f", infra, check=False)
    assert refused.returncode == 125 and "is the infra container of pod" in refused.stderr
    replaced = berth.run("pod", "create", "--replace", "--share", "ipc", "--network", "none", "--name", "fresh")
    assert berth.run("pod", "inspect", "--format", "{{.ID}} {{.SharedNamespaces}}", "fresh").stdout == \
        f"{replaced.stdout.strip()} [ipc]\n"
    assert berth.run("run", "--rm", "--pod", "fresh", "--hostname", "own", berth.image, "hostname").stdout == "own\n"
    assert berth.run("pod", "inspect", "--format", "{{.Name}} {{.NumContainers}}", "fresh").stdout == "fresh 1\n"
    fresh = berth.run("pod", "ps", "-q", "--no-trunc", "--filter", "name=fresh").stdout.strip()
    bare = berth.run("pod", "create", "--infra=false", "bare").stdout.strip()
    assert berth.run("pod", "inspect", "--format", "{{.NumContainers}} {{.CreateInfra}}", "bare").stdout == \
        "0 false\n"
    removed = berth.run("pod", "rm", "-t", "0", "--all", "--force", "--ignore").stdout.split()
    assert sorted(removed) == sorted([fresh, bare])
    assert berth.run("pod", "ps", "-q").stdout == ""
