"""berth login, logout and pull against registries that require credentials (htpasswd Basic and Bearer tokens),
as root and rootless."""

import base64
import json
import os
import pty
import select
import stat
import subprocess
import time
from pathlib import Path

import pytest

from fixtures.push import ChallengeAuth, Pusher
from fixtures.registry import Registry
from fixtures.runner import Berth
from fixtures.token_server import TokenServer

USER, PASSWORD = "alice", "s3cret"


@pytest.fixture(params=["root", "rootless"])
def berth(request, berth_binary):
    """A runner with its own XDG_RUNTIME_DIR, where the default auth file lives."""
    if request.param == "root":
        runner = Berth(berth_binary, xdg_runtime_dir=True)
    else:
        runner = Berth(request.getfixturevalue("berth_user_binary"), request.getfixturevalue("test_user"),
                       xdg_runtime_dir=True)
    with runner:
        yield runner


@pytest.fixture
def root_berth(berth_binary):
    """A root runner with its own XDG_RUNTIME_DIR (so that nothing is written to /run/containers)."""
    with Berth(berth_binary, xdg_runtime_dir=True) as runner:
        yield runner


@pytest.fixture(scope="module")
def private(busybox_image):
    """A registry with htpasswd Basic authentication holding busybox and team/other (the tests only read it)."""
    with Registry(basic_auth=(USER, PASSWORD)) as reg:
        reg.push("busybox", "latest", busybox_image)
        reg.push("team/other", "latest", busybox_image)
        yield reg


@pytest.fixture
def token_registry(registry_factory, busybox_image):
    """A registry with Bearer token authentication, its token server, and team/busybox pushed through both."""
    with TokenServer({USER: PASSWORD}) as tokens:
        reg = registry_factory(token_auth=tokens.token_auth)
        with Pusher(reg.url, ChallengeAuth(USER, PASSWORD)) as pusher:
            pusher.push("team/busybox", "latest", busybox_image)
        assert any("push" in scope for r in tokens.requests for scope in r.scopes), tokens.requests
        tokens.clear()
        yield reg, tokens


def default_auth_file(berth) -> Path:
    return berth.xdg_runtime_dir / "containers" / "auth.json"


def encoded(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def auths(path: Path) -> dict:
    return json.loads(path.read_text())["auths"]


def write_auth_file(berth, path: Path, entries: dict[str, tuple[str, str]]) -> None:
    """An auth file owned by the runner's user, as berth login would leave it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": {key: {"auth": encoded(*creds)} for key, creds in entries.items()}}))
    if berth.user:
        for item in (path.parent, path):
            os.chown(item, berth.user.uid, berth.user.gid)


def pull(berth, reg, repo="busybox", *args, **kwargs):
    return berth.run("pull", "--tls-verify=false", *args, reg.reference(repo), check=False, **kwargs)


def login(berth, reg, *args, **kwargs):
    return berth.run("login", "--tls-verify=false", *args, reg.host, check=False, **kwargs)


def error_line(result) -> str:
    """The one "Error:" line of a failed command, which exited 125."""
    assert result.returncode == 125, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and result.stderr.endswith(errors[0] + "\n"), result
    return errors[0]


def assert_private_file(berth, path: Path) -> None:
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert info.st_uid == (berth.user.uid if berth.user else 0)


def assert_no_images(berth) -> None:
    assert berth.run("images", "-q").stdout == ""


def test_pull_without_credentials_is_refused(berth, private):
    error = error_line(pull(berth, private))
    assert error.startswith(f"Error: pull {private.reference('busybox')}: ")
    assert "authentication required" in error
    assert_no_images(berth)
    assert not default_auth_file(berth).exists()


def test_creds_option(berth, private, busybox_image):
    error = error_line(pull(berth, private, "busybox", "--creds", f"{USER}:wrong"))
    assert "authentication required" in error
    assert_no_images(berth)
    result = pull(berth, private, "busybox", "--creds", f"{USER}:{PASSWORD}")
    assert result.returncode == 0, result
    assert result.stdout == busybox_image.config_digest.removeprefix("sha256:") + "\n"
    assert not default_auth_file(berth).exists()


def test_login_to_an_authfile_then_pull(berth, private, busybox_image):
    authfile = berth.home / "creds" / "auth.json"
    result = login(berth, private, "--authfile", str(authfile), "-u", USER, "-p", PASSWORD)
    assert (result.returncode, result.stdout) == (0, "Login Succeeded!\n"), result
    assert auths(authfile) == {private.host: {"auth": encoded(USER, PASSWORD)}}
    assert_private_file(berth, authfile)
    assert not default_auth_file(berth).exists()

    assert "authentication required" in error_line(pull(berth, private))
    result = pull(berth, private, "busybox", "--authfile", str(authfile))
    assert result.returncode == 0, result
    assert berth.run("images", "-q").stdout == busybox_image.config_digest[7:19] + "\n"


def test_login_with_password_stdin_then_logout(berth, private):
    result = login(berth, private, "-u", USER, "--password-stdin", input=PASSWORD + "\n")
    assert (result.returncode, result.stdout) == (0, "Login Succeeded!\n"), result
    authfile = default_auth_file(berth)
    assert auths(authfile) == {private.host: {"auth": encoded(USER, PASSWORD)}}
    assert_private_file(berth, authfile)
    assert berth.run("login", "--get-login", private.host).stdout == USER + "\n"
    assert pull(berth, private).returncode == 0

    result = berth.run("logout", private.host)
    assert result.stdout == f"Removed login credentials for {private.host}\n"
    assert auths(authfile) == {}
    assert_private_file(berth, authfile)
    berth.run("rmi", private.reference("busybox"))
    assert "authentication required" in error_line(pull(berth, private))
    assert_no_images(berth)

    result = berth.run("logout", private.host, check=False)
    assert error_line(result) == f"Error: not logged into {private.host}"
    result = berth.run("login", "--get-login", private.host, check=False)
    assert error_line(result) == f"Error: not logged into {private.host}"


def test_login_with_stored_credentials_checks_them(berth, private):
    assert login(berth, private, "-u", USER, "-p", PASSWORD).returncode == 0
    result = login(berth, private)
    assert result.returncode == 0, result
    assert result.stdout == (f"Authenticating with existing credentials for {private.host}\n"
                             f"Existing credentials are valid. Already logged in to {private.host}\n")


def test_wrong_password_stores_nothing(berth, private):
    result = login(berth, private, "-u", USER, "-p", "wrong")
    assert error_line(result).startswith(f'Error: logging into "{private.host}": ')
    assert "invalid username/password" in result.stderr
    assert result.stdout == ""
    assert not default_auth_file(berth).exists()

    authfile = berth.home / "auth.json"
    assert login(berth, private, "--authfile", str(authfile), "-u", USER, "-p", PASSWORD).returncode == 0
    before = authfile.read_bytes()
    assert login(berth, private, "--authfile", str(authfile), "-u", "mallory", "-p", "wrong").returncode == 125
    assert authfile.read_bytes() == before


def test_most_specific_key_wins_and_docker_config_is_read(berth, private, busybox_image):
    write_auth_file(berth, berth.home / ".docker" / "config.json",
                    {f"http://{private.host}": (USER, "wrong"), f"{private.host}/team": (USER, PASSWORD)})
    assert pull(berth, private, "team/other").returncode == 0
    assert "authentication required" in error_line(pull(berth, private, "busybox"))

    # $REGISTRY_AUTH_FILE alone is read when it is set, and login writes there.
    override = berth.home / "override" / "auth.json"
    write_auth_file(berth, override, {private.host: (USER, PASSWORD)})
    env = {"REGISTRY_AUTH_FILE": str(override)}
    assert pull(berth, private, "busybox", env=env).returncode == 0
    assert berth.run("logout", private.host, env=env).returncode == 0
    assert auths(override) == {}
    assert login(berth, private, "-u", USER, "-p", PASSWORD, env=env).returncode == 0
    assert list(auths(override)) == [private.host]
    assert not default_auth_file(berth).exists()


def test_stored_credentials_do_not_follow_registries_conf_elsewhere(root_berth, private):
    """A short name resolved at a search registry, or a name whose registry is relocated, goes without them."""
    authfile = root_berth.home / "auth.json"
    write_auth_file(root_berth, authfile, {"docker.io": (USER, PASSWORD), "example.com": (USER, PASSWORD)})
    conf = root_berth.home / "registries.conf"
    conf.write_text(f'unqualified-search-registries = ["{private.host}"]\n\n'
                    f'[[registry]]\nprefix = "example.com"\nlocation = "{private.host}"\n')
    env = {"CONTAINERS_REGISTRIES_CONF": str(conf)}
    for name in ("busybox", "example.com/busybox"):
        result = root_berth.run("pull", "--tls-verify=false", "--authfile", str(authfile), name, env=env, check=False)
        assert "authentication required" in error_line(result)
    result = root_berth.run("pull", "--tls-verify=false", "--creds", f"{USER}:{PASSWORD}", "example.com/busybox",
                            env=env, check=False)
    assert result.returncode == 0, result


def test_login_to_a_repository(berth, private):
    result = berth.run("login", "--tls-verify=false", "-u", USER, "-p", PASSWORD, f"{private.host}/team", check=False)
    assert result.returncode == 0, result
    assert list(auths(default_auth_file(berth))) == [f"{private.host}/team"]
    assert pull(berth, private, "team/other").returncode == 0
    assert "authentication required" in error_line(pull(berth, private, "busybox"))
    assert berth.run("logout", private.host, check=False).returncode == 125
    assert berth.run("logout", f"{private.host}/team").returncode == 0


@pytest.mark.parametrize("args,message", [
    (["-u", USER], "no --password or --password-stdin given, and stdin is not a terminal to ask for one"),
    ([], "no --username given, and stdin is not a terminal to ask for one"),
    (["--password-stdin"], "must provide --username with --password-stdin"),
    (["-u", USER, "-p", PASSWORD, "--password-stdin"], "can't specify both --password-stdin and --password"),
])
def test_login_does_not_prompt_without_a_terminal(root_berth, private, args, message):
    result = login(root_berth, private, *args)
    assert message in error_line(result)
    assert result.stdout == ""
    assert not default_auth_file(root_berth).exists()


def test_tls_verify_takes_true_or_false(root_berth, private):
    result = root_berth.run("login", "--tls-verify=maybe", "-u", USER, "-p", PASSWORD, private.host, check=False)
    assert error_line(result) == "Error: --tls-verify: \"maybe\" is not one of true, false (see 'berth login --help')"
    # --tls-verify alone means true: HTTPS, which this plain-HTTP registry does not speak.
    result = root_berth.run("login", "--tls-verify", "-u", USER, "-p", PASSWORD, private.host, check=False)
    assert error_line(result).startswith(f'Error: logging into "{private.host}": ')
    assert not default_auth_file(root_berth).exists()


@pytest.mark.parametrize("registry,message", [
    ("{host}/busybox:latest", 'reference "{host}/busybox:latest" contains a tag or digest'),
    ("{host}/busybox@sha256:" + "a" * 64, "contains a tag or digest"),
    ("busybox/x", 'invalid registry "busybox/x": "busybox" is not a registry host'),
])
def test_login_and_logout_take_a_registry_not_an_image(root_berth, private, registry, message):
    name = registry.format(host=private.host)
    for command in (["login", "-u", USER, "-p", PASSWORD, name], ["logout", name]):
        result = root_berth.run(*command, check=False)
        assert message.format(host=private.host) in error_line(result)


def test_logout_all(root_berth):
    authfile = root_berth.home / "auth.json"
    write_auth_file(root_berth, authfile, {"quay.io": (USER, PASSWORD), "example.com/team": ("bob", "x")})
    result = root_berth.run("logout", "--authfile", str(authfile), "--all")
    assert result.stdout == "Removed login credentials for all registries\n"
    assert auths(authfile) == {}
    assert "--all takes no arguments" in error_line(root_berth.run("logout", "-a", "quay.io", check=False))
    assert "missing REGISTRY" in error_line(root_berth.run("logout", check=False))


def test_malformed_and_missing_auth_files(root_berth, private):
    authfile = root_berth.home / "auth.json"
    authfile.write_text('{"auths": ')
    error = error_line(pull(root_berth, private, "busybox", "--authfile", str(authfile)))
    assert error == f"Error: invalid auth file {authfile}: not valid JSON"
    error = error_line(login(root_berth, private, "--authfile", str(authfile), "-u", USER, "-p", PASSWORD))
    assert error == f"Error: invalid auth file {authfile}: not valid JSON"
    assert authfile.read_text() == '{"auths": '

    missing = root_berth.home / "missing.json"
    error = error_line(pull(root_berth, private, "busybox", "--authfile", str(missing)))
    assert error == f"Error: credential file is not accessible: {missing}: No such file or directory"


def test_login_asks_on_a_terminal_without_echoing_the_password(root_berth, private):
    """Username and password typed on a terminal; the password is not echoed."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(root_berth.command("login", "--tls-verify=false", private.host),
                                   stdin=terminal, stdout=terminal, stderr=terminal, env=root_berth.env,
                                   start_new_session=True)
    finally:
        os.close(terminal)
    seen = b""

    def read_until(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 30
        while text not in seen:
            assert time.monotonic() < deadline, seen
            if select.select([controller], [], [], 1)[0]:
                try:
                    seen += os.read(controller, 1024)
                except OSError:  # the other end closed
                    break
        assert text in seen, seen

    try:
        read_until(b"Username: ")
        os.write(controller, USER.encode() + b"\n")
        read_until(b"Password: ")
        os.write(controller, PASSWORD.encode() + b"\n")
        read_until(b"Login Succeeded!")
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    assert USER.encode() in seen and PASSWORD.encode() not in seen
    assert auths(default_auth_file(root_berth)) == {private.host: {"auth": encoded(USER, PASSWORD)}}


def test_bearer_token_login_and_pull(berth, token_registry, busybox_image):
    reg, tokens = token_registry
    error = error_line(pull(berth, reg, "team/busybox"))
    assert "authentication required" in error
    assert [(r.user, r.scopes) for r in tokens.requests] == [(None, ("repository:team/busybox:pull",))]
    tokens.clear()

    result = login(berth, reg, "-u", USER, "--password-stdin", input=PASSWORD)
    assert (result.returncode, result.stdout) == (0, "Login Succeeded!\n"), result
    assert {(r.status, r.user, r.account) for r in tokens.requests} == {(200, USER, USER)}
    assert auths(default_auth_file(berth)) == {reg.host: {"auth": encoded(USER, PASSWORD)}}
    tokens.clear()

    result = pull(berth, reg, "team/busybox")
    assert result.returncode == 0, result
    assert result.stdout == busybox_image.config_digest.removeprefix("sha256:") + "\n"
    assert tokens.requests and {(r.status, r.user) for r in tokens.requests} == {(200, USER)}
    assert {scope for r in tokens.requests for scope in r.scopes} == {"repository:team/busybox:pull"}


def test_bearer_token_wrong_credentials(berth, token_registry):
    reg, tokens = token_registry
    result = login(berth, reg, "-u", USER, "-p", "wrong")
    error = error_line(result)
    assert error.startswith(f'Error: logging into "{reg.host}": ') and "invalid username/password" in error
    assert [r.status for r in tokens.requests] == [401]
    assert not default_auth_file(berth).exists()

    error = error_line(pull(berth, reg, "team/busybox", "--creds", f"{USER}:wrong"))
    assert "invalid username/password" in error
    assert_no_images(berth)


def test_stored_credentials_of_the_place_tried_are_used(root_berth, private, busybox_image):
    """A short name resolved at a search registry uses what is stored for that registry."""
    authfile = root_berth.home / "auth.json"
    write_auth_file(root_berth, authfile, {private.host: (USER, PASSWORD)})
    conf = root_berth.home / "registries.conf"
    conf.write_text(f'unqualified-search-registries = ["{private.host}"]\n')
    env = {"CONTAINERS_REGISTRIES_CONF": str(conf)}
    result = root_berth.run("pull", "-q", "--tls-verify=false", "--authfile", str(authfile), "busybox", env=env)
    assert result.stdout == busybox_image.config_digest[7:] + "\n"
