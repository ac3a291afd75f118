"""Podman's command-line contract where scripts and Podman's own system tests lean on it: image history (checked
against Podman's own output for the same image), rmi --all/--force/--ignore, image and container exists, digested
references, --log-level and --debug, repeated single-valued flags, inspect's {{.ID}}, images' Labels and History,
and the info fields Podman's tests read."""

from __future__ import annotations

import json
import subprocess
import tempfile

import pytest

from fixtures.runner import Berth


@pytest.fixture(scope="module")
def berth(berth_binary, shared_registry):
    with Berth(berth_binary) as runner:
        runner.image = shared_registry.reference("busybox")
        runner.run("pull", "-q", "--tls-verify=false", runner.image)
        yield runner


@pytest.fixture(scope="module")
def podman_history(tmp_path_factory, shared_registry):
    """`podman history --format json` of the same image, pulled by Podman into a throw-away store."""
    root = tmp_path_factory.mktemp("podman-root")
    runroot = tempfile.mkdtemp(prefix="podman-")
    store = ["podman", "--root", str(root), "--runroot", runroot, "--storage-driver", "vfs"]
    image = shared_registry.reference("busybox")
    try:
        subprocess.run([*store, "pull", "-q", "--tls-verify=false", image], check=True, capture_output=True,
                       timeout=120)
        output = subprocess.run([*store, "history", "--format", "json", image], check=True, capture_output=True,
                                text=True, timeout=60).stdout
    finally:
        subprocess.run([*store, "rmi", "-a", "-f"], capture_output=True, timeout=60)
        subprocess.run(["rm", "-rf", runroot])
    return json.loads(output)


def test_history_json_matches_podmans(berth, podman_history):
    ours = json.loads(berth.run("history", "--format", "json", berth.image).stdout)
    assert [row["id"] for row in ours] == [row["id"] for row in podman_history]
    for key in ("created", "CreatedBy", "comment", "Created"):
        assert [row.get(key) for row in ours] == [row.get(key) for row in podman_history], key
    assert list(ours[0]) == list(podman_history[0])  # the same keys in the same order
    assert all(row["size"] > 0 for row in ours if row["id"] != "<missing>" or row["size"])


def test_history_table_quiet_and_template(berth, podman_history):
    table = berth.run("history", berth.image).stdout.splitlines()
    assert table[0].split() == ["ID", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert table[1].startswith(podman_history[0]["id"][:12] + "  ")
    assert len(table) == 1 + len(podman_history)
    quiet = berth.run("image", "history", "-q", berth.image).stdout.splitlines()
    assert quiet == [row["id"][:12] if row["id"] != "<missing>" else "<missing>" for row in podman_history]
    dates = berth.run("history", "--human=false", "--format", "{{.Created}}", berth.image).stdout.splitlines()
    assert dates == [row["Created"] for row in podman_history]
    missing = berth.run("history", "nosuch", check=False)
    assert (missing.returncode, missing.stderr) == (125, "Error: nosuch: image not known\n")


def test_image_and_container_exists(berth):
    assert berth.run("image", "exists", berth.image).stdout == ""
    assert berth.run("image", "exists", "nosuch:1", check=False).returncode == 1
    berth.run("create", "--name", "exists-probe", berth.image, "true")
    assert berth.run("container", "exists", "exists-probe").returncode == 0
    berth.run("rm", "exists-probe")
    assert berth.run("container", "exists", "exists-probe", check=False).returncode == 1


def test_repeated_single_valued_flags_keep_the_last(berth):
    berth.run("create", "--name", "ignore-me", "--name", "last-name", berth.image, "true")
    assert berth.run("ps", "-a", "--format", "{{.Names}}").stdout.split() == ["last-name"]
    image_id = berth.run("inspect", "--format", "{{.XYZ}}", "--format", "{{.ID}}", berth.image).stdout.strip()
    assert berth.run("inspect", "--format", "{{.Id}}", berth.image).stdout.strip() == image_id
    assert len(image_id) == 64
    berth.run("rm", "last-name")


def test_digested_references_untag_without_removing(berth, shared_registry):
    digest = berth.run("inspect", "--format", "{{.Digest}}", berth.image).stdout.strip()
    digested = f"{shared_registry.host}/busybox@{digest}"
    berth.run("pull", "-q", "--tls-verify=false", digested)
    assert berth.run("untag", berth.image, digested).returncode == 0
    assert berth.run("rmi", digested).stdout == f"Untagged: {digested}\n"
    assert berth.run("image", "exists", berth.image).returncode == 0


def test_images_labels_history_and_json(berth):
    berth.run("run", "--name", "labelled", berth.image, "true")
    berth.run("commit", "-q", "--change", "LABEL tier=front", "labelled", "labelled-image")
    rows = berth.run("images", "--format", "{{.Repository}} {{.Labels.tier}} {{.History}}",
                     "labelled-image").stdout.splitlines()
    assert rows == ["localhost/labelled-image front localhost/labelled-image:latest"]
    (summary,) = [entry for entry in json.loads(berth.run("images", "--format", "json").stdout)
                  if "localhost/labelled-image:latest" in entry["Names"]]
    assert summary["Labels"]["tier"] == "front"
    assert summary["Containers"] == 0
    assert summary["History"] == ["localhost/labelled-image:latest"]
    berth.run("rm", "labelled")
    berth.run("rmi", "labelled-image")


def test_rmi_all_force_and_ignore(berth_binary, shared_registry):
    with Berth(berth_binary) as runner:
        image = shared_registry.reference("busybox")
        runner.run("pull", "-q", "--tls-verify=false", image)
        runner.run("create", "--name", "user", image, "true")
        refused = runner.run("rmi", "-a", check=False)
        assert refused.returncode == 2 and "image is in use by a container" in refused.stderr
        removed = runner.run("rmi", "-a", "-f").stdout.splitlines()
        assert removed[0] == f"Untagged: {image}" and removed[1].startswith("Deleted: ")
        assert runner.run("ps", "-a", "-q").stdout == "" and runner.run("images", "-q").stdout == ""
        assert runner.run("rmi", "-i", "nosuch").returncode == 0
        missing = runner.run("rmi", "nosuch", check=False)
        assert (missing.returncode, missing.stderr) == (1, "Error: nosuch: image not known\n")
        bare = runner.run("rmi", check=False)
        assert (bare.returncode, bare.stderr) == (125, "Error: image name or ID must be specified\n")


def test_log_level_and_debug(berth):
    bad = berth.run("--log-level=telepathic", "version", check=False)
    assert bad.returncode == 1
    assert bad.stderr.startswith('Error: Log Level "telepathic" is not supported, choose from: trace, debug')
    debug = berth.run("--debug", "version").stderr
    assert " level=debug msg=" in debug and " level=info msg=" in debug and " level=trace " not in debug
    assert " level=trace msg=" in berth.run("--log-level=trace", "version").stderr
    assert " level=" not in berth.run("--log-level=warning", "version").stderr
    both = berth.run("--debug", "--log-level=panic", "version", check=False)
    assert (both.returncode, both.stderr) == (1, "Error: Setting --log-level and --debug is not allowed\n")


def test_info_fields_podman_tests_read(berth):
    with open("/etc/os-release") as release:
        fields = dict(line.rstrip("\n").split("=", 1) for line in release if "=" in line)
    template = ("{{.Host.Distribution.Distribution}}|{{.Host.OCIRuntime.Name}}|{{.Host.LogDriver}}|"
                "{{.Host.CgroupManager}}|{{.Host.Security.Rootless}}|{{.Store.ImageStore.Number}}|"
                "{{.Store.GraphOptions}}|{{.Store.VolumePath}}")
    values = berth.run("info", "--format", template).stdout.strip().split("|")
    assert values[:7] == [fields["ID"].strip('"'), "berth", "k8s-file", "cgroupfs", "false", "1", "map[]"]
    assert values[7] == f"{berth.root}/volumes"
    assert berth.run("info", "--format", "{{.Store.RunRoot}}").stdout.strip() == str(berth.runroot)


def test_ps_selection_noheading_and_noout(berth):
    berth.run("create", "--name", "made-only", berth.image, "true")
    assert berth.run("ps", "--filter", "name=made-only", "-q").stdout == ""  # not running, no -a
    assert berth.run("ps", "--filter", "status=created", "--format", "{{.Names}}").stdout == "made-only\n"
    table = berth.run("ps", "-a", "--noheading").stdout.splitlines()
    assert len(table) == 1 and table[0].split()[-1] == "made-only"
    assert not berth.run("images", "-n").stdout.startswith("REPOSITORY")
    assert berth.run("--noout", "rm", "made-only").stdout == ""
    assert berth.run("container", "exists", "made-only", check=False).returncode == 1


def test_stop_warns_before_sigkill(berth):
    berth.run("run", "-d", "--name", "stubborn", berth.image, "sh", "-c", "trap '' TERM; echo ready; sleep 60")
    stopped = berth.run("stop", "--timeout", "1", "stubborn")
    assert stopped.stdout == "stubborn\n"
    assert "StopSignal SIGTERM failed to stop container stubborn in 1 seconds, resorting to SIGKILL" in stopped.stderr
    berth.run("rm", "stubborn")


def test_a_short_flag_without_its_value_is_named_as_typed(berth):
    result = berth.run("run", "-h", check=False)
    assert result.returncode == 125
    assert result.stderr.startswith("Error: flag needs an argument: 'h' in -h")


def test_an_unknown_run_flag_is_not_taken_for_an_image(berth):
    for command in ("run", "create"):
        result = berth.run(command, "--log-driver=journald", berth.image, "true", check=False)
        assert result.returncode == 125
        assert result.stderr == f"Error: unknown flag: --log-driver (see 'berth {command} --help')\n"
