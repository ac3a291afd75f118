"""berth save and load: docker-archive and oci-archive files that skopeo and Podman read, archives that skopeo
writes loaded and run, round trips (root and rootless), and hostile archives refused with the store left clean."""

import gzip
import io
import json
import shlex
import shutil
import subprocess
import tarfile
import tempfile

import pytest

from fixtures import oci
from fixtures.runner import Berth


def tool(*args: str, input: bytes | None = None) -> str:
    done = subprocess.run(list(args), capture_output=True, timeout=180, input=input)
    assert done.returncode == 0, f"{shlex.join(args)}: {done.stderr.decode()}"
    return done.stdout.decode()


def raw_config_digest(transport: str) -> str:
    return json.loads(tool("skopeo", "inspect", "--raw", transport))["config"]["digest"]


def members(path) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}


@pytest.fixture(scope="module")
def saver(berth_binary, shared_registry):
    """A root berth that pulled busybox from the shared registry."""
    with Berth(berth_binary) as runner:
        runner.image = shared_registry.reference("busybox")
        runner.run("pull", "-q", "--tls-verify=false", runner.image)
        yield runner


def podman_load(tmp_path, archive) -> str:
    """`podman load` into a throw-away store (its runroot must be a short path); returns its output and the ids of
    the images it then lists."""
    runroot = tempfile.mkdtemp(prefix="podman-")
    try:
        store = ["podman", "--root", str(tmp_path / "proot"), "--runroot", runroot, "--storage-driver", "vfs"]
        out = tool(*store, "load", "-i", str(archive))
        return out + tool(*store, "images", "--no-trunc", "--format", "{{.ID}}")
    finally:
        shutil.rmtree(runroot, ignore_errors=True)


def test_docker_archive_is_what_docker_writes(saver, busybox_image, tmp_path):
    archive = saver.home / "busybox.tar"
    result = saver.run("save", "-o", archive, saver.image)
    assert result.stdout == ""
    assert "Writing manifest to image destination" in result.stderr
    content = members(archive)
    manifest = json.loads(content["manifest.json"])
    assert manifest == [{"Config": busybox_image.config_digest[7:] + ".json", "RepoTags": [saver.image],
                         "Layers": [d[7:] + ".tar" for d in busybox_image.diff_ids]}]
    assert raw_config_digest(f"docker-archive:{archive}") == busybox_image.config_digest
    loaded = podman_load(tmp_path, archive)
    assert f"Loaded image: {saver.image}" in loaded
    assert busybox_image.config_digest in loaded


def test_oci_archive_keeps_the_pulled_blobs(saver, busybox_image, tmp_path):
    archive = tmp_path / "busybox-oci.tar"
    with open(archive, "wb") as out:
        subprocess.run(saver.command("save", "-q", "--format", "oci-archive", saver.image), stdout=out, check=True,
                       env=saver.env, timeout=120)
    index = json.loads(members(archive)["index.json"])
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == saver.image
    assert index["manifests"][0]["digest"] == busybox_image.digest
    assert raw_config_digest(f"oci-archive:{archive}") == busybox_image.config_digest
    assert busybox_image.config_digest in podman_load(tmp_path, archive)


def test_directory_formats_are_read_by_skopeo_and_loaded(saver, busybox_image, berth_binary):
    saver.run("save", "-q", "--format", "oci-dir", "-o", saver.home / "oci", saver.image)
    assert raw_config_digest(f"oci:{saver.home / 'oci'}") == busybox_image.config_digest
    saver.run("save", "-q", "--format", "docker-dir", "-o", saver.home / "dir", saver.image)
    assert (saver.home / "dir" / "version").read_text() == "Directory Transport Version: 1.1\n"
    assert raw_config_digest(f"dir:{saver.home / 'dir'}") == busybox_image.config_digest
    with Berth(berth_binary) as loader:
        assert loader.run("load", "-q", "-i", saver.home / "oci").stdout == f"Loaded image: {saver.image}\n"
        untagged = loader.run("load", "-q", "-i", saver.home / "dir").stdout  # dir: has no names
        assert untagged == f"Loaded image: {busybox_image.config_digest}\n"
    refused = saver.run("save", "--format", "oci-dir", saver.image, check=False)
    assert (refused.returncode, refused.stderr) == (125, "Error: the oci-dir format needs -o/--output DIRECTORY\n")


def test_skopeo_archives_load_and_run(berth_root, shared_registry, tmp_path):
    source = f"docker://{shared_registry.reference('busybox')}"
    docker_archive, oci_archive = tmp_path / "d.tar", tmp_path / "o.tar"
    tool("skopeo", "copy", "--src-tls-verify=false", source, f"docker-archive:{docker_archive}:busybox:latest")
    tool("skopeo", "copy", "--src-tls-verify=false", source, f"oci-archive:{oci_archive}:localhost/obox:1")
    result = berth_root.run("load", "-i", docker_archive)
    assert result.stdout == "Loaded image: docker.io/library/busybox:latest\n"
    assert berth_root.run("run", "--rm", "--network", "none", "busybox", "echo", "hi").stdout == "hi\n"
    compressed = gzip.compress(oci_archive.read_bytes())  # stdin, gzip-compressed
    result = berth_root.run("load", "-q", input=compressed)
    assert result.stdout == "Loaded image: localhost/obox:1\n"
    assert berth_root.run("run", "--rm", "--network", "none", "localhost/obox:1", "true").returncode == 0


def test_multi_platform_oci_archive_loads_the_host_image(berth_root, registry, busybox_index, tmp_path):
    registry.push("multi", "latest", busybox_index)
    archive = tmp_path / "multi.tar"
    tool("skopeo", "copy", "--all", "--src-tls-verify=false", f"docker://{registry.reference('multi')}",
         f"oci-archive:{archive}:localhost/multi:1")
    assert berth_root.run("load", "-q", "-i", archive).stdout == "Loaded image: localhost/multi:1\n"
    marker = berth_root.run("run", "--rm", "--network", "none", "localhost/multi:1", "cat", "/etc/berth-platform")
    assert marker.stdout.strip() == str(oci.HOST_PLATFORM)


def test_round_trip_keeps_the_image_id(saver, busybox_image, berth_binary):
    archive = saver.home / "multi.tar"
    saver.run("tag", saver.image, "localhost/other:2")
    saver.run("save", "-q", "-m", "-o", archive, saver.image, "localhost/other:2")
    with Berth(berth_binary) as loader:
        result = loader.run("load", "-q", "-i", archive)
        assert result.stdout == f"Loaded image: {saver.image}\nLoaded image: localhost/other:2\n"
        assert loader.json("image", "inspect", "localhost/other:2")[0]["Id"] == busybox_image.config_digest[7:]
        assert loader.run("run", "--rm", "--network", "none", saver.image, "true").returncode == 0


def test_rootless_round_trip(berth_user, berth_user_binary, test_user, shared_registry, busybox_image):
    image = shared_registry.reference("busybox")
    berth_user.run("pull", "-q", "--tls-verify=false", image)
    archive = berth_user.home / "busybox.tar"
    berth_user.run("image", "save", "-q", "--format", "oci-archive", "-o", archive, image)
    with Berth(berth_user_binary, test_user) as loader:
        assert loader.run("image", "load", "-i", archive).stdout == f"Loaded image: {image}\n"
        assert loader.run("run", "--rm", "--network", "none", image, "id", "-u").stdout == "0\n"


def tar_of(files: dict[str, bytes]) -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return data.getvalue()


def assert_store_clean(berth: Berth) -> None:
    assert berth.run("images", "-q").stdout == ""
    blobs = berth.root / "blobs" / "sha256"
    assert not blobs.exists() or not any(blobs.iterdir())
    layers = berth.root / "layers"
    assert not layers.exists() or not any(p for p in layers.iterdir() if not p.name.startswith("."))


def test_hostile_archives_are_refused_and_leave_the_store_clean(berth_root, saver, tmp_path):
    escape = tar_of({"../escaped": b"x", "manifest.json": b"[]"})
    result = berth_root.run("load", input=escape, check=False)
    assert result.returncode == 125
    assert 'hostile archive: member "../escaped" is outside the archive' in result.stderr
    outside = tar_of({"manifest.json": json.dumps([{"Config": "../../etc/passwd", "Layers": []}]).encode()})
    result = berth_root.run("load", input=outside, check=False)
    assert result.returncode == 125
    assert 'hostile archive: manifest.json names "../../etc/passwd", which is outside the archive' in result.stderr
    # A valid archive whose last layer is damaged: the layers loaded before it are taken away again.
    saver.run("save", "-q", "-o", saver.home / "good.tar", saver.image)
    good = members(saver.home / "good.tar")
    manifest = json.loads(good["manifest.json"])
    layer = manifest[0]["Layers"][0]
    broken = {**good, layer: good[layer][:-1024] + b"\0" * 1024 + b"junk"}
    result = berth_root.run("load", input=tar_of(broken), check=False)
    assert result.returncode == 125, result.stderr
    assert_store_clean(berth_root)
    garbage = berth_root.run("load", input=b"not an archive", check=False)
    assert garbage.returncode == 125
    assert "payload does not match any of the supported image formats" in garbage.stderr
