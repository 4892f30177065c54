"""`python -m explorer.bench.class_sweep [--steps N] [--points P]` (issue 24, item 4): how long a class sweep takes
on one replica, without browsers.

The sweep is the lecturer's "β 0.1…8, 2 seeds each (10 points)" preset (`training.class_sweep.presets`): P students'
sessions each train one point as a `PointJob` in one process, at most `jobs.MAX_RUNNING` at once, as the server
runs them. A student's session ticks every `STUDENT_TICK_S`; with P students ticking at random phases, a free slot
is taken within about STUDENT_TICK_S / P, so the bench polls that often. The sprites set is loaded first (the app
has it cached); the room's store is not in it (a claim and a result are a few hash operations).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from explorer import data
from explorer.training import class_sweep, jobs
from explorer.training.class_sweep import PointJob, point_spec

STUDENT_TICK_S = 1.5  # explorer.ui.class_sweep.STUDENT_POLL_S
PRESET = "β 0.1…8, 2 seeds each (10 points)"


def specs(steps: int, points: int) -> list[class_sweep.PointSpec]:
    sweep = class_sweep.presets(steps)[PRESET]
    values = (sweep["values"] * points)[:points]
    return [point_spec({"sweep_id": "bench", "point_id": i, "knob": sweep["knob"], "value": value,
                        "model": sweep["model"]}, values) for i, value in enumerate(values)]


def run(steps: int, points: int) -> dict:
    """Every point trained, at most `jobs.MAX_RUNNING` at once; seconds to the last result and per point."""
    train, test = data.load("sprites", "train"), data.load("sprites", "test")
    waiting, running, done = specs(steps, points), [], []
    poll_s = STUDENT_TICK_S / points
    started = time.perf_counter()
    while waiting or running:
        for job in [job for job in running if job.result is not None or job.done]:
            running.remove(job)
            done.append(job)
        while waiting:
            job = PointJob(waiting[0], train, test)
            try:
                job.start()
            except jobs.QueueFull:
                break
            running.append(job)
            waiting.pop(0)
        time.sleep(poll_s)
    total = time.perf_counter() - started
    seconds = [job.result["seconds"] for job in done if job.result]
    return {"points": points, "steps": steps, "total_s": total, "point_s_mean": statistics.mean(seconds),
            "point_s_max": max(seconds), "failed": sum(job.result is None for job in done),
            "rates": [round(job.result["rate"], 1) for job in done if job.result]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=class_sweep.POINT_STEPS)
    parser.add_argument("--points", type=int, default=10)
    args = parser.parse_args(argv)
    data.load("sprites", "train")
    load_before = os.getloadavg()
    solo = run(args.steps, 1)
    result = run(args.steps, args.points)
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}; "
          f"after: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores)")
    print(f"one point alone: {solo['total_s']:.1f} s ({args.steps} steps)")
    print(f"{result['points']} points, {jobs.MAX_RUNNING} at a time: {result['total_s']:.1f} s to the last result; "
          f"a point {result['point_s_mean']:.1f} s on average, {result['point_s_max']:.1f} s at most; "
          f"failed {result['failed']}; rates (nats per image) {result['rates']}")


if __name__ == "__main__":
    main()
