"""`python -m explorer bench --class-sweep N [N ...]`: a class sweep end to end on one replica, without browsers.

Issue 24's target: "a class sweep of 10 points on sprites finishes within 2 minutes with 10 students on one
replica". On a fresh real server a lecturer's simulated session (explorer.bench.ws_class) opens a room on the
Reparameterization page, N students join with the join link (`?room=CODE`; they help by default), the lecturer
picks the "β 0.1…8, 2 seeds each (10 points)" preset and presses Start. Each student's sweep fragment ticks every
1.5 s on the client's timer, as a browser's does: it claims a point and trains it on the server (the β page's
10-unit sprites VAE, 500 steps; two at a time: `jobs.MAX_RUNNING`). The clock runs from the lecturer's press until
the lecturer's panel above the page says "10 done" (the markdown "**Class sweep over β** · D done · T training ·
W waiting (of 10 points)" arriving in the lecturer's deltas; that panel polls every 1.5 s, so a result reaches it
up to 1.5 s after it is submitted). Also: the first point's time, the most points seen training at once, the
server's CPU (cores, over the sweep) and RSS (before, peak), the students' timer-fragment runs, each student's
points, errors. A fresh server per N: the first point includes loading the sprites set into the server's cache.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from pathlib import Path

from explorer.bench import ws_class_load
from explorer.bench.browser import streamlit_server
from explorer.bench.load import _sample_rss, cpu_s, rss_mb, server_pid
from explorer.bench.process import in_own_thread
from explorer.bench.ws_class import join_room, open_room
from explorer.bench.ws_class_load import _session_errors

PAGE = "reparameterization"  # any page: the sweep's panel sits above every page, its points train on sprites
PRESET, PRESET_KEY, START_KEY = "β 0.1…8, 2 seeds each (10 points)", "class_sweep_preset", "class_sweep_start"
TARGET_S, SWEEP_TIMEOUT_S, SETTLE_S = 120.0, 360.0, 2.0
COUNTS = re.compile(r"Class sweep over .*? · (\d+) done · (\d+) training · (\d+) waiting \(of (\d+) points\)")
TRAINED = re.compile(r"You trained (\d+) point")  # a student's caption once they submitted a point


class Progress:
    """The lecturer's sweep counts as they arrive: an `Until` for `WatchingSession.watch` that notes each new
    (done, training, waiting) with its perf_counter time and picks the panel that says every point is done."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, int, int, int, int]] = []  # (time, done, training, waiting, total)

    def __call__(self, kind: str, element) -> bool:
        found = COUNTS.search(element.markdown.body) if kind == "markdown" else None
        if found is None:
            return False
        counts = tuple(int(g) for g in found.groups())
        if not self.seen or self.seen[-1][1:] != counts:
            self.seen.append((time.perf_counter(), *counts))
        return counts[0] == counts[3]

    def figures(self, since: float) -> dict:
        """Seconds from `since` to the first point done; the most points claimed at once (the panel's "training":
        claimed by a student, training or waiting for one of the server's two slots); the counts' history."""
        first = next((t for t, done, *_ in self.seen if done >= 1), None)
        return {"first_point_s": None if first is None else round(first - since, 2),
                "most_claimed_at_once": max((training for _, _, training, _, _ in self.seen), default=0),
                "done_reached": max((done for _, done, *_ in self.seen), default=0),
                "history": [(round(t - since, 2), done, training, waiting) for t, done, training, waiting, _
                            in self.seen]}


async def _class(url: str, n: int, result: dict):
    """The lecturer's room with `n` students in it, the 10-point preset picked; `SETTLE_S` for the joins."""
    lecturer, code = await open_room(url, PAGE)
    students = await join_room(url, code, n, PAGE)
    timing = await lecturer.set_widget(PRESET, key=PRESET_KEY)
    if timing.error:
        result["lecturer_errors"].append(f"picking the preset: {timing.error}")
    await asyncio.sleep(SETTLE_S)
    return lecturer, students


async def _sweep(lecturer, students, pid: int, result: dict) -> None:
    """Start, then wait for "10 done" on the lecturer's panel: the times, CPU and RSS meanwhile."""
    progress, samples, stop = Progress(), [], asyncio.Event()
    sampler = asyncio.create_task(_sample_rss(pid, samples, stop))
    result["rss_before_start_mb"] = rss_mb(pid)
    cpu, ticks, done = cpu_s([pid]), sum(s.fragment_runs for s in students), lecturer.watch(progress)
    here, started = cpu_s([os.getpid()]), time.perf_counter()
    timing = await lecturer.trigger(key=START_KEY, timeout=60.0)
    if timing.error:
        result["lecturer_errors"].append(f"starting the sweep: {timing.error}")
    try:
        finished = await asyncio.wait_for(done, SWEEP_TIMEOUT_S)
    except TimeoutError:
        finished = None
    elapsed = time.perf_counter() - started
    stop.set()
    await sampler
    result.update(sweep_s=None if finished is None else round(finished - started, 2), **progress.figures(started))
    result.update(server_cpu_cores=round((cpu_s([pid]) - cpu) / elapsed, 2), rss_peak_mb=max(samples, default=None),
                  load_generator_cpu_cores=round((cpu_s([os.getpid()]) - here) / elapsed, 2),
                  fragment_runs_per_student_per_s=round((sum(s.fragment_runs for s in students) - ticks)
                                                        / elapsed / max(1, len(students)), 2))


def _points_per_student(students) -> list[int]:
    """How many points each student's page says it trained (0: no caption), most first."""
    counts = [max((int(m.group(1)) for text in s.page.texts() if (m := TRAINED.search(text))), default=0)
              for s in students]
    return sorted(counts, reverse=True)


async def _run(url: str, pid: int, n: int) -> dict:
    result = {"students": n, "preset": PRESET, "page": PAGE, "target_s": TARGET_S, "lecturer_errors": [],
              "cores": os.cpu_count(), "loadavg_before": os.getloadavg(), "rss_no_session_mb": rss_mb(pid)}
    lecturer, students = await _class(url, n, result)
    await _sweep(lecturer, students, pid, result)
    await asyncio.sleep(SETTLE_S)  # the students' last runs (their captions) come in
    result["points_per_student"] = _points_per_student(students)
    result.update(_session_errors([lecturer, *students]))
    result["errors"] = len(result["lecturer_errors"]) + result.pop("error_count")
    result["within_target"] = result["sweep_s"] is not None and result["sweep_s"] <= TARGET_S
    result["loadavg_after"] = os.getloadavg()
    await asyncio.gather(*(session.close() for session in (lecturer, *students)))
    return result


def run_sweep(n: int) -> dict:
    """A fresh real server, a lecturer and `n` students, one 10-point class sweep timed; the server stopped."""
    with streamlit_server() as url:
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        return in_own_thread(asyncio.run, _run(url, pid, n))


def _seconds(value: float | None) -> str:
    return f"≥ {SWEEP_TIMEOUT_S:g} (not finished)" if value is None else f"{value}"


ROWS = (  # (row of the table, how to read it from a result)
    ("Start → lecturer's panel says 10 done (s)", lambda r: f'**{_seconds(r["sweep_s"])}**'),
    ("within 2 minutes", lambda r: "**yes**" if r["within_target"] else "**no**"),
    ("Start → first point done (s)", lambda r: _seconds(r["first_point_s"])),
    ("most points claimed at once (the panel's \"training\"; 2 train at a time)",
     lambda r: r["most_claimed_at_once"]),
    ("points per student", lambda r: " ".join(map(str, r["points_per_student"]))),
    ("server CPU cores over the sweep", lambda r: r["server_cpu_cores"]),
    ("server RSS before Start → peak (MB)", lambda r: f'{r["rss_before_start_mb"]} → {r["rss_peak_mb"]}'),
    ("load generator CPU cores", lambda r: r["load_generator_cpu_cores"]),
    ("timer-fragment runs per student per s", lambda r: r["fragment_runs_per_student_per_s"]),
    ("errors", lambda r: r["errors"]),
    ("load average (1 min) before → after", lambda r: f'{r["loadavg_before"][0]:.2f} → {r["loadavg_after"][0]:.2f}'),
)


def table(results: list[dict]) -> str:
    """The results side by side, one column per N, as a Markdown table."""
    return ws_class_load.markdown_table([f'{r["students"]} students' for r in results], ROWS, results)


def main(ns: tuple[int, ...] = (10,), json_path: str = "bench_class_sweep.json") -> dict:
    """One sweep for each N, each on a fresh server; the table printed, the numbers written to `json_path`."""
    results = []
    for n in ns:
        results.append(run_sweep(n))
        print(f"{n} students: {_seconds(results[-1]['sweep_s'])} s", flush=True)
    report = {"class_sweep": results, "table": table(results)}
    print(report["table"], flush=True)
    Path(json_path).write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {json_path}")
    return report
