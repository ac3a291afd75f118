"""berth diff, commit and export of a container that wrote and deleted files, as root and as the unprivileged test
user (and with the vfs driver): the changes as Podman lists them, the committed image runs with them and its --change, goes to a registry
(checked with skopeo), and the export holds the container's files with their owners inside the container."""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile

import pytest

from fixtures.runner import Berth

SCRIPT = "echo hello > /etc/motd; mkdir -p /srv/data; echo x > /srv/data/f; rm /etc/group; echo extra >> /etc/passwd"
CHANGES = ["C /etc", "D /etc/group", "A /etc/motd", "C /etc/passwd", "A /srv", "A /srv/data", "A /srv/data/f"]


@pytest.fixture(scope="module", params=["root", "rootless", "vfs"])
def berth(request, berth_binary, shared_registry):
    if request.param == "root":
        runner = Berth(berth_binary)
    elif request.param == "vfs":
        runner = Berth(berth_binary, global_args=["--storage-driver", "vfs"])
    else:
        runner = Berth(request.getfixturevalue("berth_user_binary"), request.getfixturevalue("test_user"))
    with runner:
        runner.image = shared_registry.reference("busybox")
        runner.kind = request.param
        runner.run("pull", "-q", "--tls-verify=false", runner.image)
        runner.run("run", "--name", "changed", runner.image, "sh", "-c", SCRIPT)
        yield runner


def skopeo_inspect(*args: str) -> str:
    return subprocess.run(["skopeo", "inspect", "--tls-verify=false", *args], check=True, capture_output=True,
                          text=True, timeout=120).stdout


def test_diff_lists_what_the_container_added_changed_and_deleted(berth):
    assert berth.run("diff", "changed").stdout.splitlines() == CHANGES
    berth.run("run", "--name", "untouched", berth.image, "true")
    assert berth.run("diff", "untouched").stdout == ""  # the mount points berth made are left out
    document = json.loads(berth.run("container", "diff", "--format", "json", "changed").stdout)
    assert document == {"changed": ["/etc", "/etc/passwd"], "added": ["/etc/motd", "/srv", "/srv/data",
                                                                      "/srv/data/f"], "deleted": ["/etc/group"]}
    missing = berth.run("diff", "nosuch", check=False)
    assert missing.returncode == 125
    assert missing.stderr == "Error: nosuch not found: layer not known\n"


def test_commit_makes_an_image_that_runs_with_the_changes_and_the_cmd(berth):
    result = berth.run("commit", "--change", 'CMD=["cat", "/etc/motd"]', "-m", "motd added", "changed", "committed")
    image_id = result.stdout.strip()
    assert re.fullmatch("[0-9a-f]{64}", image_id), result.stdout
    assert result.stderr.splitlines()[-2:] == ["Writing manifest to image destination", "Storing signatures"]
    assert berth.run("run", "--rm", "committed").stdout == "hello\n"
    seen = berth.run("run", "--rm", "localhost/committed:latest", "sh", "-c",
                     "cat /srv/data/f; test -e /etc/group || echo gone; tail -n 1 /etc/passwd").stdout
    assert seen == "x\ngone\nextra\n"
    assert berth.run("diff", "committed").stdout.splitlines() == CHANGES  # the image's top layer
    inspected = json.loads(berth.run("image", "inspect", "committed").stdout)[0]
    assert inspected["Id"] == image_id and inspected["Config"]["Cmd"] == ["cat", "/etc/motd"]
    assert len(inspected["RootFS"]["Layers"]) == 2
    berth.run("commit", "-q", "--squash", "changed", "squashed")
    assert len(json.loads(berth.run("image", "inspect", "squashed").stdout)[0]["RootFS"]["Layers"]) == 1
    assert berth.run("run", "--rm", "squashed", "sh", "-c", "cat /etc/motd; test -e /etc/group || echo gone").stdout \
        == "hello\ngone\n"
    bad = berth.run("commit", "--change", "NOPE x", "changed", check=False)
    assert (bad.returncode, bad.stderr) == (125, 'Error: invalid change "NOPE x" - invalid instruction NOPE\n')


def test_committed_image_is_pushed_and_skopeo_reads_it(berth, shared_registry):
    image_id = berth.run("commit", "-q", "--format", "docker", "-c", "ENV=COMMITTED=yes", "changed").stdout.strip()
    destination = f"{shared_registry.host}/test_43/{berth.kind}:1"
    berth.run("push", "-q", "--tls-verify=false", image_id, destination)
    raw = json.loads(skopeo_inspect("--raw", f"docker://{destination}"))
    assert raw["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert [layer["mediaType"] for layer in raw["layers"]] == ["application/vnd.docker.image.rootfs.diff.tar.gzip"] * 2
    config = json.loads(skopeo_inspect("--config", f"docker://{destination}"))
    assert "sha256:" + image_id == raw["config"]["digest"]
    assert "COMMITTED=yes" in config["config"]["Env"]
    assert len(config["rootfs"]["diff_ids"]) == 2


def test_export_writes_the_containers_filesystem(berth):
    exported = berth.run("export", "changed").stdout_bytes
    with tarfile.open(fileobj=io.BytesIO(exported)) as archive:
        members = {member.name: member for member in archive.getmembers()}
        assert archive.extractfile(members["etc/motd"]).read() == b"hello\n"
        assert archive.extractfile(members["srv/data/f"]).read() == b"x\n"
    assert "etc/group" not in members and "bin/busybox" in members
    assert (members["home/tester"].uid, members["home/tester"].gid) == (1000, 1000)
    assert members["bin/sh"].issym() and members["bin/sh"].linkname == "busybox"
    output = berth.home / "changed.tar"
    berth.run("container", "export", "-o", str(output), "changed")
    assert output.read_bytes() == exported
