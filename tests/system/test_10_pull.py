"""berth pull, images, tag and rmi against a real registry, as root and rootless."""

import os
from pathlib import Path

import pytest

from fixtures import oci


@pytest.fixture(params=["root", "rootless"])
def berth(request, berth_root, berth_user):
    return berth_root if request.param == "root" else berth_user


@pytest.fixture
def served(registry, busybox_image, busybox_index):
    """A registry holding busybox as OCI, as Docker schema 2, zstd-compressed, and a two-platform index."""
    registry.push("busybox", "latest", busybox_image)
    registry.push("docker/busybox", "1", oci.busybox_image(flavour="docker"))
    registry.push("zbox", "latest", oci.busybox_image(compression="zstd"))
    registry.push("multi", "latest", busybox_index)
    return registry


def layer_dirs(berth) -> list[Path]:
    layers = Path(berth.root) / "layers"
    return [p for p in layers.iterdir()] if layers.exists() else []


def pull(berth, registry, repo, *args):
    return berth.run("pull", "--tls-verify=false", *args, registry.reference(repo))


def test_pull_lists_the_image_and_prints_its_id(berth, served, busybox_image):
    result = pull(berth, served, "busybox")
    assert result.stdout == busybox_image.config_digest.removeprefix("sha256:") + "\n"
    assert "Writing manifest to image destination" in result.stderr
    images = berth.run("images").stdout.splitlines()
    assert images[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert images[1].split()[:3] == [f"{served.host}/busybox", "latest", busybox_image.config_digest[7:19]]
    assert berth.run("images", "-q").stdout == busybox_image.config_digest[7:19] + "\n"


def test_pulled_layer_is_the_image_tree_with_mapped_owners(berth, served, test_user):
    pull(berth, served, "busybox")
    (diff,) = [d / "diff" for d in layer_dirs(berth)]
    assert os.path.islink(diff / "bin" / "sh")
    assert os.access(diff / "bin" / "busybox", os.X_OK)
    tester_home = (diff / "home" / "tester").stat()
    if berth.rootless:
        # container uid 1000 is the 1000th subordinate id (container 0 is the user itself)
        assert tester_home.st_uid == test_user.subuids[0].start + 999
        assert (diff / "bin").stat().st_uid == test_user.uid
    else:
        assert tester_home.st_uid == 1000


@pytest.mark.parametrize("repo", ["docker/busybox:1", "zbox"])
def test_docker_media_types_and_zstd_layers(berth, served, repo):
    name, _, tag = repo.partition(":")
    berth.run("pull", "--tls-verify=false", served.reference(name, tag or "latest"))
    (diff,) = [d / "diff" for d in layer_dirs(berth)]
    assert (diff / "bin" / "busybox").is_file()


@pytest.mark.parametrize("platform,marker", [(None, f"linux/{oci.host_architecture()}"),
                                             ("linux/arm64", "linux/arm64/v8")])
def test_index_pull_chooses_the_platform(berth_root, served, platform, marker):
    args = ["--platform", platform] if platform else []
    pull(berth_root, served, "multi", *args)
    markers = [d / "diff" / "etc" / "berth-platform" for d in layer_dirs(berth_root)]
    assert [m.read_text().strip() for m in markers if m.exists()] == [marker]


def test_missing_platform_is_a_clear_error(berth_root, served):
    result = berth_root.run("pull", "--tls-verify=false", "--platform", "linux/s390x", served.reference("multi"),
                            check=False)
    assert result.returncode == 125
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert error.startswith("Error: pull ")
    assert "no image found in manifest list for architecture s390x" in error
    assert berth_root.run("images", "-q").stdout == ""


def test_tag_and_rmi_collect_garbage(berth, served, busybox_image):
    pull(berth, served, "busybox")
    berth.run("tag", served.reference("busybox"), "example.com/copy:2")
    names = berth.run("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert sorted(names) == sorted([f"{served.host}/busybox:latest", "example.com/copy:2"])
    assert berth.run("rmi", "example.com/copy:2").stdout == "Untagged: example.com/copy:2\n"
    assert layer_dirs(berth)
    removed = berth.run("rmi", served.reference("busybox")).stdout
    assert removed.splitlines()[-1] == "Deleted: " + busybox_image.config_digest[7:]
    assert layer_dirs(berth) == []
    assert list((Path(berth.root) / "blobs" / "sha256").iterdir()) == []


def test_rmi_of_an_unknown_image_exits_1(berth_root):
    result = berth_root.run("rmi", "nosuch", check=False)
    assert result.returncode == 1
    assert result.stderr == "Error: nosuch: image not known\n"


@pytest.mark.parametrize("reference,message", [
    ("Busybox", "repository name must be lowercase"),
    ("busybox:", "invalid reference format"),
    ("a//b", "invalid reference format"),
])
def test_malformed_references_fail_before_any_network(berth_root, reference, message):
    result = berth_root.run("pull", reference, check=False)
    assert result.returncode == 125
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_unknown_image_in_the_registry(berth_root, served):
    result = berth_root.run("pull", "--tls-verify=false", served.reference("nosuch"), check=False)
    assert result.returncode == 125
    assert "manifest unknown" in result.stderr
    assert berth_root.run("images", "-q").stdout == ""


def test_second_pull_reuses_the_layers(berth_root, served):
    pull(berth_root, served, "busybox")
    before = {d.name: d.stat().st_ino for d in layer_dirs(berth_root)}
    result = berth_root.run("pull", "--tls-verify=false", served.reference("docker/busybox", "1"))
    assert "already exists" in result.stderr
    assert {d.name: d.stat().st_ino for d in layer_dirs(berth_root)} == before


def test_image_size_is_the_unpacked_content(berth_root, served, busybox_image):
    import io
    import tarfile
    pull(berth_root, served, "busybox")
    expected = 0
    for layer in busybox_image.layers:
        with tarfile.open(fileobj=io.BytesIO(layer.data)) as tar:
            expected += sum(member.size for member in tar.getmembers() if member.isreg())
    (image,) = berth_root.json("images", "--format", "json")
    assert image["Size"] == expected


class LyingLayer(oci.Layer):
    """A layer whose diff id in the image config is not the digest of its content."""

    @property
    def diff_id(self) -> str:
        return oci.sha256_digest(b"something else")


def test_layer_content_must_match_the_configs_diff_id(berth, registry):
    honest = oci.make_layer([oci.file("etc/marker", b"x")])
    image = oci.build_image([LyingLayer(honest.tar, "gzip")])
    registry.push("liar", "latest", image)
    result = berth.run("pull", "--tls-verify=false", registry.reference("liar"), check=False)
    assert result.returncode == 125
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "its content is " + honest.diff_id + " but the config says " + oci.sha256_digest(b"something else") in error
    assert berth.run("images", "-q").stdout == ""
    assert layer_dirs(berth) == []


def test_index_pull_keeps_every_blob_needed_to_push_it_again(berth_root, served, busybox_index):
    pull(berth_root, served, "multi")
    blobs = {p.name for p in (Path(berth_root.root) / "blobs" / "sha256").iterdir()}
    host_image = busybox_index.image_for(oci.HOST_PLATFORM)
    wanted = {busybox_index.digest, host_image.digest, host_image.config_digest, *host_image.layer_digests}
    assert {digest.removeprefix("sha256:") for digest in wanted} <= blobs


def test_a_terminal_gets_live_layer_lines(berth_root, served, busybox_image):
    import shlex
    command = shlex.join(berth_root.command("pull", "--tls-verify=false", served.reference("busybox")))
    result = berth_root.exec(["script", "-qec", command, "/dev/null"])
    output = result.stdout
    layer = busybox_image.layer_digests[0][7:19]
    assert f"\x1b[2KCopying blob {layer} done" in output
    assert "Copying config" in output
    assert output.rstrip().endswith(busybox_image.config_digest[7:])
