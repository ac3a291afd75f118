"""--format as Podman reads it: Go templates over each command's documents (field names, functions,
range, if), the `table` prefix with Podman's headings and aligned columns, and Podman's errors."""

from __future__ import annotations

import re

import pytest

from fixtures.runner import Berth


@pytest.fixture(scope="module")
def berth(berth_binary, shared_registry):
    with Berth(berth_binary) as runner:
        runner.image = shared_registry.reference("busybox")
        runner.run("pull", "-q", "--tls-verify=false", runner.image)
        runner.run("create", "--name", "first", "--label", "tier=front", "--label", "a=b", runner.image, "true")
        runner.run("create", "--name", "second-container", runner.image, "true")
        yield runner


def test_version_and_info_use_podmans_field_names(berth):
    assert berth.run("version", "--format", "{{.Client.Version | printf \"%-8s|\"}}").stdout.endswith("|\n")
    info = berth.run("info", "--format", "{{.Store.GraphDriverName}} {{if .Host.Security.Rootless}}r{{else}}-{{end}}")
    assert info.stdout == "overlay -\n" or info.stdout.endswith(" -\n")
    result = berth.run("info", "--format", "{{.host.arch}}", check=False)
    assert (result.returncode, result.stdout) == (125, "")
    assert result.stderr == ('Error: template: info:1:7: executing "info" at <.host.arch>: '
                             "can't evaluate field host in type *define.Info\n")


def test_unknown_fields_and_bad_templates_fail_as_podman(berth):
    result = berth.run("ps", "-a", "--format", "{{.Nope}}", check=False)
    assert result.returncode == 125
    assert result.stderr == ('Error: template: ps:1:13: executing "ps" at <.Nope>: '
                             "can't evaluate field Nope in type containers.psReporter\n")
    result = berth.run("images", "--format", "{{nope .ID}}", check=False)
    assert (result.returncode, result.stderr) == (125, 'Error: template: images:1: function "nope" not defined\n')
    result = berth.run("inspect", "--format", "{{.Nope}}", "first", check=False)
    assert result.returncode == 125
    assert result.stderr == ('Error: inspecting object: printing inspect output: template: inspect:1:13: '
                             'executing "inspect" at <.Nope>: can\'t evaluate field Nope in type interface {}\n')


def test_templates_over_ps_rows(berth):
    out = berth.run("ps", "-a", "--format", "{{.Names}} {{.Labels.tier}} {{len .Labels}}").stdout
    assert sorted(out.splitlines()) == ["first front 2", "second-container <no value> 0"]
    out = berth.run("ps", "-a", "--filter", "name=first", "--format",
                    "{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}|{{json .Names}}|{{upper .Names}}").stdout
    assert out == 'a=b;tier=front;|"first"|FIRST\n'
    out = berth.run("ps", "-a", "--filter", "name=first", "--format", "{{.Names}}\\t{{.ID}}\\n").stdout
    assert re.fullmatch(r"first\t[0-9a-f]{12}\n", out)


def test_table_prints_headings_and_aligned_columns(berth):
    lines = berth.run("ps", "-a", "--format", "table {{.ID}}\\t{{.Names}}\\t{{.Image}}").stdout.splitlines()
    assert lines[0] == "CONTAINER ID  NAMES             IMAGE"
    assert sorted(line[14:32] for line in lines[1:]) == ["first             ", "second-container  "]
    lines = berth.run("images", "--format", "table {{.Repository}} {{.Tag}}").stdout.splitlines()
    repository = berth.image.rsplit(":", 1)[0]
    width = max(12, len(repository) + 2)
    assert lines == ["REPOSITORY".ljust(width) + "TAG", repository.ljust(width) + "latest"]


def test_ps_fields_as_podman(berth):
    out = berth.run("ps", "-a", "--external", "--filter", "name=^first$", "--format",
                    "{{.Names}}|{{.Command}}|{{.Status}}|{{.Ports}}|{{.Exited}}|{{.CreatedAt}}|{{.RunningFor}}").stdout
    names, command, status, ports, exited, created_at, running_for = out.rstrip("\n").split("|")
    assert (names, command, status, ports, exited) == ("first", "true", "Created", "", "false")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \S+", created_at), created_at
    assert running_for.endswith("ago")
    assert (berth.run("ps", "-a", "--external", "-q").stdout == berth.run("ps", "-a", "-q").stdout)


def ps_names(berth, *filters):
    args = [arg for value in filters for arg in ("--filter", value)]
    return sorted(berth.run("ps", "-a", *args, "--format", "{{.Names}}").stdout.split())


def test_ps_filters_or_within_a_key_and_across_keys(berth):
    assert ps_names(berth, "name=first", "name=second") == ["first", "second-container"]
    assert ps_names(berth, "name=^sec") == ["second-container"]
    assert ps_names(berth, "label=tier=front") == ["first"]
    assert ps_names(berth, "label=tier", "label=a=b") == ["first"]
    assert ps_names(berth, "label=tier", "label=zz") == []  # labels must all match, as in Podman
    assert ps_names(berth, "status=created", "name=first") == ["first"]
    assert ps_names(berth, "status=running") == []
    first = berth.run("ps", "-a", "-q", "--filter", "name=^first$").stdout.strip()
    assert ps_names(berth, f"id={first[:6]}") == ["first"]
    assert ps_names(berth, f"ancestor={berth.image}") == ["first", "second-container"]
    assert ps_names(berth, "since=first") == ["second-container"]
    assert ps_names(berth, "before=second-container") == ["first"]


@pytest.mark.parametrize("value, message", [
    ("nope=1", "nope is an invalid filter"),
    ("name", 'invalid filter "name"'),
    ("status=nope", "unknown container state: nope: invalid argument"),
])
def test_ps_filter_errors(berth, value, message):
    result = berth.run("ps", "-a", "--filter", value, check=False)
    assert (result.returncode, result.stderr) == (125, f"Error: {message}\n")


def test_images_fields_as_podman(berth):
    out = berth.run("images", "--format",
                    "{{.Tag}}|{{.Created}}|{{.CreatedAt}}|{{.Names}}|{{.Dangling}}|{{.ReadOnly}}|{{len .ID}}").stdout
    tag, created, created_at, names, dangling, read_only, id_length = out.rstrip("\n").split("|")
    assert (tag, names, dangling, read_only, id_length) == ("latest", f"[{berth.image}]", "false", "false", "12")
    assert created.endswith("ago") or created == "Less than a second ago", created
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \S+", created_at), created_at
    result = berth.run("images", "--format", "{{.Nope}}", check=False)
    assert result.stderr == ('Error: template: images:1:13: executing "images" at <.Nope>: '
                             "can't evaluate field Nope in type images.imageReporter\n")
