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
