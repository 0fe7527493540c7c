"""Run by test_slurm.py as the COMMAND of `python -m parbench.launchers dask|spark`, inside the
allocation, as the cluster's owner (root):

    launcher_visit.py REPORT dask|spark -- parbench run ... [--scheduler-file F | --master URL]

It runs the owner's `parbench run` (the launcher appended the option that joins its cluster),
reading every process's command line meanwhile for the cluster's secret; at the same time lets
the second user try to join the cluster; and writes what happened to REPORT (JSON) for the test
to judge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import second_user

DASK_TRIES = """
import json, sys
from distributed import Client, Security

address, folder = sys.argv[1], sys.argv[2]
owners = dict(tls_ca_file=f"{folder}/tls-certificate.pem", tls_client_cert=f"{folder}/tls-certificate.pem",
              tls_client_key=f"{folder}/tls-key.pem", require_encryption=True)
tries = {
    "read the key": lambda: open(f"{folder}/tls-key.pem").read(),
    # (a Client given the scheduler file would wait for ever for a file it cannot see)
    "read the scheduler file": lambda: open(f"{folder}/scheduler.json").read(),
    "no certificate": lambda: Client(address, timeout=5),
    "plain TCP": lambda: Client(address.replace("tls://", "tcp://"), timeout=5),
    "a certificate of its own": lambda: Client(address, security=Security.temporary(), timeout=5),
    "the owner's key files": lambda: Client(address, security=Security(**owners), timeout=5),
}
outcome = {}
for name, attempt in tries.items():
    try:
        attempt()
        outcome[name] = "joined"
    except Exception as error:
        outcome[name] = f"refused: {type(error).__name__}: {error}"[:300]
print(json.dumps(outcome))
"""

# Two applications at once (each gives up after Spark's 3 x 20 s of registration attempts):
# one without authentication, one with a secret of its own.
SPARK_TRIES = """
import json, subprocess, sys

master, conf = sys.argv[1], sys.argv[2]
submit = '''
import sys
from pyspark.sql import SparkSession
build = SparkSession.builder.master(sys.argv[1]).appName("parbench-intruder")
build = build.config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
if sys.argv[2] == "guess":
    build = build.config("spark.authenticate", "true").config("spark.authenticate.secret", "0" * 64)
spark = build.getOrCreate()
print("RESULT", spark.sparkContext.parallelize([1, 2], 2).sum())
'''
outcome = {}
try:
    open(f"{conf}/spark-defaults.conf").read()
    outcome["read the secret"] = "joined"
except OSError as error:
    outcome["read the secret"] = f"refused: {type(error).__name__}: {error}"
apps = {name: subprocess.Popen([sys.executable, "-c", submit, master, how], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        for name, how in (("an application without authentication", "none"),
                          ("an application with a secret of its own", "guess"))}
for name, app in apps.items():
    out, err = app.communicate(timeout=400)
    if "RESULT 3" in out:
        outcome[name] = "joined"
    else:
        outcome[name] = "refused: " + " | ".join(
            line for line in err.splitlines() if "Exception" in line or "Giving up" in line)[:600]
print(json.dumps(outcome))
"""


def secret_of(framework: str) -> str:
    """What must appear on no command line: the Spark secret, or a line of the Dask key."""
    if framework == "spark":
        defaults = Path(os.environ["SPARK_CONF_DIR"]) / "spark-defaults.conf"
        for line in defaults.read_text().splitlines():
            if line.startswith("spark.authenticate.secret "):
                return line.split(None, 1)[1].strip()
        raise AssertionError(f"no secret in {defaults}")
    return Path(scheduler_file()).with_name("tls-key.pem").read_text().splitlines()[2]


def scheduler_file() -> str:
    return sys.argv[sys.argv.index("--scheduler-file") + 1]


def command_lines_with(secret: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if secret in text:
            found.append(f"{cmdline.parent.name}: {text[:300]}")
    return found


def owners_clients(scheduler: str) -> list[str]:
    from distributed import Client

    from parbench.frameworks import dask_security

    with Client(scheduler_file=scheduler, security=dask_security.beside(scheduler), timeout=30) as client:
        names = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.clients))
        return [name for name in names if name not in ("fire-and-forget", client.id)]


def second_users_tries(framework: str) -> dict:
    if framework == "dask":
        address = json.loads(Path(scheduler_file()).read_text())["address"]
        return second_user.attempts(DASK_TRIES, address, str(Path(scheduler_file()).parent))
    master = sys.argv[sys.argv.index("--master") + 1]
    return second_user.attempts(SPARK_TRIES, master, os.environ["SPARK_CONF_DIR"], timeout=500)


def main() -> None:
    report, framework = Path(sys.argv[1]), sys.argv[2]
    owner_run = sys.argv[sys.argv.index("--") + 1 :]
    secret = secret_of(framework)
    # The second user tries while the owner's run goes on: an attack on a cluster in use, and
    # Spark's refused applications spend their minute of registration attempts beside the
    # owner's run instead of after it.
    with ThreadPoolExecutor(1) as pool:
        tries = pool.submit(second_users_tries, framework)
        run = subprocess.Popen(owner_run, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        leaks, scans = [], 0
        while run.poll() is None:  # the driver's JVM and the workers' executors live only this long
            leaks += command_lines_with(secret)
            scans += 1
            time.sleep(0.5)
        leaks += command_lines_with(secret)
        outcome = {"owner's run": run.returncode, "owner's output": run.stdout.read()[-3000:], "scans": scans}
        outcome["tries"] = tries.result()
    if framework == "dask":
        outcome["other clients"] = owners_clients(scheduler_file())
    outcome["secret on command lines"] = sorted(set(leaks + command_lines_with(secret)))
    report.write_text(json.dumps(outcome, indent=1))


if __name__ == "__main__":
    main()
