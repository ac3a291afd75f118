"""Containers that outlive the command that started them: run -d, ps, logs, stop, kill, wait, start, restart,
rm -f, exec, rename, inspect, container prune and restart policies, as root and as the unprivileged test user.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from fixtures import oci
from fixtures.registry import Registry
from fixtures.runner import Berth, container_leftovers, mounts_below

TICKER = "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"


@pytest.fixture(scope="module")
def image_registry():
    with Registry() as registry:
        registry.push("busybox", "latest", oci.busybox_image())
        yield registry


@pytest.fixture(scope="module", params=["root", "rootless"])
def berth(request, berth_binary, image_registry):
    if request.param == "root":
        runner = Berth(berth_binary)
    else:
        runner = Berth(request.getfixturevalue("berth_user_binary"), request.getfixturevalue("test_user"))
    with runner:
        runner.image = image_registry.reference("busybox")
        runner.run("pull", "-q", "--tls-verify=false", runner.image)
        yield runner
        runner.run("rm", "-a", "-f", check=False)


@pytest.fixture(autouse=True)
def no_containers_left(berth):
    yield
    berth.run("rm", "-a", "-f", check=False)


def berth_processes(berth: Berth) -> list[str]:
    """Processes still running the runner's berth binary (monitors), by command line."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                args = cmdline.read().split(b"\0")
        except OSError:
            continue
        if args and args[0] == str(berth.binary).encode() and str(berth.root).encode() in args:
            found.append(" ".join(a.decode() for a in args))
    return found


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_detached_run_then_ps_columns_and_states(berth):
    container_id = berth.run("run", "-d", "--name", "ticker", berth.image, "sh", "-c", TICKER).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", container_id)
    berth.run("run", "--name", "finished", berth.image, "sh", "-c", "exit 3", check=False)
    berth.run("create", "--name", "fresh", berth.image, "true")
    running = berth.run("ps").stdout.splitlines()
    assert running[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    assert len(running) == 2 and running[1].startswith(container_id[:12]) and running[1].endswith("ticker")
    assert " Up " in running[1]
    states = dict(line.split() for line in berth.run("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout.splitlines())
    assert states == {"ticker": "running", "finished": "exited", "fresh": "created"}
    (row,) = [r for r in berth.json("ps", "-a", "--format", "json") if r["Names"] == ["finished"]]
    assert row["ExitCode"] == 3 and row["Ports"] is None
    assert berth.run("ps", "-a", "-q", "--filter", "status=exited").stdout.strip() == row["Id"][:12]
    assert berth.run("ps", "-a", "--filter", "name=tick", "--format", "{{.Names}}").stdout == "ticker\n"
    assert berth.run("ps", "-l", "--format", "{{.Names}}").stdout == "fresh\n"
    assert berth.run("inspect", "--format", "{{.State.Status}} {{.State.Running}}", "ticker").stdout == "running true\n"


def test_logs_and_logs_follow(berth):
    berth.run("run", "-d", "--name", "talker", berth.image, "sh", "-c",
              "for i in 1 2 3 4 5; do echo out $i; echo err $i >&2; sleep 0.2; done")
    follow = berth.run("logs", "-f", "talker", timeout=30)
    assert follow.stdout == "".join(f"out {i}\n" for i in range(1, 6))
    assert follow.stderr == "".join(f"err {i}\n" for i in range(1, 6))
    assert berth.run("logs", "--tail", "2", "talker").stdout == "out 5\n"
    stamped = berth.run("logs", "-t", "talker").stdout.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out 1", stamped[0])
    assert berth.run("logs", "--since", "1h", "talker").stdout.count("out") == 5


def test_stop_kills_a_process_that_ignores_sigterm(berth):
    berth.run("run", "-d", "--name", "stubborn", berth.image, "sh", "-c", "trap '' TERM; sleep 100")
    start = time.monotonic()
    assert berth.run("stop", "-t", "1", "stubborn").stdout == "stubborn\n"
    elapsed = time.monotonic() - start
    assert 0.9 < elapsed < 8
    assert berth.run("inspect", "--format", "{{.State.ExitCode}}", "stubborn").stdout == "137\n"
    assert berth.run("wait", "stubborn").stdout == "137\n"


def test_kill_with_a_signal_and_wait_returns_the_exit_code(berth):
    berth.run("run", "-d", "--name", "trapper", berth.image, "sh", "-c",
              "trap 'exit 42' USR1; while true; do sleep 0.1; done")
    assert berth.run("kill", "-s", "USR1", "trapper").stdout == "trapper\n"
    assert berth.run("wait", "trapper").stdout == "42\n"
    refused = berth.run("kill", "trapper", check=False)
    assert refused.returncode == 125 and "can only kill running containers" in refused.stderr


def test_start_restart_and_rm_force(berth):
    berth.run("create", "--name", "later", berth.image, "sh", "-c", "echo started; sleep 100")
    assert berth.run("start", "later").stdout == "later\n"
    assert wait_until(lambda: "started" in berth.run("logs", "later").stdout)
    refused = berth.run("rm", "later", check=False)
    assert refused.returncode == 2 and "cannot remove container" in refused.stderr
    assert berth.run("restart", "-t", "0", "later").stdout == "later\n"
    assert wait_until(lambda: berth.run("logs", "later").stdout.count("started") == 2)
    berth.run("rm", "-f", "later")
    assert berth.run("ps", "-a", "-q").stdout == ""
    assert wait_until(lambda: berth_processes(berth) == []), berth_processes(berth)
    assert mounts_below(berth.base) == []


def test_exec_joins_the_container(berth):
    berth.run("run", "-d", "--name", "host", berth.image, "sh", "-c", "echo inside > /marker; sleep 100")
    assert wait_until(lambda: berth.run("exec", "host", "cat", "/marker", check=False).stdout == "inside\n")
    processes = berth.run("exec", "host", "ps", "-o", "pid,args").stdout
    assert re.search(r"^\s*1\s+sleep 100", processes, re.M), processes
    in_container = berth.run("exec", "host", "cat", "/proc/self/uid_map").stdout
    assert in_container == berth.run("run", "--rm", berth.image, "cat", "/proc/self/uid_map").stdout
    assert berth.run("exec", "-u", "nobody", "host", "id", "-u").stdout == "65534\n"
    assert berth.run("exec", "-e", "X=1", "-w", "/tmp", "host", "sh", "-c", "echo $X $(pwd)").stdout == "1 /tmp\n"
    status = berth.run("exec", "host", "grep", "-E", "CapEff|Seccomp:|NoNewPrivs", "/proc/self/status").stdout
    assert "00000000800405fb" in status and re.search(r"Seccomp:\s+2", status)
    assert berth.run("exec", "host", "sh", "-c", "exit 5", check=False).returncode == 5
    missing = berth.run("exec", "host", "nosuchcmd", check=False)
    assert missing.returncode == 127 and missing.stderr.count("\n") == 1
    assert berth.run("exec", "-i", "host", "cat", input="piped\n").stdout == "piped\n"
    berth.run("stop", "-t", "0", "host")
    refused = berth.run("exec", "host", "true", check=False)
    assert refused.returncode == 125 and "running containers" in refused.stderr


def test_restart_on_failure_restarts_exactly_three_times(berth):
    berth.run("run", "-d", "--restart", "on-failure:3", "--name", "flaky", berth.image, "sh", "-c", "echo try; exit 1")
    assert wait_until(lambda: berth.run("inspect", "--format", "{{.State.Status}} {{.RestartCount}}",
                                        "flaky").stdout == "exited 3\n")
    time.sleep(0.5)
    assert berth.run("logs", "flaky").stdout == "try\n" * 4
    assert berth.run("wait", "flaky").stdout == "1\n"


def test_rm_with_detach_leaves_nothing(berth):
    berth.run("run", "-d", "--rm", "--name", "brief", berth.image, "sh", "-c", "sleep 0.3")
    assert wait_until(lambda: berth.run("ps", "-a", "-q").stdout == "")
    assert wait_until(lambda: berth_processes(berth) == [])
    assert container_leftovers(berth.root) == []


def test_sigkill_of_the_monitor(berth):
    container_id = berth.run("run", "-d", "--name", "orphan", berth.image, "sleep", "100").stdout.strip()
    (document,) = berth.json("inspect", "orphan")
    monitor = document["State"]["ConmonPid"]
    os.kill(monitor, signal.SIGKILL)
    # The container's process lives on, reparented: it is still running and can be stopped.
    assert berth.run("inspect", "--format", "{{.State.Status}}", "orphan").stdout == "running\n"
    berth.run("stop", "-t", "0", "orphan")
    assert berth.run("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout == "orphan exited\n"
    assert berth.run("rm", "orphan").stdout == "orphan\n"
    assert berth.run("ps", "-a", "-q").stdout == ""
    assert container_id


def test_rename_replace_and_prune(berth):
    berth.run("create", "--name", "first", berth.image, "true")
    berth.run("rename", "first", "second")
    assert berth.run("ps", "-a", "--format", "{{.Names}}").stdout == "second\n"
    replaced = berth.run("create", "--replace", "--name", "second", berth.image, "echo", "new").stdout.strip()
    assert berth.run("ps", "-a", "--no-trunc", "-q").stdout.strip() == replaced
    assert berth.run("container", "prune").stdout.strip() == replaced
    assert berth.run("ps", "-a", "-q").stdout == ""


def test_unknown_containers_are_clear_errors(berth):
    for command in (["stop"], ["kill"], ["wait"], ["logs"], ["start"], ["exec", "nosuch", "true"]):
        argv = command if command[0] == "exec" else [*command, "nosuch"]
        result = berth.run(*argv, check=False)
        assert result.returncode == 125, (argv, result)
        assert 'no container with name or ID "nosuch" found: no such container' in result.stderr
    assert berth.run("rm", "nosuch", check=False).returncode == 1


def test_parallel_run_stop_rm_loops_keep_state_consistent(berth):
    loops = 20

    def loop(index: int) -> tuple[list[str], bool]:
        names = []
        for round_ in range(3):
            name = f"c{index}-{round_}"
            berth.run("run", "-d", "--name", name, berth.image, "sleep", "30")
            if round_ % 2 == 0:
                berth.run("stop", "-t", "0", name)
            berth.run("rm", "-f", name)
            names.append(name)
        # Every loop wants this name once: exactly one gets it, the others get Podman's error.
        contested = berth.run("create", "--name", "contested", berth.image, "true", check=False)
        assert contested.returncode in (0, 125), contested
        if contested.returncode:
            assert 'the container name "contested" is already in use by' in contested.stderr
        berth.run("run", "-d", "--name", f"keep{index}", berth.image, "sleep", "30")
        return names, contested.returncode == 0

    with ThreadPoolExecutor(max_workers=loops) as pool:
        results = list(pool.map(loop, range(loops)))
    assert sum(won for _, won in results) == 1
    names = sorted(berth.run("ps", "-a", "--format", "{{.Names}}").stdout.split())
    assert names == sorted([f"keep{i}" for i in range(loops)] + ["contested"])
    assert berth.run("ps", "--format", "{{.State}}").stdout.split() == ["running"] * loops
    berth.run("rm", "-a", "-f")
    assert berth.run("ps", "-a", "-q").stdout == ""
    assert wait_until(lambda: berth_processes(berth) == [])
    assert mounts_below(berth.base) == []
    assert container_leftovers(berth.root) == []


def test_top_pause_and_unpause(berth):
    berth.run("run", "-d", "--name", "counter", berth.image, "sh", "-c",
              "i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.05; done")
    top = berth.run("top", "counter").stdout.splitlines()
    assert top[0].split() == ["USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"]
    assert any("sh -c i=0" in line for line in top[1:]), top
    assert berth.run("pause", "counter").stdout == "counter\n"
    assert berth.run("inspect", "--format", "{{.State.Status}} {{.State.Paused}}", "counter").stdout == "paused true\n"
    first = berth.run("exec", "counter", "cat", "/count", check=False)
    assert first.returncode == 125  # no exec into a paused container, as in Podman
    (document,) = berth.json("inspect", "counter")
    pid = document["State"]["Pid"]
    with open(f"/proc/{pid}/stat") as stat:
        assert stat.read().rsplit(")", 1)[1].split()[0] == "T"
    assert berth.run("unpause", "counter").stdout == "counter\n"
    before = berth.run("exec", "counter", "cat", "/count").stdout
    assert wait_until(lambda: berth.run("exec", "counter", "cat", "/count").stdout != before)
    assert berth.run("unpause", "counter", check=False).returncode == 125


def test_attach_shows_new_output_and_forwards_stdin(berth):
    berth.run("run", "-d", "-i", "--name", "reader", berth.image, "sh", "-c",
              "echo before; while read line; do echo got $line; [ \"$line\" = quit ] && exit 7; done")
    assert wait_until(lambda: berth.run("logs", "reader").stdout == "before\n")
    attached = berth.run("attach", "reader", input="hello\nquit\n", timeout=30, check=False)
    assert attached.stdout == "got hello\ngot quit\n"
    assert attached.returncode == 7


def test_exec_tty(berth):
    berth.run("run", "-d", "--name", "ttyhost", berth.image, "sleep", "100")
    result = berth.run("exec", "-t", "ttyhost", "sh", "-c", "tty", check=False)
    assert re.search(r"/dev/pts/\d+", result.stdout), result


def edit_record(berth: Berth, name: str, **changes) -> None:
    """Changes fields of a container's record on disk, as a crash or a reboot would leave them."""
    (document,) = berth.json("inspect", name)
    path = berth.root / "containers" / document["Id"] / "container.json"
    record = json.loads(path.read_text())
    record.update(changes)
    path.write_text(json.dumps(record))


def test_a_reboot_and_a_reused_pid_make_running_records_exited(berth):
    berth.run("create", "--name", "rebooted", berth.image, "true")
    berth.run("create", "--name", "reused", berth.image, "true")
    with open("/proc/sys/kernel/random/boot_id") as boot:
        boot_id = boot.read().strip()
    with open("/proc/self/stat") as stat:
        own_start = int(stat.read().rsplit(")", 1)[1].split()[19])
    # Records that say running: one from another boot, one whose pids now belong to another process.
    edit_record(berth, "rebooted", state="running", pid=os.getpid(), pid_start_time=own_start,
                monitor_pid=os.getpid(), monitor_start_time=own_start, boot_id="another-boot")
    edit_record(berth, "reused", state="running", pid=os.getpid(), pid_start_time=own_start + 1,
                monitor_pid=os.getpid(), monitor_start_time=own_start + 1, boot_id=boot_id)
    states = berth.run("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout.split("\n")
    assert sorted(filter(None, states)) == ["rebooted exited", "reused exited"]
    assert berth.run("ps", "-q").stdout == ""
    assert berth.run("start", "-a", "rebooted").returncode == 0
    berth.run("rm", "rebooted", "reused")


def test_logs_names_prefix(berth):
    berth.run("run", "--name", "named", berth.image, "echo", "hi")
    berth.run("run", "-d", "--name", "named2", berth.image, "echo", "there")
    assert berth.run("wait", "named2").stdout == "0\n"
    assert berth.run("logs", "--names", "named2").stdout == "named2 there\n"


def test_detached_terminal_keeps_a_shell_and_attach_talks_to_it(berth):
    berth.run("run", "-dt", "--name", "idle-shell", berth.image, "sh")
    berth.run("run", "-dit", "--name", "shell", berth.image, "sh")
    assert wait_until(lambda: "/ # " in berth.run("logs", "shell").stdout)
    # Without -i the terminal gets no input, not even an end of file: the shell waits.
    time.sleep(0.3)
    assert berth.run("ps", "--format", "{{.Names}}").stdout.split() == ["shell", "idle-shell"]
    assert berth.run("exec", "shell", "stty", "size", "-F", "/dev/console").stdout == "24 80\n"
    attached = berth.run("attach", "shell", input="echo hi from attach\nexit 3\n", check=False, timeout=30)
    assert "hi from attach" in attached.stdout
    assert attached.returncode == 3
