"""Run the manual full release: check the tag, the workflow and its inputs through the API, dispatch the workflow
exactly once, follow its run job by job, and report what it published."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.commands.watch import FollowOptions, add_follow_arguments, client_on, drive
from releasekit.errors import UsageError
from releasekit.links import docs
from releasekit.output import say

if TYPE_CHECKING:
    from releasekit.backends.github import GitHub
    from releasekit.config.loader import Located
    from releasekit.steps.dispatch import DispatchPlan


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", help="the released version to build (1.4.0 or v1.4.0); its tag must be on GitHub")
    parser.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a workflow input; adds to or overrides release.full.inputs (repeatable)",
    )
    parser.add_argument("--ref", help="the branch or tag to run the workflow on (default: release.full.ref, the tag)")
    parser.add_argument("--dry-run", action="store_true", help="check everything and show the dispatch; send nothing")
    parser.add_argument("--no-watch", action="store_true", help="dispatch, print the run, and do not follow it")
    parser.add_argument(
        "--skip-sla-check",
        action="store_true",
        help="dispatch without the performance gate (the E2E run's results meeting `performance:`); it is printed",
    )
    parser.add_argument(
        "--find-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long to look for the run when the server does not return its id (default 120)",
    )
    add_follow_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from releasekit.config.loader import load
    from releasekit.plan import full_release_key
    from releasekit.steps.watch import Clock
    from releasekit.version import VersionError, parse_given, tag_for

    options = FollowOptions.from_args(args)
    if args.find_timeout <= 0:
        raise UsageError("--find-timeout must be positive")
    given = _parse_inputs(args.input)
    located = load(Path(args.directory) / args.config)
    config = located.config
    try:
        version = parse_given(args.version, config.versioning.scheme)
    except VersionError as exc:
        raise UsageError(str(exc)) from None
    key = full_release_key(config)
    if key is None:
        msg = (
            f"{located.file}: no workflow is the full release; set release.full.workflow to the key of the workflow "
            f"to dispatch, or build one from the `release-full` template ({docs('config.md', 'release')})"
        )
        raise UsageError(msg)
    tag = tag_for(version, config.project.tag_format)
    clock = args.clock or Clock()
    gh = client_on(clock, config.project.repository, needs="dispatch, follow, re-run and cancel workflow runs in")
    print(f"releasekit release-full {version} ({config.project.repository})")
    plan = _check(located, gh, key, str(version), tag, ref_arg=args.ref, given=given)
    _sla_gate(located, gh, tag, skip=args.skip_sla_check, now=clock.time())
    if args.dry_run:
        print("Dry run: nothing was dispatched. The dispatch would send:")
        print(f"  POST /repos/{gh.repository}/actions/workflows/{plan.workflow}/dispatches")
        print(f"  ref {plan.ref}; inputs: {plan.inputs_text}")
        if plan.correlation_id:
            print("  (the correlation id is new for each dispatch)")
        return 0
    from releasekit.steps.dispatch import dispatch_run

    started = time.perf_counter()
    finding = clock.polling(min(options.poll, 2.0))
    dispatched = dispatch_run(gh, plan, clock=finding, timeout=args.find_timeout, report=say)
    took = time.perf_counter() - started
    say("dispatch", f"run {dispatched.run_id} ({dispatched.how}, {took:.2f} s): {dispatched.html_url}")
    if args.no_watch:
        print(f"Dispatched. Follow it with `releasekit watch {dispatched.run_id}`.")
        return 0
    return drive(gh, config, dispatched.run_id, options, tag=tag, clock=clock)


def _sla_gate(located: Located, gh: GitHub, tag: str, *, skip: bool, now: float) -> None:
    """The performance gate on the tagged commit, as `releasekit release` checks it before it tags."""
    from releasekit.backends.git import Git
    from releasekit.sla.gate import find_evidence
    from releasekit.sla.targets import gate_of
    from releasekit.steps.dispatch import DispatchError

    gate = gate_of(located.config)
    if gate is None:
        return
    if skip:
        say("sla", "NOT CHECKED (--skip-sla-check): no performance evidence required")
        return
    if gate.settings is None:
        raise DispatchError(f"{gate.problem}; or pass --skip-sla-check")
    git = Git(located.root)
    commit = git.rev(tag)
    if commit is None:
        msg = f"tag {tag} is not in this clone, so its performance evidence cannot be found: `git fetch --tags`"
        raise DispatchError(msg)
    outcome = find_evidence(gh, git, commit, gate.targets, gate.settings, now=now)
    if not outcome.ok:
        raise DispatchError(f"performance gate: {outcome.detail}\n  fix: {outcome.fix}")
    say("sla", outcome.detail)


def _parse_inputs(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--input {pair!r}: write NAME=VALUE, e.g. --input channel=stable")
        out[name.strip()] = value
    return out


def _check(
    located: Located, gh: GitHub, key: str, version: str, tag: str, *, ref_arg: str | None, given: dict[str, str]
) -> DispatchPlan:
    """Everything that must hold before the dispatch, checked through the API; a failure dispatches nothing."""
    from releasekit.backends import actions
    from releasekit.steps.dispatch import DispatchError, as_text, declared_inputs, plan_dispatch

    config = located.config
    file_name = config.workflows[key].file_name(key)
    full = config.release.full
    ref = ref_arg or full.ref.replace("{tag}", tag).replace("{version}", version)
    remote = gh.tag_object(tag)
    if remote is None:
        msg = (
            f"tag {tag} is not on GitHub ({gh.repository}): release-full builds a released version. "
            f"Cut it first with `releasekit release {version}`, or push the tag (`git push origin {tag}`)"
        )
        raise DispatchError(msg)
    say("tag", f"{tag} is on GitHub ({remote[:12]})")
    info = actions.workflow(gh, file_name)
    if info.state != "active":
        msg = (
            f"workflow {info.path} is {info.state} on GitHub; enable it (the Actions tab, or "
            f"`gh workflow enable {file_name}`)"
        )
        raise DispatchError(msg)
    text = actions.file_at(gh, info.path, ref)
    if text is None:
        if ref_arg:
            msg = (
                f"{info.path} is not at --ref {ref} on GitHub: check that {ref} is a branch or tag there, with the file"
            )
        else:
            msg = (
                f"{info.path} does not exist at {ref} on GitHub; the workflow runs as it is at the ref, so it must be "
                "in the tagged commit (or pass --ref BRANCH to run it from a branch that has it)"
            )
        raise DispatchError(msg)
    declared = declared_inputs(text, f"{info.path} at {ref}")
    # `{version}` can only stand in a string; a boolean or a number reads "true" or "7" either way.
    configured = {name: as_text(value).replace("{version}", version) for name, value in full.inputs.items()}
    plan, problems = plan_dispatch(
        workflow=file_name,
        path=info.path,
        ref=ref,
        declared=declared,
        configured=configured,
        given=given,
        version=version,
    )
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise DispatchError(f"the dispatch of {file_name} would be refused; nothing was dispatched:\n{listing}")
    say("workflow", f"{info.path} at {ref} has workflow_dispatch; {len(declared or {})} inputs declared")
    say("inputs", plan.inputs_text)
    return plan
