"""The clusters parbench starts on one machine let in only the user who started them: a second,
unprivileged Unix user (made by the test set-up) tries to join a running local Dask cluster and
to read the launcher's key files, and is refused each time, while the owner's runs still verify.
The SLURM cluster's launchers get the same treatment in test_slurm.py."""

from __future__ import annotations

import json
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
import second_user

from farm_cases import run
from parbench.errors import UsageError
from parbench.frameworks import dask_client, dask_security, security

# What the second user tries against a Dask scheduler: every way in without the cluster's key.
JOIN_DASK = """
import json, sys, urllib.request
from distributed import Client, Security

address, http_port = sys.argv[1], int(sys.argv[2])
tries = {
    "no certificate": lambda: Client(address, timeout=5),
    "plain TCP": lambda: Client(address.replace("tls://", "tcp://"), timeout=5),
    "a certificate of its own": lambda: Client(address, security=Security.temporary(), timeout=5),
    "the scheduler's HTTP pages": lambda: urllib.request.urlopen(
        f"http://127.0.0.1:{http_port}/info/main/workers.html", timeout=5
    ),
}
outcome = {}
for name, attempt in tries.items():
    try:
        joined = attempt()
        outcome[name] = "joined"
        if name != "the scheduler's HTTP pages":
            joined.close()
    except Exception as error:
        outcome[name] = f"refused: {type(error).__name__}: {error}"[:300]
print(json.dumps(outcome))
"""


@pytest.fixture(scope="module")
def other_user():
    second_user.account()
    second_user.can_run_python()


def clients_of(client) -> list[str]:
    """The clients the scheduler has let in (its own fire-and-forget one aside)."""
    names = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.clients))
    return [name for name in names if name != "fire-and-forget"]


def visit(cluster) -> dict[str, str]:
    http_port = cluster.scheduler.http_server.port
    return second_user.attempts(JOIN_DASK, cluster.scheduler_address, str(http_port))


def test_another_user_cannot_join_a_local_dask_cluster(other_user, tmp_path, references):
    import distributed

    cluster = dask_client.local_cluster(2)
    try:
        with distributed.Client(cluster) as client:
            assert cluster.scheduler_address.startswith("tls://127.0.0.1:")
            outcome = visit(cluster)
            assert all(result.startswith("refused") for result in outcome.values()), outcome
            assert clients_of(client) == [client.id], "the scheduler let in another client"
            # The owner's runs still work and verify.
            out = run(tmp_path, "mandelbrot", "dask", "numpy", 2, client=client)
            references.check(out, "mandelbrot", "numpy")
    finally:
        cluster.close()


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
def test_the_same_attempts_join_a_cluster_without_protection(other_user, monkeypatch, capfd):
    """The control: with security switched off (only ever for measuring its cost) the same
    attempts get in, so the test above would see a cluster that let them."""
    monkeypatch.setenv(security.SWITCH, "off")
    cluster = dask_client.local_cluster(1)
    try:
        assert cluster.scheduler_address.startswith("tcp://")
        outcome = visit(cluster)
        assert outcome["plain TCP"] == "joined", outcome
    finally:
        cluster.close()
    assert f"{security.SWITCH}=off" in capfd.readouterr().err


READ_FILES = """
import json, sys
from distributed import Client, Security

parent, folder = sys.argv[1], sys.argv[2]
outcome = {}
for path in (f"{parent}/readable.txt", f"{folder}/tls-certificate.pem", f"{folder}/tls-key.pem",
             f"{folder}/scheduler.json"):
    try:
        open(path).read()
        outcome[path] = "joined"
    except OSError as error:
        outcome[path] = f"refused: {type(error).__name__}: {error}"
try:
    Client(scheduler_file=f"{folder}/scheduler.json", timeout=5,
           security=Security(tls_ca_file=f"{folder}/tls-certificate.pem",
                             tls_client_cert=f"{folder}/tls-certificate.pem",
                             tls_client_key=f"{folder}/tls-key.pem", require_encryption=True))
    outcome["client with the owner's files"] = "joined"
except Exception as error:
    outcome["client with the owner's files"] = f"refused: {type(error).__name__}: {error}"[:300]
print(json.dumps(outcome))
"""


@pytest.fixture
def open_parent():
    """A folder everyone may enter (pytest's own are the owner's alone, which would keep the
    other user out before the launcher's folder had any say); a readable file in it shows that."""
    parent = Path(tempfile.mkdtemp(prefix="parbench-test-"))
    parent.chmod(0o755)
    (parent / "readable.txt").write_text("anyone may read this\n")
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


def test_launcher_key_files_are_the_owners_alone(other_user, open_parent):
    """The launcher's scratch folder (0700) and its certificate and key (0600): the other user
    can read none of them, nor the scheduler file, nor hand them to a client."""
    scratch = security.private_folder(open_parent, prefix=".parbench-dask-")
    certificate, key = dask_security.write_files(scratch)
    (scratch / "scheduler.json").write_text(json.dumps({"address": "tls://127.0.0.1:1"}))
    assert stat.S_IMODE(scratch.stat().st_mode) == 0o700
    assert stat.S_IMODE(certificate.stat().st_mode) == stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "PRIVATE KEY" in key.read_text()
    outcome = second_user.attempts(READ_FILES, str(open_parent), str(scratch))
    assert outcome.pop(str(open_parent / "readable.txt")) == "joined", "the other user cannot read at all"
    assert all(result.startswith("refused") for result in outcome.values()), outcome
    assert "Permission denied" in outcome[str(key)]


def test_a_tls_scheduler_file_without_its_certificate_is_bad_input(tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text(json.dumps({"address": "tls://127.0.0.1:1"}))
    with pytest.raises(UsageError, match="accepts TLS only.*tls-certificate.pem"):
        dask_client.join(str(scheduler_file))


def test_the_security_switch_takes_on_or_off_only(monkeypatch):
    monkeypatch.setenv(security.SWITCH, "no")
    with pytest.raises(UsageError, match="PARBENCH_CLUSTER_SECURITY: 'no': must be 'on'"):
        security.enabled()


def test_a_local_spark_session_authenticates_and_keeps_its_blocks_private(tmp_path, references):
    """Local mode: every connection to the driver must prove Spark's per-session secret, and
    the driver's shuffle and block files live in an owner-only folder, removed at the end."""
    from parbench.context import RunContext
    from parbench.frameworks import spark_session

    spark = spark_session.connect(RunContext(workers=2))
    try:
        conf = dict(spark.session.sparkContext.getConf().getAll())
        assert {key: conf.get(key) for key in spark_session.AUTHENTICATION} == spark_session.AUTHENTICATION
        assert "spark.authenticate.secret" not in conf  # made inside the JVM, never passed in
        assert conf["spark.ui.enabled"] == "false"
        assert conf["spark.local.dir"] == str(spark.local_dir)
        assert stat.S_IMODE(spark.local_dir.stat().st_mode) == 0o700
        out = run(tmp_path, "pi", "spark", "numpy", 2, session=spark.session)
        references.check(out, "pi", "numpy")
    finally:
        spark.close()
    assert not spark.local_dir.exists()


# What the second user tries against a run's object store (fetch): every way in without the
# run's secret, which lives only in the run's memory.
FETCH_OBJECT = """
import json, secrets, sys, urllib.request

url = f"http://127.0.0.1:{sys.argv[1]}/objects/0"
tries = {
    "no secret": {},
    "a guessed secret": {"X-Parbench-Secret": secrets.token_urlsafe(32)},
    "an empty secret": {"X-Parbench-Secret": ""},
}
outcome = {}
for name, headers in tries.items():
    try:
        urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10).read()
        outcome[name] = "joined"
    except Exception as error:
        outcome[name] = f"refused: {type(error).__name__}: {error}"[:300]
print(json.dumps(outcome))
"""


def test_another_user_cannot_fetch_from_a_runs_object_store(other_user, tmp_path, references):
    from farm_cases import IO_SIZES
    from parbench import registry
    from parbench.fetch import client

    problem = registry.problem("fetch")
    with problem.serving(
        {**IO_SIZES["fetch"], "seed": 1, "objects": 2, "object_kib": 1}, spans_nodes=False
    ) as bound:
        endpoint = bound.endpoint
        assert endpoint.host == "127.0.0.1"
        outcome = second_user.attempts(FETCH_OBJECT, str(endpoint.port))
        assert outcome and all(
            result.startswith("refused: HTTPError: HTTP Error 403") for result in outcome.values()
        ), outcome
        # The owner's requests, with the run's secret, are still served.
        assert len(client.fetch(endpoint, 1)) == 32
    # And a whole run, whose store is its own, still verifies.
    out = run(tmp_path, "fetch", "threads", "io", 2)
    references.check(out, "fetch", "io")
