"""The command line's front door, in-process: argparse alone chooses the command, help works, errors exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_example

from releasekit import __version__
from releasekit.cli import COMMANDS, main, parse_args


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        # A global option's value that names a command is a value, not the command (issue 11).
        (["-C", "watch", "schema"], {"command": "schema", "directory": "watch"}),
        (["--config", "runs", "schema"], {"command": "schema", "config": "runs"}),
        (
            ["--directory", "release", "--config", "publish", "runs"],
            {"command": "runs", "directory": "release", "config": "publish"},
        ),
        (["-Cwatch", "schema"], {"command": "schema", "directory": "watch"}),
        (["-C=x", "schema"], {"command": "schema", "directory": "x"}),
        (["--config=path", "schema"], {"command": "schema", "config": "path"}),
        (["--config=watch", "schema"], {"command": "schema", "config": "watch"}),
        (["--conf", "watch", "schema"], {"command": "schema", "config": "watch"}),  # argparse's abbreviations
        # Options and arguments after the command belong to it, even when they name another command.
        (["schema", "-o", "watch"], {"command": "schema", "output": "watch", "directory": "."}),
        (["runs", "watch", "--limit", "3"], {"command": "runs", "workflow": "watch", "limit": 3}),
        (["watch", "42", "--poll", "2"], {"command": "watch", "run_id": 42, "poll": 2.0}),
        (["release", "minor", "--pre", "rc", "--dry-run"], {"command": "release", "version": "minor", "pre": "rc"}),
    ],
)
def test_argparse_chooses_the_command(argv: list[str], expected: dict[str, object]) -> None:
    args = parse_args(argv)
    assert {key: getattr(args, key) for key in expected} == expected
    for key, default in {"directory": ".", "config": "releasekit.yaml"}.items():
        if key not in expected:
            assert getattr(args, key) == default


@pytest.mark.parametrize("argv", [["-C", "watch", "schema"], ["--config", "runs", "schema"], ["-C=watch", "schema"]])
def test_an_option_value_naming_a_command_runs_the_real_command(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`releasekit -C watch schema` used to import `watch`'s options only and crash with an internal error."""
    from releasekit.config.schema import schema_text

    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out == schema_text()
    assert err == ""
    assert json.loads(out)["title"] == "releasekit.yaml"


def test_relative_directory_and_config_name_a_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory named like a command and a config named like one: `workflows` renders from both."""
    project = copy_example("fluxion", tmp_path).rename(tmp_path / "watch")
    (project / "releasekit.yaml").rename(project / "runs")
    monkeypatch.chdir(tmp_path)
    assert main(["-C", "watch", "--config", "runs", "workflows"]) == 0
    out = capsys.readouterr().out
    assert "release.yml" in out
    assert (project / ".github/workflows/release.yml").is_file()
    assert main(["-C=watch", "--config=runs", "workflows", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["relase", "1.0.0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument COMMAND: invalid choice: 'relase'" in err
    assert "'release'" in err


@pytest.mark.parametrize("argv", [[], ["-C", "watch"], ["--config", "schema"], ["-C", "schema", "--config", "runs"]])
def test_no_command(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """An option's value is never taken for the command, so these name none."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: releasekit ")
    assert "the following arguments are required: COMMAND" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["schema", "--check"], "unrecognized arguments: --check"),  # another command's option
        (["schema", "-C", "x"], "unrecognized arguments: -C x"),  # global options go before the command
        (["watch", "--poll"], "argument --poll: expected one argument"),
        (["watch"], "the following arguments are required: RUN_ID"),
        (["--bogus", "schema"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and "internal error" not in err


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: releasekit [-h] [--version] [-C DIR] [--config PATH] COMMAND ...")
    for name in COMMANDS:
        assert f"\n    {name} " in out, name


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each command's page: its usage, its module's description and its own options (not an empty parser's)."""
    import importlib

    module = importlib.import_module(f"releasekit.commands.{COMMANDS[name][0]}")
    with pytest.raises(SystemExit) as exit_info:
        main(["-C", "watch", name, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: releasekit {name} [-h]")
    assert "-h, --help  " in out
    assert (module.__doc__ or "").split()[0] in out
    assert out.count("\n") > 5


def test_command_help_shows_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--config", "runs", "watch", "--help"])
    out = capsys.readouterr().out
    assert "--rerun-failed" in out and "RUN_ID" in out
    assert "--limit" not in out  # runs' option, not watch's


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["-C", "watch", "--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"releasekit {__version__}\n"


def test_only_the_chosen_command_is_imported() -> None:
    """Start-up stays lazy (BENCHMARKS.md): parsing `-C watch workflows --check` imports `workflows`' module, not
    `watch`'s, and not `typing` either (~2.5 ms of every start)."""
    code = (
        "import sys; from releasekit.cli import parse_args;"
        "parse_args(['-C', 'watch', '--config', 'runs', 'workflows', '--check']);"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('releasekit.commands') or m == 'typing')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["releasekit.commands", "releasekit.commands.workflows"]
