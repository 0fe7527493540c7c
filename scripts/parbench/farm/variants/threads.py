"""threading: N threads pull tasks from one shared queue until it is empty (dynamic balancing).

Threads share the interpreter, so they only run in parallel while the kernel releases the GIL:
NumPy does inside its loops, numba does with `nogil=True`, plain Python never does.
"""

import queue
import threading

from parbench.context import RunContext
from parbench.contracts.task_farm import Job


def run(job: Job, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        job.warm_up()
    with ctx.phases.phase("distribute"):
        todo = queue.SimpleQueue()
        for task in job.tasks():
            todo.put(task)
    done, failures = [], []

    def work():
        try:
            while True:
                try:
                    task = todo.get_nowait()
                except queue.Empty:
                    return
                done.append(job.run_task(task))  # list.append is atomic: no lock needed
        except BaseException as error:  # re-raised in the main thread below
            failures.append(error)

    serial = job.run_serial_part(ctx)
    with ctx.phases.phase("compute"):
        threads = [threading.Thread(target=work, name=f"thread{i}") for i in range(ctx.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    with ctx.phases.phase("communicate"):
        return job.finish(done, ctx, serial)
