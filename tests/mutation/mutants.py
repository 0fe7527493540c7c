"""Mutation testing of parbench's numerical core with cosmic-ray (`make mutants`).

For each module of tests/mutation/modules.toml, cosmic-ray changes one thing at a time (an
operator, a comparison, a constant, a loop that never runs, ...) and runs the tests listed for the
module; a mutant the tests notice is *killed*, one they do not *survived*. Survivors judged
equivalent (no output can change) are listed with the reason in tests/mutation/equivalent.toml.
The result goes to docs/mutation.md.

cosmic-ray writes each mutant into the source file it tests, so the run works on copies of the
tree in .mutants/ (one per parallel lane), never on your checkout: with PYTHONPATH pointing at the
copy, every process a test starts (pool workers, MPI ranks, Dask workers, Spark's Python workers)
imports the mutant.

    python tests/mutation/mutants.py                         # every module, 2 lanes
    python tests/mutation/mutants.py scripts/parbench/results/verify.py --lanes 1
    python tests/mutation/mutants.py --report-only           # docs/mutation.md from the last runs

Each module's last run is kept in tests/mutation/results/ (committed), so the page shows every
module's latest result even when a run covers only some of them.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# Where sessions and tree copies go; --work moves it (the suite's own check of this tool does).
WORK = ROOT / ".mutants"
# Each module's last run, committed: the page is written from these (--records moves them).
RECORDS = HERE / "results"
BIN = Path(sys.executable).parent
# Replacements left out, with the reason (docs/mutation.md repeats it): on numbers, bitwise,
# shift and power operators and identity or membership tests mostly raise a TypeError at once or
# never end (a power of large integers), and cosmic-ray's variable inserter and replacer make
# dozens of mutants a line that mostly fail with a NameError. They cost hours and say little.
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_\w+_(Pow|RShift|LShift|BitOr|BitAnd|BitXor)$",
    r"core/ReplaceComparisonOperator_\w+_(Is|IsNot|In|NotIn)$",
    r"core/Variable(Inserter|Replacer)$",
]
TARGET = 0.90


@dataclass
class Module:
    path: str
    tests: list[str]
    # The functions that belong to the numerical core (None: the whole module); a module-level
    # constant is named as itself (RELATIVE_TOLERANCE), other module-level code as "<module>".
    functions: list[str] | None = None

    @property
    def slug(self) -> str:
        return self.path.removeprefix("scripts/parbench/").removesuffix(".py").replace("/", ".")


@dataclass
class Outcome:
    module: str
    total: int = 0
    killed: int = 0
    survived: list[dict] = field(default_factory=list)
    equivalent: list[dict] = field(default_factory=list)
    skipped: int = 0
    seconds: float = 0.0
    when: str = ""  # the run's end (UTC) and the commit its copy was made from

    @property
    def judged(self) -> int:
        return self.total - len(self.equivalent)

    @property
    def rate(self) -> float:
        return self.killed / self.judged if self.judged else 1.0


def load_modules() -> list[Module]:
    table = tomllib.loads((HERE / "modules.toml").read_text())
    return [Module(m["path"], m["tests"], m.get("functions")) for m in table["module"]]


def tree_of(lane: int) -> Path:
    """This run's copy for `lane`: runs started side by side never share one."""
    return WORK / f"tree-{os.getpid()}-{lane}"


def copy_tree(lane: int) -> Path:
    """The working tree as it is now (tracked and new files, not ignored ones) in .mutants/."""
    tree = tree_of(lane)
    shutil.rmtree(tree, ignore_errors=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            target = tree / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return tree


def commit() -> str:
    """The checkout's commit, with + when it has changes beyond it (the copy took them too)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")


def environment(tree: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree / "scripts"), PATH=f"{BIN}:{os.environ['PATH']}")
    env.pop("PARBENCH_REQUIRE_ALL", None)
    return env


def test_command(module: Module, timeout: float) -> list[str]:
    return [
        str(BIN / "python"),
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        f"--timeout={int(timeout)}",
        *module.tests,
    ]


class TestsFail(Exception):
    """The module's tests fail before any mutation: no mutant can be judged."""


def baseline(module: Module, tree: Path) -> float:
    """Runs the module's tests on the unmutated copy: they must pass, and their time sets the
    timeout a mutant gets (a mutant that hangs is killed by it)."""
    started = time.monotonic()
    done = subprocess.run(
        test_command(module, 600), cwd=tree, env=environment(tree), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise TestsFail(f"the tests of {module.path} fail before any mutation:\n{done.stdout[-3000:]}")
    return time.monotonic() - started


def config(module: Module, seconds: float) -> str:
    timeout = max(30.0, 4 * seconds + 10)
    command = shlex.join(test_command(module, timeout)).replace("\\", "\\\\").replace('"', '\\"')
    excluded = ", ".join(f"'{pattern}'" for pattern in EXCLUDED_OPERATORS)
    return (
        "[cosmic-ray]\n"
        f'module-path = "{module.path}"\n'
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f'test-command = "{command}"\n\n'
        "[cosmic-ray.distributor]\n"
        'name = "local"\n\n'
        "[cosmic-ray.filters.operators-filter]\n"
        f"exclude-operators = [{excluded}]\n"
    )


def mutate(module: Module, lane: int, survivors_only: bool = False) -> Path:
    """One module's whole run on lane `lane`'s copy; returns its session database. With
    `survivors_only`, only the mutants that survived its last run are tested again."""
    tree = tree_of(lane)
    seconds = baseline(module, tree)
    cfg, session = WORK / f"{module.slug}.toml", WORK / f"{module.slug}.sqlite"
    cfg.write_text(config(module, seconds))
    session.unlink(missing_ok=True)
    env = environment(tree)
    for command in (
        ["cosmic-ray", "init", str(cfg), str(session)],
        ["cr-filter-operators", str(session), str(cfg)],
        ["cr-filter-pragma", str(session)],
    ):
        subprocess.run([str(BIN / command[0]), *command[1:]], cwd=tree, env=env, check=True)
    skip_outside_the_core(module, session)
    if survivors_only:
        skip_the_killed(module, session)
    subprocess.run([str(BIN / "cosmic-ray"), "exec", str(cfg), str(session)], cwd=tree, env=env, check=True)
    if (tree / module.path).read_bytes() != (ROOT / module.path).read_bytes():
        sys.exit(f"mutants: cosmic-ray left {tree / module.path} mutated; the lane's results are void")
    return session


# A `|` in an annotation (`-> float | None`, `x: int | None = None`): never evaluated under
# `from __future__ import annotations`, so no mutant of it can change anything.
ANNOTATION = re.compile(r"^(def \w+\(.*\).*->|\w+: [^=]*\|)")


def skip_outside_the_core(module: Module, session: Path) -> None:
    """Marks as skipped the mutants outside the module's numerical-core functions and those of
    annotations, before any runs."""
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    lines = (ROOT / module.path).read_text().splitlines()
    with use_db(str(session)) as db:
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            text = lines[mutation.start_pos[0] - 1].strip()
            assigned = re.match(r"(\w+) = ", text)
            where = mutation.definition_name or (assigned.group(1) if assigned else "<module>")
            outside = module.functions is not None and where not in module.functions
            annotation = "BitOr" in mutation.operator_name and ANNOTATION.match(text)
            if outside or annotation:
                why = "annotation" if annotation else f"{where}: outside the numerical core"
                db.set_result(item.job_id, WorkResult(output=why, worker_outcome=WorkerOutcome.SKIPPED))


class NoLastRun(Exception):
    """A survivors-only run without a last run it can trust."""


def last_record(module: Module) -> dict:
    path = RECORDS / f"{module.slug}.json"
    if not path.exists():
        raise NoLastRun(f"{module.path} has no last run in {path}: run it in full first")
    return json.loads(path.read_text())


def skip_the_killed(module: Module, session: Path) -> None:
    """Marks as skipped every mutant but the last run's survivors (known by operator and source
    line, so a line that moved still matches). Only sound while the module's mutants are the
    ones the last run counted: a changed module must be run in full."""
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    last = last_record(module)
    wanted = {(s["operator"], s["line_text"]) for s in last["survivors"]}
    lines = (ROOT / module.path).read_text().splitlines()
    with use_db(str(session)) as db:
        pending = list(db.pending_work_items)
        if len(pending) != last["total"]:
            raise NoLastRun(
                f"{module.path} has {len(pending)} mutants, its last run {last['total']}: "
                "the module changed, run it in full"
            )
        keys = {
            item.job_id: (item.mutations[0].operator_name, lines[item.mutations[0].start_pos[0] - 1].strip())
            for item in pending
        }
        if lost := wanted - set(keys.values()):
            # A survivor whose line now reads otherwise would be counted as killed untested.
            raise NoLastRun(
                f"{module.path}: a survivor of its last run is no longer in it "
                f"({sorted(lost)[0][1]!r}): the module changed, run it in full"
            )
        for job_id, key in keys.items():
            if key not in wanted:
                killed = WorkResult(output="killed in the last run", worker_outcome=WorkerOutcome.SKIPPED)
                db.set_result(job_id, killed)


def merged_with_last(module: Module, rerun: dict) -> dict:
    """A survivors-only run's record: the last run's kills stand, its survivors are judged anew."""
    last = last_record(module)
    full = last.get("full_run", last["when"])
    return {
        **rerun,
        "total": last["total"],
        "killed": last["total"] - len(rerun["survivors"]),
        "skipped": last["skipped"],
        "full_run": full,
        "when": f"{rerun['when']}, survivors of the full run of {full}",
    }


def source_line(module: str, line: int) -> str:
    return (ROOT / module).read_text().splitlines()[line - 1].strip()


def equivalents() -> list[dict]:
    return tomllib.loads((HERE / "equivalent.toml").read_text()).get("mutant", [])


def matching_entry(module: str, mutant: dict, known: list[dict]) -> dict | None:
    for entry in known:
        if (
            entry["module"] == module
            and re.fullmatch(entry["operator"], mutant["operator"])
            and entry["line"] == mutant["line_text"]
        ):
            return entry
    return None


def record_of(module: Module, session: Path, seconds: float, when: str) -> dict:
    """A module's run as kept in tests/mutation/results/: counts and every survivor as it read
    then, so the page outlives the session databases in .mutants/ and a fresh clone has it."""
    dumped = subprocess.run(
        [str(BIN / "cosmic-ray"), "dump", str(session)], check=True, capture_output=True, text=True
    ).stdout
    record = {"module": module.path, "total": 0, "killed": 0, "skipped": 0, "survivors": []}
    for line in dumped.splitlines():
        item, work = json.loads(line)
        if work is None or work["worker_outcome"] == "skipped":
            record["skipped"] += 1
            continue
        record["total"] += 1
        if work["test_outcome"] != "survived":
            record["killed"] += 1
            continue
        mutation = item["mutations"][0]
        record["survivors"].append(
            {
                "operator": mutation["operator_name"],
                "line": mutation["start_pos"][0],
                "line_text": source_line(module.path, mutation["start_pos"][0]),
                "diff": work.get("diff") or "",
            }
        )
    return {**record, "seconds": round(seconds, 1), "when": when}


def outcome(record: dict) -> Outcome:
    """A run's record judged against today's equivalent.toml."""
    result, known = Outcome(record["module"]), equivalents()
    result.total, result.killed, result.skipped = record["total"], record["killed"], record["skipped"]
    result.seconds, result.when = record["seconds"], record["when"]
    for mutant in record["survivors"]:
        entry = matching_entry(record["module"], mutant, known)
        if entry and not entry.get("timing_only"):
            result.equivalent.append({**mutant, "reason": entry["reason"]})
        else:  # a timing-only survivor still counts against the module, with its reason shown
            result.survived.append({**mutant, "reason": entry["reason"] if entry else ""})
    return result


def report(outcomes: list[Outcome], not_run: list[str]) -> str:
    lines = [
        "# Mutation testing: the last run",
        "",
        "Written by `make mutants` (tests/mutation/mutants.py); how it works and how to read it: the",
        "bottom of this page. A mutant is one small change to a module of the numerical core; the",
        "module's tests (tests/mutation/modules.toml) must fail on it. Killed counts mutants the tests",
        "failed on or that timed out; equivalent ones (tests/mutation/equivalent.toml) cannot change",
        f"any output and are left out of the rate. Target: {TARGET:.0%} killed in every module.",
        "",
        "| module | mutants | killed | survived | equivalent | killed of the rest | minutes "
        "| run (UTC, commit) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        mark = "" if o.rate >= TARGET else " **below target**"
        lines.append(
            f"| `{o.module}` | {o.total} | {o.killed} | {len(o.survived)} | {len(o.equivalent)} "
            f"| {o.rate:.1%}{mark} | {o.seconds / 60:.1f} | {o.when} |"
        )
    for path in not_run:
        lines.append(f"| `{path}` | not run yet | | | | | | |")
    lines += ["", "## Survivors", ""]
    for o in outcomes:
        for s in o.survived:
            why = f": timing only, {s['reason']}" if s["reason"] else ""
            lines += [f"- `{o.module}` line {s['line']}, {s['operator']}: `{s['line_text']}`{why}"]
    if not any(o.survived for o in outcomes):
        lines.append("None: every surviving mutant is killed or judged equivalent below.")
    lines += ["", "## Equivalent mutants", ""]
    for o in outcomes:
        for s in o.equivalent:
            lines += [f"- `{o.module}` line {s['line']}, {s['operator']}: `{s['line_text']}`: {s['reason']}"]
    lines += ["", (HERE / "HOWTO.md").read_text().strip(), ""]
    return "\n".join(lines)


def run_lane(lane: int, modules: list[Module], survivors_only: bool) -> None:
    try:
        mutate_all(lane, modules, survivors_only)
    finally:
        shutil.rmtree(tree_of(lane), ignore_errors=True)


def mutate_all(lane: int, modules: list[Module], survivors_only: bool) -> None:
    copy_tree(lane)
    for module in modules:
        started = time.monotonic()
        try:
            session = mutate(module, lane, survivors_only)
        except (TestsFail, NoLastRun) as error:
            print(f"mutants: {error}", file=sys.stderr, flush=True)
            continue
        seconds = time.monotonic() - started
        when = f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())}, {commit()}"
        record = record_of(module, session, seconds, when)
        if survivors_only:
            record = merged_with_last(module, record)
        RECORDS.mkdir(parents=True, exist_ok=True)
        (RECORDS / f"{module.slug}.json").write_text(json.dumps(record, indent=1) + "\n")
        o = outcome(record)
        print(
            f"mutants: {module.path}: {o.killed} of {o.judged} killed ({o.rate:.1%}), "
            f"{len(o.survived)} survived, {len(o.equivalent)} equivalent, {seconds / 60:.1f} min",
            flush=True,
        )


def main(argv=None) -> int:
    global WORK, RECORDS  # --work and --records move every path derived from them
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("modules", nargs="*", help="module paths (default: all of modules.toml)")
    parser.add_argument("--lanes", type=int, default=2, help="modules mutated at once, each on its own copy")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite docs/mutation.md from the last run"
    )
    parser.add_argument("--work", type=Path, default=WORK, help="sessions and copies (default .mutants)")
    parser.add_argument(
        "--survivors", action="store_true", help="re-test only the mutants that survived the last run"
    )
    parser.add_argument("--records", type=Path, default=RECORDS, help="each module's last run, kept")
    parser.add_argument("--page", type=Path, default=ROOT / "docs" / "mutation.md", help="the page written")
    args = parser.parse_args(argv)
    WORK, RECORDS = args.work.resolve(), args.records.resolve()
    modules = load_modules()
    if args.modules:
        known = {m.path: m for m in modules}
        unknown = [m for m in args.modules if m not in known]
        if unknown:
            parser.error(f"not in tests/mutation/modules.toml: {', '.join(unknown)}")
        chosen = [known[m] for m in args.modules]
    else:
        chosen = modules
    WORK.mkdir(exist_ok=True)
    if not args.report_only:
        lanes = [chosen[i :: args.lanes] for i in range(args.lanes)]
        with concurrent.futures.ThreadPoolExecutor(args.lanes) as pool:
            runs = [pool.submit(run_lane, i, lane, args.survivors) for i, lane in enumerate(lanes) if lane]
            for run in runs:
                run.result()
    done = [m for m in modules if (RECORDS / f"{m.slug}.json").exists()]
    outcomes = [outcome(json.loads((RECORDS / f"{m.slug}.json").read_text())) for m in done]
    not_run = [m.path for m in modules if m not in done]
    args.page.write_text(report(outcomes, not_run))
    below = [o.module for o in outcomes if o.rate < TARGET]
    print(f"mutants: {args.page} written; below {TARGET:.0%}: {', '.join(below) or 'none'}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
