"""Generated documentation: checked-in man pages and completion scripts, and completion in real shells.

Uses $BERTH_DOCGEN (berth-docgen) and $BERTH_SOURCE_DIR (the source tree holding man/ and
completions/); both default to this checkout and its build/ directory.
"""

import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from fixtures.runner import CLEAN_PATH, REPO

BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")
SCRIPTS = {"bash": "berth.bash", "zsh": "_berth", "fish": "berth.fish"}
STORAGE_DRIVERS = ["overlay", "fuse-overlayfs", "vfs"]


@pytest.fixture(scope="module")
def source_dir() -> Path:
    return Path(os.environ.get("BERTH_SOURCE_DIR") or REPO)


@pytest.fixture(scope="module")
def docgen() -> Path:
    path = Path(os.environ.get("BERTH_DOCGEN") or REPO / "build" / "cli" / "berth-docgen")
    if not path.is_file():
        pytest.fail(f"berth-docgen not found at {path}: build it or set BERTH_DOCGEN")
    return path


@pytest.fixture(scope="module")
def help_text(berth_binary) -> str:
    return run([berth_binary, "--help"]).stdout


@pytest.fixture(scope="module")
def commands(help_text) -> dict[str, str]:
    """Visible commands and their one-line descriptions, from "Available Commands:" in berth --help."""
    lines = help_text.splitlines()
    out = {}
    for line in lines[lines.index("Available Commands:") + 1:]:
        if not line.startswith("  "):
            break
        name, description = line.split(None, 1)
        out[name] = description.strip()
    assert "info" in out
    return out


@pytest.fixture
def shell_env(berth_binary, tmp_path) -> dict[str, str]:
    """Environment whose PATH finds berth, as an installed berth would be found."""
    return {"PATH": f"{berth_binary.parent}:{CLEAN_PATH}", "HOME": str(tmp_path), "LANG": "C.UTF-8",
            "TERM": "xterm"}


def run(argv, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=60, check=True, **kwargs)


def need(program: str) -> str:
    path = shutil.which(program)
    if not path:
        pytest.skip(f"{program} is not installed")
    return path


# --------------------------------------------------------------------------
# Checked-in files are up to date


@pytest.mark.parametrize("shell", SCRIPTS)
def test_checked_in_completion_is_current(berth_binary, source_dir, shell):
    checked_in = source_dir / "completions" / SCRIPTS[shell]
    assert checked_in.is_file(), f"{checked_in} missing: run ninja update-docs"
    generated = subprocess.run([berth_binary, "completion", shell], stdout=subprocess.PIPE, check=True).stdout
    assert generated, f"berth completion {shell} printed nothing"
    assert checked_in.read_bytes() == generated, f"{checked_in} is stale: run ninja update-docs"


@pytest.mark.parametrize("shell", SCRIPTS)
def test_completion_file_flag_writes_the_script(berth_binary, tmp_path, shell):
    target = tmp_path / "out" / SCRIPTS[shell]
    target.parent.mkdir()
    target.write_text("old content that must be replaced\n" * 100)
    result = run([berth_binary, "completion", "-f", target, shell])
    assert result.stdout == "" and result.stderr == ""
    expected = subprocess.run([berth_binary, "completion", shell], stdout=subprocess.PIPE, check=True).stdout
    assert target.read_bytes() == expected


def test_completion_file_flag_unwritable(berth_binary, tmp_path):
    result = subprocess.run([berth_binary, "completion", "--file", tmp_path / "no" / "such" / "dir", "bash"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    assert result.returncode == 125
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1


# Pages of other programs than berth, written by hand (berth-runtime's command line is not cli/'s).
HAND_WRITTEN = {"berth-runtime.1"}


def test_checked_in_man_pages_are_current(docgen, source_dir, tmp_path):
    checked_in = {p.name: p.read_bytes() for p in (source_dir / "man").glob("*.1") if p.name not in HAND_WRITTEN}
    assert checked_in, f"no man pages in {source_dir / 'man'}: run ninja update-docs"
    out = tmp_path / "man"
    out.mkdir()
    run([docgen, "man", out])
    generated = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(generated) == sorted(checked_in), "man/ has a different set of pages: run ninja update-docs"
    stale = [name for name in generated if generated[name] != checked_in[name]]
    assert not stale, f"stale man pages {stale}: run ninja update-docs"


def available_commands(help_output: str) -> list[str]:
    lines = help_output.splitlines()
    if "Available Commands:" not in lines:
        return []
    names = []
    for line in lines[lines.index("Available Commands:") + 1:]:
        if not line.startswith("  "):
            break
        names.append(line.split(None, 1)[0])
    return names


def test_one_man_page_per_command(berth_binary, source_dir, commands):
    expected = {"berth.1"}
    pending = [[name] for name in commands]
    while pending:
        path = pending.pop()
        expected.add("berth-" + "-".join(path) + ".1")
        sub_help = run([berth_binary, *path, "--help"]).stdout
        pending.extend(path + [name] for name in available_commands(sub_help))
    pages = {p.name for p in (source_dir / "man").glob("*.1")} - HAND_WRITTEN
    assert pages == expected
    assert "berth-image-inspect.1" in pages


def test_docgen_usage_error(docgen):
    result = subprocess.run([docgen], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    assert result.returncode != 0
    assert "usage" in result.stderr


# --------------------------------------------------------------------------
# Man pages render cleanly


def render_man(page: Path, tmp_path: Path) -> str:
    need("man")
    result = subprocess.run(["man", "--warnings", "-l", str(page)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, timeout=60, check=False,
                            env={"MANWIDTH": "80", "PATH": CLEAN_PATH, "HOME": str(tmp_path), "LANG": "C.UTF-8"})
    assert result.returncode == 0 and result.stderr == "", f"{page.name}: exit {result.returncode}\n{result.stderr}"
    assert result.stdout.strip(), f"{page.name} renders to nothing"
    # Depending on the locale groff may print hyphens and minus signs as Unicode characters.
    return result.stdout.replace("\u2010", "-").replace("\u2212", "-")


def test_man_pages_render_without_warnings(source_dir, tmp_path):
    pages = sorted((source_dir / "man").glob("*.1"))
    assert pages, "no man pages: run ninja update-docs"
    for page in pages:
        text = render_man(page, tmp_path)
        assert all(len(line) <= 80 for line in text.splitlines()), f"{page.name} is wider than MANWIDTH"


def test_berth_man_page_lists_every_command(source_dir, tmp_path, commands):
    text = render_man(source_dir / "man" / "berth.1", tmp_path)
    assert "berth - Manage containers and images without a daemon" in text
    for name, description in commands.items():
        assert f"berth-{name}(1)" in text, name
        assert description in text, name
    for flag in ("--root", "--runroot", "--storage-driver", "--log-level", "--version"):
        assert flag in text


def test_command_man_pages_match_help(berth_binary, source_dir, tmp_path, commands):
    for name, description in commands.items():
        text = render_man(source_dir / "man" / f"berth-{name}.1", tmp_path)
        assert f"berth-{name} - {description}" in text, name
        assert "berth(1)" in text, name
        help_text = run([berth_binary, name, "--help"]).stdout
        flags = set(re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", help_text, re.M)) - {"--help"}
        for flag in flags:
            assert flag in text, f"berth-{name}.1 lacks {flag}"


# --------------------------------------------------------------------------
# bash completion, called the way readline calls it


def bash_complete(source_dir: Path, env: dict, words: list[str], *, line: str | None = None,
                  cwd: Path | None = None) -> list[str]:
    """COMPREPLY of _berth for COMP_WORDS=words with the cursor at the end of the last word."""
    if not BASH_COMPLETION.is_file():
        pytest.skip("bash-completion is not installed")
    line = " ".join(words) if line is None else line
    cword = len(words) - 1
    script = "\n".join([
        f"source {BASH_COMPLETION}",
        f"source {shlex.quote(str(source_dir / 'completions' / 'berth.bash'))}",
        f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})",
        f"COMP_CWORD={cword}",
        f"COMP_LINE={shlex.quote(line)}",
        "COMP_POINT=${#COMP_LINE}",
        "COMP_TYPE=9",
        f"_berth berth {shlex.quote(words[cword])} {shlex.quote(words[cword - 1])}",
        "(( ${#COMPREPLY[@]} )) && printf '%s\\n' \"${COMPREPLY[@]}\"",
        "exit 0",
    ])
    result = run(["bash", "--norc", "--noprofile", "-c", script], env=env, cwd=cwd)
    assert result.stderr == ""
    return result.stdout.splitlines()


def test_bash_script_syntax(source_dir):
    run(["bash", "-n", source_dir / "completions" / "berth.bash"])


def test_bash_completes_command_prefix(source_dir, shell_env, commands):
    expected = sorted(name for name in commands if name.startswith("i"))
    assert "info" in expected
    assert sorted(bash_complete(source_dir, shell_env, ["berth", "i"])) == expected


def test_bash_completes_all_visible_commands(source_dir, shell_env, commands):
    assert sorted(bash_complete(source_dir, shell_env, ["berth", ""])) == sorted(commands)


def test_bash_completes_storage_driver_values(source_dir, shell_env):
    assert bash_complete(source_dir, shell_env, ["berth", "--storage-driver", ""]) == STORAGE_DRIVERS
    assert bash_complete(source_dir, shell_env, ["berth", "--storage-driver", "f"]) == ["fuse-overlayfs"]


def test_bash_completes_command_options(source_dir, shell_env):
    assert bash_complete(source_dir, shell_env, ["berth", "info", "--f"]) == ["--format"]
    assert bash_complete(source_dir, shell_env, ["berth", "--root", "/x", "info", "--f"]) == ["--format"]


def test_bash_completes_shells_and_files(source_dir, shell_env, tmp_path):
    assert bash_complete(source_dir, shell_env, ["berth", "completion", ""]) == ["bash", "zsh", "fish"]
    (tmp_path / "alpha.txt").write_text("")
    (tmp_path / "beta.txt").write_text("")
    got = bash_complete(source_dir, shell_env, ["berth", "completion", "-f", "al"], cwd=tmp_path)
    assert got == ["alpha.txt"]


def test_bash_completes_option_value_after_equals(source_dir, shell_env):
    # readline splits "--storage-driver=v" at '=' (it is in COMP_WORDBREAKS) and replaces only "v".
    got = bash_complete(source_dir, shell_env, ["berth", "--storage-driver", "=", "v"],
                        line="berth --storage-driver=v")
    assert got == ["vfs"]


# --------------------------------------------------------------------------
# Real interactive shells under tmux, pressing TAB


class TmuxShell:
    """An interactive shell in a private tmux server; the prompt must be "$ "."""

    def __init__(self, directory: Path, command: list[str], env: dict[str, str]):
        self.socket = directory / "tmux.sock"
        subprocess.run(["tmux", "-S", str(self.socket), "-f", "/dev/null", "new-session", "-d", "-x", "150",
                        "-y", "20", shlex.join(command)], env=env, check=True, timeout=10)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], stdout=subprocess.PIPE, text=True,
                              check=True, timeout=10).stdout

    def screen(self) -> list[str]:
        lines = [line.rstrip() for line in self.tmux("capture-pane", "-p").splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def wait(self, predicate, what: str, timeout: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n" + "\n".join(screen))
            time.sleep(0.05)

    def tab(self, text: str) -> str:
        """Type ``text`` on a fresh, cleared line, press TAB, and return the command line afterwards."""
        self.tmux("send-keys", "C-u", "C-l")
        self.wait(lambda s: s == ["$"], "an empty prompt")
        self.tmux("send-keys", "-l", text)
        typed = f"$ {text}".rstrip()
        self.wait(lambda s: s and s[-1] == typed, "the typed text")
        self.tmux("send-keys", "Tab")
        self.wait(lambda s: s and s[-1] != typed, "completion", timeout=10.0)
        time.sleep(0.2)  # let the shell finish redrawing
        return self.screen()[-1]

    def close(self) -> None:
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], stderr=subprocess.DEVNULL, check=False)


@pytest.fixture
def interactive_bash(source_dir, shell_env, tmp_path):
    need("tmux")
    if not BASH_COMPLETION.is_file():
        pytest.skip("bash-completion is not installed")
    rc = tmp_path / "bashrc"
    rc.write_text(f"PS1='$ '\nsource {BASH_COMPLETION}\n"
                  f"source {shlex.quote(str(source_dir / 'completions' / 'berth.bash'))}\n")
    shell = TmuxShell(tmp_path, ["bash", "--noprofile", "--rcfile", str(rc), "-i"], shell_env)
    try:
        shell.wait(lambda s: s and s[-1] == "$", "the bash prompt")
        yield shell
    finally:
        shell.close()


@pytest.fixture
def interactive_zsh(source_dir, shell_env, tmp_path):
    need("tmux")
    need("zsh")
    (tmp_path / ".zshrc").write_text(
        "PROMPT='$ '\nRPROMPT=''\nunsetopt prompt_sp\n"
        f"fpath=({shlex.quote(str(source_dir / 'completions'))} $fpath)\n"
        "autoload -Uz compinit && compinit -u -D\n")
    shell = TmuxShell(tmp_path, ["zsh", "-i"], {**shell_env, "ZDOTDIR": str(tmp_path)})
    try:
        shell.wait(lambda s: s and s[-1] == "$", "the zsh prompt")
        yield shell
    finally:
        shell.close()


def test_interactive_bash_tab(interactive_bash, commands):
    starting_with_i = [name for name in commands if name.startswith("i")]
    if starting_with_i == ["info"]:
        assert interactive_bash.tab("berth i") == "$ berth info"
    assert interactive_bash.tab("berth inf") == "$ berth info"
    assert interactive_bash.tab("berth info --fo") == "$ berth info --format"
    assert interactive_bash.tab("berth --storage-driver v") == "$ berth --storage-driver vfs"
    assert interactive_bash.tab("berth completion z") == "$ berth completion zsh"


def test_interactive_bash_tab_after_equals(interactive_bash):
    assert interactive_bash.tab("berth --storage-driver=v") == "$ berth --storage-driver=vfs"


def test_interactive_zsh_tab(interactive_zsh, commands):
    starting_with_i = [name for name in commands if name.startswith("i")]
    if starting_with_i == ["info"]:
        assert interactive_zsh.tab("berth i") == "$ berth info"
    assert interactive_zsh.tab("berth inf") == "$ berth info"
    assert interactive_zsh.tab("berth info --fo") == "$ berth info --format"
    assert interactive_zsh.tab("berth --storage-driver v") == "$ berth --storage-driver vfs"
    assert interactive_zsh.tab("berth --storage-driver=v") == "$ berth --storage-driver=vfs"


# --------------------------------------------------------------------------
# zsh and fish scripts


def test_zsh_script_syntax(source_dir):
    zsh = need("zsh")
    run([zsh, "-n", source_dir / "completions" / "_berth"])


def test_fish_script_syntax(source_dir):
    fish = need("fish")
    run([fish, "--no-execute", source_dir / "completions" / "berth.fish"])


def fish_complete(source_dir: Path, env: dict, line: str) -> list[str]:
    fish = need("fish")
    script = (f"source {shlex.quote(str(source_dir / 'completions' / 'berth.fish'))}; "
              f"complete --do-complete={shlex.quote(line)}")
    result = run([fish, "--no-config", "-c", script], env=env)
    assert result.stderr == ""
    return result.stdout.splitlines()


def test_fish_completes_commands_with_descriptions(source_dir, shell_env, commands):
    got = fish_complete(source_dir, shell_env, "berth i")
    assert sorted(got) == sorted(f"{name}\t{commands[name]}" for name in commands if name.startswith("i"))


def test_fish_completes_option_values(source_dir, shell_env):
    assert sorted(fish_complete(source_dir, shell_env, "berth --storage-driver ")) == sorted(STORAGE_DRIVERS)
    assert fish_complete(source_dir, shell_env, "berth --storage-driver=v") == ["--storage-driver=vfs"]
    got = fish_complete(source_dir, shell_env, "berth info --f")
    assert [line.split("\t")[0] for line in got] == ["--format"]


def test_cmake_install_puts_binary_man_pages_and_completions_in_place(berth_binary, source_dir, tmp_path):
    build_dir = Path(os.environ.get("BERTH_BUILD_DIR") or berth_binary.parent.parent)
    prefix = tmp_path / "prefix"
    result = run(["cmake", "--install", str(build_dir), "--prefix", str(prefix)])
    assert result.returncode == 0, result.stderr
    assert os.access(prefix / "bin" / "berth", os.X_OK)
    for page in (source_dir / "man").glob("*.1"):
        assert (prefix / "share" / "man" / "man1" / page.name).read_bytes() == page.read_bytes()
    completions = {
        "share/bash-completion/completions/berth": "berth.bash",
        "share/zsh/vendor-completions/_berth": "_berth",
        "share/fish/vendor_completions.d/berth.fish": "berth.fish",
    }
    for installed, checked_in in completions.items():
        assert (prefix / installed).read_bytes() == (source_dir / "completions" / checked_in).read_bytes()
    version = run([str(prefix / "bin" / "berth"), "--version"])
    assert version.stdout.startswith("berth version ")


def test_bash_completes_container_and_image_names(source_dir, shell_env, berth_root, registry, busybox_image):
    registry.push("busybox", "latest", busybox_image)
    reference = registry.reference("busybox")
    berth_root.run("pull", "-q", "--tls-verify=false", reference)
    berth_root.run("create", "--name", "web-one", reference, "true")
    root = str(berth_root.root)
    assert bash_complete(source_dir, shell_env, ["berth", "--root", root, "stop", "web"]) == ["web-one"]
    assert bash_complete(source_dir, shell_env, ["berth", "--root", root, "container", "rm", ""]) == ["web-one"]
    assert bash_complete(source_dir, shell_env, ["berth", "--root", root, "run", "--rm", "127"]) == [reference]
    # After the image come the container's command words: no names there.
    assert bash_complete(source_dir, shell_env, ["berth", "--root", root, "run", reference, "web"]) == []
    berth_root.run("rm", "web-one")
