"""The berth command line frame: exit statuses, one-line errors, help and version."""

import json
import re
import subprocess

import pytest

from fixtures.runner import CLEAN_PATH, Result


@pytest.fixture
def berth(berth_binary, tmp_path):
    """Run the berth binary exactly as given (no --root/--runroot) in a clean environment."""

    def run(*args: str) -> Result:
        argv = [str(berth_binary), *args]
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              cwd=tmp_path, env={"PATH": CLEAN_PATH, "HOME": str(tmp_path), "LANG": "C.UTF-8"},
                              timeout=60, check=False)
        return Result(argv, proc.returncode, proc.stdout, proc.stderr)

    return run


def assert_one_line_error(result: Result, *fragments: str) -> None:
    assert result.returncode == 125, result
    assert result.stdout == "", result
    assert result.stderr.startswith("Error: "), result
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result
    for fragment in fragments:
        assert fragment in result.stderr, result


def available_commands(help_text: str) -> list[str]:
    """Command names from the "Available Commands:" section of a help text."""
    lines = help_text.splitlines()
    start = lines.index("Available Commands:") + 1
    names = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        names.append(line.split()[0])
    return names


def test_no_command(berth):
    assert_one_line_error(berth(), "Error: missing command")


def test_no_command_after_global_options(berth_root):
    assert_one_line_error(berth_root.run(check=False), "Error: missing command")


# Parse errors: none of these may get as far as touching storage.
ERROR_CASES = [
    (["nosuch"], ["unrecognized command", "nosuch"]),
    (["info", "--bogus"], ["unknown flag: --bogus"]),
    (["-x"], ["unknown flag: -x"]),
    (["info", "extra"], ["extra"]),
    (["version", "extra"], ["extra"]),
    (["--storage-driver", "btrfs", "info"], ["--storage-driver", "btrfs"]),
    (["info", "--format"], ["flag needs an argument", "--format"]),
    (["--root"], ["flag needs an argument", "--root"]),
    (["help", "nosuch"], ["nosuch"]),
    (["completion"], []),
    (["completion", "ksh"], ["ksh"]),
    (["version", "--format", "{{.Nope}}"], ["Error: template: "]),
]


@pytest.mark.parametrize("args,fragments", ERROR_CASES, ids=[" ".join(a) for a, _ in ERROR_CASES])
def test_usage_errors(berth, args, fragments):
    assert_one_line_error(berth(*args), *fragments)


def test_bad_log_level_lists_the_valid_ones(berth):
    # Podman checks the level after parsing and exits with 1, not the usage status 125.
    result = berth("--log-level", "nope", "info")
    assert result.returncode == 1 and result.stdout == "", result
    assert result.stderr.startswith('Error: Log Level "nope" is not supported') and result.stderr.count("\n") == 1
    for level in ("trace", "debug", "info", "warn", "error", "fatal", "panic"):
        assert level in result.stderr


def test_bad_storage_driver_lists_the_valid_ones(berth):
    result = berth("--storage-driver", "btrfs", "info")
    assert_one_line_error(result)
    for driver in ("overlay", "fuse-overlayfs", "vfs"):
        assert driver in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_top_level_help(berth, args):
    result = berth(*args)
    assert result.returncode == 0, result
    assert result.stderr == ""
    text = result.stdout
    assert "Usage:\n  berth [options] [command]\n" in text
    assert "Options:" in text
    commands = available_commands(text)
    assert {"info", "version", "help", "completion"} <= set(commands)
    assert not [name for name in commands if name.startswith("_")], "hidden commands are listed"
    for flag in ("--root", "--runroot", "--storage-driver", "--log-level", "--version", "--help"):
        assert flag in text


def test_help_forms_agree(berth):
    assert berth("--help").stdout == berth("help").stdout == berth("-h").stdout


@pytest.mark.parametrize("args", [["info", "--help"], ["info", "-h"], ["help", "info"]])
def test_info_help(berth, args):
    result = berth(*args)
    assert result.returncode == 0, result
    assert result.stderr == ""
    assert "Usage:\n  berth info [options]\n" in result.stdout
    assert "--format" in result.stdout
    assert result.stdout == berth("help", "info").stdout


def test_every_listed_command_has_help(berth):
    for name in available_commands(berth("--help").stdout):
        result = berth("help", name)
        assert result.returncode == 0, result
        assert f"Usage:\n  berth {name}" in result.stdout
        assert result.stdout == berth(name, "--help").stdout


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version_flag(berth, flag):
    result = berth(flag)
    assert result.returncode == 0, result
    version = berth("version", "--format", "{{.Client.Version}}").stdout.strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", version), version
    assert result.stdout == f"berth version {version}\n"


def test_version_command(berth):
    result = berth("version")
    assert result.returncode == 0, result
    client = json.loads(berth("version", "--format", "json").stdout)["Client"]
    assert f"Version:      {client['Version']}" in result.stdout.splitlines()
    assert f"OS/Arch:      {client['OsArch']}" in result.stdout.splitlines()
