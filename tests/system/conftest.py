"""pytest fixtures for berth's system tests."""

import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures import oci  # noqa: E402
from fixtures.registry import Registry  # noqa: E402
from fixtures.runner import Berth, default_binary, staged_binary  # noqa: E402
from fixtures.users import account, ensure_test_user  # noqa: E402

NOSUBID_USER = "berthnosub"


@pytest.fixture(scope="session", autouse=True)
def usable_tun_device():
    """/dev/net/tun usable by users, as desktop distributions ship it: rootless pasta and slirp4netns need it.

    Some hosts have it 0600 root; as root the session makes it 0666 and puts the mode back at the end.
    """
    path = "/dev/net/tun"
    if os.geteuid() != 0 or not os.path.exists(path):
        yield
        return
    mode = stat.S_IMODE(os.stat(path).st_mode)
    os.chmod(path, 0o666)
    try:
        yield
    finally:
        os.chmod(path, mode)


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
def busybox_index() -> oci.Index:
    return oci.busybox_index()


@pytest.fixture(scope="session")
def test_user():
    return ensure_test_user()


@pytest.fixture(scope="session")
def nosubid_user():
    """A throw-away account without subordinate id ranges, deleted at the end of the session.

    Debian's useradd gives new users subordinate ids; SUB_[UG]ID_COUNT=0 turns that off and any
    range left by an earlier run is removed with usermod.
    """
    try:
        pwd.getpwnam(NOSUBID_USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0",
                        NOSUBID_USER], check=True)
    user = account(NOSUBID_USER)
    drop = [arg for flag, ranges in (("--del-subuids", user.subuids), ("--del-subgids", user.subgids))
            for r in ranges for arg in (flag, f"{r.start}-{r.end - 1}")]
    if drop:
        subprocess.run(["usermod", *drop, NOSUBID_USER], check=True)
        user = account(NOSUBID_USER)
    try:
        assert not user.subuids and not user.subgids, f"{NOSUBID_USER} still has subordinate ids"
        yield user
    finally:
        subprocess.run(["userdel", "-r", NOSUBID_USER], stderr=subprocess.DEVNULL, check=False)


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
