"""The report's answer, from the measurements: per problem and worker count, the fastest variant
with its speed-up and efficiency, and for every other variant the main reason it loses, read off
the measured phases against the fastest one's.

A variant's time behind the fastest splits into what each reason costs it more:

- start-up: the startup and teardown phases (pools, clusters, JVMs, interpreters);
- distribution: handing out the work (the distribute phase);
- communication: gathering results and exchanging data (the communicate phase);
- load imbalance: the share of the compute phase the busiest worker spent beyond the mean
  (compute x (1 - mean / max busy));
- the GIL: the rest of the compute phase, for thread variants with a kernel that holds the GIL;
  for the others `slower compute` (cores shared, memory bandwidth, a slower engine);
- other: writing the result and wall time outside the named phases.

The main reason is the one that costs the most seconds. Sentences are built from these numbers
only, so they say what this study measured.
"""

from __future__ import annotations

import pandas as pd

from parbench import registry, stats

THREAD_VARIANTS = registry.THREAD_VARIANTS
# numba compiled with nogil=True; a plug-in's code declared to release the GIL (releases_gil);
# fetch's tasks, which wait in socket calls: threads run truly in parallel.
GIL_FREE_KERNELS = ("numba", "nogil", "io")
MEASURED = ("start-up", "distribution", "communication", "load imbalance", "compute", "other")
REASONS = (
    "start-up",
    "distribution",
    "communication",
    "load imbalance",
    "the GIL",
    "slower compute",
    "other",
)
LOSS_COLUMNS = [
    "case",
    "problem",
    "workers",
    "variant",
    "kernel",
    "median_s",
    "fastest",
    "behind_s",
    "reason",
    "reason_s",
]


def reason_seconds(point: pd.Series) -> dict[str, float]:
    """Seconds of one point (a row of analysis.points) per reason."""
    compute = float(point.get("compute", 0.0) or 0.0)
    imbalance = point.get("imbalance")
    uneven = compute * (1 - 1 / imbalance) if pd.notna(imbalance) and imbalance > 1 else 0.0
    seconds = dict.fromkeys(MEASURED, 0.0)
    seconds["start-up"] = float(point.get("startup", 0.0)) + float(point.get("teardown", 0.0))
    seconds["distribution"] = float(point.get("distribute", 0.0))
    seconds["communication"] = float(point.get("communicate", 0.0))
    seconds["load imbalance"] = uneven
    seconds["compute"] = compute - uneven
    seconds["other"] = float(point.get("write", 0.0)) + float(point.get("other", 0.0))
    return {k: (0.0 if pd.isna(v) else v) for k, v in seconds.items()}


def compute_reason(point: pd.Series) -> str:
    """What a thread variant's extra compute is: the GIL, unless its kernel releases it."""
    holds_gil = point["variant"] in THREAD_VARIANTS and point["kernel"] not in GIL_FREE_KERNELS
    return "the GIL" if holds_gil else "slower compute"


def label(point: pd.Series) -> str:
    """A variant's name, with its kernel where it is not the case's (Spark's `jvm`)."""
    if point["kernel"] != point["case_kernel"]:
        return f"{point['variant']} ({point['kernel']})"
    return str(point["variant"])


def ranked(points: pd.DataFrame):
    """(case, workers, points at that count sorted fastest first) for every case and worker count."""
    for (case, workers), group in points.groupby(["case", "workers"], sort=True):
        yield case, int(workers), group.sort_values(["median_s", "variant"])


def losses(points: pd.DataFrame) -> pd.DataFrame:
    """Per case, worker count and variant that is not the fastest: how far behind it is and the
    reason that costs it the most seconds against the fastest."""
    rows = []
    for case, workers, group in ranked(points):
        best = group.iloc[0]
        best_seconds = reason_seconds(best)
        for _, point in group.iloc[1:].iterrows():
            extra = {r: s - best_seconds[r] for r, s in reason_seconds(point).items()}
            measured = max(extra, key=extra.get)
            reason = compute_reason(point) if measured == "compute" else measured
            rows.append(
                {
                    "case": case,
                    "problem": point["problem"],
                    "workers": workers,
                    "variant": point["variant"],
                    "kernel": point["kernel"],
                    "median_s": point["median_s"],
                    "fastest": label(best),
                    "behind_s": point["median_s"] - best["median_s"],
                    "reason": reason,
                    "reason_s": extra[measured],
                }
            )
    return pd.DataFrame(rows, columns=LOSS_COLUMNS)


def fastest(points: pd.DataFrame) -> pd.DataFrame:
    """Per case and worker count: the fastest variant, its wall time, speed-up and efficiency, the
    runner-up, how many variants were compared, and the variants it ties with (`tied_with`):
    those whose wall time cannot be told from its own (`tie_basis`: by what)."""
    rows = []
    for case, workers, group in ranked(points):
        best = group.iloc[0]
        tied = [label(point) for _, point in group.iloc[1:].iterrows() if inside_noise(best, point)]
        row = {
            "case": case,
            "problem": best["problem"],
            "workers": workers,
            "nodes": int(best["nodes"]),
            "fastest": label(best),
            "median_s": best["median_s"],
            "speedup": best["speedup"],
            "efficiency": best["efficiency"],
            "runner_up": label(group.iloc[1]) if len(group) > 1 else "",
            "runner_up_s": group.iloc[1]["median_s"] if len(group) > 1 else float("nan"),
            "variants_compared": len(group),
            "tied_with": ", ".join(tied),
            "tie_basis": tie_basis(best) if tied else "",
        }
        rows.append(row)
    return pd.DataFrame(rows)


def known_interval(point: pd.Series) -> bool:
    return pd.notna(point.get("time_low")) and pd.notna(point.get("time_high"))


def inside_noise(best: pd.Series, other: pd.Series) -> bool:
    """Whether two points' wall times cannot be told apart: their intervals overlap; where either
    has too few repeats for one, their ranges over the repeats overlap (a weaker test, and the
    answer says so)."""
    if known_interval(best) and known_interval(other):
        return other["time_low"] <= best["time_high"] and best["time_low"] <= other["time_high"]
    return other["min_s"] <= best["max_s"] and best["min_s"] <= other["max_s"]


def tie_basis(best: pd.Series) -> str:
    if known_interval(best):
        return f"their {stats.LEVEL:.0%} intervals of the wall time overlap"
    return f"their wall times overlap over {int(best['repeats'])} repeats, too few for an interval"


def seconds(value: float) -> str:
    """Seconds to two significant figures, without exponents."""
    return f"{value:.2g} s" if abs(value) < 10 else f"{value:.0f} s"


def workers_text(first: int, last: int) -> str:
    if first == last:
        return f"{first} worker" + ("s" if first != 1 else "")
    return f"{first}-{last} workers"


def ratio_range(values: list[float], fmt) -> str:
    return (
        fmt(values[0])
        if len(values) == 1 or fmt(values[0]) == fmt(values[-1])
        else f"{fmt(values[0])} to {fmt(values[-1])}"
    )


def winners_sentence(table: pd.DataFrame, weak: bool) -> str:
    """Consecutive worker counts with the same fastest variant, in one sentence; where variants
    cannot be told apart (fastest: tied_with), they tie, and a last sentence says why."""
    runs_of_same, parts = [], []
    for _, row in table.sort_values("workers").iterrows():
        same = runs_of_same and runs_of_same[-1][0]["fastest"] == row["fastest"]
        if same and runs_of_same[-1][0].get("tied_with", "") == row.get("tied_with", ""):
            runs_of_same[-1].append(row)
        else:
            runs_of_same.append([row])
    name = "scaled speed-up" if weak else "speed-up"
    bases = []
    for group in runs_of_same:
        speedups = [r["speedup"] for r in group]
        efficiencies = [r["efficiency"] for r in group]
        nodes = sorted({r["nodes"] for r in group})
        text = f"with {workers_text(group[0]['workers'], group[-1]['workers'])}"
        if nodes[-1] > 1:
            span = str(nodes[0]) if len(nodes) == 1 else f"{nodes[0]}-{nodes[-1]}"
            text += f" ({span} nodes)"
        if pd.notna(speedups[0]):
            figures = (
                f"{name} {ratio_range(speedups, lambda s: f'{s:.3g}x')}, "
                f"efficiency {ratio_range(efficiencies, lambda e: f'{e:.0%}')}"
            )
        else:
            figures = seconds(group[0]["median_s"])
        tied = group[0].get("tied_with", "")
        if tied:  # never a winner inside the noise
            names = [group[0]["fastest"], *tied.split(", ")]
            together = f"{', '.join(names[:-1])} and {names[-1]}"
            text += f", {together} tie ({figures} for {names[0]}, the lowest median)"
            bases.append(group[0]["tie_basis"])
        else:
            text += f", {group[0]['fastest']} is fastest ({figures})"
        parts.append(text)
    sentence = "; ".join(parts)
    sentence = sentence[0].upper() + sentence[1:] + "."
    if bases:
        said = " or ".join(dict.fromkeys(bases))
        sentence += f" Variants tie where {said}: more repeats or a larger size could tell them apart."
    return sentence


def losers_sentence(lost: pd.DataFrame, workers: int, fastest_name: str) -> str:
    """At one worker count, the other variants grouped by the reason that costs them the most."""
    here = lost[lost["workers"] == workers]
    if here.empty:
        return ""
    parts = []
    for reason in REASONS:
        by_reason = here[here["reason"] == reason].sort_values("reason_s", ascending=False)
        if by_reason.empty:
            continue
        names = ", ".join(
            f"{label_of(row)} {seconds(row['reason_s'])} ({seconds(row['behind_s'])} behind in all)"
            for _, row in by_reason.iterrows()
        )
        parts.append(f"{reason} costs {names}")
    return f"At {workers_text(workers, workers)}, against {fastest_name}: " + "; ".join(parts) + "."


def label_of(row: pd.Series) -> str:
    known = registry.PROBLEMS.get(row["problem"])
    if known is not None and row["kernel"] not in known.kernels:
        return f"{row['variant']} ({row['kernel']})"
    return str(row["variant"])


def answers(points: pd.DataFrame, weak: bool = False) -> dict[str, list[tuple[str, list[str]]]]:
    """Per problem: (case, sentences) for each of its cases: who is fastest at which worker
    counts, then why the others lose at the largest worker count (and at the smallest parallel
    one, when they differ)."""
    if points.empty:
        return {}
    best, lost = fastest(points), losses(points)
    result: dict[str, list[tuple[str, list[str]]]] = {}
    for (problem, case), table in best.groupby(["problem", "case"], sort=True):
        sentences = [winners_sentence(table, weak)]
        parallel = sorted(w for w in table["workers"] if w > 1)
        for workers in dict.fromkeys([parallel[-1], parallel[0]] if parallel else []):
            winner = table.loc[table["workers"] == workers, "fastest"].iloc[0]
            sentence = losers_sentence(lost[lost["case"] == case], workers, winner)
            if sentence:
                sentences.append(sentence)
        thrifty = memory_sentence(table, points[points["case"] == case])
        if thrifty:
            sentences.append(thrifty)
        shaky = unstable_sentence(points[points["case"] == case])
        if shaky:
            sentences.append(shaky)
        result.setdefault(problem, []).append((case, sentences))
    return result


# Variants that tie on time, one needing at least this many times another's memory: memory decides.
MEMORY_CHOICE_RATIO = 2.0


def memory_sentence(best: pd.DataFrame, points: pd.DataFrame) -> str:
    """Where variants tie on time at a worker count and their peak memory differs by
    MEMORY_CHOICE_RATIO or more: which of them needs the least, or ''."""
    if "memory_mib" not in points:
        return ""
    parts = []
    for _, row in best.sort_values("workers").iterrows():
        if not row.get("tied_with", ""):
            continue
        names = [row["fastest"], *row["tied_with"].split(", ")]
        here = points[points["workers"] == row["workers"]]
        memory = {label(p): p["memory_mib"] for _, p in here.iterrows() if label(p) in names}
        memory = {name: mib for name, mib in memory.items() if pd.notna(mib) and mib > 0}
        if len(memory) < 2:
            continue
        least, most = min(memory, key=memory.get), max(memory, key=memory.get)
        if memory[most] >= MEMORY_CHOICE_RATIO * memory[least]:
            parts.append(
                f"at {workers_text(int(row['workers']), int(row['workers']))}, {least} needs "
                f"{memory[least]:.0f} MiB against {memory[most]:.0f} MiB for {most}"
            )
    if not parts:
        return ""
    text = "; ".join(parts)
    return f"Among variants that tie, memory can decide: {text} (peak of all the run's processes)."


def unstable_sentence(points: pd.DataFrame) -> str:
    """The case's unstable points and why (analysis.instability), or ''."""
    if "unstable" not in points:
        return ""
    shaky = points[points["unstable"].fillna("") != ""].sort_values(["workers", "variant"])
    if shaky.empty:
        return ""
    named = "; ".join(
        f"{label(row)} at {workers_text(int(row['workers']), int(row['workers']))} ({row['unstable']})"
        for _, row in shaky.iterrows()
    )
    return f"Unstable, so read with care: {named}."
