"""berth pull against registries that lie, layers that attack, kill -9 and concurrent pulls.

Whatever goes wrong, a failed pull exits 125 with one "Error: pull <ref>: <why>" line and leaves
the store as it was: no image, no layer, no blob, no temporary file.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from fixtures import oci
from fixtures.hostile_server import Content, Endless, HostileRegistry, Redirect, Stall, manifest_reply
from fixtures.registry import Registry
from fixtures.runner import Berth

MIB = 1024 * 1024
MANIFEST_LIMIT = 4 * MIB
PROGRESS = ("Trying to pull ", "Getting image source signatures", "Copying blob ", "Copying config ",
            "Writing manifest to image destination")
UNIQUE = uuid.uuid4().hex[:12]


# --------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture(params=["root", "rootless"])
def berth(request, berth_root, berth_user):
    return berth_root if request.param == "root" else berth_user


@pytest.fixture
def hostile():
    with HostileRegistry() as server:
        yield server


def random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def pull(berth, reference: str, *args: str):
    return berth.run("pull", "--tls-verify=false", *args, reference, check=False)


def single_error(result, reference: str) -> str:
    """The one error line of a failed pull; everything before it must be progress."""
    assert result.returncode == 125, str(result)
    assert result.stdout == "", str(result)
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, str(result)
    assert lines[-1] == errors[0], str(result)
    assert [line for line in lines[:-1] if not line.startswith(PROGRESS)] == [], str(result)
    assert errors[0].startswith(f"Error: pull {reference}: "), str(result)
    return errors[0]


def names(path: Path) -> list[str]:
    """The entries of a directory, none when it does not exist (or stopped existing)."""
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []


def leftovers(berth) -> list[str]:
    """Temporary files and directories of the store."""
    root = Path(berth.root)
    found = [f"layers/{n}" for n in names(root / "layers") if n.startswith("tmp-")]
    found += [f"blobs/tmp/{n}" for n in names(root / "blobs" / "tmp")]
    found += [f"images/{n}" for n in names(root / "images") if not n.endswith(".json")]
    return found


def assert_nothing_stored(berth) -> None:
    root = Path(berth.root)
    assert berth.run("images", "-q").stdout == ""
    assert names(root / "layers") == []
    assert names(root / "blobs" / "sha256") == []
    assert names(root / "blobs" / "tmp") == []
    assert names(root / "images") == []


def chain_ids(diff_ids) -> list[str]:
    chain = []
    for diff_id in diff_ids:
        chain.append(diff_id if not chain else oci.sha256_digest(f"{chain[-1]} {diff_id}".encode()))
    return chain


def assert_stored_once(berth, image: oci.Image) -> None:
    """The image is listed once, with exactly its layers, blobs and record, and no temporaries."""
    root = Path(berth.root)
    assert berth.run("images", "-q").stdout == image.config_digest[7:19] + "\n"
    assert names(root / "layers") == sorted(c[7:] for c in chain_ids(image.diff_ids))
    for chain_id in chain_ids(image.diff_ids):
        assert (root / "layers" / chain_id[7:] / "layer.json").is_file()
    assert names(root / "blobs" / "sha256") == sorted(d[7:] for d in image.blobs)
    assert names(root / "images") == [image.config_digest[7:] + ".json"]
    assert leftovers(berth) == []


def spawn(berth, *args: str) -> subprocess.Popen:
    """Start ``berth ARGS`` in the background as the runner's identity, in its own process group."""
    argv = berth.command(*args)
    if berth.user:
        argv = ["setpriv", f"--reuid={berth.user.uid}", f"--regid={berth.user.gid}", "--init-groups", "--", *argv]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=berth.home, env=berth.env, start_new_session=True)


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{proc.args} did not finish in {timeout}s:\n{err.decode(errors='replace')}")
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def with_config(image: oci.Image, config_doc: dict) -> oci.Image:
    """``image`` with another config (and a manifest pointing to it)."""
    config = oci.Blob(image.config.media_type, oci.canonical_json(config_doc))
    manifest_doc = image.manifest_json
    manifest_doc["config"] = config.descriptor()
    manifest = oci.Blob(image.media_type, oci.canonical_json(manifest_doc))
    return oci.Image(manifest, config, image.layers, tuple(config_doc["rootfs"]["diff_ids"]), image.platform)


def twin_layers(compression: str) -> tuple[oci.Layer, oci.Layer]:
    """A layer and a valid look-alike of exactly the same size with other bytes."""
    real = oci.make_layer([oci.file("data", b"A" * 4096)], compression)
    fake = oci.make_layer([oci.file("data", b"B" * 4096)], compression)
    assert len(real.data) == len(fake.data) and real.data != fake.data
    return real, fake


# --------------------------------------------------------------------------
# 1. A registry that lies


@pytest.mark.parametrize("kind", ["gzip-look-alike", "tar-look-alike", "garbage"])
def test_layer_bytes_that_do_not_match_their_digest(berth, hostile, kind):
    real, fake = twin_layers("none" if kind == "tar-look-alike" else "gzip")
    served = fake.data if kind != "garbage" else random_bytes(len(real.data), 1)
    image = oci.build_image([real])
    hostile.serve_image("bad/layer", "latest", image)
    hostile.routes[hostile.blob_path("bad/layer", image.layer_digests[0])] = Content(served)
    reference = hostile.reference("bad/layer")
    error = single_error(pull(berth, reference), reference)
    # a look-alike unpacks fine and only its digest gives it away; garbage is reported by its digest too
    assert f"blob {image.layer_digests[0]}: digest mismatch: got {oci.sha256_digest(served)}" in error
    assert_nothing_stored(berth)


@pytest.mark.parametrize("ranges", [True, False], ids=["range-honoured", "range-ignored"])
def test_a_blob_cut_short_every_time_fails_after_retries(berth, hostile, ranges):
    layer = oci.make_layer([oci.file("data", random_bytes(64 * 1024, 2))])
    image = oci.build_image([layer])
    reply = hostile.serve_image("cut/layer", "latest", image)[image.layer_digests[0]]
    cut = len(layer.data) // 2
    reply.cut_at, reply.ranges = cut, ranges
    reference = hostile.reference("cut/layer")
    error = single_error(pull(berth, reference), reference)
    assert f"reading blob {image.layer_digests[0]}" in error
    assert_nothing_stored(berth)
    gets = hostile.requests_to(hostile.blob_path("cut/layer", image.layer_digests[0]))
    assert 2 <= len(gets) <= 4, "berth retries a cut transfer a few times, then gives up"
    assert gets[0].headers.get("range") is None
    assert {g.headers.get("range") for g in gets[1:]} == {f"bytes={cut}-"}, "retries resume where the cut was"


@pytest.mark.parametrize("ranges", [True, False], ids=["range-honoured", "range-ignored"])
def test_a_blob_cut_short_once_is_resumed(berth, hostile, ranges):
    content = random_bytes(64 * 1024, 3)
    layer = oci.make_layer([oci.file("data", content)])
    image = oci.build_image([layer])
    reply = hostile.serve_image("cut/once", "latest", image)[image.layer_digests[0]]
    reply.cut_at, reply.cuts, reply.ranges = len(layer.data) // 2, 1, ranges
    result = pull(berth, hostile.reference("cut/once"))
    assert result.returncode == 0, str(result)
    assert result.stdout == image.config_digest[7:] + "\n"
    assert_stored_once(berth, image)
    (chain_id,) = chain_ids(image.diff_ids)
    assert (Path(berth.root) / "layers" / chain_id[7:] / "diff" / "data").read_bytes() == content
    gets = hostile.requests_to(hostile.blob_path("cut/once", image.layer_digests[0]))
    assert [g.headers.get("range") for g in gets] == [None, f"bytes={len(layer.data) // 2}-"]


@pytest.mark.parametrize("what", ["blob", "manifest"])
def test_a_stalled_transfer_is_retried_then_abandoned(berth_root, hostile, what):
    """Headers, then silence: after BERTH_TRANSFER_STALL_TIMEOUT seconds without a byte the transfer is tried again,
    four times in all, then the pull fails naming the registry and what stalled, and the store holds nothing."""
    image = oci.build_image([oci.make_layer([oci.file("f", random_bytes(100_000, 11))])])
    hostile.serve_image("stall", "latest", image)
    if what == "blob":
        path, name = hostile.blob_path("stall", image.layer_digests[0]), f"blob {image.layer_digests[0]}"
        hostile.routes[path] = Stall(image.layers[0].data)
    else:
        path, name = hostile.manifest_path("stall", "latest"), "manifest latest"
        hostile.routes[path] = Stall(image.manifest.data, image.media_type)
    reference = hostile.reference("stall")
    result = berth_root.run("pull", "--tls-verify=false", reference, check=False, timeout=60,
                            env={"BERTH_TRANSFER_STALL_TIMEOUT": "1"})
    error = single_error(result, reference)
    assert f"reading {name} in {hostile.host}/stall: GET " in error, error
    assert error.endswith(": the transfer stalled: no data for 1 s (gave up after 4 attempts)"), error
    assert len(hostile.requests_to(path)) == 4
    assert_nothing_stored(berth_root)
    hostile.serve_image("stall", "latest", image)
    result = pull(berth_root, reference)
    assert result.ok, str(result)
    assert_stored_once(berth_root, image)


def test_malformed_manifest_json(berth, hostile):
    body = b'{"schemaVersion":2,"mediaType":"' + oci.OCI_MANIFEST.encode() + b'","config":{"digest":'
    hostile.routes[hostile.manifest_path("bad/json", "latest")] = manifest_reply(body, oci.OCI_MANIFEST)
    reference = hostile.reference("bad/json")
    error = single_error(pull(berth, reference), reference)
    assert error.endswith("malformed JSON")
    assert_nothing_stored(berth)


@pytest.mark.parametrize("case", ["layers-and-manifests", "media-type-contradicts", "index-of-no-manifests"])
def test_ambiguous_manifest_is_refused(berth_root, hostile, case):
    """The distribution spec's security considerations: a document that could be read as two kinds is refused."""
    image = oci.build_image([oci.make_layer([oci.file("f", "x")])])
    hostile.serve_image("ambiguous", "latest", image)
    path = hostile.manifest_path("ambiguous", "latest")
    if case == "layers-and-manifests":
        body = oci.canonical_json({**image.manifest_json, "manifests": []})
        hostile.routes[path] = manifest_reply(body, oci.OCI_MANIFEST)
        expected = 'ambiguous manifest: it has both "layers" and "manifests"'
    elif case == "media-type-contradicts":
        hostile.routes[path] = manifest_reply(image.manifest.data, oci.DOCKER_MANIFEST)
        expected = f'ambiguous manifest: its mediaType "{oci.OCI_MANIFEST}" contradicts the Content-Type ' \
                   f'"{oci.DOCKER_MANIFEST}"'
    else:
        layer = image.layers[0]
        entry = layer.descriptor(platform=image.platform.as_dict())
        body = oci.canonical_json({"schemaVersion": 2, "mediaType": oci.OCI_INDEX, "manifests": [entry]})
        hostile.routes[path] = manifest_reply(body, oci.OCI_INDEX)
        expected = f'the index lists no manifests (its entries are "{layer.media_type}")'
    reference = hostile.reference("ambiguous")
    error = single_error(pull(berth_root, reference), reference)
    assert error.endswith(expected), error
    assert_nothing_stored(berth_root)


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "endless-stream"])
def test_manifest_larger_than_4_mib(berth, hostile, announced):
    path = hostile.manifest_path("big/manifest", "latest")
    prefix = b'{"schemaVersion":2,"annotations":{"x":"'
    if announced:
        body = prefix + b"a" * MANIFEST_LIMIT + b'"}}'
        hostile.routes[path] = manifest_reply(body, oci.OCI_MANIFEST)
    else:
        hostile.routes[path] = Endless(oci.OCI_MANIFEST, prefix, b"a", limit=512 * MIB)
    reference = hostile.reference("big/manifest")
    error = single_error(pull(berth, reference), reference)
    assert error.endswith(f"manifest latest in {hostile.host}/big/manifest is larger than 4 MiB")
    assert_nothing_stored(berth)
    # berth stops reading soon after the limit instead of taking the whole stream (socket buffers aside)
    assert hostile.bytes_sent(path) < 64 * MIB


@pytest.mark.parametrize("loop", ["to-itself", "a-b-a"])
def test_redirect_loop_on_a_blob(berth, hostile, loop):
    image = oci.build_image([oci.make_layer([oci.file("f", "x")])])
    hostile.serve_image("loop/blob", "latest", image)
    blob = hostile.blob_path("loop/blob", image.layer_digests[0])
    if loop == "to-itself":
        hostile.routes[blob] = Redirect(hostile.url + blob)
    else:
        hostile.routes[blob] = Redirect("/elsewhere/b", 307)
        hostile.routes["/elsewhere/b"] = Redirect(hostile.url + blob, 302)
    reference = hostile.reference("loop/blob")
    error = single_error(pull(berth, reference), reference)
    assert "too many redirects" in error
    assert_nothing_stored(berth)
    assert len(hostile.requests_to(blob)) <= 20, "berth must not follow redirects forever"


@pytest.mark.parametrize("by", ["tag", "digest"])
def test_manifest_that_does_not_match_its_digest(berth, hostile, by):
    image = oci.build_image([oci.make_layer([oci.file("f", "x")])])
    hostile.serve_image("lying/manifest", "latest", image)
    if by == "tag":
        lie = oci.sha256_digest(b"some other manifest")
        hostile.routes[hostile.manifest_path("lying/manifest", "latest")] = manifest_reply(
            image.manifest.data, oci.OCI_MANIFEST, digest=lie)
        reference = hostile.reference("lying/manifest")
    else:
        other = oci.build_image([oci.make_layer([oci.file("f", "y")])])
        hostile.routes[hostile.manifest_path("lying/manifest", image.digest)] = manifest_reply(
            other.manifest.data, oci.OCI_MANIFEST, digest=image.digest)
        reference = f"{hostile.host}/lying/manifest@{image.digest}"
    error = single_error(pull(berth, reference), reference)
    assert "digest mismatch" in error
    assert_nothing_stored(berth)


def test_config_that_does_not_match_its_digest(berth, hostile):
    image = oci.build_image([oci.make_layer([oci.file("f", "x")])])
    hostile.serve_image("bad/config", "latest", image)
    forged = image.config.data.replace(b"berth test layer 0", b"berth test layer 9")
    assert len(forged) == image.config.size and forged != image.config.data
    hostile.routes[hostile.blob_path("bad/config", image.config_digest)] = Content(forged)
    reference = hostile.reference("bad/config")
    error = single_error(pull(berth, reference), reference)
    assert f"blob {image.config_digest}: digest mismatch" in error
    assert_nothing_stored(berth)


def test_layer_that_does_not_match_its_diff_id(berth, hostile):
    honest = oci.make_layer([oci.file("bin/tool", "honest\n")])
    evil = oci.make_layer([oci.file("bin/tool", "evil\n")])
    image = oci.build_image([evil])
    doc = image.config_json
    doc["rootfs"]["diff_ids"] = [honest.diff_id]
    image = with_config(image, doc)
    hostile.serve_image("bad/diffid", "latest", image)
    reference = hostile.reference("bad/diffid")
    error = single_error(pull(berth, reference), reference)
    assert f"layer {image.layer_digests[0]}: its content is {evil.diff_id}" in error
    assert honest.diff_id in error
    assert_nothing_stored(berth)


# --------------------------------------------------------------------------
# 2. Hostile layers through a real registry


REJECTED_LAYERS = {
    "dotdot": [oci.file("ok", "ok"), oci.file(f"../escape-{UNIQUE}", "pwned")],
    "dotdot-in-the-middle": [oci.directory("a"), oci.file(f"a/../../escape-{UNIQUE}", "pwned")],
    "dotdot-to-a-sibling-of-root": [oci.file("ok", "ok"), oci.file(f"../../../../escape-{UNIQUE}", "pwned")],
    "hardlink-to-etc-passwd": [oci.file("ok", "ok"), oci.hardlink("passwd", "../../etc/passwd")],
    "hardlink-to-a-sibling-of-root": [oci.file("ok", "ok"), oci.hardlink("victim", f"../../../../victim-{UNIQUE}")],
    "dotdot-after-locked-directories": [oci.directory("locked", mode=0), oci.file("locked/f", "x"),
                                        oci.directory("ro", mode=0o555), oci.file("ro/f", "x"),
                                        oci.file(f"../escape-{UNIQUE}", "pwned")],
    "whiteout-above-root": [oci.file("ok", "ok"), oci.file("../.wh.x")],
    "whiteout-of-a-sibling-of-root": [oci.file("ok", "ok"), oci.file(f"../../../../.wh.victim-{UNIQUE}")],
}
ACCEPTED_LAYERS = {
    "absolute-name": [oci.file(f"/abs-{UNIQUE}", "inside")],
    "symlink-to-host-root": [oci.symlink("evil", "/"), oci.file(f"evil/tmp/{UNIQUE}", "pwned")],
    "climbing-symlink": [oci.symlink("up", "../../../.."), oci.file(f"up/escape-{UNIQUE}", "pwned")],
}


@pytest.fixture(scope="module")
def hostile_layers():
    """A real registry holding one single-layer image per hostile layer, as hostile/<case>."""
    with Registry() as registry:
        for case, entries in {**REJECTED_LAYERS, **ACCEPTED_LAYERS}.items():
            registry.push(f"hostile/{case}", "latest", oci.build_image([oci.make_layer(entries)]))
        yield registry


def plant_victim(berth) -> Path:
    """A file beside --root that a layer escaping its directory would reach."""
    victim = berth.base / f"victim-{UNIQUE}"
    victim.write_text("victim\n")
    if berth.user:
        os.chown(victim, berth.user.uid, berth.user.gid)
    return victim


def places_outside(berth, name: str) -> list[Path]:
    """Where ``name`` would be if a member climbed out of the layer directory, at any depth."""
    diff = Path(berth.root) / "layers" / "tmp-x" / "diff"
    return [parent / name for parent in diff.parents] + list(berth.base.rglob(f"*{name}*"))


@pytest.mark.parametrize("case", sorted(REJECTED_LAYERS))
def test_layer_escaping_its_root_is_rejected(berth, hostile_layers, case):
    victim = plant_victim(berth)
    passwd = os.lstat("/etc/passwd")
    reference = hostile_layers.reference(f"hostile/{case}")
    error = single_error(pull(berth, reference), reference)
    assert "escapes the layer root" in error
    assert_nothing_stored(berth)
    assert victim.read_text() == "victim\n" and victim.stat().st_nlink == 1
    after = os.lstat("/etc/passwd")
    assert (after.st_ino, after.st_nlink) == (passwd.st_ino, passwd.st_nlink)
    assert [p for p in places_outside(berth, f"escape-{UNIQUE}") if os.path.lexists(p)] == []


@pytest.mark.parametrize("case", sorted(ACCEPTED_LAYERS))
def test_layer_paths_that_look_outside_land_inside(berth, hostile_layers, case):
    victim = plant_victim(berth)
    result = pull(berth, hostile_layers.reference(f"hostile/{case}"))
    assert result.returncode == 0, str(result)
    (layer,) = [n for n in names(Path(berth.root) / "layers")]
    diff = Path(berth.root) / "layers" / layer / "diff"
    if case == "absolute-name":
        assert (diff / f"abs-{UNIQUE}").read_text() == "inside"
        assert not os.path.lexists(f"/abs-{UNIQUE}")
    elif case == "symlink-to-host-root":
        assert os.readlink(diff / "evil") == "/"
        assert (diff / "tmp" / UNIQUE).read_text() == "pwned"
        assert not os.path.lexists(f"/tmp/{UNIQUE}")
    else:
        assert os.readlink(diff / "up") == "../../../.."
        assert (diff / f"escape-{UNIQUE}").read_text() == "pwned"
        assert [p for p in places_outside(berth, f"escape-{UNIQUE}")
                if os.path.lexists(p) and p != diff / f"escape-{UNIQUE}"] == []
    assert victim.read_text() == "victim\n"
    assert leftovers(berth) == []


# --------------------------------------------------------------------------
# 3. kill -9 in the middle of a pull


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def kill_mid_pull(berth, hostile, reference: str, blob_path: str, ready) -> None:
    """Start a pull, SIGKILL it once ``ready()`` and bytes of ``blob_path`` have gone out, and reap it."""
    proc = spawn(berth, "pull", "--tls-verify=false", reference)
    try:
        caught = wait_for(lambda: hostile.bytes_sent(blob_path) > 0 and ready(), 10)
        still_running = proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    if not (caught and still_running):
        pytest.fail(f"the pull was not caught mid-transfer (exit {proc.returncode}): {err.decode(errors='replace')}")
    assert proc.returncode == -signal.SIGKILL


def layer_temporaries(berth) -> list[Path]:
    layers = Path(berth.root) / "layers"
    return [layers / n for n in names(layers) if n.startswith("tmp-")]


def test_kill_9_mid_pull_leaves_no_image_and_the_next_pull_cleans_up(berth, hostile):
    content = random_bytes(4 * MIB, 4)
    image = oci.build_image([oci.make_layer([oci.file("big", content)])])
    layer = hostile.serve_image("slow/big", "latest", image)[image.layer_digests[0]]
    layer.rate = 1 * MIB
    blob_path = hostile.blob_path("slow/big", image.layer_digests[0])
    kill_mid_pull(berth, hostile, hostile.reference("slow/big"), blob_path,
                  lambda: layer_temporaries(berth) and hostile.bytes_sent(blob_path) >= MIB // 2)
    left = leftovers(berth)
    assert [n for n in left if n.startswith("layers/tmp-")], "a killed pull leaves its layer directory"
    assert [n for n in left if n.startswith("blobs/tmp/")], "a killed pull leaves its partial blob"

    assert berth.run("images", "-q").stdout == ""
    assert names(Path(berth.root) / "images") == []

    layer.rate = None
    result = berth.run("pull", "--tls-verify=false", hostile.reference("slow/big"))
    assert result.stdout == image.config_digest[7:] + "\n"
    assert_stored_once(berth, image)
    (chain_id,) = chain_ids(image.diff_ids)
    stored = (Path(berth.root) / "layers" / chain_id[7:] / "diff" / "big").read_bytes()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(content).digest()


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_pull_ends_it_at_once_without_temporaries(berth, hostile, signal_number):
    image = oci.build_image([oci.make_layer([oci.file("big", random_bytes(4 * MIB, 5))])])
    layer = hostile.serve_image("slow/signal", "latest", image)[image.layer_digests[0]]
    layer.rate = 1 * MIB
    blob_path = hostile.blob_path("slow/signal", image.layer_digests[0])
    reference = hostile.reference("slow/signal")
    proc = spawn(berth, "pull", "--tls-verify=false", reference)
    caught = wait_for(lambda: layer_temporaries(berth) and hostile.bytes_sent(blob_path) >= MIB // 2, 10)
    os.kill(proc.pid, signal_number)
    sent = time.monotonic()
    status, out, err = finish(proc, timeout=30)
    elapsed = time.monotonic() - sent
    assert caught, err
    assert elapsed < 2, f"berth took {elapsed:.1f}s to stop"
    assert status == 128 + signal_number, err
    assert out == ""
    name = signal.Signals(signal_number).name
    assert err.splitlines()[-1] == f"Error: pull {reference}: interrupted by {name}", err
    assert leftovers(berth) == []
    assert berth.run("images", "-q").stdout == ""

    layer.rate = None
    result = berth.run("pull", "--tls-verify=false", reference)
    assert result.stdout == image.config_digest[7:] + "\n"
    assert_stored_once(berth, image)


def many_directories_layer(count: int) -> oci.Layer:
    entries = []
    for n in range(count):
        entries += [oci.directory(f"d{n}"), oci.directory(f"d{n}/e"), oci.directory(f"d{n}/e/f"),
                    oci.file(f"d{n}/e/f/x", "x")]
    return oci.make_layer(entries, "none")


def runner(rootless: bool, berth_binary, berth_user_binary, test_user) -> Berth:
    return Berth(berth_user_binary, test_user) if rootless else Berth(berth_binary)


@pytest.mark.parametrize("rootless", [False, True], ids=["root", "rootless"])
def test_pulls_at_once_after_a_kill_9_all_succeed(berth_binary, berth_user_binary, test_user, hostile, rootless):
    image = oci.build_image([many_directories_layer(300)])
    layer = hostile.serve_image("stale/many", "latest", image)[image.layer_digests[0]]
    blob_path = hostile.blob_path("stale/many", image.layer_digests[0])
    failures = []
    for _ in range(2):
        with runner(rootless, berth_binary, berth_user_binary, test_user) as berth:
            layer.rate = 2 * MIB
            kill_mid_pull(berth, hostile, hostile.reference("stale/many"), blob_path,
                          lambda: any(len(names(t / "diff")) >= 200 for t in layer_temporaries(berth)))
            layer.rate = None
            procs = [spawn(berth, "pull", "--tls-verify=false", hostile.reference("stale/many")) for _ in range(3)]
            failures += [err for code, _, err in map(finish, procs) if code != 0]
            if not failures:
                assert_stored_once(berth, image)
    assert failures == []


# --------------------------------------------------------------------------
# 4. Concurrent pulls of the same image


def three_layer_image(seed: int, size: int) -> oci.Image:
    layers = [oci.make_layer([oci.directory(f"l{n}"), oci.file(f"l{n}/data", random_bytes(size, seed + n)),
                              oci.file(f"l{n}/small", f"layer {n}\n")]) for n in range(3)]
    return oci.build_image(layers)


@pytest.fixture(scope="module")
def three_layers():
    return three_layer_image(10, 256 * 1024)


@pytest.fixture(scope="module")
def three_layer_registry(three_layers):
    with Registry() as registry:
        registry.push("three", "latest", three_layers)
        yield registry


def pull_twice_at_once(berth, reference: str) -> list[tuple[int, str, str]]:
    procs = [spawn(berth, "pull", "--tls-verify=false", reference) for _ in range(2)]
    return [finish(proc) for proc in procs]


@pytest.mark.parametrize("rootless", [False, True], ids=["root", "rootless"])
def test_two_pulls_of_the_same_image_at_once(berth_binary, berth_user_binary, test_user, three_layer_registry,
                                             three_layers, rootless):
    for _ in range(3):  # the race is between processes: give it a few chances
        with runner(rootless, berth_binary, berth_user_binary, test_user) as berth:
            results = pull_twice_at_once(berth, three_layer_registry.reference("three"))
            for code, out, err in results:
                assert code == 0, err
                assert out == three_layers.config_digest[7:] + "\n"
            assert_stored_once(berth, three_layers)


def test_two_slow_pulls_of_the_same_image_overlap_and_both_succeed(berth, hostile):
    """The layers are served slowly, so both processes unpack every layer and race to commit it."""
    image = three_layer_image(20, 1024 * 1024)
    for reply in hostile.serve_image("slow/three", "latest", image).values():
        reply.rate = 1 * MIB
    results = pull_twice_at_once(berth, hostile.reference("slow/three"))
    for code, out, err in results:
        assert code == 0, err
        assert out == image.config_digest[7:] + "\n"
    assert_stored_once(berth, image)
    for digest in image.layer_digests:  # both really fetched every layer at the same time
        assert len(hostile.requests_to(hostile.blob_path("slow/three", digest))) == 2
