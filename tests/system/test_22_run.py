"""berth run, create, start, rm and container inspect, as root and as the unprivileged test user.

The image is the busybox fixture in a real registry, pulled once per runner; each test runs real containers
with berth's own executor, an overlay rootfs (vfs where a test says so) and berth's default seccomp profile.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from fixtures import oci
from fixtures.registry import Registry
from fixtures.runner import Berth, container_leftovers, mounts_below
from fixtures.spec_schema import load_validator, schema_errors

PODMAN_DEFAULT_CAPS = "00000000800405fb"


@pytest.fixture(scope="module")
def image_registry():
    with Registry() as registry:
        registry.push("busybox", "latest", oci.busybox_image())
        layer = oci.make_layer([oci.directory("srv", mode=0o755),
                                oci.file("srv/hello.txt", "from the image\n"),
                                oci.directory("home/app", uid=1234, gid=1234)])
        config = oci.busybox_config(Env=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                         "FROM_IMAGE=yes"],
                                    WorkingDir="/srv", Entrypoint=["/bin/sh", "-c"], Cmd=["echo image-cmd"],
                                    StopSignal="SIGINT")
        registry.push("app", "1", oci.build_image([oci.busybox_layer(), layer], config=config))
        yield registry


@pytest.fixture(scope="module", params=["root", "rootless"])
def berth(request, berth_binary, image_registry):
    if request.param == "root":
        runner = Berth(berth_binary)
    else:
        user_binary = request.getfixturevalue("berth_user_binary")
        runner = Berth(user_binary, request.getfixturevalue("test_user"))
    with runner:
        runner.image = image_registry.reference("busybox")
        runner.app = image_registry.reference("app", "1")
        runner.run("pull", "-q", "--tls-verify=false", runner.image)
        runner.run("pull", "-q", "--tls-verify=false", runner.app)
        yield runner


def run(berth: Berth, *args: str, check: bool = True, **kwargs):
    return berth.run("run", "--rm", *args, check=check, **kwargs)


def test_run_prints_the_output_and_exits_with_the_status(berth):
    result = run(berth, berth.image, "sh", "-c", "echo out; echo err >&2; exit 42", check=False)
    assert (result.returncode, result.stdout, result.stderr) == (42, "out\n", "err\n")
    assert run(berth, berth.image, "true").returncode == 0
    assert run(berth, berth.image, "false", check=False).returncode == 1


def test_missing_and_unexecutable_commands(berth):
    missing = run(berth, berth.image, "no-such-command", check=False)
    assert missing.returncode == 127
    assert missing.stderr.startswith("Error: ") and "no-such-command" in missing.stderr
    assert missing.stderr.count("\n") == 1
    unexecutable = run(berth, berth.image, "/etc/passwd", check=False)
    assert unexecutable.returncode == 126
    assert "/etc/passwd" in unexecutable.stderr and unexecutable.stderr.count("\n") == 1


def test_identity_maps_and_pid_one(berth):
    result = run(berth, berth.image, "sh", "-c", "id; cat /proc/self/uid_map; echo pid=$$")
    lines = result.stdout.splitlines()
    assert lines[0] == "uid=0(root) gid=0(root) groups=0(root),10(wheel)" or lines[0].startswith("uid=0(root) gid=0(root)")
    maps = [line.split() for line in lines[1:-1]]
    if berth.rootless:
        assert maps[0] == ["0", str(berth.user.uid), "1"]
        first = berth.user.subuids[0]
        assert maps[1] == ["1", str(first.start), str(first.count)]
    else:
        assert maps == [["0", "0", "4294967295"]]
    assert lines[-1] == "pid=1"


def test_hostname_env_and_workdir(berth):
    result = run(berth, "--hostname", "box", "-e", "ONE=1", "-w", "/tmp", berth.app,
                 "hostname; echo $ONE $FROM_IMAGE; pwd; cat /etc/hostname; grep box /etc/hosts")
    lines = result.stdout.splitlines()
    assert lines[:4] == ["box", "1 yes", "/tmp", "box"]
    assert re.match(r"\d+\.\d+\.\d+\.\d+\tbox ", lines[4])  # the container's address on its network


def test_image_entrypoint_cmd_workdir_and_entrypoint_flag(berth):
    assert run(berth, berth.app).stdout == "image-cmd\n"
    assert run(berth, berth.app, "pwd").stdout == "/srv\n"
    assert run(berth, "--entrypoint", "cat", berth.app, "/srv/hello.txt").stdout == "from the image\n"


def test_default_hostname_is_the_short_id(berth):
    name = "hostname-check"
    berth.run("create", "--name", name, berth.image, "hostname")
    try:
        (document,) = berth.json("container", "inspect", name)
        assert berth.run("start", "--attach", name).stdout == document["Id"][:12] + "\n"
    finally:
        berth.run("rm", name)


def test_user_by_name_and_number(berth):
    assert run(berth, "-u", "nobody", berth.image, "id", "-u").stdout == "65534\n"
    assert run(berth, "-u", "1234:1234", berth.image, "sh", "-c", "id -u; id -g").stdout == "1234\n1234\n"
    bad = run(berth, "-u", "nosuchuser", berth.image, "id", check=False)
    assert bad.returncode == 125
    assert "nosuchuser" in bad.stderr and bad.stderr.count("\n") == 1


def user_dir(berth: Berth, name: str) -> Path:
    """A fresh directory the runner's user owns (pytest's tmp_path is private to root)."""
    path = berth.base / name
    path.mkdir()
    if berth.rootless:
        os.chown(path, berth.user.uid, berth.user.gid)
    return path


def test_bind_mounts_read_write_and_read_only(berth):
    shared = user_dir(berth, "shared")
    (shared / "in.txt").write_text("from the host\n")
    result = run(berth, "-v", f"{shared}:/data", berth.image, "sh", "-c", "cat /data/in.txt; echo x > /data/out")
    assert result.stdout == "from the host\n"
    assert (shared / "out").read_text() == "x\n"
    written = (shared / "out").stat()
    assert written.st_uid == (berth.user.uid if berth.rootless else 0)
    read_only = run(berth, "-v", f"{shared}:/data:ro", berth.image, "sh", "-c", "echo y > /data/out2", check=False)
    assert read_only.returncode != 0
    assert "Read-only file system" in read_only.stderr
    assert not (shared / "out2").exists()


def test_missing_bind_source_is_a_clear_error(berth, tmp_path):
    result = run(berth, "-v", f"{tmp_path}/nothing-here:/data", berth.image, "true", check=False)
    assert result.returncode == 125
    assert "nothing-here" in result.stderr and result.stderr.count("\n") == 1


def test_read_only_rootfs_with_tmpfs(berth):
    result = run(berth, "--read-only", "--tmpfs", "/scratch", berth.image, "sh", "-c",
                 "echo a > /scratch/a && cat /scratch/a; echo b > /b", check=False)
    assert result.stdout == "a\n"
    assert "Read-only file system" in result.stderr


def test_capabilities_default_drop_all_and_add(berth):
    def effective(*flags):
        out = run(berth, *flags, berth.image, "grep", "CapEff", "/proc/self/status").stdout
        return out.split()[1]
    assert effective() == PODMAN_DEFAULT_CAPS
    assert effective("--cap-drop", "ALL") == "0000000000000000"
    assert effective("--cap-drop", "ALL", "--cap-add", "NET_RAW") == "0000000000002000"


def test_seccomp_default_custom_and_unconfined(berth):
    def seccomp_mode(*flags):
        return run(berth, *flags, berth.image, "grep", "Seccomp:", "/proc/self/status").stdout.split()[1]
    assert seccomp_mode() == "2"
    assert seccomp_mode("--security-opt", "seccomp=unconfined") == "0"
    profile = user_dir(berth, "seccomp") / "no-mkdir.json"
    profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}))
    profile.chmod(0o644)
    blocked = run(berth, "--security-opt", f"seccomp={profile}", berth.image, "mkdir", "/x", check=False)
    assert blocked.returncode == 1 and "Operation not permitted" in blocked.stderr
    assert run(berth, berth.image, "mkdir", "/x").returncode == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_default_seccomp_refuses_swapon_even_with_sys_admin(berth):
    if berth.rootless:
        pytest.skip("CAP_SYS_ADMIN of a user namespace cannot swapon whatever the profile")
    confined = run(berth, "--cap-add", "SYS_ADMIN", berth.image, "swapon", "/etc/passwd", check=False)
    assert "Operation not permitted" in confined.stderr
    unconfined = run(berth, "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", berth.image,
                     "swapon", "/etc/passwd", check=False)
    assert unconfined.returncode != 0 and "Operation not permitted" not in unconfined.stderr


def test_no_new_privileges(berth):
    def nnp(*flags):
        return run(berth, *flags, berth.image, "grep", "NoNewPrivs", "/proc/self/status").stdout.split()[1]
    assert nnp() == "0"
    assert nnp("--security-opt", "no-new-privileges") == "1"


def test_no_file_descriptor_leaks(berth):
    result = berth.exec([*berth.command("run", "--rm", berth.image, "ls", "/proc/self/fd")],
                        env={})
    assert sorted(result.stdout.split()) == ["0", "1", "2", "3"]


def test_signals_reach_the_container(berth):
    proc = subprocess.Popen(
        (["setpriv", f"--reuid={berth.user.uid}", f"--regid={berth.user.gid}", "--init-groups", "--"]
         if berth.rootless else []) +
        berth.command("run", "--rm", berth.image, "sh", "-c", "trap 'echo got-term; exit 7' TERM; "
                      "echo ready; while true; do sleep 0.1; done"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=berth.home, env=berth.env, text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert (proc.returncode, out) == (7, "got-term\n"), err


def test_files_written_belong_to_mapped_ids_and_survive_a_restart(berth):
    name = "keeps-writes"
    berth.run("create", "--name", name, berth.image, "sh", "-c",
              "if [ -f /state ]; then cat /state; else echo first > /state; chown 1000:1000 /state; echo new; fi")
    try:
        assert berth.run("start", "-a", name).stdout == "new\n"
        assert berth.run("start", "-a", name).stdout == "first\n"
        (document,) = berth.json("container", "inspect", name)
        upper = Path(document["GraphDriver"]["Data"]["UpperDir"])
        info = (upper / "state").stat()
        if berth.rootless:
            expected = (berth.user.subuids[0].start + 999, berth.user.subgids[0].start + 999)
        else:
            expected = (1000, 1000)
        assert (info.st_uid, info.st_gid) == expected
        assert document["State"]["Status"] == "exited"
        assert document["State"]["ExitCode"] == 0
    finally:
        berth.run("rm", name)
    assert berth.run("container", "inspect", name, check=False).returncode == 125


def test_rm_leaves_no_container_and_no_mount(berth):
    run(berth, "--name", "gone", berth.image, "true")
    assert container_leftovers(berth.root) == []
    assert mounts_below(berth.base) == []
    assert berth.run("rm", "gone", check=False).returncode == 1


def test_name_clash_is_podmans_error(berth):
    berth.run("create", "--name", "twin", berth.image, "true")
    try:
        clash = berth.run("create", "--name", "twin", berth.image, "true", check=False)
        assert clash.returncode == 125
        assert 'the container name "twin" is already in use by' in clash.stderr
    finally:
        berth.run("rm", "twin")


def test_missing_image_and_bad_flag_values(berth):
    never = berth.run("run", "--rm", "--pull", "never", "localhost:1/none:1", "true", check=False)
    assert never.returncode == 125
    assert never.stderr.startswith("Error: ") and never.stderr.count("\n") == 1
    bad_memory = run(berth, "--memory", "lots", berth.image, "true", check=False)
    assert bad_memory.returncode == 125 and bad_memory.stderr.count("\n") == 1
    bad_ulimit = run(berth, "--ulimit", "nofile=x", berth.image, "true", check=False)
    assert bad_ulimit.returncode == 125 and "ulimit" in bad_ulimit.stderr


def test_config_json_in_inspect_is_the_containers(berth):
    berth.run("create", "--name", "spec", "-e", "X=1", berth.image, "true")
    try:
        (document,) = berth.json("container", "inspect", "spec")
        spec = document["OCISpec"]
        assert "X=1" in spec["process"]["env"]
        assert spec == json.loads(Path(document["OCIConfigPath"]).read_text())
        assert berth.run("container", "inspect", "--format", "{{.State.Status}}", "spec").stdout == "created\n"
    finally:
        berth.run("rm", "spec")


def test_vfs_driver_runs_a_container(berth):
    result = berth.run("--storage-driver", "vfs", "run", "--rm", berth.app, "cat /srv/hello.txt; echo w > /w; cat /w")
    assert result.stdout == "from the image\nw\n"


def test_an_image_in_use_is_not_removed(berth, image_registry):
    reference = image_registry.reference("app", "1")
    berth.run("tag", reference, "localhost/in-use:1")
    berth.run("create", "--name", "user-of-image", "localhost/in-use:1", "true")
    try:
        refused = berth.run("rmi", reference, "localhost/in-use:1", check=False)
        assert refused.returncode == 2
        assert "image is in use by a container" in refused.stderr
        assert berth.run("images", "-q").stdout.count("\n") == 2
    finally:
        berth.run("rm", "user-of-image")
    berth.run("untag", "localhost/in-use:1")


def test_created_config_json_is_valid_against_the_runtime_spec_schema(berth):
    validator = load_validator()
    flag_sets = [(), ("-u", "nobody", "--read-only", "--tmpfs", "/scratch", "--cap-drop", "ALL"),
                 ("--memory", "64m", "--pids-limit", "50", "--ulimit", "nofile=512:1024", "-e", "A=1",
                  "--security-opt", "no-new-privileges", "--hostname", "h", "--label", "k=v")]
    for index, flags in enumerate(flag_sets):
        name = f"schema-{index}"
        berth.run("create", "--name", name, *flags, berth.image, "true")
        try:
            (document,) = berth.json("container", "inspect", name)
            assert schema_errors(validator, document["OCISpec"]) == [], flags
        finally:
            berth.run("rm", name)


def run_on_a_terminal(berth: Berth, *args: str, rows: int = 30, cols: int = 100, resize=None) -> tuple[int, str]:
    """Runs berth on a fresh pseudo-terminal of the given size as its controlling terminal; returns its exit
    status and everything it wrote. `resize`, when given, is (marker, rows, cols): the outer terminal is resized
    once the output contains marker."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    argv = ["setsid", "--ctty", "--wait", *berth.command(*args)]
    if berth.rootless:
        argv = ["setpriv", f"--reuid={berth.user.uid}", f"--regid={berth.user.gid}", "--init-groups", "--", *argv]
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=berth.home, env=berth.env)
    os.close(slave)
    output = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if resize and resize[0].encode() in output:
                fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", resize[1], resize[2], 0, 0))
                resize = None
        elif proc.poll() is not None:
            break
    os.close(master)
    proc.wait(timeout=30)
    return proc.returncode, output.decode(errors="replace").replace("\r\n", "\n")


def test_tty_gives_a_terminal_of_the_callers_size_that_resizes(berth):
    status, output = run_on_a_terminal(berth, "run", "--rm", "-t", berth.image, "sh", "-c", "tty; stty size")
    assert status == 0, output
    assert re.search(r"^/dev/pts/\d+$", output, re.M), output
    assert "30 100" in output
    script = "trap 'stty size; exit 0' WINCH; echo ready; while true; do sleep 0.1; done"
    status, output = run_on_a_terminal(berth, "run", "--rm", "-t", berth.image, "sh", "-c", script,
                                       resize=("ready", 40, 120))
    assert status == 0, output
    assert "40 120" in output


def test_without_tty_there_is_no_terminal(berth):
    result = run(berth, berth.image, "sh", "-c", "tty || true")
    assert result.stdout == "not a tty\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="cgroup v1 limits need root")
def test_memory_and_pids_limits_are_enforced_as_root(berth):
    if berth.rootless:
        pytest.skip("rootless limits need a delegated cgroup v2 tree")
    hog = 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived ${#x}'
    limited = run(berth, "--memory", "32m", berth.image, "sh", "-c", hog, check=False)
    assert limited.returncode == 137, limited
    assert run(berth, berth.image, "sh", "-c", hog).stdout == "survived 67108864\n"
    bomb = "for i in $(seq 30); do sleep 2 & done; echo all started"
    forked = run(berth, "--pids-limit", "10", berth.image, "sh", "-c", bomb, check=False)
    assert "can't fork" in forked.stderr, forked
    free = run(berth, berth.image, "sh", "-c", bomb)
    assert "can't fork" not in free.stderr and free.stdout == "all started\n"


def test_rootless_limits_warn_once_and_run(berth):
    if not berth.rootless:
        pytest.skip("as root the limits apply")
    result = run(berth, "--memory", "64m", "--pids-limit", "100", berth.image, "echo", "ran")
    assert result.stdout == "ran\n"
    warnings = [line for line in result.stderr.splitlines() if "resource limits" in line]
    assert len(warnings) == 1 and result.stderr.count("\n") == 1, result.stderr


def test_userns_keep_id_and_init(berth):
    if berth.rootless:
        assert run(berth, "--userns", "keep-id", berth.image, "id", "-u").stdout == f"{berth.user.uid}\n"
    if not os.path.exists("/usr/bin/catatonit"):
        pytest.skip("no init binary (catatonit) on this machine")
    result = run(berth, "--init", berth.image, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '")
    assert result.stdout.startswith("/run/berth-init")


def test_sig_proxy_false_leaves_signals_to_berth(berth):
    argv = berth.command("run", "--rm", "--name", "unproxied", "--sig-proxy=false", berth.image, "sh", "-c",
                         "trap 'echo got-term; exit 7' TERM; echo ready; while true; do sleep 0.1; done")
    if berth.rootless:
        argv = ["setpriv", f"--reuid={berth.user.uid}", f"--regid={berth.user.gid}", "--init-groups", "--", *argv]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=berth.home, env=berth.env,
                            text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == -signal.SIGTERM
        # berth went; the container did not get the signal and goes on, as with Podman's --sig-proxy=false.
        assert berth.run("ps", "--format", "{{.Names}} {{.State}}").stdout == "unproxied running\n"
    finally:
        proc.kill()
        berth.run("rm", "-f", "unproxied", check=False)
    assert "got-term" not in proc.stdout.read()
