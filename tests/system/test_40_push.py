"""berth push to registries, checked with skopeo: the manifest and config berth reports are what the registry
stores, blobs the repository has are skipped, blobs of another repository of the registry are mounted."""

import base64
import hashlib
import json
import os
import re
import shlex
import subprocess
import tempfile

import pytest

from fixtures import oci
from fixtures.registry import Registry
from fixtures.runner import Berth
from fixtures.token_server import TokenServer

USER, PASSWORD = "alice", "s3cret"
ACCESS_LOG = {"log": {"level": "info", "accesslog": {"disabled": False}}}


def skopeo(*args: str) -> str:
    return subprocess.run(["skopeo", *args], check=True, capture_output=True, text=True, timeout=120).stdout


def raw_manifest(reference: str, *args: str) -> bytes:
    return subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", *args, f"docker://{reference}"],
                          check=True, capture_output=True, timeout=120).stdout


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def uploads(registry: Registry, repo: str) -> int:
    """Blob uploads the registry completed for the repository (the closing PUT ?digest= of each)."""
    return len(re.findall(rf'"PUT /v2/{re.escape(repo)}/blobs/uploads/[^ "]*digest=', registry.log()))


def mounts(registry: Registry, repo: str) -> list[str]:
    return re.findall(rf'"POST /v2/{re.escape(repo)}/blobs/uploads/\?mount=[^ "]* HTTP/[0-9.]+" 201 ', registry.log())


ZSTD_BUSYBOX = oci.busybox_image(compression="zstd")


@pytest.fixture(scope="module")
def logged_registry(busybox_image):
    """A registry with an access log, holding busybox, also zstd-compressed as zbox (read by the tests, pushed to
    under new names)."""
    with Registry(extra_config=ACCESS_LOG) as reg:
        reg.push("busybox", "latest", busybox_image)
        reg.push("zbox", "latest", ZSTD_BUSYBOX)
        yield reg


@pytest.fixture(scope="module")
def pulled(berth_binary, logged_registry):
    """A root berth that pulled busybox from the logged registry."""
    with Berth(berth_binary) as runner:
        runner.run("pull", "-q", "--tls-verify=false", logged_registry.reference("busybox"))
        yield runner


def push(berth, *args, check=True):
    return berth.run("push", "--tls-verify=false", *args, check=check)


def test_push_mounts_blobs_and_the_registry_stores_what_berth_reports(pulled, logged_registry, busybox_image,
                                                                      tmp_path):
    digestfile = tmp_path / "digest"
    destination = logged_registry.reference("pushed/app", "1")
    result = push(pulled, "--digestfile", str(digestfile), logged_registry.reference("busybox"), destination)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Getting image source signatures"
    assert f"Copying config {busybox_image.config_digest[7:19]} done" in lines
    assert lines[-2:] == ["Writing manifest to image destination", "Storing signatures"]

    # The stored manifest went up byte for byte: the digest is the one the image was pulled by.
    digest = digestfile.read_text()
    assert digest == busybox_image.digest
    raw = raw_manifest(destination)
    assert sha256(raw) == digest and raw == busybox_image.manifest.data
    inspected = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{destination}"))
    assert inspected["Digest"] == digest
    assert inspected["Layers"] == busybox_image.layer_digests

    # The blobs came from the busybox repository of the same registry: mounted, none uploaded.
    assert len(mounts(logged_registry, "pushed/app")) == len(busybox_image.layers) + 1
    assert uploads(logged_registry, "pushed/app") == 0

    # A second push finds every blob there and uploads nothing.
    again = push(pulled, logged_registry.reference("busybox"), destination)
    assert f"Copying blob {busybox_image.layer_digests[0][7:19]} skipped: already exists" in again.stderr
    assert uploads(logged_registry, "pushed/app") == 0
    assert len(mounts(logged_registry, "pushed/app")) == len(busybox_image.layers) + 1


def test_push_uploads_to_another_registry_in_the_v2s2_format(pulled, shared_registry, busybox_image, tmp_path):
    destination = f"docker://{shared_registry.host}/test_40/v2s2:latest"
    digestfile = tmp_path / "digest"
    result = push(pulled, "--format", "v2s2", "--digestfile", str(digestfile), logged_name(pulled), destination)
    assert f"Copying blob {busybox_image.layer_digests[0][7:19]} done" in result.stderr
    raw = raw_manifest(f"{shared_registry.host}/test_40/v2s2:latest")
    manifest = json.loads(raw)
    assert sha256(raw) == digestfile.read_text()
    assert manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert manifest["config"]["digest"] == busybox_image.config_digest
    assert [layer["mediaType"] for layer in manifest["layers"]] == [
        "application/vnd.docker.image.rootfs.diff.tar.gzip"] * len(busybox_image.layers)

    # skopeo copies what berth pushed into an OCI layout with the same config and layers.
    layout = tmp_path / "layout"
    skopeo("copy", "--src-tls-verify=false", destination, f"oci:{layout}:copied")
    index = json.loads((layout / "index.json").read_text())
    copied = json.loads((layout / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]).read_text())
    assert copied["config"]["digest"] == busybox_image.config_digest
    assert [layer["digest"] for layer in copied["layers"]] == busybox_image.layer_digests


def logged_name(berth) -> str:
    (name,) = [line.split()[0] + ":" + line.split()[1] for line in berth.run("images").stdout.splitlines()[1:]]
    return name


def test_push_rootless_with_the_images_own_name(berth_user, shared_registry, busybox_image):
    berth_user.run("pull", "-q", "--tls-verify=false", shared_registry.reference("busybox"))
    name = f"{shared_registry.host}/test_40/rootless:1"
    berth_user.run("tag", shared_registry.reference("busybox"), name)
    result = push(berth_user, "-q", name)
    assert result.stdout == "" and result.stderr == ""
    assert sha256(raw_manifest(name)) == busybox_image.digest


def test_push_with_bearer_tokens(pulled, registry_factory, busybox_image):
    with TokenServer({USER: PASSWORD}) as tokens:
        reg = registry_factory(token_auth=tokens.token_auth)
        destination = reg.reference("team/app", "1")
        refused = push(pulled, "--creds", f"{USER}:wrong", logged_name(pulled), destination, check=False)
        assert refused.returncode == 125
        (error,) = [line for line in refused.stderr.splitlines() if not line.startswith("Getting image")]
        assert error.startswith(f"Error: pushing {logged_name(pulled)} to {destination}: "), refused
        assert "invalid username/password" in error, refused
        push(pulled, "-q", "--creds", f"{USER}:{PASSWORD}", logged_name(pulled), destination)
        assert any("push" in scope for r in tokens.requests for scope in r.scopes), tokens.requests
        assert raw_manifest(destination, "--creds", f"{USER}:{PASSWORD}") == busybox_image.manifest.data


def test_push_errors_are_podmans(pulled):
    result = push(pulled, "nosuch", "127.0.0.1:1/x", check=False)
    assert (result.returncode, result.stderr) == (125, "Error: nosuch: image not known\n")
    result = push(pulled, logged_name(pulled), "oops://x", check=False)
    assert result.returncode == 125
    assert 'Invalid image name "oops://x", unknown transport "oops"' in result.stderr


def test_registries_conf_insecure_registry_and_accepted_flags(pulled, shared_registry, busybox_image, tmp_path):
    conf = tmp_path / "registries.conf"
    conf.write_text(f'[[registry]]\nlocation = "{shared_registry.host}"\ninsecure = true\n')
    destination = f"{shared_registry.host}/test_40/insecure:1"
    pulled.run("push", "-q", "--remove-signatures", "--cert-dir", str(tmp_path), "--compression-format", "gzip",
               logged_name(pulled), destination, env={"CONTAINERS_REGISTRIES_CONF": str(conf)})
    assert sha256(raw_manifest(destination)) == busybox_image.digest


def test_tls_verify_flag_wins_over_insecure_registry(pulled, shared_registry, tmp_path):
    conf = tmp_path / "registries.conf"
    conf.write_text(f'[[registry]]\nlocation = "{shared_registry.host}"\ninsecure = true\n')
    destination = f"{shared_registry.host}/test_40/verified:1"
    result = pulled.run("push", "-q", "--tls-verify=true", logged_name(pulled), destination,
                        env={"CONTAINERS_REGISTRIES_CONF": str(conf)}, check=False)
    assert result.returncode == 125
    assert len(result.stderr.strip().splitlines()) == 1 and shared_registry.host in result.stderr


@pytest.fixture
def podman():
    """Podman with storage of its own (vfs: nothing stays mounted); its run root must be a short path."""
    with tempfile.TemporaryDirectory(prefix="berth-podman-") as directory:
        yield ["podman", "--root", f"{directory}/root", "--runroot", f"{directory}/run", "--storage-driver", "vfs"]


def test_podman_pulls_what_berth_pushed(pulled, shared_registry, busybox_image, podman):
    destination = f"{shared_registry.host}/test_40/podman:1"
    push(pulled, "-q", "--format", "v2s2", logged_name(pulled), destination)
    subprocess.run([*podman, "pull", "-q", "--tls-verify=false", destination], check=True, capture_output=True,
                   timeout=120)
    inspected = subprocess.run([*podman, "image", "inspect", "--format", "{{.Id}} {{.Digest}}", destination],
                               check=True, capture_output=True, text=True, timeout=60).stdout.split()
    assert inspected[0] == busybox_image.config_digest[7:]
    assert inspected[1] == sha256(raw_manifest(destination))


def test_a_terminal_gets_live_blob_lines(pulled, shared_registry, busybox_image):
    command = shlex.join(pulled.command("push", "--tls-verify=false", logged_name(pulled),
                                        f"{shared_registry.host}/test_40/live:1"))
    output = pulled.exec(["script", "-qec", command, "/dev/null"]).stdout
    assert f"\x1b[2KCopying blob {busybox_image.layer_digests[0][7:19]} done" in output
    assert "Writing manifest to image destination" in output


def test_a_push_killed_midway_leaves_the_next_one_to_complete(berth_root, shared_registry):
    big = oci.busybox_image(extra_layers=[oci.make_layer([oci.file("big.bin", os.urandom(8 * 1024 * 1024))],
                                                         compression="none")])
    shared_registry.push("test_40/big", "latest", big)
    source = shared_registry.reference("test_40/big")
    berth_root.run("pull", "-q", "--tls-verify=false", source)
    destination = f"{shared_registry.host}/test_40/killed:1"
    process = subprocess.Popen(berth_root.command("push", "--tls-verify=false", source, destination),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=berth_root.env)
    assert process.stderr.readline() == b"Getting image source signatures\n"
    process.kill()
    process.wait()
    assert berth_root.run("images", "-q").stdout == big.config_digest[7:19] + "\n"
    push(berth_root, "-q", source, destination)
    assert sha256(raw_manifest(destination)) == big.digest


def test_an_image_whose_layer_was_unpacked_from_another_blob_pushes_its_own(berth_root, logged_registry,
                                                                             shared_registry):
    for repo in ("busybox", "zbox"):  # the same layer, gzip- and then zstd-compressed
        berth_root.run("pull", "-q", "--tls-verify=false", logged_registry.reference(repo))
    destination = f"{shared_registry.host}/test_40/zbox:1"
    push(berth_root, "-q", logged_registry.reference("zbox"), destination)
    assert raw_manifest(destination) == ZSTD_BUSYBOX.manifest.data


def test_push_with_basic_auth_from_an_auth_file(pulled, registry_factory, busybox_image, tmp_path):
    reg = registry_factory(basic_auth=(USER, PASSWORD))
    destination = reg.reference("team/basic", "1")
    refused = push(pulled, logged_name(pulled), destination, check=False)
    assert refused.returncode == 125
    assert refused.stderr.splitlines()[-1].endswith(f"authentication required for {reg.host}"), refused
    authfile = tmp_path / "auth.json"
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    authfile.write_text(json.dumps({"auths": {reg.host: {"auth": token}}}))
    push(pulled, "-q", "--authfile", str(authfile), logged_name(pulled), destination)
    assert raw_manifest(destination, "--creds", f"{USER}:{PASSWORD}") == busybox_image.manifest.data
