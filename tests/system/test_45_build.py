"""berth build, as root and as the unprivileged test user: a multi-stage Containerfile whose image runs with what
its stages made, the layer cache on a second build, COPY refusing paths outside the context, errors with the line,
and buildah (its own storage, chroot isolation) building the same Containerfile into the same config and files."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from fixtures.runner import Berth

CONTAINERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE
FROM $BASE AS build
ARG GREETING=hello
WORKDIR /src
COPY app/ ./
RUN echo "$GREETING from $(cat name.txt)" > /src/out.txt \\
 && mkdir -p /src/lib && echo lib > /src/lib/x

FROM ${BASE}
LABEL org.example.role=test version="1.0"
ENV APP_HOME=/app GREETING="not used"
WORKDIR $APP_HOME
COPY --from=build /src/out.txt /src/lib ./
COPY --chmod=0755 run.sh bin/run.sh
COPY *.cfg conf/
EXPOSE 8080 53/udp
STOPSIGNAL SIGINT
VOLUME /data
USER 1000:1000
ENTRYPOINT ["/app/bin/run.sh"]
CMD ["default"]
"""

RUN_SH = """#!/bin/sh
echo "args: $*"
cat /app/out.txt /app/x /app/conf/a.cfg
id -u
"""

EXPECTED_OUTPUT = "args: default\nhello from berth\nlib\nA\n1000\n"


def make_context(runner: Berth, name: str, files: dict[str, str]) -> Path:
    context = runner.base / name
    for path, text in files.items():
        target = context / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    if runner.user:
        for path in [context, *context.rglob("*")]:
            os.lchown(path, runner.user.uid, runner.user.gid)
    return context


def app_context(runner: Berth) -> Path:
    return make_context(runner, "app-context", {
        "Containerfile": CONTAINERFILE, "run.sh": RUN_SH, "app/name.txt": "berth\n", "a.cfg": "A\n",
        "b.cfg": "B\n", "secret.cfg": "S\n", ".containerignore": "secret.cfg\n"})


@pytest.fixture(scope="module", params=["root", "rootless"])
def berth(request, berth_binary, shared_registry):
    if request.param == "root":
        runner = Berth(berth_binary)
    else:
        runner = Berth(request.getfixturevalue("berth_user_binary"), request.getfixturevalue("test_user"))
    with runner:
        runner.image = shared_registry.reference("busybox")
        runner.run("pull", "-q", "--tls-verify=false", runner.image)
        runner.context = app_context(runner)
        runner.first = runner.run("build", "--build-arg", f"BASE={runner.image}", "-t", "app", "-t", "app:2",
                                  "--iidfile", str(runner.base / "iid"), str(runner.context), timeout=300)
        yield runner


def test_multi_stage_build_runs_with_what_each_stage_made(berth):
    lines = berth.first.stdout.splitlines()
    assert lines[0] == "[1/2] STEP 1/5: FROM $BASE AS build"
    assert "[2/2] STEP 13/13: CMD [\"default\"]" in lines
    assert "COMMIT localhost/app:latest" in lines
    image_id = lines[-1]
    assert (berth.base / "iid").read_text() == "sha256:" + image_id
    shown, every = berth.run("images", "-q").stdout.split(), berth.run("images", "-a", "-q").stdout.split()
    assert image_id[:12] in shown and len(every) > len(shown)  # the cached steps show with --all only
    assert berth.run("run", "--rm", "app").stdout == EXPECTED_OUTPUT
    inspected = berth.json("image", "inspect", "localhost/app:2")[0]
    assert inspected["Id"] == image_id
    config = inspected["Config"]
    assert config["Entrypoint"] == ["/app/bin/run.sh"] and config["Cmd"] == ["default"]
    assert config["WorkingDir"] == "/app" and config["User"] == "1000:1000"
    assert config["Labels"] == {"org.example.role": "test", "version": "1.0"}
    assert set(config["ExposedPorts"]) == {"8080/tcp", "53/udp"}
    assert "APP_HOME=/app" in config["Env"] and "GREETING=not used" in config["Env"]
    assert config["StopSignal"] == "SIGINT"
    # the base layer and one layer per COPY of the last stage; ENV, LABEL, ... add none
    assert len(inspected["RootFS"]["Layers"]) == 4
    listing = berth.run("run", "--rm", "--entrypoint", "ls", "app", "/app/conf").stdout.split()
    assert listing == ["a.cfg", "b.cfg"]  # secret.cfg is left out by .containerignore


def test_second_build_uses_the_cache_and_no_cache_does_not(berth):
    image_id = berth.first.stdout.splitlines()[-1]
    again = berth.run("build", "--build-arg", f"BASE={berth.image}", "-t", "app", str(berth.context), timeout=300)
    assert again.stdout.splitlines()[-1] == image_id
    assert again.stdout.count("--> Using cache ") == 5  # the RUN and the four COPYs
    unused = berth.run("build", "-q", "--build-arg", f"BASE={berth.image}", "--build-arg", "NOPE=1",
                       str(berth.context), timeout=300)
    assert unused.stdout.strip() == image_id
    assert "one or more build args were not consumed: [NOPE]" in unused.stderr
    changed = berth.run("build", "--build-arg", f"BASE={berth.image}", "--build-arg", "GREETING=hi", "-q",
                        str(berth.context), timeout=300)
    assert changed.stdout.strip() != image_id and "STEP" not in changed.stdout
    assert berth.run("run", "--rm", "--entrypoint", "cat", changed.stdout.strip()[:12], "/app/out.txt").stdout \
        == "hi from berth\n"
    fresh = berth.run("build", "--no-cache", "--build-arg", f"BASE={berth.image}", str(berth.context), timeout=300)
    assert "Using cache" not in fresh.stdout and fresh.stdout.splitlines()[-1] != image_id
    before = set(berth.run("images", "-q", "--no-trunc").stdout.split())
    plain = berth.run("build", "-q", "--layers=false", "--build-arg", f"BASE={berth.image}", str(berth.context),
                      timeout=300).stdout.strip()
    assert set(berth.run("images", "-q", "--no-trunc").stdout.split()) - before == {"sha256:" + plain}


def test_copy_never_reads_outside_the_context(berth):
    outside = berth.base / "outside.txt"
    outside.write_text("outside\n")
    for name, instruction in [("dotdot", "COPY ../outside.txt /x"), ("link", "COPY link/outside.txt /x")]:
        context = make_context(berth, f"escape-{name}", {"Containerfile": f"FROM {berth.image}\n{instruction}\n"})
        (context / "link").symlink_to(berth.base)
        result = berth.run("build", str(context), check=False)
        assert result.returncode == 125, result
        assert result.stderr.startswith("Error: Containerfile:2: building at STEP") and \
            "outside the build context" in result.stderr, result.stderr


def test_add_of_a_hostile_tar_writes_nothing_outside(berth):
    context = make_context(berth, "hostile", {"Containerfile": f"FROM {berth.image}\nADD evil.tar /x/\n"})
    with tarfile.open(context / "evil.tar", "w") as tar:
        info = tarfile.TarInfo("../../../../../../tmp/berth-escape-45")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    if berth.user:
        os.chown(context / "evil.tar", berth.user.uid, berth.user.gid)
    result = berth.run("build", str(context), check=False)
    assert result.returncode == 125 and "escapes the layer root" in result.stderr, result
    assert not Path("/tmp/berth-escape-45").exists()


def test_bad_containerfiles_and_failing_runs(berth):
    context = make_context(berth, "bad", {"Containerfile": f"FROM {berth.image}\n\nFROB x\n"})
    result = berth.run("build", "-f", "-", str(context), input=f"FROM {berth.image}\nFROB x\n", check=False)
    assert (result.returncode, result.stderr) == (125, "Error: stdin:2: unknown instruction: FROB\n")
    result = berth.run("build", str(context), check=False)
    assert (result.returncode, result.stderr) == (125, "Error: Containerfile:3: unknown instruction: FROB\n")
    result = berth.run("build", "-f", "Containerfile", str(context), check=False)  # found in the context
    assert (result.returncode, result.stderr) == (125, "Error: Containerfile:3: unknown instruction: FROB\n")
    result = berth.run("build", "-f", "nope", str(context), check=False)
    assert (result.returncode, result.stderr) == (
        125, "Error: the specified Containerfile or Dockerfile does not exist, nope\n")
    failing = make_context(berth, "failing", {"Containerfile": f"FROM {berth.image}\nRUN exit 3\n"})
    result = berth.run("build", str(failing), check=False)
    assert result.returncode == 3
    assert result.stderr == ('Error: Containerfile:2: building at STEP "RUN exit 3": while running runtime: '
                             'exit status 3\n')
    assert berth.run("ps", "-aq").stdout == ""  # the RUN's container is gone


FEATURES = """\
FROM {image} AS base
ENV STAGE=base
RUN <<EOF
echo "heredoc $STAGE" > /base.txt
EOF

FROM base AS tools
MAINTAINER Jane Doe <jane@example.com>
WORKDIR /work/deep
RUN pwd > /pwd.txt
SHELL ["/bin/sh", "-ec"]
RUN echo shell-ok > /shell.txt
RUN --mount=type=bind,target=/ctx --mount=type=cache,target=/cache --mount=type=tmpfs,target=/scratch \\
    cat /ctx/owned.txt > /from-bind; echo run >> /cache/count; wc -l < /cache/count > /cache-runs; touch /scratch/x
ADD files.tar.gz /opt/
COPY --chown=65534:65534 owned.txt /owned.txt
COPY <<EOF /etc/motd
motd for $STAGE
EOF
VOLUME /data
HEALTHCHECK --interval=5s --retries=2 CMD true
CMD cat /base.txt

FROM base AS unused
RUN exit 1
"""


def make_tar(path: Path) -> None:
    data = b"from tar\n"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("inner/a.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def test_stages_heredocs_shell_add_of_a_tar_chown_and_target(berth):
    context = make_context(berth, "features", {"Containerfile.features": FEATURES.format(image=berth.image),
                                               "owned.txt": "owned\n"})
    make_tar(context / "files.tar.gz")
    if berth.user:
        os.chown(context / "files.tar.gz", berth.user.uid, berth.user.gid)
    build = ["build", "-f", "../features/Containerfile.features", "--target", "tools", "--label", "extra=1",
             "--format", "docker", "-t", "feat", str(context)]
    result = berth.run(*build, timeout=300)
    assert "RUN exit 1" not in result.stdout  # the stage after the target is not built
    seen = berth.run("run", "--rm", "feat", "sh", "-c",
                     "cat /base.txt /pwd.txt /shell.txt /opt/inner/a.txt /etc/motd; stat -c %u:%g /owned.txt")
    assert seen.stdout == "heredoc base\n/work/deep\nshell-ok\nfrom tar\nmotd for base\n65534:65534\n"
    inspected = berth.json("image", "inspect", "feat")[0]
    assert inspected["Author"] == "Jane Doe <jane@example.com>"
    assert inspected["ManifestType"] == "application/vnd.docker.distribution.manifest.v2+json"
    config = inspected["Config"]
    assert config["Cmd"] == ["/bin/sh", "-ec", "cat /base.txt"]
    assert config["Volumes"] == {"/data": {}} and config["Labels"] == {"extra": "1"}
    assert config["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000, "Retries": 2}
    assert berth.run("run", "--rm", "feat").stdout == "heredoc base\n"
    mounts = "cat /from-bind /cache-runs; ls -d /cache /scratch /ctx 2>/dev/null | wc -l"  # mount points left out
    assert berth.run("run", "--rm", "feat", "sh", "-c", mounts).stdout.split() == ["owned", "1", "0"]
    # image prune removes the intermediate images, and with them the cache
    assert "Using cache" in berth.run(*build, timeout=300).stdout
    berth.run("image", "prune")
    assert "Using cache" not in berth.run(*build, timeout=300).stdout
    assert berth.run("run", "--rm", "feat", "cat", "/cache-runs").stdout == "2\n"  # the cache mount was kept


def test_scratch_stage_holds_only_what_it_copies(berth):
    context = make_context(berth, "scratch", {"Containerfile": (
        f"FROM {berth.image} AS src\nRUN echo small > /s\n"
        "FROM scratch\nCOPY --from=src /s /bin/busybox /\nENTRYPOINT [\"/busybox\"]\nCMD [\"cat\", \"/s\"]\n")})
    image_id = berth.run("build", "-q", str(context), timeout=300).stdout.strip()
    assert berth.run("run", "--rm", image_id[:12]).stdout == "small\n"
    assert len(berth.json("image", "inspect", image_id[:12])[0]["RootFS"]["Layers"]) == 1


def test_onbuild_triggers_squash_all_build_arg_files_and_volumes(berth):
    context = make_context(berth, "onbuild", {
        "Containerfile.parent": f"FROM {berth.image}\nONBUILD RUN echo triggered > /triggered\n"
                                "ONBUILD COPY data.txt /data.txt\n",
        "Containerfile.child": "FROM parent\nARG FROM_FILE\nRUN echo \"$FROM_FILE\" > /arg && cat /vol/v.txt > /vol.txt\n"
                               "RUN --mount=type=secret,id=token test \"$(cat /run/secrets/token)\" = s3cret\n",
        "token": "s3cret",
        "data.txt": "data\n", "args": "# build args\nFROM_FILE=from file\n", "vol/v.txt": "vol\n"})
    berth.run("build", "-q", "-t", "parent", "-f", str(context / "Containerfile.parent"), str(context), timeout=300)
    parent = berth.json("image", "inspect", "parent")[0]["Config"]
    assert parent["OnBuild"] == ["RUN echo triggered > /triggered", "COPY data.txt /data.txt"]
    berth.run("build", "-q", "--squash-all", "--build-arg-file", str(context / "args"), "-v", f"{context / 'vol'}:/vol",
              "--secret", f"id=token,src={context / 'token'}",
              "-t", "child", "-f", str(context / "Containerfile.child"), str(context), timeout=300)
    seen = berth.run("run", "--rm", "child", "cat", "/triggered", "/data.txt", "/arg", "/vol.txt").stdout
    assert seen == "triggered\ndata\nfrom file\nvol\n"
    child = berth.json("image", "inspect", "child")[0]
    assert "OnBuild" not in child["Config"] and len(child["RootFS"]["Layers"]) == 1
    assert berth.run("run", "--rm", "child", "ls", "/run/secrets/token", check=False).returncode != 0


def image_files(berth: Berth, image: str) -> dict[str, tuple[int, int, int, bytes]]:
    name = berth.run("create", "--entrypoint", "true", image).stdout.strip()
    archive = berth.run("export", name).stdout_bytes
    berth.run("rm", name)
    files = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if member.name.lstrip("./").startswith("app/") and (member.isfile() or member.isdir()):
                content = tar.extractfile(member).read() if member.isfile() else b""
                files[member.name.lstrip("./").rstrip("/")] = (member.mode, member.uid, member.gid, content)
    return files


@pytest.mark.skipif(shutil.which("buildah") is None, reason="buildah is not installed")
def test_buildah_builds_the_same_config_and_files(berth, shared_registry, tmp_path):
    if berth.rootless:
        pytest.skip("buildah runs as root here")
    storage = ["--root", str(tmp_path / "root"), "--runroot", str(tmp_path / "runroot"), "--storage-driver", "vfs"]
    subprocess.run(["buildah", *storage, "bud", "--isolation", "chroot", "--tls-verify=false", "--layers",
                    "--build-arg", f"BASE={berth.image}", "-t", "peer", str(berth.context)],
                   check=True, capture_output=True, timeout=600)
    peer = json.loads(subprocess.run(["buildah", *storage, "inspect", "--type", "image", "peer"], check=True,
                                     capture_output=True, text=True, timeout=60).stdout)["OCIv1"]["config"]
    ours = berth.json("image", "inspect", "app")[0]["Config"]
    peer["Labels"].pop("io.buildah.version")  # buildah signs its images with its version; berth is not buildah
    for key in ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels", "ExposedPorts", "StopSignal", "Volumes"]:
        assert ours.get(key) == peer.get(key), key
    mount = subprocess.run(["buildah", *storage, "from", "peer"], check=True, capture_output=True, text=True,
                           timeout=60).stdout.strip()
    root = Path(subprocess.run(["buildah", *storage, "mount", mount], check=True, capture_output=True, text=True,
                               timeout=60).stdout.strip())
    peer_files = {str(path.relative_to(root)): (path.stat().st_mode & 0o7777, path.stat().st_uid, path.stat().st_gid,
                                                path.read_bytes() if path.is_file() else b"")
                  for path in (root / "app").rglob("*") if path.is_file() or path.is_dir()}
    subprocess.run(["buildah", *storage, "rm", mount], check=True, capture_output=True, timeout=60)
    assert image_files(berth, "app") == peer_files
