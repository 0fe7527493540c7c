"""A parameter sweep of the SIR epidemic model, as an epidemiologist would run one: for every
pair of transmission rate (beta) and recovery rate (gamma) on a grid, integrate

    dS/dt = -beta S I,   dI/dt = beta S I - gamma I,   (R = 1 - S - I)

with the classical fourth-order Runge-Kutta method until the epidemic is over (I below a
threshold), and record its final size, its peak and the day it ended.

One task is one value of beta: the whole row of gammas is integrated at once with NumPy. Rows
cost unevenly: an epidemic near the threshold R0 = beta / gamma = 1 smoulders for hundreds of
days, a fast one is over in weeks, so the scheduling of each parallel approach shows.

It uses only +, - and * on float64, which give the same bits in every process: the answer is
exact, and parbench checks every variant against the serial one bit for bit.
"""

import numpy as np

from parbench.plugins import Param, SimpleProblem

INFECTED_AT_START = 1e-4  # a share of the population
OVER = 1e-6  # the epidemic is over when fewer than this share are infected


def tasks(p):
    """One task per transmission rate."""
    return [float(beta) for beta in np.linspace(p["beta_min"], p["beta_max"], p["betas"])]


def compute(beta, p):
    """Integrates the row of epidemics with transmission rate `beta` until all are over."""
    gamma = np.linspace(p["gamma_min"], p["gamma_max"], p["gammas"])
    s = np.full(p["gammas"], 1.0 - INFECTED_AT_START)
    i = np.full(p["gammas"], INFECTED_AT_START)
    peak, ended = i.copy(), np.zeros(p["gammas"])
    dt, steps = p["dt"], int(p["max_days"] / p["dt"])

    def rates(s, i):
        infections = beta * s * i
        return -infections, infections - gamma * i

    for step in range(1, steps + 1):
        ds1, di1 = rates(s, i)
        ds2, di2 = rates(s + 0.5 * dt * ds1, i + 0.5 * dt * di1)
        ds3, di3 = rates(s + 0.5 * dt * ds2, i + 0.5 * dt * di2)
        ds4, di4 = rates(s + dt * ds3, i + dt * di3)
        s = s + dt / 6.0 * (ds1 + 2.0 * ds2 + 2.0 * ds3 + ds4)
        i = i + dt / 6.0 * (di1 + 2.0 * di2 + 2.0 * di3 + di4)
        peak = np.maximum(peak, i)
        running = (i >= OVER) & (ended == 0)
        ended[(i < OVER) & (ended == 0)] = step * dt
        if not running.any():
            break
    ended[ended == 0] = steps * dt  # still going at max_days
    final_size = 1.0 - s - i
    return np.stack([final_size, peak, ended])


def combine(p, rows):
    """The rows in task order make the grid: beta down, gamma across."""
    grid = np.stack(rows)
    return {"final_size": grid[:, 0], "peak": grid[:, 1], "days": grid[:, 2]}


PROBLEM = SimpleProblem(
    name="sir-sweep",
    summary="SIR epidemics over a grid of transmission and recovery rates (RK4, uneven rows)",
    problem_class="parameter sweep",
    params=[
        Param("betas", int, 64, "transmission rates (one task each)", minimum=1),
        Param("gammas", int, 64, "recovery rates per task", minimum=1),
        Param("beta_min", float, 0.05, "smallest transmission rate, per day", minimum=0.0),
        Param("beta_max", float, 0.6, "largest transmission rate, per day", minimum=0.0),
        Param("gamma_min", float, 0.05, "smallest recovery rate, per day", minimum=0.01),
        Param("gamma_max", float, 0.5, "largest recovery rate, per day", minimum=0.01),
        Param("dt", float, 0.25, "time step, days", minimum=0.001, maximum=1.0),
        Param("max_days", float, 2000.0, "longest epidemic followed, days", minimum=1.0),
    ],
    tasks=tasks,
    compute=compute,
    combine=combine,
    # Estimates for SLURM's requests: a row's arrays, and a slow row's seconds on a slow core.
    bytes_per_task=1 << 20,
    seconds_per_task=2.0,
)
