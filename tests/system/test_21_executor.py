"""berth's own OCI executor, through `berth-runtime run BUNDLE`, as root and as the unprivileged test user.

Each bundle's rootfs is the busybox fixture layer: extracted by root with numeric owners, or by the test user
(whose files then belong to the container's root). config.json comes from berth-spec-dump run as the same
identity (rootless: uid and gid maps from /etc/subuid and /etc/subgid), so the specs are the ones `berth run`
would write; the executor runs them with berth's default seccomp profile unless a test says otherwise.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import resource
import select
import shutil
import signal
import struct
import subprocess
import tarfile
import tempfile
import termios
import time
from pathlib import Path

import pytest

from fixtures import oci
from fixtures.runner import Result, default_binary, remove_tree

PODMAN_DEFAULT_CAPS = "00000000800405fb"
TIMEOUT = 60


def build_dir() -> Path:
    build = os.environ.get("BERTH_BUILD_DIR")
    if build:
        return Path(build)
    return default_binary().resolve().parent.parent


@pytest.fixture(scope="module")
def binaries():
    """berth-runtime, berth-spec-dump and the busybox layer in a directory every user can read."""
    directory = Path(tempfile.mkdtemp(prefix="berth-executor-bin-"))
    try:
        directory.chmod(0o755)
        for folder, name in (("runtime", "berth-runtime"), ("engine", "berth-spec-dump")):
            source = build_dir() / folder / name
            if not source.is_file():
                pytest.fail(f"{source} is missing: build it with ninja berth-runtime berth-spec-dump")
            shutil.copyfile(source, directory / name)
            (directory / name).chmod(0o755)
        layer = directory / "busybox.tar"
        layer.write_bytes(oci.busybox_layer().tar)
        layer.chmod(0o644)
        image_config = directory / "image-config.json"
        image_config.write_text(json.dumps({"config": oci.busybox_config()}))
        image_config.chmod(0o644)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class Bundle:
    """A bundle directory with a busybox rootfs, run as root or as ``user``."""

    def __init__(self, binaries: Path, user=None):
        self.binaries = binaries
        self.user = user
        self.base = Path(tempfile.mkdtemp(prefix="berth-executor-"))
        self.base.chmod(0o755)
        self.dir = self.base / "bundle"
        self.dir.mkdir()
        self.rootfs = self.dir / "rootfs"
        if user:
            os.chown(self.dir, user.uid, user.gid)
            extract = ("import tarfile, sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])")
            self.exec(["python3", "-c", extract, str(binaries / "busybox.tar"), str(self.rootfs)], check=True)
        else:
            with tarfile.open(binaries / "busybox.tar") as archive:
                archive.extractall(self.rootfs, numeric_owner=True)

    @property
    def rootless(self) -> bool:
        return self.user is not None

    def host_dir(self, name: str) -> Path:
        """A directory for bind mounts, owned by whoever runs the container."""
        path = self.base / name
        path.mkdir()
        if self.user:
            os.chown(path, self.user.uid, self.user.gid)
        return path

    def exec(self, argv, *, check=False, timeout=TIMEOUT) -> Result:
        if self.user:
            argv = ["setpriv", f"--reuid={self.user.uid}", f"--regid={self.user.gid}", "--init-groups", "--",
                    *argv]
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
               "HOME": str(self.base)}
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              cwd=self.base, env=env, timeout=timeout, check=False)
        result = Result(argv, proc.returncode, proc.stdout, proc.stderr)
        assert not check or result.ok, str(result)
        return result

    def spec(self, *command: str, flags=()) -> dict:
        """config.json from berth-spec-dump, with rlimits that fit the caller's hard limits."""
        result = self.exec([str(self.binaries / "berth-spec-dump"), "--rootfs", str(self.rootfs), *flags,
                            str(self.binaries / "image-config.json"), *command], check=True)
        spec = json.loads(result.stdout)
        # The test host may refuse to raise hard limits even to root (no CAP_SYS_RESOURCE in its bounding set).
        names = {"RLIMIT_NOFILE": resource.RLIMIT_NOFILE, "RLIMIT_NPROC": resource.RLIMIT_NPROC}
        for limit in spec["process"].get("rlimits", []):
            if limit["type"] in names:
                hard = resource.getrlimit(names[limit["type"]])[1]
                if hard != resource.RLIM_INFINITY:
                    limit["hard"] = min(limit["hard"], hard)
                    limit["soft"] = min(limit["soft"], limit["hard"])
        return spec

    def write_spec(self, spec: dict) -> None:
        path = self.dir / "config.json"
        path.write_text(json.dumps(spec))
        path.chmod(0o644)

    def runtime_argv(self, *options: str) -> list[str]:
        return [str(self.binaries / "berth-runtime"), "run-bundle", *options, str(self.dir)]

    def run(self, *command: str, flags=(), options=(), patch=None) -> Result:
        spec = self.spec(*command, flags=flags)
        if patch:
            patch(spec)
        self.write_spec(spec)
        return self.exec(self.runtime_argv(*options))

    def cleanup(self) -> None:
        remove_tree(self.base)


@pytest.fixture(scope="module", params=["root", "rootless"])
def bundle(request, binaries):
    if os.geteuid() != 0:
        pytest.skip("the executor tests set up bundles as root and as the test user")
    user = request.getfixturevalue("test_user") if request.param == "rootless" else None
    made = Bundle(binaries, user)
    yield made
    made.cleanup()


def output(result: Result) -> str:
    assert result.ok, str(result)
    return result.stdout.strip()


def one_line_error(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), str(result)
    return lines[0]


def status_field(text: str, name: str) -> str:
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name} in\n{text}")


def test_exit_statuses(bundle):
    assert bundle.run("true").returncode == 0
    assert bundle.run("false").returncode == 1
    assert bundle.run("sh", "-c", "exit 42").returncode == 42


def test_missing_command_is_127(bundle):
    result = bundle.run("no-such-command")
    assert result.returncode == 127, str(result)
    assert "no-such-command" in one_line_error(result)
    assert bundle.run("/bin/no-such-command").returncode == 127


def test_command_that_cannot_be_executed_is_126(bundle):
    result = bundle.run("/etc/passwd")
    assert result.returncode == 126, str(result)
    assert "Permission denied" in one_line_error(result)
    assert bundle.run("/bin").returncode == 126


def test_ids_and_maps(bundle, test_user):
    assert output(bundle.run("id", "-u")) == "0"
    assert output(bundle.run("id", "-g")) == "0"
    lines = [line.split() for line in output(bundle.run("cat", "/proc/self/uid_map")).splitlines()]
    if bundle.rootless:
        subuid = test_user.subuids[0]
        assert lines == [["0", str(test_user.uid), "1"], ["1", str(subuid.start), str(subuid.count)]]
        gid_lines = [line.split() for line in output(bundle.run("cat", "/proc/self/gid_map")).splitlines()]
        assert gid_lines[0] == ["0", str(test_user.gid), "1"]
    else:
        assert lines == [["0", "0", "4294967295"]]


def test_user_and_groups_from_the_spec(bundle):
    assert output(bundle.run("id", flags=("--user", "1000:1000"))).startswith("uid=1000(tester) gid=1000(tester)")
    status = output(bundle.run("cat", "/proc/self/status", flags=("--user", "1000")))
    assert status_field(status, "CapEff") == "0000000000000000"
    assert status_field(status, "Groups").split() == ["1000", "1234"]


def test_hostname_and_pid_1(bundle):
    assert output(bundle.run("hostname", flags=("--hostname", "box1"))) == "box1"
    assert output(bundle.run("sh", "-c", "echo $$")) == "1"


def test_capabilities_no_new_privs_and_seccomp(bundle):
    status = output(bundle.run("cat", "/proc/self/status"))
    assert status_field(status, "CapEff") == PODMAN_DEFAULT_CAPS
    assert status_field(status, "CapPrm") == PODMAN_DEFAULT_CAPS
    assert status_field(status, "CapBnd") == PODMAN_DEFAULT_CAPS
    assert status_field(status, "CapAmb") == "0000000000000000"
    assert status_field(status, "NoNewPrivs") == "0"
    assert status_field(status, "Seccomp") == "2"
    status = output(bundle.run("cat", "/proc/self/status", flags=("--security-opt", "no-new-privileges")))
    assert status_field(status, "NoNewPrivs") == "1"
    assert status_field(status, "Seccomp") == "2"
    status = output(bundle.run("cat", "/proc/self/status", options=("--seccomp", "unconfined")))
    assert status_field(status, "Seccomp") == "0"
    status = output(bundle.run("cat", "/proc/self/status", flags=("--cap-drop", "ALL", "--cap-add", "NET_RAW")))
    assert status_field(status, "CapEff") == "0000000000002000"


def test_seccomp_profile_of_the_spec(bundle):
    def block_mkdir(spec):
        spec["linux"]["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
        }

    blocked = bundle.run("mkdir", "/tmp/blocked", patch=block_mkdir)
    assert blocked.returncode != 0 and "Operation not permitted" in blocked.stderr, str(blocked)
    assert bundle.run("sh", "-c", "mkdir -p /tmp/allowed", options=("--seccomp", "unconfined")).ok


def test_no_inherited_file_descriptors(bundle):
    with open("/dev/null") as leak:
        os.set_inheritable(leak.fileno(), True)
        listing = output(bundle.run("ls", "/proc/self/fd")).split()
    assert sorted(listing, key=int) == ["0", "1", "2", "3"]  # 3 is ls's own directory


def test_working_directory(bundle):
    assert output(bundle.run("pwd", flags=("--workdir", "/tmp"))) == "/tmp"
    assert output(bundle.run("pwd", flags=("--workdir", "/new/dir"))) == "/new/dir"


def test_bind_mounts(bundle):
    data = bundle.host_dir("data-" + str(time.monotonic_ns()))
    (data / "hello").write_text("hi\n")
    (data / "hello").chmod(0o644)
    assert output(bundle.run("cat", "/data/hello", flags=("--volume", f"{data}:/data:ro"))) == "hi"
    refused = bundle.run("touch", "/data/new", flags=("--volume", f"{data}:/data:ro"))
    assert refused.returncode != 0 and "Read-only file system" in refused.stderr, str(refused)
    assert output(bundle.run("sh", "-c", "echo written > /data/new && cat /data/new",
                             flags=("--volume", f"{data}:/data"))) == "written"
    assert (data / "new").read_text() == "written\n"


def test_read_only_root(bundle):
    refused = bundle.run("touch", "/file", flags=("--read-only",))
    assert refused.returncode != 0 and "Read-only file system" in refused.stderr, str(refused)
    assert bundle.run("touch", "/tmp/file", flags=("--read-only",)).returncode == 0


def test_missing_bind_source_is_a_one_line_error(bundle):
    gone = bundle.host_dir("gone-" + str(time.monotonic_ns()))
    spec = bundle.spec("true", flags=("--volume", f"{gone}:/gone"))
    gone.rmdir()
    bundle.write_spec(spec)
    result = bundle.exec(bundle.runtime_argv())
    assert result.returncode == 125, str(result)
    line = one_line_error(result)
    assert str(gone) in line and "No such file or directory" in line


def test_files_written_belong_to_the_mapped_ids(bundle, test_user):
    name = "owned-" + str(time.monotonic_ns())
    assert bundle.run("sh", "-c", f"touch /tmp/{name} /tmp/{name}.1 && chown 1:1 /tmp/{name}.1").ok
    owner = (bundle.rootfs / "tmp" / name).stat()
    moved = (bundle.rootfs / "tmp" / f"{name}.1").stat()
    if bundle.rootless:
        assert (owner.st_uid, owner.st_gid) == (test_user.uid, test_user.gid)
        assert (moved.st_uid, moved.st_gid) == (test_user.subuids[0].start, test_user.subgids[0].start)
    else:
        assert (owner.st_uid, owner.st_gid) == (0, 0)
        assert (moved.st_uid, moved.st_gid) == (1, 1)


def test_signals_are_forwarded(bundle):
    script = 'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'
    bundle.write_spec(bundle.spec("sh", "-c", script))
    argv = bundle.runtime_argv()
    if bundle.user:
        argv = ["setpriv", f"--reuid={bundle.user.uid}", f"--regid={bundle.user.gid}", "--init-groups", "--",
                *argv]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=bundle.base, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=TIMEOUT) == 7
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_failed_step_in_the_container_is_a_one_line_error(bundle):
    def bad_tmpfs(spec):
        spec["mounts"].append({"destination": "/x", "type": "tmpfs", "source": "tmpfs", "options": ["size=bogus"]})

    result = bundle.run("true", patch=bad_tmpfs)
    assert result.returncode == 125, str(result)
    assert one_line_error(result) == "Error: create container: mount tmpfs on /x: Invalid argument"


# ---- process.terminal ----

def terminal_spec(bundle, *command: str, patch=None) -> None:
    def with_terminal(spec):
        spec["process"]["terminal"] = True
        if patch:
            patch(spec)

    spec = bundle.spec(*command)
    with_terminal(spec)
    bundle.write_spec(spec)


class OuterTerminal:
    """berth-runtime run with a pseudo-terminal of the test's as its controlling terminal, stdin, stdout and stderr."""

    def __init__(self, bundle, rows: int, cols: int):
        self.master, self.slave = pty.openpty()
        self.resize(rows, cols)
        self.settings = termios.tcgetattr(self.slave)
        argv = bundle.runtime_argv()
        if bundle.user:
            argv = ["setpriv", f"--reuid={bundle.user.uid}", f"--regid={bundle.user.gid}", "--init-groups", "--",
                    *argv]
        # setsid --ctty: a session of its own whose controlling terminal is this one, so that a resize sends it
        # SIGWINCH as it would to a shell's foreground job.
        self.proc = subprocess.Popen(["setsid", "--ctty", *argv], stdin=self.slave, stdout=self.slave,
                                     stderr=self.slave, cwd=bundle.base)
        os.set_blocking(self.master, False)
        self.output = b""

    def resize(self, rows: int, cols: int) -> None:
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def _read_available(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except (BlockingIOError, OSError):
                return
            if not data:
                return
            self.output += data

    def read_until(self, text: str, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self._read_available()
                assert text.encode() in self.output, f"no {text!r} in {self.output!r}"
                break
            select.select([self.master], [], [], 0.5)
            self._read_available()
        return self.text()

    def wait(self, timeout: float = TIMEOUT) -> int:
        status = self.proc.wait(timeout=timeout)
        self._read_available()
        return status

    def text(self) -> str:
        return self.output.decode(errors="replace").replace("\r\n", "\n")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def outer_terminal(bundle):
    made = []

    def start(rows: int = 24, cols: int = 80) -> OuterTerminal:
        made.append(OuterTerminal(bundle, rows, cols))
        return made[-1]

    yield start
    for terminal in made:
        terminal.close()


def test_terminal_is_the_containers_own_with_the_callers_size(bundle, outer_terminal):
    terminal_spec(bundle, "sh", "-c", "tty; stty size; [ /dev/console -ef /dev/pts/0 ] && echo console; "
                                      "[ -t 0 ] && [ -t 2 ] && echo all-terminals")
    terminal = outer_terminal(37, 111)
    assert terminal.wait() == 0, terminal.text()
    lines = terminal.text().split()
    assert lines == ["/dev/pts/0", "37", "111", "console", "all-terminals"], terminal.text()
    # Raw mode while it ran, the caller's settings back afterwards.
    assert termios.tcgetattr(terminal.slave) == terminal.settings


def test_terminal_follows_window_changes(bundle, outer_terminal):
    script = 'trap "stty size; exit 0" WINCH; stty size; echo ready; while :; do sleep 0.1; done'
    terminal_spec(bundle, "sh", "-c", script)
    terminal = outer_terminal(30, 90)
    assert "30 90\nready" in terminal.read_until("ready")
    terminal.resize(41, 123)
    terminal.read_until("41 123")
    assert terminal.wait() == 0, terminal.text()


def test_terminal_relays_input_in_raw_mode(bundle, outer_terminal):
    terminal_spec(bundle, "sh", "-c", 'echo ready; read line; echo "got:$line"; '
                                      'trap "echo interrupted; exit 3" INT; echo armed; while :; do sleep 0.1; done')
    terminal = outer_terminal()
    terminal.read_until("ready")
    local_modes = termios.tcgetattr(terminal.slave)[3]
    assert not local_modes & (termios.ICANON | termios.ECHO | termios.ISIG), "the caller's terminal is not raw"
    terminal.type("hello\r")
    terminal.read_until("got:hello")
    terminal.read_until("armed")
    # ^C is a byte for the container's terminal (the caller's is raw), whose line discipline makes it SIGINT.
    terminal.type("\x03")
    assert terminal.wait() == 3, terminal.text()
    assert "interrupted" in terminal.text()


def test_terminal_without_a_caller_terminal(bundle):
    def console_size(spec):
        spec["process"]["consoleSize"] = {"height": 50, "width": 132}

    # cat first: the pseudo-terminal echoes the input whenever it arrives.
    terminal_spec(bundle, "sh", "-c", "cat; tty; stty size", patch=console_size)
    argv = bundle.runtime_argv()
    if bundle.user:
        argv = ["setpriv", f"--reuid={bundle.user.uid}", f"--regid={bundle.user.gid}", "--init-groups", "--", *argv]
    proc = subprocess.run(argv, input=b"one\ntwo\n", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          cwd=bundle.base, timeout=TIMEOUT, check=False)
    text = proc.stdout.decode(errors="replace").replace("\r\n", "\n")
    assert proc.returncode == 0, (text, proc.stderr)
    # The end of the piped input reached cat as the terminal's end of file.
    assert text.endswith("/dev/pts/0\n50 132\n"), text
    assert "one\ntwo\n" in text, text


def test_terminal_leaks_no_file_descriptors(bundle):
    terminal_spec(bundle, "ls", "/proc/self/fd")
    result = bundle.exec(bundle.runtime_argv())
    assert result.ok, str(result)
    assert sorted(result.stdout.split(), key=int) == ["0", "1", "2", "3"], str(result)


def test_terminal_with_a_missing_command_is_127(bundle):
    terminal_spec(bundle, "no-such-command")
    result = bundle.exec(bundle.runtime_argv())
    assert result.returncode == 127, str(result)
    assert "no-such-command" in one_line_error(result)


# ---- linux.resources: cgroup limits ----

MIB = 1024 * 1024


def cgroup_root_type() -> str:
    return subprocess.run(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], stdout=subprocess.PIPE, text=True,
                          check=True).stdout.strip()


def v1_cgroup_dir(controller: str, cgroups_path: str) -> Path:
    """Where a container's cgroup of a v1 controller is: below the caller's own for a relative path."""
    mount = None
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        separator = fields.index("-")
        if fields[separator + 1] == "cgroup" and controller in fields[separator + 3].split(","):
            mount = Path(fields[4])
            break
    assert mount, f"no cgroup v1 {controller} hierarchy"
    if cgroups_path.startswith("/"):
        return mount / cgroups_path.lstrip("/")
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        number, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return mount / path.lstrip("/") / cgroups_path
    raise AssertionError(f"no {controller} in /proc/self/cgroup")


@pytest.fixture
def v1_root(bundle):
    if bundle.rootless:
        pytest.skip("cgroup limits as root (rootless: test_rootless_limits_are_one_warning)")
    if cgroup_root_type() == "cgroup2fs":
        pytest.skip("a cgroup v2 host")


def limits_patch(memory=None, pids=None, cpu=None, path=None):
    def patch(spec):
        resources = spec["linux"].setdefault("resources", {})
        if memory:
            resources["memory"] = {"limit": memory}
        if pids:
            resources["pids"] = {"limit": pids}
        if cpu:
            resources["cpu"] = {"quota": cpu[0], "period": cpu[1]}
        if path:
            spec["linux"]["cgroupsPath"] = path
    return patch


def unique_name() -> str:
    return f"berth-test-{os.getpid()}-{time.monotonic_ns()}"


def start_held(bundle, spec) -> subprocess.Popen:
    """Runs the container of `spec`, which prints "ready" and waits for a line on stdin."""
    bundle.write_spec(spec)
    proc = subprocess.Popen(bundle.runtime_argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=bundle.base)
    line = proc.stdout.readline()
    assert line.strip() == b"ready", (line, proc.stderr.read() if proc.poll() is not None else b"")
    return proc


def release(proc: subprocess.Popen) -> tuple[bytes, bytes]:
    out, err = proc.communicate(b"\n", timeout=TIMEOUT)
    assert proc.returncode == 0, (out, err)
    return out, err


def test_cgroup_limits_are_written_and_removed(bundle, v1_root):
    name = unique_name()
    spec = bundle.spec("sh", "-c", "echo ready; read x; grep -E ':(memory|pids):' /proc/self/cgroup")
    limits_patch(memory=32 * MIB, pids=10, cpu=(50000, 100000), path=name)(spec)
    proc = start_held(bundle, spec)
    try:
        memory, pids, cpu = (v1_cgroup_dir(c, name) for c in ("memory", "pids", "cpu"))
        assert (memory / "memory.limit_in_bytes").read_text().strip() == str(32 * MIB)
        if (memory / "memory.memsw.limit_in_bytes").exists():
            assert (memory / "memory.memsw.limit_in_bytes").read_text().strip() == str(32 * MIB)
        assert (pids / "pids.max").read_text().strip() == "10"
        assert (cpu / "cpu.cfs_quota_us").read_text().strip() == "50000"
        assert (cpu / "cpu.cfs_period_us").read_text().strip() == "100000"
        for directory in (memory, pids, cpu):
            assert (directory / "cgroup.procs").read_text().split(), f"nothing in {directory}"
    finally:
        out, _ = release(proc)
    # Its cgroup namespace starts at the container's cgroup.
    assert sorted(line.split(":", 1)[1] for line in out.decode().split()) == ["memory:/", "pids:/"], out
    for directory in (memory, pids, cpu):
        assert not directory.exists(), f"{directory} is left behind"


def test_cgroup_path_defaults_and_absolute(bundle, v1_root):
    spec = bundle.spec("sh", "-c", "echo ready; read x")
    limits_patch(pids=20)(spec)
    proc = start_held(bundle, spec)
    try:
        default = v1_cgroup_dir("pids", f"berth-{proc.pid}")
        assert (default / "pids.max").read_text().strip() == "20"
    finally:
        release(proc)
    assert not default.exists()

    name = "/" + unique_name()
    limits_patch(pids=30, path=name)(spec)
    proc = start_held(bundle, spec)
    try:
        absolute = v1_cgroup_dir("pids", name)
        assert absolute.parent == v1_cgroup_dir("pids", "/")
        assert (absolute / "pids.max").read_text().strip() == "30"
    finally:
        release(proc)
    assert not absolute.exists()


HOLD_64_MIB = 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo "survived ${#x}"'


def test_memory_limit_kills_what_goes_beyond(bundle, v1_root):
    name = unique_name()
    killed = bundle.run("sh", "-c", HOLD_64_MIB, patch=limits_patch(memory=32 * MIB, path=name))
    assert killed.returncode == 137, str(killed)
    assert "survived" not in killed.stdout
    assert not v1_cgroup_dir("memory", name).exists()
    unlimited = bundle.run("sh", "-c", HOLD_64_MIB)
    assert output(unlimited) == "survived 67108864"


def test_pids_limit_stops_forks(bundle, v1_root):
    loop = "for i in $(seq 50); do sleep 5 & done; echo all started"
    limited = bundle.run("sh", "-c", loop, patch=limits_patch(pids=10))
    assert limited.returncode != 0, str(limited)
    assert "can't fork" in limited.stderr and "all started" not in limited.stdout, str(limited)
    # Without a limit all fifty start; the pid namespace ends them with the shell.
    assert output(bundle.run("sh", "-c", loop)) == "all started"


def test_rootless_limits_are_one_warning(bundle):
    if not bundle.rootless:
        pytest.skip("as the test user")
    if cgroup_root_type() == "cgroup2fs":
        pytest.skip("a cgroup v2 host (limits depend on its delegation)")
    result = bundle.run("echo", "ran", patch=limits_patch(memory=32 * MIB, pids=10, cpu=(50000, 100000)))
    assert output(result) == "ran"
    lines = result.stderr.strip().splitlines()
    # Not a terminal: logrus' key=value form, as Podman's.
    assert len(lines) == 1 and " level=warning msg=" in lines[0] and "resource limits ignored" in lines[0], str(result)
    assert "cgroup v1 is not delegated" in lines[0], str(result)
