"""berth info: what it reports about the host, as root and rootless, checked against the machine itself."""

import json
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from fixtures import oci
from fixtures.runner import CLEAN_PATH, Berth
from fixtures.users import SUBGID_FILE, SUBUID_FILE


def fs_type(path: str) -> str | None:
    """The file system type of ``path`` as ``stat -f`` names it, or None if the path does not exist."""
    result = subprocess.run(["stat", "-f", "-c", "%T", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def host_cgroups() -> tuple[str, bool]:
    """(cgroup version, hybrid) from the type of the file systems under /sys/fs/cgroup."""
    top = fs_type("/sys/fs/cgroup")
    if top == "cgroup2fs":
        return "v2", False
    if top == "tmpfs":
        return "v1", fs_type("/sys/fs/cgroup/unified") == "cgroup2fs"
    pytest.fail(f"unexpected file system {top!r} at /sys/fs/cgroup")


def v1_controllers() -> set[str]:
    """Controllers attached to a cgroup v1 hierarchy (non-zero hierarchy id in /proc/cgroups)."""
    out = set()
    for line in Path("/proc/cgroups").read_text().splitlines()[1:]:
        name, hierarchy, _, enabled = line.split()
        if hierarchy != "0" and enabled == "1":
            out.add(name)
    return out


def expected_id_map(own_id: int, ranges) -> list[dict]:
    """Own id as container id 0, then the subordinate ranges back to back from container id 1."""
    mapping = [{"container_id": 0, "host_id": own_id, "size": 1}]
    next_id = 1
    for r in ranges:
        mapping.append({"container_id": next_id, "host_id": r.start, "size": r.count})
        next_id += r.count
    return mapping


def ranges_json(ranges) -> list[dict]:
    return [{"start": r.start, "count": r.count} for r in ranges]


def info(runner: Berth, *global_args: str, **kwargs) -> dict:
    return runner.json(*global_args, "info", "--format", "json", **kwargs)


def info_without_storage_flags(runner: Berth, *args: str, env: dict | None = None) -> dict:
    """``berth ARGS info --format json`` without the runner's --root/--runroot."""
    result = runner.exec([str(runner.binary), *args, "info", "--format", "json"], env=env)
    return json.loads(result.stdout)


@pytest.fixture
def fresh_tmp_runroot(test_user):
    """/tmp/berth-run-<uid>: removed afterwards if the test created it."""
    path = Path(f"/tmp/berth-run-{test_user.uid}")
    existed = path.exists()
    yield path
    if not existed and path.exists():
        shutil.rmtree(path)


# --------------------------------------------------------------------------
# Facts that do not depend on the identity


def test_host_facts_match_the_machine(berth_root):
    host = info(berth_root)["host"]
    uname = os.uname()
    assert host["os"] == "linux"
    assert host["arch"] == oci.host_architecture()
    assert host["kernel"] == uname.release
    assert host["hostname"] == uname.nodename
    assert host["cpus"] in {os.cpu_count(), len(os.sched_getaffinity(0))}
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:"))
    assert host["memTotal"] == mem_kib * 1024
    assert host["cgroupManager"] == "cgroupfs"


def test_cgroup_version_matches_the_mounts(berth_root):
    version, hybrid = host_cgroups()
    host = info(berth_root)["host"]
    assert host["cgroupVersion"] == version
    assert host["cgroupHybrid"] is hybrid
    if version == "v1":
        assert set(host["cgroupControllers"]) == v1_controllers()
    else:
        wanted = Path("/sys/fs/cgroup/cgroup.controllers").read_text().split()
        assert set(host["cgroupControllers"]) == set(wanted)


def test_network_helpers_match_path(berth_root):
    network = info(berth_root)["host"]["network"]
    pasta = shutil.which("pasta", path=CLEAN_PATH) or ""
    slirp = shutil.which("slirp4netns", path=CLEAN_PATH) or ""
    assert network["helpers"] == {"pasta": pasta, "slirp4netns": slirp}
    assert network["rootlessNetworkCmd"] == ("pasta" if pasta else "slirp4netns" if slirp else "")


def test_version_section_matches_berth_version(berth_root):
    version = info(berth_root)["version"]
    client = berth_root.json("version", "--format", "json")["Client"]
    assert version["Version"] == client["Version"]
    assert version["GitCommit"] == client["GitCommit"]
    assert version["OsArch"] == f"linux/{oci.host_architecture()}"


# --------------------------------------------------------------------------
# Root


def test_root_info(berth_root):
    data = info(berth_root)
    host, store = data["host"], data["store"]
    assert host["security"]["rootless"] is False
    assert store["graphRoot"] == str(berth_root.root)
    assert store["runRoot"] == str(berth_root.runroot)
    assert "runRootNote" not in store
    assert host["idMappings"] == {"uidmap": [], "gidmap": []}
    assert host["subordinateIds"]["user"] == "root"
    assert (host["subordinateIds"]["uid"], host["subordinateIds"]["gid"]) == (0, 0)
    assert "note" not in host["subordinateIds"]


def test_root_can_apply_cgroup_limits_on_v1(berth_root):
    version, _ = host_cgroups()
    if version != "v1":
        pytest.skip("host uses cgroup v2")
    limits = info(berth_root)["host"]["cgroupLimits"]
    assert limits["available"] is True
    assert limits["note"]


def test_root_uses_kernel_overlay(berth_root):
    store = info(berth_root)["store"]
    assert store["graphDriverName"] == "overlay"
    assert "overlay" in store["graphDriverReason"]
    assert store["graphDriverRejected"] == []


@pytest.mark.parametrize("driver", ["vfs", "fuse-overlayfs", "overlay"])
def test_storage_driver_flag_is_reported(berth_root, driver):
    store = info(berth_root, "--storage-driver", driver)["store"]
    assert store["graphDriverName"] == driver
    assert store["graphDriverReason"] == "set with --storage-driver"


# --------------------------------------------------------------------------
# Rootless


def test_rootless_identity_and_subordinate_ids(berth_user, test_user):
    assert test_user.subuids and test_user.subgids, "the test user needs subordinate ids"
    host = info(berth_user)["host"]
    assert host["security"]["rootless"] is True
    sub = host["subordinateIds"]
    assert sub["user"] == test_user.name
    assert (sub["uid"], sub["gid"]) == (test_user.uid, test_user.gid)
    assert (sub["subuidFile"], sub["subgidFile"]) == (str(SUBUID_FILE), str(SUBGID_FILE))
    assert sub["uidRanges"] == ranges_json(test_user.subuids)
    assert sub["gidRanges"] == ranges_json(test_user.subgids)
    assert "note" not in sub


def test_rootless_id_mappings(berth_user, test_user):
    mappings = info(berth_user)["host"]["idMappings"]
    assert mappings["uidmap"] == expected_id_map(test_user.uid, test_user.subuids)
    assert mappings["gidmap"] == expected_id_map(test_user.gid, test_user.subgids)


@pytest.mark.parametrize("helper", ["newuidmap", "newgidmap"])
def test_rootless_id_map_helpers_usable(berth_user, helper):
    path = shutil.which(helper, path=CLEAN_PATH)
    assert path == f"/usr/bin/{helper}", f"{helper} missing: install the uidmap package"
    st = os.stat(path)
    assert st.st_uid == 0 and st.st_mode & stat.S_ISUID, f"{path} is not setuid root"
    report = info(berth_user)["host"]["idMapHelpers"][helper]
    assert report == {"path": path, "usable": True, "problem": ""}


def test_rootless_cgroup_limits_on_v1(berth_user):
    version, _ = host_cgroups()
    if version != "v1":
        pytest.skip("host uses cgroup v2")
    limits = info(berth_user)["host"]["cgroupLimits"]
    assert limits["available"] is False
    assert "not delegated" in limits["note"]


def test_rootless_uses_overlay_in_user_namespace(berth_user):
    store = info(berth_user)["store"]
    assert store["graphDriverName"] == "overlay"
    assert "user namespace" in store["graphDriverReason"]
    assert store["graphDriverRejected"] == []
    assert store["graphRoot"] == str(berth_user.root)
    assert store["runRoot"] == str(berth_user.runroot)
    assert "runRootNote" not in store


def test_rootless_storage_driver_vfs(berth_user):
    store = info(berth_user, "--storage-driver", "vfs")["store"]
    assert store["graphDriverName"] == "vfs"
    assert store["graphDriverReason"] == "set with --storage-driver"


def test_rootless_run_root_falls_back_without_xdg_runtime_dir(berth_user, test_user, fresh_tmp_runroot):
    assert "XDG_RUNTIME_DIR" not in berth_user.env
    store = info_without_storage_flags(berth_user, "--root", str(berth_user.root))["store"]
    assert store["graphRoot"] == str(berth_user.root)
    assert store["runRoot"] == str(fresh_tmp_runroot) == f"/tmp/berth-run-{test_user.uid}"
    assert "XDG_RUNTIME_DIR is not set" in store["runRootNote"]
    assert str(fresh_tmp_runroot) in store["runRootNote"]


def test_rootless_run_root_under_private_xdg_runtime_dir(berth_user_binary, test_user):
    with Berth(berth_user_binary, test_user, xdg_runtime_dir=True) as runner:
        store = info_without_storage_flags(runner, "--root", str(runner.root))["store"]
        assert store["runRoot"] == f"{runner.xdg_runtime_dir}/berth"
        assert "runRootNote" not in store


@pytest.mark.parametrize("problem", ["not owned", "writable by others", "missing"])
def test_rootless_run_root_rejects_unsafe_xdg_runtime_dir(berth_user, test_user, fresh_tmp_runroot, problem):
    bad = Path(tempfile.mkdtemp(prefix="berth-xdg-"))
    try:
        if problem == "writable by others":
            os.chown(bad, test_user.uid, test_user.gid)
            bad.chmod(0o777)
            expected = "writable by other users"
        elif problem == "not owned":
            bad.chmod(0o755)
            expected = f"not owned by uid {test_user.uid}"
        else:
            bad.rmdir()
            expected = "No such file or directory"
        store = info_without_storage_flags(berth_user, "--root", str(berth_user.root),
                                           env={"XDG_RUNTIME_DIR": str(bad)})["store"]
        assert store["runRoot"] == str(fresh_tmp_runroot)
        assert str(bad) in store["runRootNote"]
        assert expected in store["runRootNote"]
    finally:
        shutil.rmtree(bad, ignore_errors=True)


def test_rootless_runroot_flag_clears_the_note(berth_user):
    store = info(berth_user)["store"]
    assert store["runRoot"] == str(berth_user.runroot)
    assert "runRootNote" not in store


def test_rootless_default_graph_root(berth_user):
    store = info_without_storage_flags(berth_user, "--runroot", str(berth_user.runroot))["store"]
    assert store["graphRoot"] == f"{berth_user.home}/.local/share/berth"
    data_home = berth_user.home / "data"
    store = info_without_storage_flags(berth_user, "--runroot", str(berth_user.runroot),
                                       env={"XDG_DATA_HOME": str(data_home)})["store"]
    assert store["graphRoot"] == f"{data_home}/berth"


# --------------------------------------------------------------------------
# A user without subordinate ids


def test_user_without_subordinate_ids(berth_user_binary, nosubid_user):
    with Berth(berth_user_binary, nosubid_user) as runner:
        host = info(runner)["host"]
    sub = host["subordinateIds"]
    assert host["security"]["rootless"] is True
    assert sub["user"] == nosubid_user.name
    assert sub["uidRanges"] == [] and sub["gidRanges"] == []
    assert "/etc/subuid" in sub["note"]
    assert "usermod --add-subuids" in sub["note"]
    assert host["idMappings"]["uidmap"] == [{"container_id": 0, "host_id": nosubid_user.uid, "size": 1}]
    assert host["idMappings"]["gidmap"] == [{"container_id": 0, "host_id": nosubid_user.gid, "size": 1}]


# --------------------------------------------------------------------------
# Output formats


def yaml_scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_default_output_is_yaml_of_the_same_data(berth_root):
    data = info(berth_root)
    text = berth_root.run("info").stdout
    lines = text.splitlines()
    assert lines[0] == "host:"
    for key in ("arch", "cgroupVersion", "cgroupHybrid", "cgroupManager", "cpus", "kernel", "memTotal", "os"):
        assert f"  {key}: {yaml_scalar(data['host'][key])}" in lines, key
    assert f"    rootless: {yaml_scalar(data['host']['security']['rootless'])}" in lines
    for key in ("graphDriverName", "graphRoot", "runRoot"):
        assert f"  {key}: {data['store'][key]}" in lines, key
    assert {"host:", "store:", "version:"} <= {line for line in lines if not line.startswith(" ")}

    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load(text) == data


def test_format_template(berth_root):
    result = berth_root.run("info", "--format", "{{.Host.Arch}}")
    assert result.stdout == oci.host_architecture() + "\n"
    result = berth_root.run("info", "-f", "{{.Store.GraphDriverName}} {{.Host.CgroupsVersion}}")
    assert result.stdout == f"overlay {host_cgroups()[0]}\n"


def test_format_template_unknown_field_fails(berth_root):
    result = berth_root.run("info", "--format", "{{.Host.Nope}}", check=False)
    assert result.returncode == 125
    assert result.stdout == ""
    assert result.stderr.startswith("Error: template: ")
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1
    assert "Nope" in result.stderr
