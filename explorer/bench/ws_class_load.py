"""`python -m explorer bench --class N`: the class (issue 24) under load, without browsers.

On a fresh real server, a lecturer's simulated session opens a room on the Reparameterization page and N students
join it with the join link (`?room=CODE`), each a `WatchingSession` (explorer.bench.ws_class) whose timer
fragments, if a page has any, the client reruns on their timers, as a browser does (a following student's page
has none: the server pushes its reruns, explorer/ui/class_push.py). After the followers sit idle a while (the
server's CPU and memory per idle follower measured then), the lecturer moves μ `len(CHANGES)` times, `SPACING_S`
apart; for each change and each follower, the time from the lecturer's send until the follower's view shows the
new μ. Then again on a fresh server with the class sweep running (the lecturer starts it, the students train its
points). With `--replicas`, the same across two servers that share a throw-away Redis: the lecturer on one, the
followers on the other. Issue 24's targets: with 100 followers, 95 % within 2 s, 0 errors; < 20 MB of server
memory per idle follower; the same across replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
from pathlib import Path

from explorer.bench.browser import streamlit_server
from explorer.bench.load import cpu_s, percentile, rss_mb, server_pid
from explorer.bench.process import in_own_thread
from explorer.bench.redis_server import redis_server
from explorer.bench.ws_class import change_and_time, join_room, open_room
from explorer.bench.ws_session import WsSession

PAGE, KNOB = "reparameterization", "rep_mu"
CHANGES = (0.9, -0.3, 1.4, 0.0, -1.2)  # μ's values, each a change from the one before (the default is 0.5)
SPACING_S, ARRIVAL_TIMEOUT_S, IDLE_S, WITHIN_S = 3.0, 30.0, 8.0, 2.0
SWEEP_START_KEY, SWEEP_SETTLE_S = "class_sweep_start", 8.0  # the lecturer's button; students claim, two train
FOLLOWING = re.compile(r"\*\*(\d+)\*\* following")  # the lecturer's sidebar count


def _cpu_window(pid: int) -> tuple[float, float, float]:
    return cpu_s([pid]), cpu_s([os.getpid()]), time.monotonic()


def _cpu_since(pid: int, start: tuple[float, float, float], name: str) -> dict:
    """Cores the server and this load generator used since `start` (from `_cpu_window`)."""
    elapsed = time.monotonic() - start[2]
    return {f"server_cpu_cores_{name}": round((cpu_s([pid]) - start[0]) / elapsed, 2),
            f"load_generator_cpu_cores_{name}": round((cpu_s([os.getpid()]) - start[1]) / elapsed, 2)}


def shown_following(session) -> int | None:
    counts = [int(m.group(1)) for text in session.page.texts() if (m := FOLLOWING.search(text))]
    return counts[0] if counts else None


async def _join_idle(urls: tuple[str, str], pid: int, n: int, result: dict):
    """The lecturer's room (on `urls[0]`), N followers in it (on `urls[1]`, whose server is `pid`), then `IDLE_S`
    of following nothing: memory and CPU meanwhile."""
    url = urls[1]
    lecturer, code = await open_room(urls[0], PAGE)
    if urls[0] != url:  # the followers' replica has run no session yet: one first, so its imports are not theirs
        result["warm_up"] = await WsSession.open(url, PAGE)
    await asyncio.sleep(2.0)
    result["rss_lecturer_only_mb"] = before = rss_mb(pid)
    started = time.perf_counter()
    followers = await join_room(url, code, n, PAGE)
    result["join_all_s"] = round(time.perf_counter() - started, 1)
    loads = [f.load_timing.finished_s for f in followers]
    result.update(join_p50_s=percentile(loads, 50), join_max_s=percentile(loads, 100))
    window, runs = _cpu_window(pid), sum(f.fragment_runs for f in followers)
    await asyncio.sleep(IDLE_S)
    result.update(_cpu_since(pid, window, "idle_following"))
    ticks = (sum(f.fragment_runs for f in followers) - runs) / (time.monotonic() - window[2]) / n
    result["fragment_runs_per_follower_per_s"] = round(ticks, 2)  # the follow timer: 2 a second
    result[f"rss_{n}_idle_followers_mb"] = after = rss_mb(pid)
    result["rss_per_idle_follower_mb"] = round((after - before) / n, 2)
    result["following_shown_to_lecturer"] = shown_following(lecturer)
    return lecturer, followers


async def _change_all(lecturer, followers, result: dict) -> list[float | None]:
    """`CHANGES`, `SPACING_S` apart: every follower's arrival times, in order of change then follower."""
    arrivals, lecturer_runs, errors = [], [], []
    for value in CHANGES:
        started = time.monotonic()
        seconds, timing = await change_and_time(lecturer, followers, KNOB, value, timeout=ARRIVAL_TIMEOUT_S)
        arrivals += seconds
        lecturer_runs.append(timing.finished_s)
        errors += [f"lecturer's change to {value}: {timing.error}"] if timing.error else []
        await asyncio.sleep(max(0.0, SPACING_S - (time.monotonic() - started)))
    result.update(lecturer_run_p50_s=percentile([t for t in lecturer_runs if t is not None], 50),
                  lecturer_errors=result.get("lecturer_errors", []) + errors)
    return arrivals


def _arrival_figures(arrivals: list[float | None]) -> dict:
    """p50/p95/max (a missed arrival counts as the timeout: a lower bound), within 2 s, missed."""
    counted = [ARRIVAL_TIMEOUT_S if a is None else a for a in arrivals]
    return {"arrivals": len(arrivals), "missed": arrivals.count(None),
            "change_to_view_p50_s": percentile(counted, 50), "change_to_view_p95_s": percentile(counted, 95),
            "change_to_view_max_s": percentile(counted, 100),
            "within_2_s": round(sum(a is not None and a <= WITHIN_S for a in arrivals) / max(1, len(arrivals)), 3)}


def _session_errors(sessions) -> dict:
    errors = [e for s in sessions for e in s.errors]
    exceptions = [e for s in sessions for e in s.page.exceptions()]
    return {"session_errors": errors[:5], "exceptions_on_pages": exceptions[:5],
            "unresolved_refs": sum(s.page.unresolved_refs for s in sessions),
            "error_count": len(errors) + len(exceptions) + sum(s.page.unresolved_refs for s in sessions)}


async def _start_sweep(lecturer, result: dict) -> None:
    """The lecturer starts the class sweep (the sidebar's default preset); the students' sessions help by default:
    they claim points and train them on the server, two at a time, while the lecturer moves μ."""
    timing = await lecturer.trigger(key=SWEEP_START_KEY, timeout=ARRIVAL_TIMEOUT_S)
    if timing.error:
        result["lecturer_errors"] = [f"starting the sweep: {timing.error}"]
    await asyncio.sleep(SWEEP_SETTLE_S)
    result["sweep_texts_at_first_change"] = [t for t in lecturer.page.texts() if "point" in t.lower()][:3]


async def _run(urls: tuple[str, str], pid: int, n: int, sweep: bool) -> dict:
    result = {"followers": n, "sweep": sweep, "replicas": len(set(urls)), "page": PAGE, "knob": KNOB,
              "changes": len(CHANGES), "spacing_s": SPACING_S, "loadavg_before": os.getloadavg(),
              "rss_no_session_mb": rss_mb(pid)}
    lecturer, followers = await _join_idle(urls, pid, n, result)
    if sweep:
        await _start_sweep(lecturer, result)
    window = _cpu_window(pid)
    arrivals = await _change_all(lecturer, followers, result)
    result.update(_cpu_since(pid, window, "changes"))
    result.update(_arrival_figures(arrivals), **_session_errors([lecturer, *followers]))
    result["errors"] = result["missed"] + len(result["lecturer_errors"]) + result.pop("error_count")
    result["loadavg_after"] = os.getloadavg()
    warm_up = [result.pop("warm_up")] if "warm_up" in result else []
    await asyncio.gather(*(session.close() for session in (lecturer, *followers, *warm_up)))
    return result


def run_class(n: int, sweep: bool = False, replicas: bool = False) -> dict:
    """Start the real server, a lecturer and `n` followers (with a running class sweep when `sweep`), time the
    lecturer's changes, stop it. With `replicas`: a throw-away Redis and two servers sharing it
    (`LATENT_LAB_REDIS_URL`), the lecturer on the first, the followers on the second (whose CPU and memory count)."""
    with contextlib.ExitStack() as stack:
        env = {"LATENT_LAB_REDIS_URL": stack.enter_context(redis_server())} if replicas else None
        urls = [stack.enter_context(streamlit_server(env=env)) for _ in range(2 if replicas else 1)]
        pid = server_pid(int(urls[-1].rsplit(":", 1)[1]))
        return in_own_thread(asyncio.run, _run((urls[0], urls[-1]), pid, n, sweep))


ROWS = (  # (row of the table, how to read it from a result)
    ("change → follower's view p50 / p95 / max (s)",
     lambda r: f'{r["change_to_view_p50_s"]} / {r["change_to_view_p95_s"]} / {r["change_to_view_max_s"]}'),
    ("within 2 s (target ≥ 95 %)", lambda r: f'{r["within_2_s"]:.1%} of {r["arrivals"]}'),
    ("errors (missed arrivals)", lambda r: f'{r["errors"]} ({r["missed"]})'),
    ("server RSS lecturer → + N idle followers (MB)",
     lambda r: f'{r["rss_lecturer_only_mb"]} → {r["rss_{}_idle_followers_mb".format(r["followers"])]}'),
    ("server RSS per idle follower (target < 20 MB)", lambda r: r["rss_per_idle_follower_mb"]),
    ("server CPU cores idle following / changes",
     lambda r: f'{r["server_cpu_cores_idle_following"]} / {r["server_cpu_cores_changes"]}'),
    ("load generator CPU cores idle / changes",
     lambda r: f'{r["load_generator_cpu_cores_idle_following"]} / {r["load_generator_cpu_cores_changes"]}'),
    ("join p50 / max (s); following shown to the lecturer",
     lambda r: f'{r["join_p50_s"]} / {r["join_max_s"]}; {r["following_shown_to_lecturer"]}'),
    ("timer-fragment runs per follower per s", lambda r: r["fragment_runs_per_follower_per_s"]),
    ("load average before → after", lambda r: f'{r["loadavg_before"][0]:.1f} → {r["loadavg_after"][0]:.1f}'),
)


def markdown_table(columns: list[str], rows, results: list[dict]) -> str:
    """`results` side by side under `columns`, one line per (name, read) of `rows`, as a Markdown table."""
    lines = ["| | " + " | ".join(columns) + " |", "|---|" + "---|" * len(results)]
    lines += [f"| {name} | " + " | ".join(str(read(r)) for r in results) + " |" for name, read in rows]
    return "\n".join(lines)


def table(results: list[dict]) -> str:
    """The results side by side, one column per N, as a Markdown table."""
    return markdown_table([f'N = {r["followers"]}{", sweep" if r["sweep"] else ""}'
                           f'{", 2 replicas" if r.get("replicas", 1) > 1 else ""}' for r in results], ROWS, results)


def main(ns: tuple[int, ...] = (10,), json_path: str = "bench_class.json", sweeps: tuple[bool, ...] = (False, True),
         replicas: bool = False) -> dict:
    """Each N without and with a running class sweep, each on a fresh server (two, sharing Redis, with
    `replicas`); the table printed, the numbers written to `json_path`."""
    results = [run_class(n, sweep, replicas) for n in ns for sweep in sweeps]
    report = {"class": results, "table": table(results)}
    print(report["table"], flush=True)
    Path(json_path).write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {json_path}")
    return report
