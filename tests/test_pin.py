"""`releasekit pin`: every action the generated workflows use, pinned through the API to the commit its version
names (lightweight, annotated and moving tags, branches), checked (`--check`) and moved to the newest release
(`--update`), against a sandbox that hosts the actions' repositories."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SharedSandboxes, copy_example, git, isolate_git, run_releasekit, snapshot

from releasekit.lock import LOCK_NAME, Lock, Pin
from releasekit.pinning import Newest, Target, newest, newest_tag, target, workflow_mismatches
from releasekit.sandbox.app import Sandbox

# The versions the test's lock asks for, one of each kind: an annotated tag (for actions/checkout), a moving major
# tag, a branch, and a lightweight tag (every other action the templates use).
ANNOTATED, MOVING, BRANCH, LIGHTWEIGHT = "v1.1.0", "v1", "stable", "v1.0.0"
STALE_SHA = "1" * 40  # a well-formed SHA that is no commit of the sandbox: what `pin` must replace
# A section of the lock that `pin` does not manage (the Python tools'): kept as it is when the lock is rewritten.
PYTHON_SECTION = {
    "release": {
        "requires": ["twine>=6.1"],
        "packages": {"twine": {"version": "6.1.0", "hashes": ["sha256:" + "0" * 64]}},
    }
}


@dataclass
class World:
    hub: Sandbox
    needed: list[str]  # every action the minimal example's workflows use, read from them (not a list kept here)
    commits: list[str]  # c1..c4 of every action repository (all are seeded from one history)
    tag_object: str  # the SHA of the annotated tag v1.1.0's tag object (not a commit)
    shared: SharedSandboxes


def _actions_in_generated_workflows(project: Path) -> list[str]:
    """The action repositories the example's workflows use, from rendering it with its own lock: the templates
    decide at run time (another change may add or remove an action), and this set does not come from `pinning`."""
    from releasekit.config.loader import load
    from releasekit.lock import load_lock
    from releasekit.render.engine import render

    located = load(project / "releasekit.yaml")
    texts = "".join(o.text for o in render(located, load_lock(located.root)))
    return sorted({"/".join(u.split("/")[:2]) for u in re.findall(r"uses: ([^@\s]+)@", texts)})


def _seed(root: Path) -> tuple[list[str], str]:
    """An action's history: c1 `v1.0.0` (lightweight); c2 `v1.1.0` (annotated) and the moving major tag `v1`;
    c3 `v2.0.0`; c4 `v2.1.0` (annotated, the highest version tag), the head of `main` and of the branch `stable`."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commits = []
    for n in range(1, 5):
        (root / "action.yml").write_text(f"name: test action\nruns: {{using: node20, main: index{n}.js}}\n")
        git(root, "add", "action.yml")
        git(root, "commit", "-q", "-m", f"c{n}")
        commits.append(git(root, "rev-parse", "HEAD"))
    git(root, "tag", "v1.0.0", commits[0])
    git(root, "tag", "-a", "-m", "v1.1.0", "v1.1.0", commits[1])
    git(root, "tag", "v1", commits[1])
    git(root, "tag", "v2.0.0", commits[2])
    git(root, "tag", "-a", "-m", "v2.1.0", "v2.1.0", commits[3])
    git(root, "branch", "stable", commits[3])
    return commits, git(root, "rev-parse", "refs/tags/v1.1.0")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    shared = SharedSandboxes(tmp_path_factory)
    with pytest.MonkeyPatch.context() as patch:
        isolate_git(tmp_path_factory, patch)
        try:
            base = tmp_path_factory.mktemp("pin")
            needed = _actions_in_generated_workflows(copy_example("minimal", base))
            commits, tag_object = _seed(base / "seed")
            hub = shared.sandbox()
            for action in needed:
                hub.create_repo(action, seed=base / "seed")
            # actions/checkout has a release, v2.0.0: --update takes it over the higher tag v2.1.0, which has none.
            checkout = hub.github().get_repo("actions/checkout")
            checkout.create_git_release("v2.0.0", "v2.0.0", "", draft=False)
            yield World(hub, needed, commits, tag_object, shared)
        finally:
            shared.close()


@pytest.fixture
def project(world: World, tmp_path: Path) -> Iterator[Path]:
    """The minimal example with a lock of stale SHAs: actions/checkout at the annotated tag, the next action at the
    moving major tag, the next at a branch, the rest at a lightweight tag; and a section `pin` does not manage."""
    root = copy_example("minimal", tmp_path)
    others = [a for a in world.needed if a != "actions/checkout"]
    versions = {"actions/checkout": ANNOTATED, **dict(zip(others, [MOVING, BRANCH], strict=False))}
    actions = {a: {"version": versions.get(a, LIGHTWEIGHT), "sha": STALE_SHA} for a in world.needed}
    lock = {"about": "test", "lock-version": 1, "actions": actions, "python": PYTHON_SECTION}
    (root / LOCK_NAME).write_text(json.dumps(lock, indent=2) + "\n")
    yield root
    world.shared.check()


def pin(world: World, root: Path, *args: str) -> tuple[int, str, str]:
    done = run_releasekit("pin", *args, cwd=root, env=world.hub.env())
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


def locked(root: Path) -> dict[str, dict[str, str]]:
    actions: dict[str, dict[str, str]] = json.loads((root / LOCK_NAME).read_text())["actions"]
    return actions


def test_pin_resolves_every_kind_of_version_to_its_commit(world: World, project: Path) -> None:
    c1, c2, _, c4 = world.commits
    assert "actions/checkout" in world.needed and len(world.needed) >= 3

    code, out, err = pin(world, project)

    assert (code, err) == (0, ""), err
    lock = locked(project)
    assert sorted(lock) == world.needed  # exactly what the workflows use, in a stable (sorted) order
    # The annotated tag is peeled: the commit, not the tag object its ref names.
    assert lock["actions/checkout"] == {"version": ANNOTATED, "sha": c2}
    assert world.tag_object != c2
    expected = {MOVING: c2, BRANCH: c4, LIGHTWEIGHT: c1}
    assert all(entry["sha"] == expected[entry["version"]] for a, entry in lock.items() if a != "actions/checkout")
    # The section pin does not manage is kept, and the lock reads back.
    text = (project / LOCK_NAME).read_text()
    assert json.loads(text)["python"] == PYTHON_SECTION
    assert f"{c2[:12]}" in out and "(v1.1.0 names another commit now)" in out
    assert "Run `releasekit workflows`" in out
    # A second run finds nothing to change and writes nothing.
    before = snapshot(project)
    code, out, _ = pin(world, project)
    assert code == 0 and "is up to date" in out and out.count("unchanged") == len(world.needed)
    assert snapshot(project) == before
    # The workflows take the pins, and then lock, workflows and API agree.
    assert run_releasekit("workflows", cwd=project).returncode == 0
    workflows = "".join(p.read_text() for p in (project / ".github/workflows").glob("*.yml"))
    assert f"actions/checkout@{c2} # {ANNOTATED}" in workflows
    code, out, _ = pin(world, project, "--check")
    assert code == 0 and "the generated workflows agree with it" in out


def test_check_names_a_tampered_lock_a_moved_tag_and_stale_workflows(world: World, project: Path) -> None:
    c1, c2, c3, _ = world.commits
    assert pin(world, project)[0] == 0
    assert run_releasekit("workflows", cwd=project).returncode == 0
    moving = next(a for a, e in locked(project).items() if e["version"] == MOVING)
    # Someone edits the lock: actions/checkout's SHA is now another (real) commit of the action.
    data = json.loads((project / LOCK_NAME).read_text())
    data["actions"]["actions/checkout"]["sha"] = c1
    (project / LOCK_NAME).write_text(json.dumps(data, indent=2) + "\n")
    # And the action's owner moves its major tag (the sandbox's API, as on GitHub).
    world.hub.github().get_repo(moving).get_git_ref("tags/v1").edit(c3, force=True)
    try:
        before = snapshot(project)
        code, out, _ = pin(world, project, "--check")
        assert snapshot(project) == before  # nothing written
    finally:
        world.hub.github().get_repo(moving).get_git_ref("tags/v1").edit(c2, force=True)
    assert code == 1
    assert f"actions/checkout: {ANNOTATED} names {c2} on GitHub, but the lock has {c1}" in out
    assert "restore it from git" in out
    assert f"{moving}: v1 names {c3} on GitHub, but the lock has {c2}" in out
    # The generated workflows still say c2 for checkout: each such line is named, with the fix.
    stale = [line for line in out.splitlines() if line.startswith(".github/workflows/")]
    assert stale and all("actions/checkout@" in line and "run `releasekit workflows`" in line for line in stale)
    assert out.rstrip().endswith("nothing was written.")


def test_update_moves_to_the_latest_release_else_the_highest_version_tag(world: World, project: Path) -> None:
    _, _, c3, c4 = world.commits
    before = locked(project)

    code, out, _ = pin(world, project, "--update")

    assert code == 0
    lock = locked(project)
    # actions/checkout has a release (v2.0.0): taken over the higher tag v2.1.0, which has none.
    assert lock["actions/checkout"] == {"version": "v2.0.0", "sha": c3}
    assert all(e == {"version": "v2.1.0", "sha": c4} for a, e in lock.items() if a != "actions/checkout")
    assert re.search(rf"actions/checkout +{ANNOTATED} 111111111111 -> v2\.0\.0 {c3[:12]} +\(latest release\)", out)
    assert "(highest version tag, no release; annotated tag)" in out
    assert len(out.splitlines()) == len(before) + 1 and "Run `releasekit workflows`" in out
    # The workflows generated before are now out of date with the lock, and say why.
    checked = run_releasekit("workflows", "--check", cwd=project)
    assert checked.returncode == 1 and "out of date" in checked.stdout


def test_an_action_the_workflows_use_but_the_lock_lacks_is_added_at_its_newest_release(
    world: World, project: Path
) -> None:
    _, _, c3, _ = world.commits
    data = json.loads((project / LOCK_NAME).read_text())
    del data["actions"]["actions/checkout"]
    (project / LOCK_NAME).write_text(json.dumps(data, indent=2) + "\n")
    code, out, _ = pin(world, project, "--check")
    assert code == 1 and "actions/checkout: the generated workflows use it, but it is not pinned" in out

    code, out, _ = pin(world, project)

    assert code == 0 and locked(project)["actions/checkout"] == {"version": "v2.0.0", "sha": c3}
    assert re.search(
        r"actions/checkout +added: v2\.0\.0 \w{12} +\(latest release; the generated workflows use it\)", out
    )


def test_a_missing_repository_or_version_is_named_and_nothing_is_written(world: World, project: Path) -> None:
    data = json.loads((project / LOCK_NAME).read_text())
    data["actions"]["actions/checkout"]["version"] = "v9.9.9"
    data["actions"]["nobody/missing-action"] = {"version": "v1.0.0", "sha": STALE_SHA}
    (project / LOCK_NAME).write_text(json.dumps(data, indent=2) + "\n")
    before = snapshot(project)

    code, _, err = pin(world, project)

    assert code == 1 and snapshot(project) == before
    assert "actions/checkout v9.9.9: no tag or branch 'v9.9.9' in actions/checkout" in err
    assert "`releasekit pin --update`" in err
    assert "nobody/missing-action: no such repository on" in err
    assert err.rstrip().endswith(f"Nothing was written to {LOCK_NAME}.")
    # --check names the same two, and writes nothing either.
    code, out, _ = pin(world, project, "--check")
    assert code == 1 and snapshot(project) == before
    assert "v9.9.9" in out and "nobody/missing-action: no such repository" in out


def test_an_exhausted_rate_limit_is_a_clear_error(world: World, project: Path) -> None:
    before = snapshot(project)
    world.hub.limits.set("user", remaining=0)
    try:
        code, _, err = pin(world, project)
    finally:
        world.hub.limits.set("user", remaining=world.hub.limits.limit)
    assert code == 1 and snapshot(project) == before
    assert "rate limit is exhausted" in err and world.needed[0] in err, err


def test_no_token_is_a_clear_error(world: World, project: Path) -> None:
    done = run_releasekit(
        "pin", cwd=project, env={"GITHUB_API_URL": world.hub.api_url, "GITHUB_TOKEN": "", "GH_TOKEN": ""}
    )
    assert done.returncode == 1 and "no GitHub token: set GITHUB_TOKEN" in done.stderr


# -- the rules, without I/O -----------------------------------------------------------------------------------------


def test_the_newest_version_is_the_latest_release_else_the_highest_release_tag() -> None:
    tags = ["v1", "v1.10.0", "v1.9.0", "v2.0.0-beta.1", "stable", "1.10.0", "v10", "2026.08.17"]
    assert newest_tag(tags) == "2026.08.17"
    assert newest_tag(tags[:-1]) == "v1.10.0"  # 1.10.0 and v1.10.0 tie: the choice is stable
    assert newest_tag(["v4", "main", "v5.0.0-rc.1"]) is None
    assert newest("v1.2.0", ["v9.0.0"]) == Newest("v1.2.0", "latest release")
    current = Pin("dtolnay/rust-toolchain", "stable", STALE_SHA)
    none = newest(None, ["stable-branch"])
    # An action followed by branch, with nothing to move to, keeps its branch (whose head moves).
    assert target(current.action, current, none, update=True) == Target(
        current.action, "stable", "no release and no version tag: kept stable"
    )
    assert "add it to releasekit.lock" in str(target("a/b", None, none, update=False))
    assert target(current.action, current, None, update=False) == Target(current.action, "stable", "the lock's version")


def test_workflow_lines_that_disagree_with_the_lock_are_named() -> None:
    sha, other = "a" * 40, "b" * 40
    lock = Lock(LOCK_NAME, {"actions/cache": Pin("actions/cache", "v5.0.5", sha)})
    files = {
        "w.yml": f"      - uses: actions/cache/save@{sha} # v5.0.5\n"
        f"        uses: actions/cache@{sha} # v5.0.4\n"
        f"        uses: actions/cache@{other} # v5.0.5\n"
        f"        uses: other/action@{sha} # v1\n"
        "        run: echo uses: actions/cache@v5\n"
        f"        uses: actions/cache@{sha} # v5.0.4\n"
    }
    found = [str(m) for m in workflow_mismatches(lock, files)]
    assert [f.split(": ")[0] for f in found] == ["w.yml:2", "w.yml:3", "w.yml:4"]
    assert "actions/cache@aaaaaaaaaaaa # v5.0.4 (also line 6), but releasekit.lock has v5.0.5" in found[0]
    assert "does not pin" in found[2]
