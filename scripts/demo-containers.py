#!/usr/bin/env python3
"""berth's main job on the built-in example: a busybox image (built here from Debian's busybox-static by the
project's own fixture code) served by a local Distribution registry, pulled, and run as containers:
a command in the foreground, a container in the background with its logs, exec and removal.

Usage: scripts/demo-containers.py BERTH   (scripts/demo runs it)
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixtures import oci  # noqa: E402
from fixtures.registry import Registry  # noqa: E402


def berth(binary: str, store: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    argv = [binary, "--root", str(store / "root"), "--runroot", str(store / "run"), *args]
    print("$ berth " + " ".join(args), flush=True)
    result = subprocess.run(argv, text=True, stdout=subprocess.PIPE)
    sys.stdout.write(result.stdout)
    sys.stdout.flush()
    if check and result.returncode != 0:
        sys.exit(f"berth {' '.join(args)} failed with status {result.returncode}")
    return result


def wait_for_output(binary: str, store: Path, name: str, text: str, seconds: float = 10) -> None:
    """Waits, quietly, until the container's log holds `text`."""
    argv = [binary, "--root", str(store / "root"), "--runroot", str(store / "run"), "logs", name]
    deadline = time.monotonic() + seconds
    while text not in subprocess.run(argv, text=True, capture_output=True).stdout and time.monotonic() < deadline:
        time.sleep(0.1)


def main() -> int:
    binary = sys.argv[1]
    with Registry() as registry, tempfile.TemporaryDirectory(prefix="berth-demo-") as tmp:
        store = Path(tmp)
        registry.push("busybox", "latest", oci.busybox_image())
        image = registry.reference("busybox")
        berth(binary, store, "pull", "--tls-verify=false", image)
        berth(binary, store, "images")
        berth(binary, store, "run", "--rm", "--hostname", "demo", image, "sh", "-c",
              "echo hello from $(hostname); id; cat /proc/self/uid_map")
        berth(binary, store, "run", "-d", "--name", "ticker", image, "sh", "-c",
              "for i in 1 2 3; do echo tick $i; sleep 0.2; done; sleep 100")
        berth(binary, store, "ps")
        berth(binary, store, "exec", "ticker", "ps")
        wait_for_output(binary, store, "ticker", "tick 3")
        berth(binary, store, "logs", "--tail", "2", "ticker")
        berth(binary, store, "stop", "-t", "1", "ticker")
        berth(binary, store, "ps", "-a")
        berth(binary, store, "rm", "ticker")
        berth(binary, store, "rmi", image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
