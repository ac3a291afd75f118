"""pytest fixtures for berth's system tests."""

import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures import oci, shared  # noqa: E402
from fixtures.registry import Registry  # noqa: E402
from fixtures.runner import Berth, default_binary, staged_binary  # noqa: E402
from fixtures.users import account, ensure_test_user  # noqa: E402

NOSUBID_USER = "berthnosub"


# Device nodes a desktop distribution makes usable by users, which some hosts keep 0600 root:
# rootless pasta and slirp4netns need /dev/net/tun, fuse-overlayfs needs /dev/fuse. The run opens them
# up as those distributions ship them and puts their modes back at its end; a test that needs them
# closed closes them in a private mount namespace (Berth.run(device_modes=...)).
USER_DEVICES = ("/dev/net/tun", "/dev/fuse")


def _open_user_devices(teardown: shared.Teardown) -> dict:
    for path in USER_DEVICES:
        if os.path.exists(path):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            teardown.commands.append(["chmod", f"{mode:o}", path])
            os.chmod(path, 0o666)
    return {}


def _is_controller(config) -> bool:
    """The process that runs the whole test run: pytest-xdist's controller, or a lone pytest."""
    return not hasattr(config, "workerinput")


def pytest_configure(config):
    if _is_controller(config):
        shared.run_directory()  # exported before the workers start, so that they share it
        if os.geteuid() == 0:
            shared.shared("user-devices", _open_user_devices)


def pytest_unconfigure(config):
    if _is_controller(config):
        shared.stop_all()


@pytest.fixture
def registry():
    """A fresh registry without authentication."""
    with Registry() as reg:
        yield reg


@pytest.fixture
def registry_factory():
    """Call with Registry keyword arguments to get started registries, all stopped afterwards."""
    started = []

    def make(**kwargs) -> Registry:
        reg = Registry(**kwargs)
        started.append(reg)
        return reg.start()

    yield make
    for reg in started:
        reg.stop()


@pytest.fixture(scope="session")
def busybox_image() -> oci.Image:
    return oci.busybox_image()


@pytest.fixture(scope="session")
def shared_registry(busybox_image) -> Registry:
    """One registry for the whole run (every worker), holding the busybox image as ``busybox:latest``.

    Tests only read from it, or push to repositories named after themselves; a test that needs
    a registry's state (its log, authentication, faults) takes a ``registry`` of its own.
    """
    def start(teardown: shared.Teardown) -> dict:
        started = Registry().start()
        teardown.process_groups.append(started.process.pid)
        teardown.paths.append(str(started.directory))
        started.push("busybox", "latest", busybox_image)
        return {"port": started.port, "directory": str(started.directory)}

    record = shared.shared("registry", start)
    return Registry.attached(record["port"], record["directory"])


@pytest.fixture(scope="session")
def busybox_index() -> oci.Index:
    return oci.busybox_index()


@pytest.fixture(scope="session")
def test_user():
    with shared.locked("users"):
        return ensure_test_user()


def _make_nosubid_user(teardown: shared.Teardown) -> dict:
    """Debian's useradd gives new users subordinate ids; SUB_[UG]ID_COUNT=0 turns that off and any
    range left by an earlier run is removed with usermod."""
    try:
        pwd.getpwnam(NOSUBID_USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0",
                        NOSUBID_USER], check=True)
    teardown.commands.append(["userdel", "-r", NOSUBID_USER])
    user = account(NOSUBID_USER)
    drop = [arg for flag, ranges in (("--del-subuids", user.subuids), ("--del-subgids", user.subgids))
            for r in ranges for arg in (flag, f"{r.start}-{r.end - 1}")]
    if drop:
        subprocess.run(["usermod", *drop, NOSUBID_USER], check=True)
        user = account(NOSUBID_USER)
    assert not user.subuids and not user.subgids, f"{NOSUBID_USER} still has subordinate ids"
    return {}


@pytest.fixture(scope="session")
def nosubid_user():
    """A throw-away account without subordinate id ranges, deleted at the end of the run."""
    with shared.locked("users"):
        shared.shared("nosubid-user", _make_nosubid_user)
    return account(NOSUBID_USER)


@pytest.fixture(scope="session")
def berth_binary() -> Path:
    path = default_binary()
    if not path.is_file():
        pytest.fail(f"berth binary not found at {path}: build it or set BERTH")
    return path


@pytest.fixture(scope="session")
def berth_user_binary(berth_binary):
    """The berth binary copied where the test user can execute it."""
    with staged_binary(berth_binary) as path:
        yield path


@pytest.fixture
def berth_root(berth_binary):
    with Berth(berth_binary) as runner:
        yield runner


@pytest.fixture
def berth_user(berth_user_binary, test_user):
    with Berth(berth_user_binary, test_user) as runner:
        yield runner
