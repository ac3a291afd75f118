"""What the bench scripts share: berth beside Podman, measured as root or as an unprivileged user.

  - setup(): a local Distribution registry (as the tests start it) holding the busybox fixture image, a
    world-readable work directory below /var/tmp with a snapshot of the berth binary (the build tree may
    change meanwhile) and the launcher; everything is removed when the block ends;
  - the launcher: a small C program (compiled here with cc) that forks a command, waits for it with wait4
    and reads the clock around both, printing "WALL_NS MAXRSS_KIB STATUS" — it keeps the harness's own
    start-up out of the times, and being tiny it keeps Python's memory out of the RSS (a child's ru_maxrss
    starts from its parent's high-water mark, which for Python is about 10 MiB); the peak RSS is the
    largest single process of the tree that was waited for (the engine and every descendant its parent
    reaped; processes that daemonize, such as podman's conmon and runc, are not counted). `-o FILE` keeps
    the command's output in FILE instead of discarding it. Without cc the times come from Python;
  - Identity: who runs the engines, root or an unprivileged user through setpriv, with its own directory,
    HOME and a clean environment;
  - Berth and Podman: an engine with fresh storage of its own (Podman with runc and cgroupfs through its
    own containers.conf, and short --runroot paths, which Podman wants below 50 characters), pull(), and
    cleanup(): `rm -a -f`, then the storage removed (rootless: from inside the engine's user namespace with
    `unshare rm -rf`, since the layers belong to subordinate ids) and Podman's pause process stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import pwd
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fixtures import oci  # noqa: E402
from fixtures.registry import Registry  # noqa: E402
from fixtures.runner import mounts_below  # noqa: E402

CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TIMEOUT = 120

LAUNCHER_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* launcher [-o FILE] COMMAND [ARG...]: run COMMAND with stdin on /dev/null, stdout on /dev/null (or in
   FILE, truncated) and stderr inherited; print "WALL_NS MAXRSS_KIB STATUS" (STATUS 128+N for signal N). */
int main(int argc, char **argv) {
    const char *output = NULL;
    if (argc > 2 && strcmp(argv[1], "-o") == 0) { output = argv[2]; argv += 2; argc -= 2; }
    if (argc < 2) { fputs("usage: launcher [-o FILE] COMMAND [ARG...]\n", stderr); return 2; }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) { perror("/dev/null"); return 2; }
    int out = output ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : null;
    if (out < 0) { perror(output); return 2; }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 2; }
    if (pid == 0) {
        dup2(null, 0);
        dup2(out, 1);
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) { perror("wait4"); return 2; }
    clock_gettime(CLOCK_MONOTONIC, &end);
    long long ns = (long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
    printf("%lld %ld %d\n", ns, usage.ru_maxrss,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}
"""


def build_launcher(work: Path) -> Path | None:
    """Compile the launcher (static if libc.a is there); None without a C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        return None
    source, target = work / "launcher.c", work / "launcher"
    source.write_text(LAUNCHER_C)
    for extra in (["-static"], []):
        if subprocess.run([compiler, "-O2", *extra, "-o", str(target), str(source)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            target.chmod(0o755)
            return target
    return None


@dataclass
class Identity:
    """Who runs the engines: root, or an unprivileged user through setpriv."""

    name: str
    uid: int
    gid: int
    base: Path
    home: Path = field(init=False)

    def __post_init__(self):
        self.base.mkdir(mode=0o700)
        self.chown(self.base)
        self.home = self.dir("home")

    @property
    def rootless(self) -> bool:
        return self.uid != 0

    @property
    def title(self) -> str:
        return f"{self.name} (rootless)" if self.rootless else "root"

    def chown(self, path: Path) -> None:
        if os.geteuid() == 0 and self.uid != 0:
            os.chown(path, self.uid, self.gid)

    def dir(self, name: str) -> Path:
        path = self.base / name
        path.mkdir(mode=0o700, parents=True)
        self.chown(path)
        return path

    def wrap(self, argv: list[str]) -> list[str]:
        if os.geteuid() == 0 and self.uid != 0:
            return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--", *argv]
        return argv

    def environment(self, **extra: str) -> dict[str, str]:
        return {"HOME": str(self.home), "USER": self.name, "LOGNAME": self.name, "PATH": CLEAN_PATH,
                "LANG": "C.UTF-8", **extra}


def identities(user: str, as_root: bool) -> list[tuple[str, int, int]]:
    """(name, uid, gid) of who to measure: as root, ``user`` and then root with ``as_root``; else the caller."""
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        return [(entry.pw_name, entry.pw_uid, entry.pw_gid)] + ([("root", 0, 0)] if as_root else [])
    entry = pwd.getpwuid(os.geteuid())
    return [(entry.pw_name, entry.pw_uid, entry.pw_gid)]


def call(identity: Identity, argv: list[str], env: dict[str, str], check: bool = True,
         timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    result = subprocess.run(identity.wrap(argv), env=env, cwd=identity.home, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if check and result.returncode != 0:
        sys.exit(f"failed ({result.returncode}) as {identity.name}: {' '.join(argv)}\n"
                 f"{result.stderr.decode(errors='replace')}")
    return result


def remove_tree(path: Path) -> None:
    """Lazily unmount leftovers below ``path``, then delete it; needs the right to delete every file."""
    if not path.exists():
        return
    for point in mounts_below(path):
        subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL, check=False)
    remaining = mounts_below(path)
    if remaining:
        print(f"warning: not deleting {path}: still mounted: {remaining}", file=sys.stderr)
        return
    shutil.rmtree(path, ignore_errors=True)


class Berth:
    name = "berth"

    def __init__(self, binary: Path, identity: Identity):
        self.binary, self.identity = binary, identity
        self.root, self.runroot = identity.dir("broot"), identity.dir("brun")
        extra = {"XDG_RUNTIME_DIR": str(identity.dir("berth-xdg"))} if identity.rootless else {}
        self.env = identity.environment(**extra)

    def argv(self, *args: str) -> list[str]:
        return [str(self.binary), "--root", str(self.root), "--runroot", str(self.runroot), *args]

    def pull(self, reference: str) -> None:
        call(self.identity, self.argv("pull", "-q", "--tls-verify=false", reference), self.env)

    def cleanup(self) -> None:
        call(self.identity, self.argv("rm", "-a", "-f"), self.env, check=False, timeout=None)
        if self.identity.rootless:
            # Rootless layers belong to subordinate ids: remove them from inside berth's user namespace.
            call(self.identity, self.argv("unshare", "rm", "-rf", str(self.root), str(self.runroot)), self.env,
                 check=False, timeout=None)
        else:
            remove_tree(self.root)
            remove_tree(self.runroot)


class Podman:
    name = "podman"

    def __init__(self, binary: str, identity: Identity, registry_host: str):
        self.binary, self.identity = binary, identity
        self.root, self.runroot = identity.dir("proot"), identity.dir("prun")  # podman: runroot < 50 chars
        config = identity.dir("podman-config")
        identity.dir("podman-config/containers")
        conf = '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
        if not identity.rootless:
            # As root podman gives the container nofile and nproc limits of 1048576, which runc cannot set
            # where root lacks CAP_SYS_RESOURCE (inside a container itself): keep this process's hard
            # limits instead, nproc at most pid_max (conmon, which starts runc, was seen with that limit).
            nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
            pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
            nproc = pid_max if nproc == resource.RLIM_INFINITY else min(nproc, pid_max)
            limits = [f'"{name}={value}:{value}"' for name, value in (("nofile", nofile), ("nproc", nproc))
                      if value != resource.RLIM_INFINITY]
            conf += f'[containers]\ndefault_ulimits = [{", ".join(limits)}]\n'
        (config / "containers" / "containers.conf").write_text(conf)
        (config / "containers" / "registries.conf").write_text(
            f'[[registry]]\nlocation = "{registry_host}"\ninsecure = true\n')
        extra = {"XDG_CONFIG_HOME": str(config),
                 "CONTAINERS_CONF": str(config / "containers" / "containers.conf"),
                 "CONTAINERS_REGISTRIES_CONF": str(config / "containers" / "registries.conf")}
        self.xdg = identity.dir("podman-xdg") if identity.rootless else None
        if self.xdg:
            extra["XDG_RUNTIME_DIR"] = str(self.xdg)
        self.env = identity.environment(**extra)

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--root", str(self.root), "--runroot", str(self.runroot), "--storage-driver",
                "overlay", *args]

    def pull(self, reference: str) -> None:
        call(self.identity, self.argv("pull", "-q", "--tls-verify=false", reference), self.env)

    def cleanup(self) -> None:
        call(self.identity, self.argv("rm", "-a", "-f", "-t", "0"), self.env, check=False, timeout=None)
        if self.identity.rootless:
            call(self.identity, self.argv("unshare", "rm", "-rf", str(self.root), str(self.runroot)), self.env,
                 check=False, timeout=None)
            self.stop_pause_process()
        else:
            remove_tree(self.root)
            remove_tree(self.runroot)

    def stop_pause_process(self) -> None:
        """Rootless podman leaves a pause process holding its user namespace: end the one this run made."""
        for pid_file in sorted(self.xdg.rglob("pause.pid")):
            try:
                pid = int(pid_file.read_text().strip())
                status = Path(f"/proc/{pid}/status").read_text()
            except (OSError, ValueError):
                continue
            uid_line = next((line for line in status.splitlines() if line.startswith("Uid:")), "")
            if uid_line.split()[1:2] == [str(self.identity.uid)]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


@dataclass
class Launch:
    """One command run through the launcher."""

    wall: float  # seconds
    rss: float | None  # peak RSS in MiB, None without the launcher
    status: int
    stderr: bytes


def launch(identity: Identity, launcher: Path | None, argv: list[str], env: dict[str, str],
           output: Path | None = None) -> Launch:
    """Run ``argv`` once as ``identity``, timed by the launcher; its output in ``output`` if given."""
    if launcher is None:
        start = time.perf_counter()
        result = call(identity, argv, env, check=False)
        if output is not None:
            output.write_bytes(result.stdout)
        return Launch(time.perf_counter() - start, None, result.returncode, result.stderr)
    extra = ["-o", str(output)] if output is not None else []
    result = call(identity, [str(launcher), *extra, *argv], env, check=False)
    fields = result.stdout.split()
    if result.returncode != 0 or len(fields) != 3:
        sys.exit(f"launcher failed ({result.returncode}): {' '.join(argv)}\n"
                 f"{result.stderr.decode(errors='replace')}")
    return Launch(int(fields[0]) / 1e9, int(fields[1]) / 1024, int(fields[2]), result.stderr)


def measured(identity: Identity, launcher: Path | None, what: str, argv: list[str], env: dict[str, str],
             output: Path | None = None) -> Launch:
    """``launch``, leaving with the command's error output unless it succeeded."""
    result = launch(identity, launcher, argv, env, output)
    if result.status != 0:
        sys.exit(f"{what} exited with {result.status} as {identity.name}: {' '.join(argv)}\n"
                 f"{result.stderr.decode(errors='replace')}")
    return result


def p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(value: float, goal: float, at_most: bool = True) -> str:
    return "met" if (value <= goal if at_most else value >= goal) else "NOT met"


def rotated(items: list, n: int) -> list:
    """``items`` starting at index n (mod its length): who goes first changes round by round."""
    k = n % len(items)
    return items[k:] + items[:k]


def berth_source() -> Path:
    path = Path(os.environ.get("BERTH") or REPO / "build" / "cli" / "berth")
    if not path.is_file():
        sys.exit(f"berth not found at {path}: build it first (scripts/demo) or set BERTH")
    return path


@dataclass
class Setup:
    registry: Registry
    reference: str  # the busybox fixture image in the registry
    work: Path
    berth: Path  # the staged berth binary
    launcher: Path | None
    podman: str | None

    def identity(self, name: str, uid: int, gid: int) -> Identity:
        return Identity(name, uid, gid, self.work / name)

    def engines(self, identity: Identity) -> list:
        engines = [Berth(self.berth, identity)]
        if self.podman:
            engines.append(Podman(self.podman, identity, self.registry.host))
        return engines


@contextlib.contextmanager
def setup(podman: str | None, prefix: str = "brc-") -> Iterator[Setup]:
    """The registry with busybox, the work directory with the staged berth and the launcher; prints which
    berth and podman are measured. Removes everything at the end (the engines clean up their own storage)."""
    source = berth_source()
    with Registry() as registry:
        registry.push("busybox", "latest", oci.busybox_image())
        reference = registry.reference("busybox")
        work = Path(tempfile.mkdtemp(prefix=prefix, dir="/var/tmp"))  # short: podman's runroot < 50 chars
        try:
            work.chmod(0o755)  # the user must reach its own directory, the staged binary and the launcher
            berth_binary = work / "berth"
            shutil.copyfile(source, berth_binary)  # a snapshot: the build tree may change meanwhile
            berth_binary.chmod(0o755)
            digest = hashlib.sha256(berth_binary.read_bytes()).hexdigest()[:12]
            built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(source.stat().st_mtime))
            print(f"berth: {source} (built {built}, sha256 {digest}); podman: {podman or '-'}", flush=True)
            launcher = build_launcher(work)
            if launcher is None:
                print("no C compiler: times from Python, peak RSS not measured", flush=True)
            yield Setup(registry, reference, work, berth_binary, launcher, podman)
        finally:
            remove_tree(work)
            if work.exists():
                print(f"warning: {work} is left behind", file=sys.stderr)
