"""berth image inspect, untag, image prune, images --filter and the `berth image` group."""

import pytest

from fixtures import oci


@pytest.fixture
def pulled(berth_root, registry, busybox_image, busybox_index):
    """berth_root with two images pulled: busybox and a two-platform index (host entry)."""
    registry.push("busybox", "latest", busybox_image)
    registry.push("multi", "latest", busybox_index)
    for repo in ("busybox", "multi"):
        berth_root.run("pull", "-q", "--tls-verify=false", registry.reference(repo))
    return berth_root


def test_image_inspect_is_podman_shaped(pulled, registry, busybox_image):
    (document,) = pulled.json("image", "inspect", registry.reference("busybox"))
    assert document["Id"] == busybox_image.config_digest.removeprefix("sha256:")
    assert document["Digest"] == busybox_image.digest
    assert document["RepoTags"] == [registry.reference("busybox")]
    assert document["RepoDigests"] == [f"{registry.host}/busybox@{busybox_image.digest}"]
    assert document["Architecture"] == oci.host_architecture()
    assert document["Os"] == "linux"
    assert document["RootFS"] == {"Type": "layers", "Layers": list(busybox_image.diff_ids)}
    assert document["Config"]["Cmd"] == ["sh"]
    assert document["ManifestType"] == oci.OCI_MANIFEST
    assert document["Size"] > 1_000_000


def test_short_names_find_local_images_and_templates_apply(pulled, busybox_image):
    result = pulled.run("image", "inspect", "--format", "{{.Id}} {{.Os}}", "busybox")
    assert result.stdout == busybox_image.config_digest[7:] + " linux\n"


def test_inspect_of_an_unknown_image_fails(pulled):
    result = pulled.run("image", "inspect", "nosuch", check=False)
    assert result.returncode == 125
    assert result.stderr == "Error: nosuch: image not known\n"


def test_untag_keeps_the_image_and_prune_removes_it(pulled, registry, busybox_index):
    host_image = busybox_index.image_for(oci.HOST_PLATFORM)
    pulled.run("untag", registry.reference("multi"))
    assert pulled.run("images", "--filter", "dangling=true", "-q").stdout == host_image.config_digest[7:19] + "\n"
    assert pulled.run("image", "prune").stdout == host_image.config_digest[7:] + "\n"
    assert pulled.run("images", "--filter", "dangling=true", "-q").stdout == ""
    assert pulled.run("image", "ls", "-q").stdout.strip() != ""
    assert pulled.run("image", "prune", "--all").stdout.strip() != ""
    assert pulled.run("images", "-q").stdout == ""


def test_untag_of_a_name_the_image_does_not_have(pulled, registry):
    result = pulled.run("untag", registry.reference("busybox"), "example.com/other:1", check=False)
    assert result.returncode == 125
    assert "tag not known" in result.stderr


def test_reference_filter_globs_names(pulled, registry, busybox_image):
    assert pulled.run("images", "-q", "--filter", "reference=busybox").stdout == busybox_image.config_digest[7:19] + "\n"
    assert pulled.run("images", "-q", "--filter", "reference=*/mul*").stdout.count("\n") == 1
    assert pulled.run("images", "-q", "--filter", "reference=nothing*").stdout == ""
    bad = pulled.run("images", "--filter", "color=red", check=False)
    assert bad.returncode == 125
    assert bad.stderr == 'Error: unsupported image filter "color"\n'


def test_image_rm_is_rmi(pulled, registry):
    result = pulled.run("image", "rm", registry.reference("busybox"))
    assert result.stdout.splitlines()[0] == f"Untagged: {registry.reference('busybox')}"
    assert registry.reference("busybox") not in pulled.run("images").stdout
