"""berth pull checks OCI manifests, indexes and configs against the OCI image spec's JSON schemas.

The schemas are those of Debian's golang-github-opencontainers-image-spec-dev, embedded in berth at build time. A
document that parses but does not conform fails the pull (exit 125, "Error: pull <ref>: <what>: does not conform to
the OCI image <kind> schema: <path>: <why>") before anything of the image is fetched or stored. Docker schema 2
documents are checked structurally only, as containers/image does. The project's own fixture images conform: they
are checked here with python3-jsonschema too, independently of berth, and still pull.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures import oci
from fixtures.hostile_server import HostileRegistry, manifest_reply
from fixtures.registry import Registry

SCHEMA_DIR = Path("/usr/share/gocode/src/github.com/opencontainers/image-spec/schema")
PACKAGES = "golang-github-opencontainers-image-spec-dev python3-jsonschema (scripts/test installs them)"
NOT_CONFORMING = ": does not conform to the OCI image {kind} schema: "


# --------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture(params=["root", "rootless"])
def berth(request, berth_root, berth_user):
    return berth_root if request.param == "root" else berth_user


@pytest.fixture
def hostile():
    with HostileRegistry() as server:
        yield server


def pull(berth, reference: str):
    return berth.run("pull", "--tls-verify=false", reference, check=False)


def single_error(result, reference: str) -> str:
    """The one error line of a failed pull, which exits 125 and prints nothing on stdout."""
    assert result.returncode == 125, str(result)
    assert result.stdout == "", str(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and result.stderr.splitlines()[-1] == errors[0], str(result)
    assert errors[0].startswith(f"Error: pull {reference}: "), str(result)
    return errors[0]


def names(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else []


def assert_nothing_stored(berth) -> None:
    root = Path(berth.root)
    assert berth.run("images", "-q").stdout == ""
    assert names(root / "layers") == []
    assert names(root / "blobs" / "sha256") == []
    assert names(root / "blobs" / "tmp") == []
    assert names(root / "images") == []


def small_image(flavour: str = "oci") -> oci.Image:
    return oci.build_image([oci.make_layer([oci.file("f", "schema test\n")])], flavour=flavour)


def with_manifest(image: oci.Image, doc: dict) -> oci.Image:
    """``image`` with another manifest document (same config and layers)."""
    return oci.Image(oci.Blob(image.media_type, oci.canonical_json(doc)), image.config, image.layers, image.diff_ids,
                     image.platform)


def serve_manifest(hostile: HostileRegistry, repo: str, image: oci.Image, doc: dict) -> tuple[str, oci.Image]:
    """Serve ``image``'s blobs and, under "latest", ``doc`` as its manifest (with its true Docker-Content-Digest)."""
    served = with_manifest(image, doc)
    hostile.serve_image(repo, "latest", served)
    return hostile.reference(repo), served


def blob_requests(hostile: HostileRegistry, repo: str, image: oci.Image) -> list:
    return [r for digest in (image.config_digest, *image.layer_digests)
            for r in hostile.requests_to(hostile.blob_path(repo, digest))]


# --------------------------------------------------------------------------
# 1. Manifests that parse but do not conform


def annotation_not_a_string(doc: dict) -> None:
    doc["layers"][0]["annotations"] = {"org.example.count": 1}


def config_media_type_not_a_media_type(doc: dict) -> None:
    doc["config"]["mediaType"] = "not a media type"


def no_layers(doc: dict) -> None:
    doc["layers"] = []


def digest_not_algorithm_colon_encoded(doc: dict) -> None:
    doc["layers"][0]["digest"] = doc["layers"][0]["digest"].replace("sha256:", "sha256-")


def size_beyond_int64(doc: dict) -> None:
    doc["layers"][0]["size"] = 2**64 - 1  # above 9223372036854776000, int64's maximum as defs.json writes it


def schema_version_as_a_string(doc: dict) -> None:
    doc["schemaVersion"] = "2"


MANIFEST_VIOLATIONS = {
    "annotation-not-a-string": (annotation_not_a_string, "/layers/0/annotations/org.example.count: Value type not "
                                                         "permitted by 'type' constraint (got 1)"),
    "config-media-type": (config_media_type_not_a_media_type, "/config/mediaType: Failed to match regex specified by "
                                                              "'pattern' constraint (got \"not a media type\")"),
    "no-layers": (no_layers, "/layers: Array should contain no fewer than 1 elements"),
    "digest-grammar": (digest_not_algorithm_colon_encoded, "/layers/0/digest: Failed to match regex specified by "
                                                           "'pattern' constraint (got \"sha256-"),
    "size-beyond-int64": (size_beyond_int64, "/layers/0/size: Expected number less than or equal to "
                                             "9223372036854776000 (got 18446744073709551615)"),
    "schema-version-as-a-string": (schema_version_as_a_string, "/schemaVersion: Value type not permitted by 'type' "
                                                               "constraint (got \"2\")"),
}


@pytest.mark.parametrize("case", sorted(MANIFEST_VIOLATIONS))
def test_manifest_that_does_not_conform(berth, hostile, case):
    change, expected = MANIFEST_VIOLATIONS[case]
    image = small_image()
    doc = image.manifest_json
    change(doc)
    reference, served = serve_manifest(hostile, "bad/manifest", image, doc)
    error = single_error(pull(berth, reference), reference)
    assert f": manifest {served.digest} of {reference}" + NOT_CONFORMING.format(kind="manifest") + expected in error
    assert_nothing_stored(berth)
    assert blob_requests(hostile, "bad/manifest", image) == [], "nothing of a manifest that does not conform is fetched"


# The schema's int64 sizes and "algorithm:encoded" digests allow these: what is wrong with them is said in the spec's
# prose (a size counts bytes; a sha256 digest is 64 lower-case hex digits), and berth's own checks refuse them.
PROSE_VIOLATIONS = {
    "negative-size": (lambda doc: doc["layers"][0].update(size=-1), 'missing or invalid "size"'),
    "short-sha256": (lambda doc: doc["layers"][0].update(digest="sha256:XYZ"),
                     'unsupported or invalid digest "sha256:XYZ"'),
}


@pytest.mark.parametrize("case", sorted(PROSE_VIOLATIONS))
def test_manifest_that_conforms_but_breaks_the_specs_prose(berth, hostile, case):
    change, expected = PROSE_VIOLATIONS[case]
    image = small_image()
    doc = image.manifest_json
    change(doc)
    reference, served = serve_manifest(hostile, "prose/manifest", image, doc)
    error = single_error(pull(berth, reference), reference)
    assert error.endswith(f": manifest {served.digest} of {reference}: {expected}"), error
    assert "does not conform" not in error
    assert_nothing_stored(berth)


def test_docker_manifest_is_checked_structurally_only(berth, hostile):
    """A Docker schema 2 manifest is not held to the OCI schema: a non-string annotation does not stop it."""
    image = small_image("docker")
    doc = image.manifest_json
    annotation_not_a_string(doc)
    reference, served = serve_manifest(hostile, "docker/manifest", image, doc)
    result = pull(berth, reference)
    assert result.returncode == 0, str(result)
    assert result.stdout == image.config_digest[7:] + "\n"


def test_oci_manifest_without_media_type_is_still_checked(berth, hostile):
    """"mediaType" is optional in an OCI manifest: its config's media type tells what it is."""
    image = small_image()
    doc = image.manifest_json
    del doc["mediaType"]
    annotation_not_a_string(doc)
    reference, served = serve_manifest(hostile, "untyped/manifest", image, doc)
    error = single_error(pull(berth, reference), reference)
    assert NOT_CONFORMING.format(kind="manifest") + "/layers/0/annotations/org.example.count: " in error
    assert_nothing_stored(berth)


# --------------------------------------------------------------------------
# 2. Indexes and configs


def test_index_with_a_bad_platform(berth, hostile):
    image = small_image()
    hostile.serve_image("bad/index", image.digest, image)
    doc = {"schemaVersion": 2, "mediaType": oci.OCI_INDEX,
           "manifests": [image.manifest.descriptor(platform={"architecture": oci.HOST_PLATFORM.architecture})]}
    body = oci.canonical_json(doc)
    hostile.routes[hostile.manifest_path("bad/index", "latest")] = manifest_reply(body, oci.OCI_INDEX)
    reference = hostile.reference("bad/index")
    error = single_error(pull(berth, reference), reference)
    assert error.endswith(f": manifest {reference}" + NOT_CONFORMING.format(kind="index") +
                          "/manifests/0/platform: Missing required property 'os'"), error
    assert_nothing_stored(berth)
    assert hostile.requests_to(hostile.manifest_path("bad/index", image.digest)) == []


def test_config_that_does_not_conform(berth, hostile):
    image = small_image()
    config_doc = image.config_json
    config_doc["rootfs"]["type"] = "tarball"
    config = oci.Blob(oci.OCI_CONFIG, oci.canonical_json(config_doc))
    doc = image.manifest_json
    doc["config"] = config.descriptor()
    bad = oci.Image(oci.Blob(image.media_type, oci.canonical_json(doc)), config, image.layers, image.diff_ids,
                    image.platform)
    hostile.serve_image("bad/config", "latest", bad)
    reference = hostile.reference("bad/config")
    error = single_error(pull(berth, reference), reference)
    assert error.endswith(f": config {config.digest}" + NOT_CONFORMING.format(kind="config") +
                          "/rootfs/type: Failed to match against any enum values (got \"tarball\")"), error
    assert_nothing_stored(berth)


# --------------------------------------------------------------------------
# 3. The fixtures conform, and pull


FIXTURES = {
    "oci": lambda: oci.busybox_image(),
    "docker": lambda: oci.busybox_image(flavour="docker"),
    "zstd": lambda: oci.busybox_image(compression="zstd"),
    "oci-index": lambda: oci.busybox_index(),
    "docker-list": lambda: oci.busybox_index(flavour="docker"),
}


@pytest.fixture(scope="module")
def fixture_images() -> dict[str, oci.Image | oci.Index]:
    return {name: build() for name, build in FIXTURES.items()}


def load_validators() -> dict[str, object]:
    """Draft-04 validators for the manifest, index and config schemas; $refs resolve to the schema directory."""
    try:
        import jsonschema
    except ImportError:
        pytest.fail(f"python3-jsonschema is missing: install {PACKAGES}")
    if not (SCHEMA_DIR / "image-manifest-schema.json").is_file():
        pytest.fail(f"no image-spec schema in {SCHEMA_DIR}: install {PACKAGES}")
    documents = {path.name: json.loads(path.read_text()) for path in SCHEMA_DIR.glob("*.json")}

    def document(uri: str) -> dict:  # the schemas' "id"s are URLs: a reference names a file by its last part
        return documents[uri.split("#", 1)[0].rsplit("/", 1)[-1]]

    try:
        from referencing import Registry as Schemas, Resource
        from referencing.jsonschema import DRAFT4
        schemas = Schemas(retrieve=lambda uri: Resource.from_contents(document(uri), default_specification=DRAFT4))
        options = lambda name: {"registry": schemas}  # noqa: E731
    except ImportError:  # jsonschema before 4.18
        options = lambda name: {"resolver": jsonschema.RefResolver.from_schema(  # noqa: E731
            documents[name], handlers={"https": document, "http": document})}
    validators = {}
    for kind, name in (("manifest", "image-manifest-schema.json"), ("index", "image-index-schema.json"),
                       ("config", "config-schema.json")):
        # "$schema" says draft 4 with an https URL, which jsonschema does not recognise: say it here.
        jsonschema.Draft4Validator.check_schema(documents[name])
        validators[kind] = jsonschema.Draft4Validator(documents[name], **options(name))
    return validators


def schema_errors(validator, document: dict) -> list[str]:
    return sorted(f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
                  for error in validator.iter_errors(document))


def test_the_fixture_images_conform(fixture_images):
    validators = load_validators()
    checked = 0
    for name, artifact in fixture_images.items():
        images = artifact.images if isinstance(artifact, oci.Index) else (artifact,)
        if isinstance(artifact, oci.Index) and artifact.media_type == oci.OCI_INDEX:
            assert schema_errors(validators["index"], artifact.manifest_json) == [], name
            checked += 1
        for image in images:
            if image.media_type == oci.OCI_MANIFEST:
                assert schema_errors(validators["manifest"], image.manifest_json) == [], name
                assert schema_errors(validators["config"], image.config_json) == [], name
                checked += 2
    assert checked == 1 + 2 * 4  # the index, and the manifest and config of the OCI images (2 alone, 2 in the index)
    # the validators do find violations
    bad = small_image().manifest_json
    size_beyond_int64(bad)
    assert schema_errors(validators["manifest"], bad) != []


@pytest.fixture(scope="module")
def fixture_registry(fixture_images):
    with Registry() as registry:
        for name, artifact in fixture_images.items():
            registry.push(f"fixtures/{name}", "latest", artifact)
        yield registry


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_the_fixture_images_pull(berth, fixture_images, fixture_registry, name):
    artifact = fixture_images[name]
    image = artifact.image_for(oci.HOST_PLATFORM) if isinstance(artifact, oci.Index) else artifact
    result = pull(berth, fixture_registry.reference(f"fixtures/{name}"))
    assert result.returncode == 0, str(result)
    assert result.stdout == image.config_digest[7:] + "\n"
