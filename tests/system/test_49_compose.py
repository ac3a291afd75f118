"""podman-compose (Debian's 1.0.3) drives berth as its Podman, as root: a compose file with a service built from a
Containerfile, one publishing a port and serving a named volume, reached by service name on the project's network;
up -d, ps, exec, logs and down -v, which leaves no container and no volume behind."""

from __future__ import annotations

import random
import shutil
import subprocess
import urllib.request

import pytest

from fixtures.registry import free_port
from fixtures.runner import Berth

COMPOSE = """\
version: "3"
services:
  web:
    image: {image}
    command: httpd -f -p 80 -h /srv
    ports:
      - "{port}:80"
    volumes:
      - data:/srv
    labels:
      tier: front
  client:
    build: ./client
    command: sh -c "sleep 600"
    depends_on:
      - web
    env_file: client.env
volumes:
  data:
"""


@pytest.fixture
def project(tmp_path, berth_binary, shared_registry):
    if shutil.which("podman-compose") is None:
        pytest.skip("podman-compose is not installed")
    with Berth(berth_binary) as berth:
        image = shared_registry.reference("busybox")
        berth.run("pull", "-q", "--tls-verify=false", image)
        directory = tmp_path / f"cmp{random.randrange(10**6)}"
        (directory / "client").mkdir(parents=True)
        (directory / "client" / "Containerfile").write_text(f"FROM {image}\nRUN echo built > /built\n")
        (directory / "client.env").write_text("GREETING=hello from env_file\n")
        port = free_port()
        (directory / "docker-compose.yml").write_text(COMPOSE.format(image=image, port=port))
        # The project's network with its own bridge and subnet, so that parallel tests' networks never meet.
        berth.run("network", "create", "--interface-name", f"bc{random.randrange(10**6)}", "--subnet",
                  f"10.89.{random.randrange(150, 250)}.0/24", f"{directory.name}_default")

        # podman-compose puts --podman-args after the subcommand; a wrapper gives berth its storage up front.
        wrapper = tmp_path / "berth-for-compose"
        wrapper.write_text(f"#!/bin/sh\nexec {berth.binary} --root {berth.root} --runroot {berth.runroot} \"$@\"\n")
        wrapper.chmod(0o755)

        def compose(*args: str, check: bool = True) -> subprocess.CompletedProcess:
            command = ["podman-compose", "--podman-path", str(wrapper), *args]
            result = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=300)
            assert not check or result.returncode == 0, result
            return result

        yield berth, compose, directory.name, port
        compose("down", "-v", check=False)


def test_compose_up_ps_exec_logs_down(project):
    berth, compose, name, port = project
    compose("up", "-d")
    web, client = f"{name}_web_1", f"{name}_client_1"
    assert sorted(berth.run("ps", "--format", "{{.Names}}").stdout.split()) == sorted([client, web])
    berth.run("exec", web, "sh", "-c", "echo served > /srv/index.html")
    assert berth.run("exec", client, "wget", "-qO-", "http://web/index.html").stdout == "served\n"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as response:
        assert response.read() == b"served\n"
    assert "hello from env_file" in compose("exec", "client", "sh", "-c", "echo $GREETING").stdout
    assert berth.run("exec", client, "cat", "/built").stdout == "built\n"
    assert berth.run("inspect", "--format", "{{index .Config.Labels \"tier\"}}", web).stdout == "front\n"
    assert f"{name}_web_1" in compose("ps").stdout
    compose("logs", "web")
    compose("down", "-v")
    assert berth.run("ps", "-a", "-q").stdout == ""
    assert berth.run("volume", "ls", "-q").stdout == ""
