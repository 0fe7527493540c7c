"""Another user of the same machine, for the tests that parbench's clusters refuse everyone but
their owner: an unprivileged Unix account the test set-up creates (as root, with useradd) and
runs Python code as, with this venv's interpreter and nothing of the owner's environment."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import site
import subprocess
import sys
import tempfile
import textwrap

from conftest import unavailable

NAME = "parbench-other"


def account() -> pwd.struct_passwd:
    """The second user, made if missing (idempotent); `unavailable` without root or useradd."""
    if os.name != "posix" or os.geteuid() != 0:
        unavailable("the tests with a second Unix user create it with useradd, which needs root")
    try:
        return pwd.getpwnam(NAME)
    except KeyError:
        pass
    if not shutil.which("useradd"):
        unavailable("useradd is missing: it creates the second Unix user of the security tests")
    made = subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", NAME],
        capture_output=True,
        text=True,
        timeout=60,
    )
    try:  # a test running at the same time may have made it first
        return pwd.getpwnam(NAME)
    except KeyError:
        raise AssertionError(f"useradd {NAME} failed: {made.stderr.strip()}") from None


def python_for(user: pwd.struct_passwd) -> tuple[str, dict]:
    """The interpreter the second user runs, and its extra environment: this venv's, when the
    user may run it; otherwise (the venv's base Python lives in root's home, say) the system's
    Python of the same version with this venv's packages on PYTHONPATH."""
    try:
        subprocess.run([sys.executable, "-c", ""], user=user.pw_uid, group=user.pw_gid, extra_groups=[],
                       cwd="/", capture_output=True, timeout=60, check=True)  # fmt: skip
        return sys.executable, {}
    except (PermissionError, subprocess.CalledProcessError):
        pass
    system = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if not os.access(system, os.X_OK):
        unavailable(f"the second user may not run {sys.executable}, and there is no {system}")
    return system, {"PYTHONPATH": os.pathsep.join(site.getsitepackages())}


def run_as(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs `code` (Python) as the second user, in a home of its own, with `args` as sys.argv[1:]."""
    user = account()
    python, python_env = python_for(user)
    home = tempfile.mkdtemp(prefix="parbench-other-home-")
    os.chown(home, user.pw_uid, user.pw_gid)
    env = {"HOME": home, "PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    env |= python_env
    try:
        return subprocess.run(
            [python, "-c", textwrap.dedent(code), *args],
            user=user.pw_uid,
            group=user.pw_gid,
            extra_groups=[],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


def attempts(code: str, *args: str, timeout: float = 300) -> dict[str, str]:
    """Runs `code` as the second user; it must print one JSON object, what came of each of its
    attempts ("joined", or "refused: " and why)."""
    done = run_as(code, *args, timeout=timeout)
    if done.returncode != 0 or not done.stdout.strip():
        raise AssertionError(f"the second user's attempts did not run:\n{done.stdout}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def can_run_python() -> None:
    """The second user must be able to run this venv's interpreter with distributed (a checkout
    under an owner-only home folder would not let it): `unavailable` otherwise."""
    done = run_as("import distributed, pyspark", timeout=120)
    if done.returncode != 0:
        why = done.stderr.strip()[-500:]
        unavailable(f"the second user cannot run {sys.executable} with distributed: {why}")
