"""What the config means, beyond what is refused: empty sections, booleans, secrets anywhere, services and assets."""

from __future__ import annotations

import random
import shutil
import string
from pathlib import Path

import pytest
import yaml
from conftest import copy_example, run_releasekit

from releasekit.config.loader import parse
from releasekit.errors import ConfigError

BASE = """project: {name: demo, repository: acme/demo}
machines:
  linux: {runner: ubuntu-24.04, python: "3.12"}
workflows:
  test-suite:
    triggers:
      push: {branches: [main]}
      pull_request:
      workflow_dispatch:
    machines: [linux]
"""


def generate(tmp_path: Path, config: str) -> Path:
    root = copy_example("minimal", tmp_path)
    shutil.rmtree(root / ".github")
    (root / "releasekit.yaml").write_text(config)
    result = run_releasekit("workflows", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


def workflow(root: Path, name: str) -> dict[object, object]:
    loaded = yaml.safe_load((root / ".github/workflows" / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_an_empty_trigger_section_means_on_with_defaults(tmp_path: Path) -> None:
    root = generate(tmp_path, BASE)
    assert workflow(root, "test-suite.yml")[True] == {
        "push": {"branches": ["main"]},
        "pull_request": {},
        "workflow_dispatch": {},
    }


def test_boolean_values_where_the_model_allows_them(tmp_path: Path) -> None:
    config = (
        BASE.replace(
            "      workflow_dispatch:\n",
            "      workflow_dispatch:\n        inputs:\n          dry-run: {type: boolean, default: true}\n",
        )
        + "    steps:\n      setup:\n        - uses: actions/setup-node\n          with: {check-latest: true}\n"
    )
    root = generate(tmp_path, config)
    doc = workflow(root, "test-suite.yml")
    on = doc[True]
    assert isinstance(on, dict)
    assert on["workflow_dispatch"]["inputs"]["dry-run"]["default"] is True
    text = (root / ".github/workflows/test-suite.yml").read_text()
    assert "check-latest: true" in text


def fake_token() -> str:
    return "ghp_" + "".join(random.Random(5).choices(string.ascii_letters + string.digits, k=36))


@pytest.mark.parametrize(
    ("where", "line", "column"),
    [
        ("    name: {token}\n", 11, 11),
        ("    timeout-minutes: 10\n    file: x.yml\n    template: test-suite\n    name: 'Deploy {token}'\n", 14, 11),
    ],
)
def test_a_secret_in_any_text_field_is_refused_at_its_line(where: str, line: int, column: int) -> None:
    token = fake_token()
    with pytest.raises(ConfigError) as caught:
        parse(BASE + where.format(token=token), "releasekit.yaml", Path())
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (line, column)
    assert "GitHub personal access token" in problem.message
    assert token not in str(caught.value)


def test_a_secret_in_a_machine_description_is_refused() -> None:
    config = BASE.replace('python: "3.12"}', f'python: "3.12", role: "token {fake_token()}"}}')
    with pytest.raises(ConfigError) as caught:
        parse(config, "releasekit.yaml", Path())
    assert caught.value.problems[0].line == 3
    assert "machines.linux.role: this value looks like a GitHub personal access token" in str(caught.value)


def test_a_schedule_more_often_than_every_5_minutes_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        parse(BASE.replace("      pull_request:\n", "      schedule: ['*/2 * * * *']\n"), "releasekit.yaml", Path())
    assert "runs more often than every 5 minutes" in str(caught.value)
    assert caught.value.problems[0].line == 8


def test_services_on_a_template_that_does_not_start_them_is_an_error(tmp_path: Path) -> None:
    root = copy_example("minimal", tmp_path)
    config = root / "releasekit.yaml"
    text = config.read_text().replace(
        "    machines: [linux]\n    steps:", "    machines: [linux]\n    services: [api]\n    steps:", 1
    )
    config.write_text(text + "services:\n  api: {port: 8000, start: python -m api}\n")
    result = run_releasekit("workflows", cwd=root)
    assert result.returncode == 2
    assert "workflows.test-suite.services: built-in template 'test-suite' does not start services" in result.stderr


def test_release_attaches_assets_only_when_it_builds_them(tmp_path: Path) -> None:
    root = copy_example("fluxion", tmp_path)
    release = (root / ".github/workflows/release.yml").read_text()
    assert "Keep the release assets" not in release  # no build steps: release-full makes the installers
    assert "Keep the release assets" in (root / ".github/workflows/release-full.yml").read_text()
    config = root / "releasekit.yaml"
    config.write_text(
        config.read_text().replace(
            "    machines: [ubuntu]\n\n  release-full:",
            "    machines: [ubuntu]\n    steps:\n      build: [npm run tauri build]\n\n  release-full:",
        )
    )
    assert run_releasekit("workflows", cwd=root).returncode == 0
    assert "Keep the release assets" in (root / ".github/workflows/release.yml").read_text()


def test_an_index_other_than_pypi_uploads_with_twine_and_its_secret(tmp_path: Path) -> None:
    root = copy_example("minimal", tmp_path)
    config = root / "releasekit.yaml"
    config.write_text(
        config.read_text().replace(
            "publish:\n  python: {path: .}",
            "env: {secrets: [INDEX_TOKEN]}\npublish:\n  python: {path: ., index: 'https://pypi.example.org/legacy/', "
            "token-secret: INDEX_TOKEN, environment: internal-index}",
        )
    )
    result = run_releasekit("workflows", cwd=root)
    assert result.returncode == 0, result.stderr
    jobs = workflow(root, "release.yml")["jobs"]
    assert isinstance(jobs, dict)
    upload = jobs["python-index"]
    assert upload["environment"] == {"name": "internal-index"}
    assert upload["permissions"] == {"contents": "read"}
    steps = {step["name"]: step for step in upload["steps"]}
    assert steps["Set up Python"]["uses"].startswith("actions/setup-python@")
    # releasekit publish reads the secret that token-secret names; the job has no OIDC token to trade.
    uploading = steps["Upload to https://pypi.example.org/legacy/"]
    assert uploading["env"]["INDEX_TOKEN"] == "${{ secrets.INDEX_TOKEN }}"
    assert 'releasekit publish "$TAG" --index-only --dist python-dist/' in uploading["run"]


def test_the_render_cache_follows_a_config_in_a_subdirectory(tmp_path: Path) -> None:
    root = copy_example("minimal", tmp_path)
    (root / "ci").mkdir()
    for name in ("releasekit.yaml", "releasekit.lock"):
        (root / name).rename(root / "ci" / name)
    assert run_releasekit("--config", "ci/releasekit.yaml", "workflows", cwd=root).returncode == 0
    assert run_releasekit("--config", "ci/releasekit.yaml", "workflows", "--check", cwd=root).returncode == 0
    lock = root / "ci/releasekit.lock"
    lock.write_text(lock.read_text().replace("3d3c42e5aac5ba805825da76410c181273ba90b1", "f" * 40))
    result = run_releasekit("--config", "ci/releasekit.yaml", "workflows", "--check", cwd=root)
    assert result.returncode == 1, result.stdout
    assert "+        uses: actions/checkout@" + "f" * 40 in result.stdout


def test_schema_to_an_unwritable_path_is_a_clear_error(tmp_path: Path) -> None:
    result = run_releasekit("schema", "-o", str(tmp_path / "missing/dir/schema.json"), cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_a_secret_used_as_a_key_is_refused_without_repeating_it() -> None:
    token = fake_token()
    for config in (BASE + f"publish:\n  {token}: {{x: 5}}\n", BASE + f"env:\n  values:\n    {token}: hello\n"):
        with pytest.raises(ConfigError) as caught:
            parse(config, "releasekit.yaml", Path())
        assert "this key looks like a GitHub personal access token" in str(caught.value)
        assert token not in str(caught.value)


def test_a_secret_under_a_secret_like_with_input_is_refused() -> None:
    value = "".join(random.Random(9).choices(string.ascii_letters + string.digits, k=32))
    config = (
        BASE + f"    steps:\n      setup:\n        - uses: actions/setup-node\n          with: {{token: {value}}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        parse(config, "releasekit.yaml", Path())
    assert "workflows.test-suite.steps.setup[0].with.token: this value" in str(caught.value)
    assert value not in str(caught.value)


def test_an_empty_publish_python_is_not_a_request_to_publish() -> None:
    located = parse(BASE + "publish:\n  python:\n", "releasekit.yaml", Path())
    assert located.config.publish.python is None


@pytest.mark.parametrize(
    ("cron", "refused"),
    [("2,58 3 * * 1-5", False), ("58 3 * * *", False), ("0,3 * * * *", True), ("*/4 * * * *", True)],
)
def test_the_5_minute_floor_looks_at_the_times_of_day(cron: str, refused: bool) -> None:
    config = BASE.replace("      pull_request:\n", f"      schedule: ['{cron}']\n")
    if refused:
        with pytest.raises(ConfigError):
            parse(config, "releasekit.yaml", Path())
    else:
        parse(config, "releasekit.yaml", Path())


def test_init_in_a_directory_with_a_non_ascii_name(tmp_path: Path) -> None:
    root = tmp_path / "café"
    root.mkdir()
    result = run_releasekit("init", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "name: caf\n" in (root / "releasekit.yaml").read_text()
