"""Volumes: volume create, ls, inspect, rm, prune and exists with Podman's messages and exit statuses; named
volumes created on first use with the image's content copied up, anonymous volumes from -v /path and the image's
VOLUMEs removed with rm -v and --rm, as root and as the unprivileged test user. Few containers run: most checks
need only created ones.
"""

from __future__ import annotations

import re

import pytest

from fixtures import oci
from fixtures.runner import Berth

ANONYMOUS = re.compile(r"^[0-9a-f]{64}$")
VOLUME_IMAGE = "volumes-test-image"  # the busybox image with VOLUME /etc


@pytest.fixture(scope="module")
def volume_image(shared_registry) -> str:
    image = oci.build_image([oci.busybox_layer()], config=oci.busybox_config(Volumes={"/etc": {}}))
    shared_registry.push(VOLUME_IMAGE, "latest", image)
    return shared_registry.reference(VOLUME_IMAGE)


@pytest.fixture(scope="module", params=["root", "rootless"])
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
def clean_store(berth):
    yield
    berth.run("rm", "-a", "-f", check=False)
    berth.run("volume", "rm", "-a", "-f", check=False)


def volume_names(berth: Berth, *args: str) -> list[str]:
    return berth.run("volume", "ls", "-q", *args).stdout.split()


def test_volume_commands_match_podman(berth):
    assert berth.run("volume", "create", "-l", "app=web", "-l", "tier", "webdata").stdout == "webdata\n"
    berth.run("volume", "create", "plain")
    again = berth.run("volume", "create", "webdata", check=False)
    assert again.returncode == 125
    assert again.stderr == "Error: volume with name webdata already exists: volume already exists\n"
    assert berth.run("volume", "create", "--ignore", "webdata").stdout == "webdata\n"
    bad = berth.run("volume", "create", "bad/name", check=False)
    assert (bad.returncode, bad.stderr) == (
        125, "Error: running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument\n")
    assert berth.run("volume", "create", "-o", "foo=bar", "x", check=False).returncode == 125
    anonymous = berth.run("volume", "create").stdout.strip()
    assert ANONYMOUS.match(anonymous)

    [inspected] = berth.json("volume", "inspect", "webdata")
    assert list(inspected)[:7] == ["Name", "Driver", "Mountpoint", "CreatedAt", "Labels", "Scope", "Options"]
    assert inspected["Labels"] == {"app": "web", "tier": ""}
    assert (inspected["Driver"], inspected["Scope"], inspected["MountCount"]) == ("local", "local", 0)
    assert inspected["Mountpoint"] == str(berth.root / "volumes" / "webdata" / "_data")
    assert berth.run("volume", "inspect", "--format", "{{.Name}} {{.Driver}}", "webdata").stdout == "webdata local\n"
    missing = berth.run("volume", "inspect", "webdata", "nope", check=False)
    assert (missing.returncode, missing.stderr) == (125, "Error: inspecting object: no such volume nope\n")

    table = berth.run("volume", "ls").stdout.splitlines()
    assert table[0].split() == ["DRIVER", "VOLUME", "NAME"]
    assert sorted(line.split()[1] for line in table[1:]) == sorted([anonymous, "plain", "webdata"])
    assert volume_names(berth, "--filter", "label=app=web") == ["webdata"]
    assert volume_names(berth, "--filter", "name=^pl") == ["plain"]
    assert volume_names(berth, "--filter", "dangling=false") == []
    formatted = berth.run("volume", "ls", "--filter", "label=tier", "--format", "{{.Name}}:{{.Mountpoint}}")
    assert formatted.stdout == f"webdata:{berth.root}/volumes/webdata/_data\n"
    wrong = berth.run("volume", "ls", "--filter", "foo=bar", check=False)
    assert (wrong.returncode, wrong.stderr) == (125, 'Error: "foo" is an invalid volume filter\n')

    assert berth.run("volume", "mount", "plain").stdout == f"{berth.root}/volumes/plain/_data\n"
    assert berth.run("volume", "unmount", "plain").stdout == "plain\n"
    assert berth.run("volume", "exists", "plain").returncode == 0
    assert berth.run("volume", "exists", "nope", check=False).returncode == 1
    gone = berth.run("volume", "rm", "nope", check=False)
    assert (gone.returncode, gone.stderr) == (1, 'Error: no volume with name "nope" found: no such volume\n')

    assert berth.run("volume", "prune", "-f", "--filter", "label=app").stdout == "webdata\n"
    assert berth.run("volume", "prune", input="n\n").stdout.endswith("[y/N] ")
    assert sorted(volume_names(berth)) == sorted([anonymous, "plain"])
    assert sorted(berth.run("volume", "prune", "-f").stdout.split()) == sorted([anonymous, "plain"])
    assert volume_names(berth) == []


def test_named_volume_is_created_on_first_use_with_the_image_content_and_persists(berth):
    first = berth.run("run", "--rm", "-v", "etcvol:/etc", "-v", "homevol:/home", berth.image, "sh", "-c",
                      "ls /etc; stat -c %u:%g:%a /home/tester; echo kept > /etc/new")
    listed = first.stdout.split()
    assert "passwd" in listed and "group" in listed
    assert listed[-1] == "1000:1000:755"  # copied up with its owner, through the mapping when rootless
    [volume] = berth.json("volume", "inspect", "etcvol")
    assert volume["NeedsCopyUp"] is False
    # A volume with type=tmpfs mounts a tmpfs with its o= options.
    berth.run("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m", "tmpvol")
    # A new volume without image content is given to the container's user; ":U" gives a whole one.
    second = berth.run("run", "--rm", "--user", "1000:1000", "--mount", "type=volume,src=etcvol,dst=/data,ro",
                       "-v", "tmpvol:/t", "-v", "ownvol:/own", "-v", "etcvol:/u:U", berth.image, "sh", "-c",
                       "cat /data/new; touch /data/x 2>/dev/null || echo read-only; grep -c ' /t tmpfs' /proc/mounts;"
                       "stat -c %u:%g /own; touch /own/f && echo writable; stat -c %u:%g /u /u/passwd")
    assert second.stdout == "kept\nread-only\n1\n1000:1000\nwritable\n1000:1000\n1000:1000\n"
    # nocopy: a new volume stays empty.
    berth.run("create", "--name", "empty", "--mount", "type=volume,src=emptyvol,dst=/etc,nocopy", berth.image)
    assert berth.json("volume", "inspect", "emptyvol")[0]["NeedsCopyUp"] is True
    assert sorted(volume_names(berth)) == ["emptyvol", "etcvol", "homevol", "ownvol", "tmpvol"]
    berth.run("rm", "empty")
    assert sorted(berth.run("volume", "rm", "--all").stdout.split()) == [
        "emptyvol", "etcvol", "homevol", "ownvol", "tmpvol"]
    assert list((berth.root / "volumes").iterdir()) == []  # files of subordinate ids too, rootless


def test_volumes_in_use_are_kept_and_anonymous_ones_go_with_their_container(berth, volume_image):
    berth.run("create", "--name", "user", "-v", "usevol:/data:ro", "-v", "/scratch", berth.image)
    [mounts] = [berth.json("inspect", "user")[0]["Mounts"]]
    by_destination = {mount["Destination"]: mount for mount in mounts}
    assert by_destination["/data"]["Type"] == "volume"
    assert by_destination["/data"]["Name"] == "usevol"
    assert by_destination["/data"]["RW"] is False
    assert by_destination["/data"]["Source"] == str(berth.root / "volumes" / "usevol" / "_data")
    anonymous = by_destination["/scratch"]["Name"]
    assert ANONYMOUS.match(anonymous)
    assert berth.json("volume", "inspect", anonymous)[0]["Anonymous"] is True
    assert volume_names(berth, "--filter", "dangling=false") == sorted([anonymous, "usevol"])

    # --volumes-from: the same volumes at the same places, read-only where they were.
    berth.run("create", "--name", "follower", "--volumes-from", "user", berth.image)
    followed = {mount["Destination"]: mount for mount in berth.json("inspect", "follower")[0]["Mounts"]}
    assert (followed["/data"]["Name"], followed["/data"]["RW"]) == ("usevol", False)
    assert followed["/scratch"]["Name"] == anonymous
    berth.run("rm", "-v", "follower")
    assert anonymous in volume_names(berth)  # still used by the container that made it

    used = berth.run("volume", "rm", "usevol", check=False)
    container_id = berth.run("inspect", "--format", "{{.Id}}", "user").stdout.strip()
    assert used.returncode == 2
    assert used.stderr == (f"Error: volume usevol is being used by the following container(s): {container_id}: "
                           "volume is being used\n")
    assert berth.run("volume", "prune", "-f").stdout == ""

    berth.run("rm", "-v", "user")
    assert volume_names(berth) == ["usevol"]  # the named one stays

    # The image's VOLUME /etc gets an anonymous volume with the image's /etc; --rm removes it.
    berth.run("pull", "-q", "--tls-verify=false", volume_image)
    out = berth.run("run", "--rm", volume_image, "sh", "-c", "grep -c tester /etc/passwd; grep ' /etc ' /proc/mounts")
    assert out.stdout.splitlines()[0] == "1"
    assert volume_names(berth) == ["usevol"]

    berth.run("create", "--name", "again", "-v", "usevol:/data", berth.image)
    assert berth.run("volume", "rm", "-f", "usevol").stdout == "usevol\n"
    assert berth.run("ps", "-a", "-q").stdout == ""
