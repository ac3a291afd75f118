"""A three-layer image with whiteouts and an opaque directory: the layers berth stores, mounted with overlayfs the
way containers will run them, give exactly the image's tree (as root, and rootless inside `berth unshare`)."""

import hashlib
import subprocess

import pytest

from fixtures import oci


def chain_ids(diff_ids) -> list[str]:
    chain = [diff_ids[0]]
    for diff_id in diff_ids[1:]:
        chain.append("sha256:" + hashlib.sha256(f"{chain[-1]} {diff_id}".encode()).hexdigest())
    return chain


LAYERS = [
    [oci.directory("a"), oci.file("a/keep", "v1"), oci.file("a/gone", "x"), oci.directory("dir"),
     oci.file("dir/old1", "1"), oci.file("dir/old2", "2"), oci.directory("b"), oci.file("b/file", "b")],
    [oci.whiteout("a/gone"), oci.directory("dir"), oci.opaque("dir"), oci.file("dir/new", "n"),
     oci.directory("c"), oci.file("c/added", "c")],
    [oci.file("a/keep", "v3"), oci.whiteout("b/file"), oci.file("dir/newer", "m", mode=0o4755)],
]

EXPECTED = {
    "a": None, "a/keep": "v3",
    "b": None,
    "c": None, "c/added": "c",
    "dir": None, "dir/new": "n", "dir/newer": "m",
}

# Prints every path under the mount with the content of regular files: "path\tcontent" lines.
LISTING = 'cd "$1" && find . -mindepth 1 | sort | while read p; do if [ -f "$p" ]; then echo "$p\t$(cat "$p")"; ' \
          'else echo "$p"; fi; done'


@pytest.fixture
def layered(registry):
    image = oci.build_image([oci.make_layer(entries) for entries in LAYERS])
    registry.push("layered", "latest", image)
    return registry, image


def parse_listing(text: str) -> dict:
    tree = {}
    for line in text.splitlines():
        path, _, content = line.partition("\t")
        tree[path.removeprefix("./")] = content if "\t" in line else None
    return tree


@pytest.mark.parametrize("who", ["root", "rootless"])
def test_merged_layers_are_the_image_tree(who, layered, berth_root, berth_user):
    berth = berth_root if who == "root" else berth_user
    registry, image = layered
    berth.run("pull", "-q", "--tls-verify=false", registry.reference("layered"))
    layers = [f"{berth.root}/layers/{chain[7:]}/diff" for chain in chain_ids(image.diff_ids)]
    lower = ":".join(reversed(layers))
    mountpoint = berth.home / "merged"
    mountpoint.mkdir()
    if who == "root":
        script = f'mount -t overlay overlay -o lowerdir={lower} "$1" && sh -c \'{LISTING}\' - "$1"'
        result = subprocess.run(["unshare", "--mount", "sh", "-c", script, "-", str(mountpoint)],
                                capture_output=True, text=True, check=True)
        listing = result.stdout
    else:
        script = f'mount -t overlay overlay -o userxattr,lowerdir={lower} "$1" && sh -c \'{LISTING}\' - "$1"'
        listing = berth.run("unshare", "sh", "-c", script, "-", str(mountpoint)).stdout
    assert parse_listing(listing) == EXPECTED


def test_unshare_is_for_rootless(berth_root):
    result = berth_root.run("unshare", "true", check=False)
    assert result.returncode == 125
    assert result.stderr == "Error: please use unshare with rootless\n"


def test_unshare_maps_the_subordinate_ids(berth_user, test_user):
    result = berth_user.run("unshare", "cat", "/proc/self/uid_map")
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["0", str(test_user.uid), "1"]
    assert rows[1] == ["1", str(test_user.subuids[0].start), str(test_user.subuids[0].count)]
