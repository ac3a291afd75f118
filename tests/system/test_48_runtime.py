"""berth-runtime as an OCI runtime CLI with runc's conventions, as root: the lifecycle of a busybox bundle
(create leaves the process waiting until start; state, kill, delete), runc's errors and exit statuses side by
side with Debian's runc on the same bundle, and Podman driving berth-runtime through conmon.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from fixtures import oci
from fixtures.runner import default_binary, remove_tree

TIMEOUT = 60

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="berth-runtime's OCI lifecycle is tested as root")


def runtime_binary() -> Path:
    build = os.environ.get("BERTH_BUILD_DIR")
    base = Path(build) if build else default_binary().resolve().parent.parent
    path = base / "runtime" / "berth-runtime"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build it with ninja berth-runtime")
    return path


@pytest.fixture(scope="module")
def layer(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("layer") / "busybox.tar"
    path.write_bytes(oci.busybox_layer(compression="none").tar)
    return path


class Runtime:
    """One runtime binary (berth-runtime or runc) with a state directory of its own, and a bundle."""

    def __init__(self, binary: str, layer: Path):
        self.binary = binary
        self.base = Path(tempfile.mkdtemp(prefix="berth-oci-"))
        self.root = self.base / "state"
        self.bundle = self.base / "bundle"
        (self.bundle / "rootfs").mkdir(parents=True)
        with tarfile.open(layer) as archive:
            archive.extractall(self.bundle / "rootfs", numeric_owner=True)
        self.write_spec(*("sleep", "300"))

    def write_spec(self, *args: str, patch=None) -> dict:
        spec_dir = self.base / "spec"
        shutil.rmtree(spec_dir, ignore_errors=True)
        spec_dir.mkdir()
        subprocess.run([self.binary, "spec", "--bundle", str(spec_dir)], check=True, timeout=TIMEOUT)
        spec = json.loads((spec_dir / "config.json").read_text())
        spec["process"]["terminal"] = False
        spec["root"]["readonly"] = False
        spec["process"]["args"] = list(args)
        if patch:
            patch(spec)
        (self.bundle / "config.json").write_text(json.dumps(spec))
        return spec

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # Files, not pipes: a created container keeps the runtime's stdout and stderr, and a pipe would not end.
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            process = subprocess.run([self.binary, "--root", str(self.root), *args], stdout=out, stderr=err,
                                     timeout=TIMEOUT, stdin=subprocess.DEVNULL, cwd=self.bundle)
            out.seek(0)
            err.seek(0)
            result = subprocess.CompletedProcess(process.args, process.returncode, out.read(), err.read())
        if check:
            assert result.returncode == 0, f"{args}: {result.returncode} {result.stderr}"
        return result

    def state(self, container_id: str) -> dict:
        return json.loads(self("state", container_id).stdout)

    def wait_status(self, container_id: str, status: str) -> dict:
        deadline = time.monotonic() + 10
        while True:
            state = self.state(container_id)
            if state["status"] == status or time.monotonic() > deadline:
                return state
            time.sleep(0.02)

    def cleanup(self) -> None:
        for container_id in self("list", "-q", check=False).stdout.split():
            self("delete", "--force", container_id, check=False)
        remove_tree(self.base)


@pytest.fixture
def berth_runtime(layer):
    runtime = Runtime(str(runtime_binary()), layer)
    yield runtime
    runtime.cleanup()


@pytest.fixture
def runc(layer):
    if not shutil.which("runc"):
        pytest.skip("runc is not installed")
    runtime = Runtime("runc", layer)
    yield runtime
    runtime.cleanup()


def unique_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_create_waits_for_start_then_state_kill_delete(berth_runtime):
    rt = berth_runtime
    cid = unique_id("life")
    rt.write_spec("sh", "-c", "echo started > /tmp/started; exec sleep 300")
    pid_file = rt.base / "pid"
    rt("create", "--bundle", str(rt.bundle), "--pid-file", str(pid_file), cid)
    state = rt.state(cid)
    assert state["status"] == "created" and state["id"] == cid and state["ociVersion"]
    assert state["bundle"] == str(rt.bundle) and state["pid"] == int(pid_file.read_text())
    # The process waits before exec: the command has not run yet.
    assert not (rt.bundle / "rootfs/tmp/started").exists()
    assert "init" not in Path(f"/proc/{state['pid']}/cmdline").read_bytes().decode()
    assert rt("list").stdout.splitlines()[1].split()[:3] == [cid, str(state["pid"]), "created"]

    rt("start", cid)
    state = rt.state(cid)
    assert state["status"] == "running"
    deadline = time.monotonic() + 10
    while not (rt.bundle / "rootfs/tmp/started").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (rt.bundle / "rootfs/tmp/started").read_text() == "started\n"
    assert json.loads(rt("ps", "--format", "json", cid).stdout) == [state["pid"]]

    rt("kill", cid, "KILL")
    assert rt.wait_status(cid, "stopped") == {**state, "status": "stopped", "pid": 0}
    rt("delete", cid)
    assert rt("state", cid, check=False).returncode == 1
    assert rt("list", "-q").stdout == ""


def test_run_gives_the_exit_status_and_output_and_deletes(berth_runtime):
    rt = berth_runtime
    rt.write_spec("sh", "-c", "echo hi; exit 3")
    cid = unique_id("run")
    result = rt("run", "--bundle", str(rt.bundle), cid, check=False)
    assert (result.returncode, result.stdout) == (3, "hi\n"), result.stderr
    assert rt("list", "-q").stdout == ""

    detached = unique_id("detached")
    rt.write_spec("sleep", "300")
    rt("run", "-d", "-b", str(rt.bundle), detached)
    assert rt.state(detached)["status"] == "running"
    rt("kill", "--all", detached, "9")
    rt.wait_status(detached, "stopped")
    rt("delete", detached)


def test_hooks_get_the_state_on_stdin(berth_runtime):
    rt = berth_runtime
    log = rt.base / "hooks.log"
    def add_hooks(spec):
        hook = lambda kind: {"path": "/bin/sh", "args": ["sh", "-c", f"cat >> {log}; echo ' {kind}' >> {log}"]}
        spec["hooks"] = {kind: [hook(kind)] for kind in ("createRuntime", "poststart", "poststop")}
        spec["annotations"] = {"org.example.test": "48"}
    rt.write_spec("true", patch=add_hooks)
    cid = unique_id("hooks")
    rt("create", cid)
    rt("start", cid)
    rt.wait_status(cid, "stopped")
    rt("delete", cid)
    lines = log.read_text().splitlines()
    kinds = [line.rsplit(" ", 1)[1] for line in lines]
    assert kinds == ["createRuntime", "poststart", "poststop"]
    states = [json.loads(line.rsplit(" ", 1)[0]) for line in lines]
    assert [state["status"] for state in states] == ["creating", "running", "stopped"]
    assert all(state["id"] == cid and state["annotations"] == {"org.example.test": "48"} for state in states)


# Each case: the arguments after the container's creation, and the message runc gives.
def error_cases(cid: str):
    return [
        (("state", "nosuch"), "container does not exist"),
        (("delete", "nosuch"), "container does not exist"),
        (("start", cid), "cannot start an already running container"),
        (("delete", cid), f"cannot delete container {cid} that is not stopped: running"),
        (("kill", cid, "FOO"), 'unknown signal "FOO"'),
        (("create", cid), "container with given ID already exists"),
        (("state", "bad/id"), "invalid container ID format"),
    ]


@pytest.mark.parametrize("name", ["berth_runtime", "runc"])
def test_errors_and_statuses_are_runcs(name, request):
    rt = request.getfixturevalue(name)
    cid = unique_id("errors")
    rt("run", "-d", cid)
    for args, message in error_cases(cid):
        result = rt(*args, check=False)
        assert result.returncode == 1, (args, result)
        # logrus' text format: msg="..." with Go's quoting.
        assert "level=error" in result.stderr and message.replace('"', '\\"') in result.stderr, (args, result)
    # --log with --log-format json: the entry goes to the log, the bare message to stderr (conmon reads both).
    log = rt.base / "log.json"
    result = subprocess.run([rt.binary, "--root", str(rt.root), "--log", str(log), "--log-format", "json",
                             "state", "nosuch"], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 1 and result.stderr.strip() == "container does not exist"
    entry = json.loads(log.read_text().splitlines()[-1])
    assert entry["level"] == "error" and entry["msg"] == "container does not exist"
    assert rt("delete", "--force", "nosuch", check=False).returncode == 0
    rt("delete", "--force", cid)
    assert rt("state", cid, check=False).returncode == 1


def test_features_and_spec(berth_runtime, tmp_path):
    features = json.loads(berth_runtime("features").stdout)
    assert features["ociVersionMax"] and "createRuntime" in features["hooks"]
    assert "CAP_SYS_ADMIN" in features["linux"]["capabilities"]
    subprocess.run([berth_runtime.binary, "spec", "--rootless", "--bundle", str(tmp_path)], check=True)
    spec = json.loads((tmp_path / "config.json").read_text())
    assert {"type": "user"} in spec["linux"]["namespaces"]
    assert spec["linux"]["uidMappings"] == [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
    again = subprocess.run([berth_runtime.binary, "spec", "--bundle", str(tmp_path)], capture_output=True,
                           text=True)
    assert again.returncode == 1 and "exists" in again.stderr


@pytest.fixture
def podman():
    """Podman with storage of its own and berth-runtime as its runtime; its containers removed at the end."""
    if not shutil.which("podman") or not shutil.which("conmon"):
        pytest.skip("podman or conmon is not installed")
    # conmon's socket paths below the run root must stay short.
    with tempfile.TemporaryDirectory(prefix="b48-", ignore_cleanup_errors=True) as directory:
        command = ["podman", "--runtime", str(runtime_binary()), "--root", f"{directory}/root", "--runroot",
                   f"{directory}/run", "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                   "--events-backend", "none"]
        yield command
        subprocess.run([*command, "rm", "-a", "-f", "-t", "0"], capture_output=True, timeout=120)


def test_podman_runs_a_container_with_berth_runtime(podman, shared_registry):
    image = shared_registry.reference("busybox")
    subprocess.run([*podman, "pull", "-q", "--tls-verify=false", image], check=True, capture_output=True,
                   timeout=120)
    # Limits the test host lets root set (without CAP_SYS_RESOURCE Podman's 1048576 fails with runc too).
    options = ["--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
    run = [*podman, "run", "--rm", *options, image]
    result = subprocess.run([*run, "echo", "hi"], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "hi\n"), result.stderr
    failed = subprocess.run([*run, "sh", "-c", "exit 7"], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 7, failed.stderr
    # run -d, exec (conmon: exec --detach --pid-file --process; with -t a console socket), stop, rm.
    def podman_ok(*args):
        done = subprocess.run([*podman, *args], capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout
    assert podman_ok("run", "-d", "--name", "w", *options, image, "sleep", "300")[0] == 0
    assert podman_ok("exec", "w", "sh", "-c", "echo in; exit 3") == (3, "in\n")
    status, output = podman_ok("exec", "-t", "w", "echo", "tty")
    assert (status, output.replace("\r", "")) == (0, "tty\n")
    assert podman_ok("stop", "-t", "1", "w") == (0, "w\n")
    assert podman_ok("rm", "w") == (0, "w\n")
    left = subprocess.run([*podman, "ps", "-aq"], capture_output=True, text=True, timeout=60)
    assert left.stdout == ""


CONTAINERD_SCRIPT = r"""
set -e
# containerd and its shims keep sockets and FIFOs in /run/containerd: a /run of this mount namespace's own.
mount -t tmpfs tmpfs /run
cd "$DIR"
containerd --config "$DIR/config.toml" > "$DIR/containerd.log" 2>&1 &
trap 'kill $! 2>/dev/null; wait' EXIT
for i in $(seq 100); do [ -S "$DIR/c.sock" ] && break; sleep 0.1; done
ctr="ctr --address $DIR/c.sock --namespace b48"
$ctr images pull --plain-http "$IMAGE" > /dev/null
$ctr run --rm --runc-binary "$RUNTIME" --runc-root "$DIR/runc" "$IMAGE" ctr-run echo hi
"""


def test_containerd_runs_a_container_with_berth_runtime(shared_registry, tmp_path):
    if not shutil.which("containerd") or not shutil.which("ctr"):
        pytest.skip("containerd is not installed")
    (tmp_path / "config.toml").write_text(f"""version = 2
root = "{tmp_path}/root"
state = "{tmp_path}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{tmp_path}/c.sock"
[ttrpc]
  address = "{tmp_path}/c.sock.ttrpc"
[debug]
  address = "{tmp_path}/d.sock"
""")
    env = {**os.environ, "DIR": str(tmp_path), "IMAGE": shared_registry.reference("busybox"),
           "RUNTIME": str(runtime_binary())}
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", CONTAINERD_SCRIPT],
                            capture_output=True, text=True, timeout=120, env=env)
    log = (tmp_path / "containerd.log").read_text() if (tmp_path / "containerd.log").exists() else ""
    assert (result.returncode, result.stdout) == (0, "hi\n"), result.stderr + log[-2000:]


def test_exec_runs_in_the_container(berth_runtime):
    rt = berth_runtime
    cid = unique_id("exec")
    rt("run", "-d", cid)
    result = rt("exec", "-e", "FOO=bar", "--cwd", "/tmp", "-u", "1000:1000", cid, "sh", "-c",
                "echo $FOO $(pwd) $(id -u); exit 4", check=False)
    assert (result.returncode, result.stdout) == (4, "bar /tmp 1000\n"), result.stderr
    # The container's namespaces: its hostname (the spec's), its pid namespace (the first process is 1).
    assert rt("exec", cid, "hostname").stdout == "berth-runtime\n"
    assert rt("exec", cid, "cat", "/proc/1/cmdline").stdout == "sleep\x00300\x00"
    pid_file = rt.base / "exec.pid"
    rt("exec", "-d", "--pid-file", str(pid_file), cid, "sleep", "300")
    pid = int(pid_file.read_text())
    assert pid in json.loads(rt("ps", "--format", "json", cid).stdout)
    missing = rt("exec", cid, "nosuch", check=False)
    assert missing.returncode == 255 and "exec failed" in missing.stderr and "nosuch" in missing.stderr
    rt("delete", "--force", cid)
    assert rt("exec", cid, "true", check=False).returncode == 255


def test_namespaces_given_by_path_are_joined(berth_runtime):
    rt = berth_runtime
    first, second = unique_id("ns-a"), unique_id("ns-b")
    rt("run", "-d", first)
    pid = rt.state(first)["pid"]
    def join(spec):
        for entry in spec["linux"]["namespaces"]:
            if entry["type"] in ("network", "ipc", "uts", "pid"):
                entry["path"] = f"/proc/{pid}/ns/{'net' if entry['type'] == 'network' else entry['type']}"
    rt.write_spec("sleep", "300", patch=join)
    rt("run", "-d", second)
    other = rt.state(second)["pid"]
    for name in ("net", "ipc", "uts", "pid", "mnt"):
        same = os.readlink(f"/proc/{pid}/ns/{name}") == os.readlink(f"/proc/{other}/ns/{name}")
        assert same == (name != "mnt"), name
    rt("delete", "--force", second)
    rt("delete", "--force", first)
