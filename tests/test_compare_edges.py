"""Every problem's `compare` at the edge of what it accepts: just inside its tolerance passes, just
outside fails, for each field it checks; exact fields fail on a difference of one. A tolerance
loosened a thousandfold, or a field left unchecked, fails here."""

from __future__ import annotations

import numpy as np
import pytest

from parbench import registry
from parbench.errors import UsageError
from parbench.problems import groupby, heat
from parbench.results import verify
from parbench.results.verify import Mismatch


def compare(problem: str, result: dict, reference: dict) -> str | None:
    return registry.problem(problem).compare(result, reference)


def nudged(values: np.ndarray, where: tuple, relative: float) -> np.ndarray:
    """A copy with one element moved by `relative` of its own size."""
    out = np.array(values, dtype=np.float64)
    out[where] *= 1 + relative
    return out


# --- heat: 1e-12 relative to the reference, NaN never matches ----------------------------------

HEAT_FIELD = np.random.default_rng(3).uniform(1.0, 100.0, (6, 5))


@pytest.mark.parametrize("where", [(0, 0), (3, 2), (5, 4)])
def test_heat_accepts_just_inside_its_tolerance_and_refuses_just_outside(where):
    tolerance = heat.RELATIVE_TOLERANCE
    assert tolerance == 1e-12  # docs/formats.md states it
    reference = {"field": HEAT_FIELD}
    assert compare("heat", {"field": nudged(HEAT_FIELD, where, 0.8 * tolerance)}, reference) is None
    assert compare("heat", {"field": nudged(HEAT_FIELD, where, -0.8 * tolerance)}, reference) is None
    for relative in (1.5 * tolerance, -1.5 * tolerance):
        message = compare("heat", {"field": nudged(HEAT_FIELD, where, relative)}, reference)
        assert message and message.startswith(f"field[{where[0]}, {where[1]}] is "), message
        assert "(1 of 30 elements differ by more than 1e-12 relative)" in message


def test_heat_refuses_nan_a_zero_that_moved_and_another_shape():
    reference = {"field": HEAT_FIELD}
    with_nan = HEAT_FIELD.copy()
    with_nan[2, 1] = np.nan
    assert compare("heat", {"field": with_nan}, reference).startswith("field[2, 1] is nan")
    zero = HEAT_FIELD.copy()
    zero[1, 1] = 0.0
    moved = zero.copy()
    moved[1, 1] = 1e-300  # relative to a zero reference, any change is too much
    assert compare("heat", {"field": moved}, {"field": zero}).startswith("field[1, 1]")
    assert "shape (5, 6) differs" in compare("heat", {"field": HEAT_FIELD.T}, reference)
    extra_row = np.vstack([HEAT_FIELD, HEAT_FIELD[:1]])
    assert compare("heat", {"field": extra_row}, reference) == (
        "field: shape (7, 5) differs from the reference's (6, 5)"
    )
    cold = np.zeros((3, 3))  # zero against zero is no difference
    assert compare("heat", {"field": cold.copy()}, {"field": cold}) is None


# --- exact problems: one unit anywhere is a difference -----------------------------------------


def test_mandelbrot_refuses_one_count_off_anywhere():
    counts = np.arange(35, dtype=np.int32).reshape(5, 7)
    assert compare("mandelbrot", {"counts": counts.copy()}, {"counts": counts}) is None
    for where in [(0, 0), (4, 6), (2, 3)]:
        off = counts.copy()
        off[where] += 1
        message = compare("mandelbrot", {"counts": off}, {"counts": counts})
        assert message == (
            f"counts[{where[0]}, {where[1]}] is {counts[where] + 1} but the reference has {counts[where]} "
            "(1 of 35 elements differ)"
        )
    assert "shape (7, 5)" in compare("mandelbrot", {"counts": counts.T.copy()}, {"counts": counts})
    dropped = compare("mandelbrot", {"counts": counts[:-1]}, {"counts": counts})  # a row lost
    assert dropped == "counts: shape (4, 7) differs from the reference's (5, 7)"


def pi_result(hits: int, samples: int) -> dict:
    return {
        "hits": np.array(np.int64(hits)),
        "samples": np.array(np.int64(samples)),
        "estimate": np.array(0.0),
    }


def test_pi_refuses_one_hit_or_one_sample_off():
    reference = pi_result(7_853, 10_000)
    assert compare("pi", pi_result(7_853, 10_000), reference) is None
    assert compare("pi", pi_result(7_854, 10_000), reference) == (
        "hits[] is 7854 but the reference has 7853 (1 of 1 elements differ)"
    )
    assert compare("pi", pi_result(7_853, 9_999), reference).startswith("samples[] is 9999")


def fetch_result(objects: int = 3) -> dict:
    digests = np.arange(objects * 32, dtype=np.uint8).reshape(objects, 32)  # no two rows alike
    return {"digests": digests, "bytes": np.array(np.int64(objects * 1024))}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r["digests"].__setitem__((2, 31), r["digests"][2, 31] ^ 1), "digests[2, 31] is 94 but"),
        (lambda r: r["digests"].__setitem__(slice(None), r["digests"][[1, 0, 2]]), "digests[0, 0] is 32 but"),
        (
            lambda r: r.update(digests=r["digests"][:2]),
            "digests: shape (2, 32) differs from the reference's (3, 32)",
        ),
        (
            lambda r: r.update(bytes=np.array(np.int64(3 * 1024 - 1))),
            "bytes[] is 3071 but the reference has 3072",
        ),
    ],
    ids=["one bit of the last object", "two objects swapped", "an object missing", "a byte short"],
)
def test_fetch_refuses_one_bit_off_objects_out_of_order_or_missing(change, message):
    reference, result = fetch_result(), fetch_result()
    assert compare("fetch", result, reference) is None
    change(result)
    assert compare("fetch", result, reference).startswith(message)


@pytest.mark.parametrize("field", ["tasks_done", "checksum", "serial_state"])
def test_amdahl_refuses_each_field_one_off(field):
    reference = {
        "tasks_done": np.array(np.int64(12)),
        "checksum": np.array(np.uint64(2**63 + 5)),
        "serial_state": np.array(np.uint64(77)),
    }
    assert compare("amdahl", dict(reference), reference) is None
    off = {**reference, field: reference[field] + reference[field].dtype.type(1)}
    assert compare("amdahl", off, reference).startswith(f"{field}[] is ")


# --- groupby: exact counts and extremes, 1e-9 relative for sums, means and deviations -------------


def groupby_result() -> dict:
    """A hand-made answer for three keys (the third with one row: no deviation)."""
    return {
        "keys": np.array([0, 1, 2]),
        "count": np.array([4, 3, 1]),
        "sum": np.array([10.0, 6.0, 2.5]),
        "mean": np.array([2.5, 2.0, 2.5]),
        "std": np.array([1.2909944487358056, 1.0, np.nan]),
        "min": np.array([1.0, 1.0, 2.5]),
        "max": np.array([4.0, 3.0, 2.5]),
        "histogram": np.array([3, 4, 1]),
        "histogram_edges": np.array([0.0, 2.0, 4.0, 6.0]),
        "top_keys": np.array([0, 1, 2]),
        "top_sums": np.array([10.0, 6.0, 2.5]),
    }


# Written out here, not read from the module: a field dropped from its lists must fail below.
GROUPBY_EXACT = ("keys", "count", "min", "max", "histogram", "histogram_edges")
GROUPBY_ROUNDED = ("sum", "mean", "std")


def test_groupby_checks_every_field_of_its_answer():
    assert set(groupby.EXACT) | set(groupby.ROUNDED) == set(GROUPBY_EXACT + GROUPBY_ROUNDED)
    assert set(groupby.EXACT) == set(GROUPBY_EXACT)


@pytest.mark.parametrize("field", GROUPBY_ROUNDED + ("top_sums",))
def test_groupby_accepts_just_inside_its_tolerance_and_refuses_just_outside(field):
    tolerance = groupby.RELATIVE_TOLERANCE
    assert tolerance == 1e-9
    reference = groupby_result()
    for relative in (0.8 * tolerance, -0.8 * tolerance):
        assert (
            compare("groupby", {**reference, field: nudged(reference[field], (1,), relative)}, reference)
            is None
        )
    for relative in (1.5 * tolerance, -1.5 * tolerance):
        message = compare(
            "groupby", {**reference, field: nudged(reference[field], (1,), relative)}, reference
        )
        assert message and message.startswith(f"{field}[1] is ") and "beyond 1e-09 relative" in message


@pytest.mark.parametrize("field", GROUPBY_EXACT)
def test_groupby_refuses_any_change_of_an_exact_field(field):
    reference = groupby_result()
    changed = reference[field].copy()
    changed[-1] = changed[-1] + (1 if changed.dtype.kind in "iu" else 1e-12 * abs(changed[-1]) + 1e-300)
    assert compare("groupby", {**reference, field: changed}, reference).startswith(f"{field}[")


def test_groupby_deviation_nan_meets_only_nan():
    reference = groupby_result()
    assert compare("groupby", {**reference, "std": np.array([1.2909944487358056, 1.0, 0.0])}, reference)
    assert compare("groupby", {**reference, "std": np.array([np.nan, 1.0, np.nan])}, reference).startswith(
        "std[0] is nan"
    )


def test_groupby_top_keys_may_swap_only_when_their_sums_tie():
    reference = groupby_result()
    tied = {**reference, "sum": np.array([10.0, 10.0 * (1 + 0.5e-9), 2.5])}
    swapped = {**tied, "top_keys": np.array([1, 0, 2]), "top_sums": np.array([10.0, 10.0, 2.5])}
    assert compare("groupby", swapped, {**tied, "top_sums": np.array([10.0, 10.0, 2.5])}) is None
    apart = {**reference, "top_keys": np.array([1, 0, 2])}
    assert (
        compare("groupby", apart, reference) == "top_keys[0] is 1 but the reference has 0 (sums 6.0 and 10.0)"
    )


# --- verify.compare: same problem, same parameters (tuning ones aside), then the problem's compare


def record_of(problem: str, **params) -> dict:
    defaults = {p.name: p.default for p in registry.all_params(registry.problem(problem))}
    return {"problem": problem, "params": {**defaults, **params}}


def test_verify_refuses_another_problem_either_way():
    counts = {"counts": np.zeros((2, 2), np.int32)}
    for got, want in (("pi", "mandelbrot"), ("mandelbrot", "pi")):
        with pytest.raises(Mismatch, match=f"problem '{got}' differs from the reference's '{want}'"):
            verify.compare(record_of(got), counts, record_of(want), counts)


# The parameters that only cut up the work, written out here: one wrongly marked as tuning would
# be ignored by verify, and by the test below.
TUNING = {
    "mandelbrot": {"rows_per_task"},
    "pi": set(),
    "heat": {"checkpoint_every", "steps_per_exchange"},
    "amdahl": set(),
    "groupby": set(),
    "fetch": set(),  # latency and bandwidth change no answer, but verify still holds them equal
}


@pytest.mark.parametrize("problem", TUNING)
def test_only_work_splitting_parameters_are_tuning(problem):
    assert {p.name for p in registry.all_params(registry.problem(problem)) if p.tuning} == TUNING[problem]


@pytest.mark.parametrize("problem", ["mandelbrot", "pi", "heat", "amdahl", "fetch"])
def test_verify_refuses_any_result_parameter_above_or_below_the_reference(problem):
    """Every parameter that changes the answer (the seed too, which comes after the tuning ones)."""
    reference = record_of(problem)
    for param in registry.all_params(registry.problem(problem)):
        if param.tuning or param.type is str:
            continue
        for step in (1, -1):
            moved = param.default + step * (1 if param.type is int else 0.25)
            got = record_of(problem, **{param.name: moved})
            with pytest.raises(Mismatch, match=f"parameter {param.option} is {moved!r} but"):
                verify.compare(got, {}, reference, {})


def test_verify_ignores_only_tuning_parameters():
    counts = np.arange(6, dtype=np.int32).reshape(2, 3)
    reference = record_of("mandelbrot")
    tuned = record_of("mandelbrot", rows_per_task=5)
    verify.compare(tuned, {"counts": counts}, reference, {"counts": counts.copy()})
    off = counts.copy()
    off[1, 2] += 1
    with pytest.raises(Mismatch, match=r"counts\[1, 2\] is 6 but the reference has 5"):
        verify.compare(tuned, {"counts": off}, reference, {"counts": counts})


@pytest.mark.parametrize(
    ("low", "high", "values"),
    [("--xmin", "--xmax", (0.5, 0.5)), ("--xmin", "--xmax", (0.6, 0.5)), ("--ymin", "--ymax", (1.0, -1.0))],
)
def test_mandelbrot_refuses_an_empty_or_reversed_region(low, high, values):
    problem = registry.problem("mandelbrot")
    names = low.lstrip("-"), high.lstrip("-")
    defaults = {p.name: p.default for p in registry.all_params(problem)}
    with pytest.raises(UsageError, match=f"must be less than {high}"):
        problem.check({**defaults, **dict(zip(names, values, strict=True))})


# --- heat's parameters: the process grid, positive constants, the stability limit ---------------


@pytest.mark.parametrize(
    ("workers", "grid"),
    [(1, (1, 1)), (2, (2, 1)), (3, (3, 1)), (4, (2, 2)), (6, (3, 2)), (7, (7, 1)), (8, (4, 2)), (9, (3, 3))],
)
def test_heat_process_grid_is_the_squarest_factor_pair(workers, grid):
    assert heat.balanced_dims(workers) == grid


def heat_values(**changes) -> dict:
    defaults = {p.name: p.default for p in registry.all_params(registry.problem("heat"))}
    return {**defaults, "nx": 12, "ny": 12, **changes}


@pytest.mark.parametrize("name", ["alpha", "dx", "dy"])
@pytest.mark.parametrize("value", [0.0, -0.5])
def test_heat_refuses_constants_that_are_not_positive(name, value):
    with pytest.raises(UsageError, match=f"must be > 0, got {value}"):
        registry.problem("heat").check(heat_values(**{name: value}))


def test_heat_dt_up_to_the_stability_limit_and_not_beyond():
    """dt <= dx^2 dy^2 / (2 alpha (dx^2 + dy^2)), with 1e-12 relative slack for rounding."""
    alpha, dx, dy = 0.5, 0.01, 0.02
    limit = dx * dx * dy * dy / (2 * alpha * (dx * dx + dy * dy))
    check = registry.problem("heat").check
    assert check(heat_values(alpha=alpha, dx=dx, dy=dy, dt=0.0))["dt"] == pytest.approx(limit, rel=1e-15)
    for dt in (limit, limit * (1 + 0.5e-12), limit / 3):
        assert check(heat_values(alpha=alpha, dx=dx, dy=dy, dt=dt))["dt"] == dt
    for dt in (limit * (1 + 2e-12), limit * 2):
        with pytest.raises(UsageError, match="is unstable"):
            check(heat_values(alpha=alpha, dx=dx, dy=dy, dt=dt))


def test_heat_grid_must_hold_a_block_per_worker_in_both_directions():
    problem = registry.problem("heat")
    problem.check_for_workers(heat_values(nx=8, ny=4), 6)  # 6 rows, 2 columns: a 3 x 2 grid fits
    problem.check_for_workers(heat_values(nx=5, ny=3), 3)  # 3 rows of 1 on a 3 x 1 grid
    with pytest.raises(UsageError) as refused:
        problem.check_for_workers(heat_values(nx=8, ny=3), 6)
    assert str(refused.value) == (
        "--ny: 3 gives 1 interior columns: too few for the 3 x 2 process grid of 6 workers"
    )
    with pytest.raises(UsageError, match="--nx: 7 gives 5 interior rows: too few for 6 blocks"):
        problem.check_for_workers(heat_values(nx=7, ny=4), 6)


def test_heat_dt_exactly_at_the_slack_is_accepted():
    """alpha 0.25, dx = dy = 1: the limit is 1 * 1 / (2 * 0.25 * 2) = 1 exactly, so the largest dt
    allowed is the float 1 + 1e-12 itself (the check is dt > limit (1 + 1e-12), not >=)."""
    check = registry.problem("heat").check
    assert check(heat_values(alpha=0.25, dx=1.0, dy=1.0, dt=1 + 1e-12))["dt"] == 1 + 1e-12


def test_heat_columns_are_counted_by_subtracting_the_two_boundary_columns():
    """ny = 5 has 5 - 2 = 3 interior columns: enough for a 3 x 3 grid of 9 workers, too few for
    a 4 x 4 grid of 16, and the message says 3 (5 / 2 = 2.5 or 5 // 2 = 2 in place of 5 - 2
    refuses the first; 5 // 2 = 2 or 5 % 2 = 1 misstates the second)."""
    problem = registry.problem("heat")
    problem.check_for_workers(heat_values(nx=11, ny=5), 9)
    with pytest.raises(UsageError) as refused:
        problem.check_for_workers(heat_values(nx=18, ny=5), 16)
    assert str(refused.value) == (
        "--ny: 5 gives 3 interior columns: too few for the 4 x 4 process grid of 16 workers"
    )


# --- a plug-in's SimpleProblem: exact by default, else within rtol and atol ------------------------


def simple(**tolerance):
    from parbench.plugins import SimpleProblem

    return SimpleProblem(name="edge", summary="edges", tasks=list, compute=abs, **tolerance)


@pytest.mark.parametrize("where", [(0,), (4,)])
def test_a_plugins_exact_answer_fails_on_the_last_bit(where):
    want = {"result": np.linspace(1.0, 2.0, 5)}
    got = want["result"].copy()
    got[where] = np.nextafter(got[where], 3.0)
    assert simple().compare({"result": want["result"].copy()}, want) is None
    message = simple().compare({"result": got}, want)
    assert message and message.startswith(f"result[{where[0]}] is "), message


@pytest.mark.parametrize("where", [(0,), (3,)])
def test_a_plugins_rtol_holds_just_inside_and_fails_just_outside(where):
    want = {"result": np.linspace(10.0, 20.0, 4)}
    problem = simple(rtol=1e-6)
    for relative in (0.8e-6, -0.8e-6):
        assert problem.compare({"result": nudged(want["result"], where, relative)}, want) is None
    for relative in (1.5e-6, -1.5e-6):
        message = problem.compare({"result": nudged(want["result"], where, relative)}, want)
        assert message and message.startswith(f"result[{where[0]}] is ") and "rtol=1e-06" in message


def test_a_plugins_atol_is_absolute():
    want = {"result": np.array([0.0, 1000.0])}
    problem = simple(atol=1e-3)
    assert problem.compare({"result": want["result"] + 0.8e-3}, want) is None
    message = problem.compare({"result": want["result"] + np.array([0.0, 1.5e-3])}, want)
    assert message and message.startswith("result[1] is "), message


def test_a_plugins_answer_with_another_shape_or_field_fails():
    want = {"result": np.zeros(4)}
    for problem in (simple(), simple(rtol=0.5)):
        assert "shape (3,)" in problem.compare({"result": np.zeros(3)}, want)
        assert "shape (5,)" in problem.compare({"result": np.zeros(5)}, want)
        assert "reference has ['result']" in problem.compare({"other": np.zeros(4)}, want)
        assert "reference has ['result']" in problem.compare({"result": np.zeros(4), "x": np.zeros(1)}, want)


def test_a_plugins_tolerance_counts_what_is_outside_and_takes_nan_for_nan():
    """The message counts the elements outside the tolerance (2 of 5 here), and a NaN where the
    reference has NaN is the same answer, with a tolerance as without."""
    want = {"result": np.array([1.0, np.nan, 3.0, 4.0, 5.0])}
    problem = simple(rtol=1e-9)
    assert problem.compare({"result": want["result"].copy()}, want) is None
    got = want["result"] + np.array([0.0, 0.0, 1.0, 0.0, 1.0])
    message = problem.compare({"result": got}, want)
    assert message.startswith("result[2] is 4.0 but the reference has 3.0") and "(2 of 5 elements)" in message


def test_verify_names_the_plugin_to_load_only_for_a_problem_it_does_not_know():
    reference = {"problem": "pi", "params": {}}
    with pytest.raises(UsageError, match="is a problem of the plug-in sweep.py: add --plugin sweep.py"):
        verify.known_problem({"problem": "sweep", "plugin": "sweep.py"})
    with pytest.raises(UsageError, match="unknown problem 'sweep'"):
        verify.known_problem({"problem": "sweep"})
    assert verify.known_problem({**reference, "plugin": "sweep.py"}) is registry.problem("pi")
