"""registries.conf: short names, aliases, mirrors, prefixes, insecure and blocked registries."""

import os
from pathlib import Path

import pytest

from fixtures.registry import free_port


def write(berth, path: Path, text: str) -> Path:
    """Write a file (and its missing parents) owned by the identity that runs berth."""
    missing = [parent for parent in reversed(path.parents) if not parent.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if berth.user:
        for item in [*missing, path]:
            os.chown(item, berth.user.uid, berth.user.gid)
    return path


def insecure(*hosts: str) -> str:
    return "".join(f'[[registry]]\nlocation = "{host}"\ninsecure = true\n\n' for host in hosts)


def search(*hosts: str) -> str:
    return "unqualified-search-registries = [" + ", ".join(f'"{host}"' for host in hosts) + "]\n"


def pull(berth, conf: Path, *args: str, check: bool = True):
    return berth.run("pull", *args, env={"CONTAINERS_REGISTRIES_CONF": str(conf)}, check=check)


def image_names(berth) -> list[str]:
    return sorted(berth.run("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split())


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode == 125, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and result.stderr.endswith(errors[0] + "\n"), result
    for fragment in fragments:
        assert fragment in errors[0], result


@pytest.fixture
def served(registry_factory, busybox_image):
    """A registry with busybox:latest."""
    registry = registry_factory()
    registry.push("busybox", "latest", busybox_image)
    return registry


@pytest.fixture
def conf_path(berth_root) -> Path:
    return Path(berth_root.home) / "registries.conf"


def test_short_name_tries_search_registries_in_order(berth_root, registry_factory, served, busybox_image, conf_path):
    empty = registry_factory()
    write(berth_root, conf_path, search(empty.host, served.host) + insecure(empty.host, served.host))
    result = pull(berth_root, conf_path, "busybox")
    assert result.stdout == busybox_image.config_digest.removeprefix("sha256:") + "\n"
    lines = result.stderr.splitlines()
    assert lines[:3] == [f'Resolving "busybox" using unqualified-search registries ({conf_path})',
                         f"Trying to pull {empty.host}/busybox:latest...",
                         f"Trying to pull {served.host}/busybox:latest..."], result
    images = berth_root.run("images").stdout.splitlines()
    assert images[1].split()[:3] == [f"{served.host}/busybox", "latest", busybox_image.config_digest[7:19]]


def test_search_registries_need_insecure_for_plain_http(berth_root, served, conf_path):
    write(berth_root, conf_path, search(served.host))
    assert_one_line_error(pull(berth_root, conf_path, "busybox", check=False), "Error: pull busybox: ")
    assert image_names(berth_root) == []
    # --tls-verify=false on the command line still means plain HTTP.
    pull(berth_root, conf_path, "--tls-verify=false", "busybox")
    assert image_names(berth_root) == [f"{served.host}/busybox:latest"]


def test_enforcing_mode_refuses_an_ambiguous_short_name(berth_root, registry_factory, served, conf_path):
    other = registry_factory()
    write(berth_root, conf_path,
          search(other.host, served.host) + 'short-name-mode = "enforcing"\n' + insecure(other.host, served.host))
    result = pull(berth_root, conf_path, "busybox", check=False)
    assert_one_line_error(result, f"{other.host}/busybox:latest, {served.host}/busybox:latest",
                          "short-name resolution enforced but cannot prompt without a TTY")
    assert "Trying to pull" not in result.stderr


def test_short_name_without_search_registries(berth_root, served, conf_path):
    write(berth_root, conf_path, insecure(served.host))
    result = pull(berth_root, conf_path, "busybox", check=False)
    assert_one_line_error(result, 'Error: pull busybox: short-name "busybox" did not resolve to an alias and no '
                                  f"unqualified-search registries are defined in {conf_path}")


def test_alias_wins_over_search_registries(berth_root, registry_factory, served, conf_path):
    other = registry_factory()
    write(berth_root, conf_path, search(other.host) + 'short-name-mode = "enforcing"\n' +
          insecure(other.host, served.host) + f'[aliases]\n"tools/box" = "{served.host}/busybox"\n')
    result = pull(berth_root, conf_path, "tools/box:latest")
    assert result.stderr.splitlines()[:2] == [f'Resolved "tools/box" as an alias ({conf_path})',
                                              f"Trying to pull {served.host}/busybox:latest..."]
    assert image_names(berth_root) == [f"{served.host}/busybox:latest"]


def test_prefix_maps_names_to_another_location(berth_root, registry_factory, busybox_image, conf_path):
    backend = registry_factory()
    backend.push("internal/busybox", "1", busybox_image)
    write(berth_root, conf_path,
          f'[[registry]]\nprefix = "example.com/apps"\nlocation = "{backend.host}/internal"\ninsecure = true\n')
    pull(berth_root, conf_path, "example.com/apps/busybox:1")
    assert image_names(berth_root) == ["example.com/apps/busybox:1"]


def test_mirror_serves_the_image_under_the_primary_name(berth_root, served, conf_path):
    dead = f"127.0.0.1:{free_port()}"
    write(berth_root, conf_path, f'[[registry]]\nlocation = "{dead}"\ninsecure = true\n'
                                 f'[[registry.mirror]]\nlocation = "{served.host}"\ninsecure = true\n')
    result = pull(berth_root, conf_path, f"{dead}/busybox")
    assert f"Trying to pull {dead}/busybox:latest..." in result.stderr.splitlines()
    assert image_names(berth_root) == [f"{dead}/busybox:latest"]


def test_failing_mirrors_fall_through_to_the_location(berth_root, registry_factory, served, conf_path):
    empty = registry_factory()
    dead = f"127.0.0.1:{free_port()}"
    write(berth_root, conf_path, f'[[registry]]\nlocation = "{served.host}"\ninsecure = true\n'
                                 f'[[registry.mirror]]\nlocation = "{dead}"\ninsecure = true\n'
                                 f'[[registry.mirror]]\nlocation = "{empty.host}"\ninsecure = true\n')
    pull(berth_root, conf_path, f"{served.host}/busybox")
    assert image_names(berth_root) == [f"{served.host}/busybox:latest"]

    result = pull(berth_root, conf_path, f"{served.host}/nosuch", check=False)
    assert_one_line_error(result, f"Error: pull {served.host}/nosuch: reading manifest latest in {served.host}/nosuch: "
                                  f"manifest unknown (mirrors also failed: reading manifest latest in {dead}/nosuch: ",
                          f"; reading manifest latest in {empty.host}/nosuch: manifest unknown)")


def test_blocked_registry(berth_root, served, conf_path):
    write(berth_root, conf_path, f'[[registry]]\nlocation = "{served.host}"\nblocked = true\n')
    reference = served.reference("busybox")
    result = pull(berth_root, conf_path, "--tls-verify=false", reference, check=False)
    assert_one_line_error(result, f"Error: pull {reference}: registry {served.host} is blocked in {conf_path}")
    assert image_names(berth_root) == []


@pytest.mark.parametrize("text,line", [
    ('unqualified-search-registries = ["quay.io",\n  oops = 1\n', 2),
    ('[[registry]]\nlocation = "quay.io"\ninsecure = "yes"\n', 3),
])
def test_malformed_configuration_names_file_and_line(berth_root, served, conf_path, text, line):
    write(berth_root, conf_path, text)
    result = pull(berth_root, conf_path, "--tls-verify=false", served.reference("busybox"), check=False)
    assert_one_line_error(result, f"invalid registries configuration {conf_path}: line {line}")


def test_missing_explicit_configuration(berth_root, served, conf_path):
    result = pull(berth_root, conf_path, "--tls-verify=false", served.reference("busybox"), check=False)
    assert_one_line_error(result, f"{conf_path}: No such file or directory")


@pytest.fixture(params=["root", "rootless"])
def berth(request, berth_root, berth_user):
    return berth_root if request.param == "root" else berth_user


def test_per_user_configuration_and_drop_ins(berth, registry_factory, served):
    other = registry_factory()
    config = Path(berth.home) / ".config" / "containers"
    write(berth, config / "registries.conf", search(other.host) + insecure(other.host, served.host))
    write(berth, config / "registries.conf.d" / "50-aliases.conf", f'[aliases]\nbox = "{other.host}/busybox"\n')
    write(berth, config / "registries.conf.d" / "60-fix.conf", f'[aliases]\nbox = "{served.host}/busybox"\n')
    result = berth.run("pull", "box")
    assert f'Resolved "box" as an alias ({config}/registries.conf.d/60-fix.conf)' in result.stderr.splitlines()
    assert image_names(berth) == [f"{served.host}/busybox:latest"]

    write(berth, config / "registries.conf.d" / "70-broken.conf", "[aliases\n")
    result = berth.run("pull", "box", check=False)
    assert_one_line_error(result, f"invalid registries configuration {config}/registries.conf.d/70-broken.conf: line 1")


def test_tls_verify_flag_wins_over_insecure(berth_root, served, conf_path):
    # As Podman: an explicit --tls-verify=true overrides insecure = true; without the flag, registries.conf decides.
    write(berth_root, conf_path, insecure(served.host))
    reference = f"{served.host}/busybox"
    refused = pull(berth_root, conf_path, "--tls-verify=true", reference, check=False)
    assert_one_line_error(refused, f"Error: pull {reference}: ", "https://")
    assert image_names(berth_root) == []
    pull(berth_root, conf_path, reference)
    assert image_names(berth_root) == [f"{served.host}/busybox:latest"]
