"""The config.json berth builds for `run`, checked against the OCI runtime-spec JSON schema.

The schema is the one Debian ships in golang-github-opencontainers-specs-dev (config-schema.json and the
defs*.json files its $refs name); python3-jsonschema validates. Until `berth run` exists, the spec comes from
berth-spec-dump, built beside berth (…/cli/berth → …/engine/berth-spec-dump): it takes an image config and
`berth run`'s flags and prints the spec, as root or rootless (given id mappings, or the caller's own).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from fixtures import oci
from fixtures.spec_schema import load_validator, schema_errors
from fixtures.runner import Berth, default_binary, staged_binary


PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
          "app:x:1000:1000:app:/home/app:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
GROUP = "root:x:0:\nwheel:x:10:root,app\ntty:x:5:\napp:x:1000:\nstaff:x:50:app\nnogroup:x:65534:\n"

ROOT = ("--rootless=false",)
ROOTLESS = ("--rootless", "--uid-map", "0:1000:1", "--uid-map", "1:100000:65536", "--gid-map", "0:1000:1",
            "--gid-map", "1:100000:65536", "--host-uid", "1000", "--host-gid", "1000")
ROOTLESS_NO_SUBIDS = ("--rootless", "--uid-map", "0:1000:1", "--gid-map", "0:1000:1", "--host-uid", "1000",
                      "--host-gid", "1000")


def spec_dump_binary() -> Path:
    return default_binary().resolve().parent.parent / "engine" / "berth-spec-dump"


@pytest.fixture(scope="module")
def validator():
    return load_validator()


@pytest.fixture(scope="module")
def spec_dump() -> Path:
    path = spec_dump_binary()
    if not path.is_file():
        pytest.fail(f"berth-spec-dump not found at {path}: build it (cmake --build build --target berth-spec-dump)")
    return path


@pytest.fixture(scope="module")
def workdir(busybox_image):
    """A world-readable directory with a rootfs (/etc/passwd, /etc/group), image configs, env file, bind sources."""
    base = Path(tempfile.mkdtemp(prefix="berth-spec-"))
    try:
        base.chmod(0o755)
        (base / "rootfs" / "etc").mkdir(parents=True)
        (base / "rootfs" / "etc" / "passwd").write_text(PASSWD)
        (base / "rootfs" / "etc" / "group").write_text(GROUP)
        (base / "data").mkdir()
        (base / "hosts").write_text("127.0.0.1 localhost\n")
        (base / "env").write_text("# settings\nFROM_FILE=1\n\n  SPACED=two words \n")
        config = busybox_image.config_json
        (base / "busybox.json").write_text(json.dumps(config))
        rich = dict(config)
        rich["config"] = {**config["config"], "Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hi"], "User": "app",
                          "WorkingDir": "/home/app", "StopSignal": "SIGQUIT", "Env": ["PATH=/bin", "LANG=C"],
                          "Labels": {"a": "b"}}
        (base / "rich.json").write_text(json.dumps(rich))
        (base / "bare.json").write_text(json.dumps({"architecture": "amd64", "os": "linux",
                                                    "rootfs": {"type": "layers", "diff_ids": []}}))
        for path in base.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def dump(spec_dump: Path, workdir: Path, *args: str, config: str = "busybox.json", command=(),
         check: bool = True) -> subprocess.CompletedProcess:
    argv = [str(spec_dump), "--rootfs", str(workdir / "rootfs"), *args, str(workdir / config), *command]
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=workdir,
                            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FROM_CALLER": "caller"},
                            check=False)
    if check:
        assert result.returncode == 0, f"{' '.join(argv)}\nexit {result.returncode}\n{result.stderr}"
    return result


# Flag combinations; each is checked in a root and in a rootless context.
FLAG_SETS = {
    "defaults": ((), "busybox.json", ()),
    "image entrypoint, user, workdir, stop signal": ((), "rich.json", ()),
    "no image config at all": (("--entrypoint", "/bin/true"), "bare.json", ()),
    "terminal, env, env file, user by name": (
        ("-t", "-i", "-e", "A=1", "-e", "FROM_CALLER", "--env-file", "{dir}/env", "-u", "app", "--group-add",
         "wheel", "--group-add", "4242", "-w", "/srv", "-h", "web", "--name", "web"), "busybox.json", ("ls", "-l")),
    "user by number": (("-u", "1000:50",), "busybox.json", ()),
    "mounts and read-only root": (
        ("--read-only", "-v", "{dir}/data:/data:ro", "-v", "{dir}/data:/srv/data/inner:rw,z",
         "--mount", "type=bind,source={dir}/data,destination=/mnt,readonly",
         "--mount", "type=tmpfs,destination=/scratch,tmpfs-size=64m,tmpfs-mode=1777",
         "--tmpfs", "/tmp:size=1m", "--tmpfs", "/var/cache"), "busybox.json", ()),
    "read-only without tmpfs": (("--read-only", "--read-only-tmpfs=false"), "busybox.json", ()),
    "capabilities": (("--cap-drop", "ALL", "--cap-add", "net_bind_service,CAP_KILL"), "busybox.json", ()),
    "all capabilities but one": (("--cap-add", "ALL", "--cap-drop", "sys_admin"), "busybox.json", ()),
    "user with added capabilities": (("-u", "app", "--cap-add", "NET_RAW"), "busybox.json", ()),
    "privileged": (("--privileged",), "busybox.json", ()),
    "security options": (
        ("--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined", "--security-opt",
         "mask=/proc/version:/sys/devices", "--security-opt", "unmask=/proc/acpi:/proc/sys"), "busybox.json", ()),
    "unmask all": (("--security-opt", "unmask=ALL"), "busybox.json", ()),
    "limits": (("--ulimit", "nofile=1024:2048", "--ulimit", "core=-1", "--ulimit", "nproc=512", "--memory", "64m",
                "--cpus", "1.5", "--pids-limit", "100"), "busybox.json", ()),
    "host namespaces": (("--pid", "host", "--ipc", "host", "--uts", "host", "--network", "host"),
                        "busybox.json", ()),
    "init, rm, labels, annotations, json entrypoint": (
        ("--init", "--init-binary", "/usr/bin/true", "--rm", "--label", "x=y", "--annotation", "io.example/a=b",
         "--entrypoint", '["/bin/sh","-c"]'), "busybox.json", ("echo hello",)),
    "etc files": (("--etc-file", "/etc/hosts={dir}/hosts", "--etc-file", "/etc/hostname={dir}/hosts"),
                  "busybox.json", ()),
}

CONTEXTS = {"root": ROOT, "rootless": ROOTLESS, "rootless without subordinate ids": ROOTLESS_NO_SUBIDS}
# Flag sets whose user (uid 1000, "app") exists in the container only with subordinate ids.
NEEDS_SUBIDS = {"image entrypoint, user, workdir, stop signal", "terminal, env, env file, user by name",
                "user by number", "user with added capabilities"}


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("name", FLAG_SETS)
def test_spec_is_valid(spec_dump, workdir, validator, context, name):
    flags, config, command = FLAG_SETS[name]
    flags = tuple(flag.replace("{dir}", str(workdir)) for flag in flags)
    if context == "rootless without subordinate ids" and name in NEEDS_SUBIDS:
        result = dump(spec_dump, workdir, *CONTEXTS[context], *flags, config=config, command=command, check=False)
        assert result.returncode == 125
        assert "uid 1000 is not mapped in the container's user namespace (uids 0-0 are)" in result.stderr
        return
    spec = json.loads(dump(spec_dump, workdir, *CONTEXTS[context], *flags, config=config, command=command).stdout)
    assert schema_errors(validator, spec) == []
    assert spec["ociVersion"] == "1.0.2-dev"
    namespaces = [ns["type"] for ns in spec["linux"]["namespaces"]]
    if context == "root":
        assert "user" not in namespaces and "uidMappings" not in spec["linux"]
    else:
        assert "user" in namespaces
        assert spec["linux"]["uidMappings"][0] == {"containerID": 0, "hostID": 1000, "size": 1}


@pytest.mark.parametrize("userns", ["keep-id", "nomap", "host"])
def test_rootless_userns_modes_are_valid(spec_dump, workdir, validator, userns):
    spec = json.loads(dump(spec_dump, workdir, *ROOTLESS, "--userns", userns).stdout)
    assert schema_errors(validator, spec) == []
    mapped = sum(m["size"] for m in spec["linux"]["uidMappings"])
    assert mapped == (65536 if userns == "nomap" else 65537)
    if userns == "keep-id":
        assert spec["process"]["user"]["uid"] == 1000
        assert {"containerID": 1000, "hostID": 1000, "size": 1} in spec["linux"]["uidMappings"]


def test_spec_content_follows_the_flags(spec_dump, workdir, validator):
    """A few values of one spec, so that a valid but wrong spec does not pass."""
    spec = json.loads(dump(spec_dump, workdir, *ROOT, "-t", "-u", "app", "-e", "A=1", "--env-file",
                           f"{workdir}/env", "-v", f"{workdir}/data:/data:ro", "--memory", "64m", "--cpus", "0.5",
                           "--cap-add", "net_raw", config="rich.json").stdout)
    process = spec["process"]
    assert process["args"] == ["/bin/sh", "-c", "echo hi"]
    assert process["cwd"] == "/home/app"
    assert process["user"] == {"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [1000, 10, 50]}
    assert process["env"] == ["PATH=/bin", "container=berth", "LANG=C", "TERM=xterm", "FROM_FILE=1",
                              "SPACED=two words ", "A=1", "HOSTNAME=0123456789ab", "HOME=/home/app"]
    assert process["capabilities"]["ambient"] == ["CAP_NET_RAW"]
    assert {"destination": "/data", "type": "bind", "source": f"{workdir}/data",
            "options": ["ro", "rprivate", "rbind"]} in spec["mounts"]
    assert spec["linux"]["resources"]["memory"] == {"limit": 64 << 20}
    assert spec["linux"]["resources"]["cpu"] == {"quota": 50000, "period": 100000}
    assert spec["annotations"]["org.opencontainers.image.stopSignal"] == "3"
    assert schema_errors(validator, spec) == []


def test_validator_rejects_broken_specs(spec_dump, workdir, validator):
    """The schema really applies, its $refs into defs*.json included."""
    spec = json.loads(dump(spec_dump, workdir, *ROOTLESS).stdout)
    broken = json.loads(json.dumps(spec))
    broken["linux"]["namespaces"].append({"type": "time-travel"})  # NamespaceType in defs-linux.json
    broken["process"]["rlimits"][0]["type"] = "nofile"  # ^RLIMIT_[A-Z]+$
    broken["linux"]["uidMappings"][0]["size"] = -1  # uint32 in defs.json
    del broken["ociVersion"]
    errors = schema_errors(validator, broken)
    assert len(errors) == 4, errors


def test_bad_flag_values_are_one_line_errors(spec_dump, workdir):
    cases = {
        ("--ulimit", "nofile=10:5"): 'invalid ulimit "nofile=10:5": the soft limit 10 is larger than the hard limit 5',
        ("-v", "bad/name:/data"): 'invalid volume "bad/name:/data": running volume create option: names must match',
        ("--cap-add", "CAP_FOO"): 'unknown capability "CAP_FOO"',
        ("-u", "nobody-here"): "unable to find user nobody-here: no matching entries in passwd file",
        ("-v", f"{workdir}/missing:/x"): f"bind mount source {workdir}/missing: No such file or directory",
        ("--userns", "keep-id"): "--userns keep-id is only supported in rootless mode",
    }
    for flags, message in cases.items():
        result = dump(spec_dump, workdir, *ROOT, *flags, check=False)
        assert result.returncode == 125, result
        assert result.stdout == ""
        assert result.stderr.startswith("Error: " + message), result.stderr
        assert result.stderr.count("\n") == 1


def test_rootless_as_the_test_user(spec_dump, workdir, validator, test_user):
    """Run as the unprivileged user, the tool maps the user's own ids and subordinate ranges itself."""
    with staged_binary(spec_dump) as binary, Berth(binary, test_user) as runner:
        result = runner.exec([str(binary), "--rootfs", str(workdir / "rootfs"), "-u", "app",
                              str(workdir / "busybox.json")])
    spec = json.loads(result.stdout)
    assert schema_errors(validator, spec) == []
    expected = [{"containerID": 0, "hostID": test_user.uid, "size": 1}]
    next_id = 1
    for r in test_user.subuids:
        expected.append({"containerID": next_id, "hostID": r.start, "size": r.count})
        next_id += r.count
    assert spec["linux"]["uidMappings"] == expected
    assert "user" in [ns["type"] for ns in spec["linux"]["namespaces"]]
    assert spec["process"]["user"]["uid"] == 1000
