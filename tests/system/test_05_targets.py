"""The containers a command acts on, as Podman names them: several names at once, --all, --latest, --cidfile and
--ignore on rm, stop, kill, start, restart, pause, unpause, wait and inspect, with Podman's messages and exit
statuses; images --filter and ps --sort/--last/--latest. Mostly created containers: one runs.
"""

from __future__ import annotations

import pytest

from fixtures.runner import Berth

MISSING = 'Error: no container with name or ID "nosuch" found: no such container\n'


@pytest.fixture(scope="module")
def berth(berth_binary, shared_registry):
    with Berth(berth_binary) as runner:
        runner.image = shared_registry.reference("busybox")
        runner.run("pull", "-q", "--tls-verify=false", runner.image)
        yield runner


@pytest.fixture(autouse=True)
def clean_store(berth):
    yield
    berth.run("rm", "-a", "-f", check=False)


def fails(berth: Berth, *args: str) -> tuple[int, str]:
    result = berth.run(*args, check=False)
    return result.returncode, result.stderr


def create(berth: Berth, name: str, *command: str) -> str:
    return berth.run("create", "--name", name, berth.image, *(command or ("true",))).stdout.strip()


def names(berth: Berth, *args: str) -> list[str]:
    return berth.run("ps", "-a", "--format", "{{.Names}}", *args).stdout.split()


def test_a_missing_name_fails_the_whole_command_with_podmans_status(berth):
    create(berth, "one")
    create(berth, "two")
    assert fails(berth, "rm", "one", "nosuch", "two") == (1, MISSING)
    assert names(berth) == ["two", "one"]
    for command in ("stop", "kill", "start", "restart", "pause", "unpause", "wait"):
        assert fails(berth, command, "one", "nosuch") == (125, MISSING), command
    assert berth.run("rm", "-i", "nosuch", "one").stdout == "one\n"
    assert berth.run("stop", "-i", "nosuch", "two").stdout == "two\n"
    assert fails(berth, "kill", "-i", "x")[0] == 125


def test_missing_targets_and_conflicting_flags(berth):
    for command in ("rm", "stop", "kill", "restart", "pause", "unpause"):
        assert fails(berth, command) == (125, "Error: you must provide at least one name or id\n"), command
    assert fails(berth, "start") == (125, "Error: start requires at least one argument\n")
    assert fails(berth, "wait") == (125, 'Error: "berth wait" requires a name, id, or the "--latest" flag\n')
    assert fails(berth, "container", "inspect") == (125, "Error: no names or ids specified\n")
    assert fails(berth, "rm", "-a", "-l") == (125, "Error: --all and --latest cannot be used together\n")
    assert fails(berth, "rm", "--all", "x") == (125, "Error: no arguments are needed with --all\n")
    assert fails(berth, "rm", "-l") == (1, "Error: no such container\n")
    assert fails(berth, "stop", "-l") == (125, "Error: no such container\n")
    for command in ("rm", "stop", "kill", "restart", "pause", "unpause"):
        assert fails(berth, command, "--cidfile", "/nonexistent") == (
            125, "Error: reading CIDFile: open /nonexistent: no such file or directory\n"), command
    assert fails(berth, "wait", "--condition", "bogus", "x") == (
        125, "Error: unknown container state: bogus: invalid argument\n")


def test_cidfile_latest_and_all(berth, tmp_path):
    first = create(berth, "first")
    second = create(berth, "second")
    cidfile = tmp_path / "cid"
    cidfile.write_text(first + "\n")
    assert berth.run("container", "inspect", "-l", "--format", "{{.Name}}").stdout == "second\n"
    assert berth.run("wait", "-l").stdout == "0\n"
    assert fails(berth, "kill", "--cidfile", str(cidfile)) == (
        125, f"Error: can only kill running containers. {first} is in state created: container state improper\n")
    assert fails(berth, "pause", "first") == (125, 'Error: "created" is not running, can\'t pause: container state improper\n')
    assert berth.run("pause", "-a").stdout == ""
    assert berth.run("rm", "--cidfile", str(cidfile)).stdout == first + "\n"
    assert berth.run("rm", "-l").stdout == second + "\n"
    third = create(berth, "third")
    fourth = create(berth, "fourth")
    assert sorted(berth.run("rm", "-a").stdout.split()) == sorted([third, fourth])
    assert names(berth) == []


def test_running_container_needs_force_and_per_name_errors(berth):
    running = berth.run("run", "-d", "--name", "busy", berth.image, "sleep", "100").stdout.strip()
    create(berth, "idle")
    code, stderr = fails(berth, "rm", "busy")
    assert (code, stderr) == (2, f"Error: cannot remove container {running} as it is running - running or paused "
                                 "containers cannot be removed without force: container state improper\n")
    result = berth.run("kill", "idle", "busy", check=False)
    assert (result.returncode, result.stdout) == (125, "busy\n")
    assert result.stderr.startswith("Error: can only kill running containers.")
    assert berth.run("wait", "--condition", "stopped", "busy").stdout == "137\n"
    assert berth.run("rm", "-f", "busy", "idle").stdout == "busy\nidle\n"


def test_ps_sort_last_and_latest(berth):
    for name in ("b", "c", "a"):
        create(berth, name)
    assert names(berth) == ["a", "c", "b"]
    assert names(berth, "--sort", "names") == ["a", "b", "c"]
    assert names(berth, "-n", "2") == ["a", "c"]
    assert names(berth, "--latest") == ["a"]
    assert len(berth.run("ps", "-aq", "--no-trunc", "--filter", "name=c").stdout.strip()) == 64
    assert fails(berth, "ps", "-l", "-n", "2") == (125, "Error: last and latest are mutually exclusive\n")
    assert fails(berth, "ps", "--sort", "bogus") == (
        125, 'Error: invalid argument "bogus" for "--sort" flag: "bogus" is not a valid value.  Choose from: '
             '"command, created, id, image, names, runningfor, size, status"\n')


def test_images_filters(berth):
    image_id = berth.run("images", "-q", "--no-trunc").stdout.split()[0]
    assert berth.run("images", "-q", "--filter", f"id={image_id[7:]}").stdout == image_id[7:19] + "\n"
    assert berth.run("images", "-q", "--filter", "id=" + image_id[7:19]).stdout == ""
    assert berth.run("images", "-q", "--filter", "reference=busybox", "--filter", "reference=nosuch").stdout != ""
    assert berth.run("images", "-q", "--filter", "reference=busybox", "--filter", "label=nosuch").stdout == ""
    assert berth.run("images", "-q", "--filter", "readonly=true").stdout == ""
    assert berth.run("images", "-q", "--filter", "containers=true").stdout == ""
    assert fails(berth, "images", "--filter", "nope=1") == (125, 'Error: unsupported image filter "nope"\n')
    assert fails(berth, "images", "--filter", "nope") == (
        125, 'Error: invalid image filter "nope": must be in the format "filter=value or filter!=value"\n')
    assert fails(berth, "images", "--filter", "dangling=maybe") == (
        125, 'Error: non-boolean value "dangling" for maybe filter: strconv.ParseBool: parsing "maybe": invalid syntax\n')
    assert fails(berth, "images", "--filter", "before=nosuch") == (
        125, 'Error: could not find local image for filter filter "before"="nosuch": nosuch: image not known\n')
