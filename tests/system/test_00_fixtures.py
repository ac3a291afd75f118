"""Checks that the system-test fixtures themselves work: images, registry, users."""

import io
import json
import os
import shutil
import subprocess
import tarfile

import pytest
import requests

from fixtures import oci
from fixtures.registry import Registry, TokenAuth
from fixtures.runner import Berth, BerthError, staged_binary
from fixtures.users import SUBGID_FILE, SUBUID_FILE

ACCEPT_ALL = ", ".join((oci.OCI_MANIFEST, oci.OCI_INDEX, oci.DOCKER_MANIFEST, oci.DOCKER_LIST))


def registry_get(registry, path, **kwargs) -> requests.Response:
    with registry.session() as session:
        return session.get(registry.url + path, timeout=10, **kwargs)


def get_manifest(registry, repo, reference, accept=ACCEPT_ALL):
    response = registry_get(registry, f"/v2/{repo}/manifests/{reference}", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["Docker-Content-Digest"] == oci.sha256_digest(response.content)
    return response


def get_blob(registry, repo, digest) -> bytes:
    response = registry_get(registry, f"/v2/{repo}/blobs/{digest}")
    assert response.status_code == 200, response.text
    assert oci.sha256_digest(response.content) == digest
    return response.content


def layer_members(data: bytes, compression: str) -> dict[str, tarfile.TarInfo]:
    if compression == "zstd":
        data = subprocess.run(["zstd", "-d", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {member.name: member for member in tar.getmembers()}


def test_registry_serves_busybox_image(registry, busybox_image):
    assert registry.push("library/busybox", "latest", busybox_image) == busybox_image.digest
    response = get_manifest(registry, "library/busybox", "latest", accept=oci.OCI_MANIFEST)
    assert response.headers["Content-Type"] == oci.OCI_MANIFEST
    assert response.headers["Docker-Content-Digest"] == busybox_image.digest
    manifest = response.json()

    config = json.loads(get_blob(registry, "library/busybox", manifest["config"]["digest"]))
    assert manifest["config"]["digest"] == busybox_image.config_digest
    assert (config["architecture"], config["os"]) == (oci.host_architecture(), "linux")
    assert config["config"]["Cmd"] == ["sh"]
    assert config["rootfs"]["diff_ids"] == list(busybox_image.diff_ids)

    digests = [layer["digest"] for layer in manifest["layers"]]
    assert digests == busybox_image.layer_digests
    members = {}
    for digest in digests:
        members.update(layer_members(get_blob(registry, "library/busybox", digest), "gzip"))
    assert members["bin/busybox"].isfile() and members["bin/busybox"].mode == 0o755
    assert members["bin/sh"].issym() and members["bin/sh"].linkname == "busybox"
    assert members["tmp"].mode == 0o1777
    assert (members["home/tester"].uid, members["home/tester"].gid) == (1000, 1000)


def test_builds_are_reproducible(busybox_image):
    again = oci.busybox_image()
    assert again.digest == busybox_image.digest
    assert again.blobs == busybox_image.blobs


def test_docker_media_types_push_and_fetch(registry):
    image = oci.busybox_image(flavour="docker")
    registry.push("docker/busybox", "v1", image)
    response = get_manifest(registry, "docker/busybox", "v1", accept=oci.DOCKER_MANIFEST)
    assert response.headers["Content-Type"] == oci.DOCKER_MANIFEST
    manifest = response.json()
    assert manifest["config"]["mediaType"] == oci.DOCKER_CONFIG
    assert manifest["layers"][0]["mediaType"] == "application/vnd.docker.image.rootfs.diff.tar.gzip"
    assert response.headers["Docker-Content-Digest"] == image.digest


@pytest.mark.parametrize("flavour", ["oci", "docker"])
def test_multi_platform_index(registry, flavour):
    index = oci.busybox_index(flavour=flavour)
    registry.push("multi/busybox", "latest", index)
    response = get_manifest(registry, "multi/busybox", "latest")
    assert response.headers["Content-Type"] == oci.FLAVOURS[flavour]["index"]
    assert response.headers["Docker-Content-Digest"] == index.digest
    platforms = {(m["platform"]["os"], m["platform"]["architecture"]): m for m in response.json()["manifests"]}
    assert {("linux", "amd64"), ("linux", "arm64")} <= set(platforms)

    arm = platforms[("linux", "arm64")]
    child = get_manifest(registry, "multi/busybox", arm["digest"]).json()
    config = json.loads(get_blob(registry, "multi/busybox", child["config"]["digest"]))
    assert (config["architecture"], config["variant"]) == ("arm64", "v8")
    marker = layer_members(get_blob(registry, "multi/busybox", child["layers"][-1]["digest"]), "gzip")
    assert marker["etc/berth-platform"].size == len("linux/arm64/v8\n")


def test_arbitrary_tree_keeps_raw_names(registry):
    hostile = oci.make_layer([
        oci.directory("etc"),
        oci.file("../escape", "out", mode=0o600, uid=7, gid=8),
        oci.file("/abs/path", "abs"),
        oci.symlink("etc/link", "../../../../etc/shadow"),
        oci.hardlink("etc/hard", "../escape"),
        oci.char_device("etc/null", 1, 3),
        oci.whiteout("etc/gone"),
        oci.opaque("etc"),
    ], compression="zstd")
    plain = oci.make_layer([oci.file("plain", "uncompressed")], compression="none")
    image = oci.build_image([oci.busybox_layer(), hostile, plain])
    registry.push("hostile/tree", "latest", image)

    manifest = get_manifest(registry, "hostile/tree", "latest").json()
    types = [layer["mediaType"] for layer in manifest["layers"]]
    assert types[1:] == [oci.LAYER_TYPES["oci"]["zstd"], oci.LAYER_TYPES["oci"]["none"]]

    members = layer_members(get_blob(registry, "hostile/tree", image.layer_digests[1]), "zstd")
    assert list(members) == ["etc", "../escape", "/abs/path", "etc/link", "etc/hard", "etc/null",
                             "etc/.wh.gone", "etc/.wh..wh..opq"]
    escape = members["../escape"]
    assert (escape.mode, escape.uid, escape.gid, escape.mtime) == (0o600, 7, 8, oci.FIXED_MTIME)
    assert members["etc/hard"].islnk() and members["etc/hard"].linkname == "../escape"
    assert members["etc/link"].linkname == "../../../../etc/shadow"
    assert members["etc/null"].ischr() and (members["etc/null"].devmajor, members["etc/null"].devminor) == (1, 3)
    assert b"../escape\0" in hostile.tar
    assert "plain" in layer_members(get_blob(registry, "hostile/tree", image.layer_digests[2]), "none")


def test_chunked_upload(registry):
    image = oci.build_image([oci.make_layer([oci.file("data", bytes(range(256)) * 1000)])])
    assert registry.push("chunked/image", "latest", image, chunk_size=10_000) == image.digest
    for digest in image.layer_digests:
        get_blob(registry, "chunked/image", digest)


def test_oci_layout_round_trip(tmp_path, registry, busybox_index):
    layout = oci.write_layout(busybox_index, tmp_path / "layout", tag="multi")
    assert json.loads((layout / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    artifact = oci.read_layout(layout, tag="multi")
    assert (artifact.media_type, artifact.digest) == (oci.OCI_INDEX, busybox_index.digest)
    assert registry.push("layout/busybox", "multi", artifact) == busybox_index.digest


def test_registry_stop_leaves_nothing_behind():
    reg = Registry().start()
    directory, process = reg.directory, reg.process
    assert registry_get(reg, "/v2/").status_code == 200
    reg.stop()
    assert process.returncode is not None
    assert not directory.exists()
    with pytest.raises(requests.ConnectionError):
        registry_get(reg, "/v2/")


def test_basic_auth_registry(registry_factory, busybox_image):
    reg = registry_factory(basic_auth=("alice", "s3cret"))
    with reg.session(authenticated=False) as anonymous:
        response = anonymous.get(reg.url + "/v2/", timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert registry_get(reg, "/v2/").status_code == 200
    assert reg.push("private/busybox", "latest", busybox_image) == busybox_image.digest


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl to make a signing certificate")
def test_token_auth_registry_challenges(registry_factory, tmp_path):
    cert = tmp_path / "token.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", str(tmp_path / "token.key"), "-out", str(cert),
                    "-subj", "/CN=berth-token", "-days", "1"], check=True, capture_output=True)
    auth = TokenAuth("http://127.0.0.1:1/token", "berth-registry", "berth-issuer", str(cert))
    reg = registry_factory(token_auth=auth)
    response = registry_get(reg, "/v2/")
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'realm="http://127.0.0.1:1/token"' in challenge and 'service="berth-registry"' in challenge


def test_user_has_subordinate_ids(test_user):
    assert test_user.uid != 0 and test_user.home.is_dir()
    for path, ranges in ((SUBUID_FILE, test_user.subuids), (SUBGID_FILE, test_user.subgids)):
        assert ranges and all(r.count >= 65536 for r in ranges)
        lines = path.read_text().splitlines()
        owners = {f"{owner}:{ranges[0].start}:{ranges[0].count}" for owner in (test_user.name, test_user.uid)}
        assert owners & set(lines)


STUB_BERTH = r"""#!/bin/sh
printf '{"uid": %s, "gid": %s, "home": "%s", "user": "%s", "lang": "%s", "xdg": "%s", "cwd": "%s", "args": "%s"}\n' \
    "$(id -u)" "$(id -g)" "$HOME" "$USER" "$LANG" "${XDG_RUNTIME_DIR:-}" "$PWD" "$*"
exit "${STUB_EXIT:-0}"
"""


@pytest.fixture
def stub_binary(tmp_path):
    """A shell script standing in for berth, staged like the real binary."""
    script = tmp_path / "berth"
    script.write_text(STUB_BERTH)
    with staged_binary(script) as path:
        yield path


def test_runner_runs_as_test_user(stub_binary, test_user):
    with Berth(stub_binary, test_user, xdg_runtime_dir=True) as runner:
        seen = runner.json("info", "--format", "json")
        assert (seen["uid"], seen["gid"], seen["user"]) == (test_user.uid, test_user.gid, test_user.name)
        assert seen["home"] == seen["cwd"] == str(runner.home)
        assert (seen["lang"], seen["xdg"]) == ("C.UTF-8", str(runner.xdg_runtime_dir))
        assert seen["args"] == f"--root {runner.root} --runroot {runner.runroot} info --format json"
        for path in (runner.base, runner.root, runner.runroot, runner.home, runner.xdg_runtime_dir):
            assert (path.stat().st_uid, path.stat().st_gid) == (test_user.uid, test_user.gid)
        (runner.root / "owned-by-subuid").mkdir()
        os.chown(runner.root / "owned-by-subuid", test_user.subuids[0].start, test_user.subgids[0].start)
    assert not runner.base.exists()


def test_runner_as_root_reports_failures(stub_binary):
    with Berth(stub_binary) as runner:
        seen = runner.json("version")
        assert (seen["uid"], seen["user"], seen["xdg"]) == (0, "root", "")
        failed = runner.run("ps", check=False, env={"STUB_EXIT": "3"})
        assert failed.returncode == 3 and not failed.ok
        with pytest.raises(BerthError, match="exit status 3"):
            runner.run("ps", env={"STUB_EXIT": "3"})
    assert not runner.base.exists()
