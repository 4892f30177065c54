"""`python -m explorer bench --ws N`: the classroom load bench of `explorer.bench.load`, without browsers.

The same scenario as the browser bench (BENCHMARKS.md, issue 11): N sessions open the latent-space page, two of
them start training a 2-D VAE ("Train your own", the most steps offered) and go back to the maps, a third trainer
must get "queue full", and every session then clicks the VAE's latent map every 1–3 s. Here each session is a
`WsSession` speaking Streamlit's websocket protocol: a click is the map component's "released" event at the point
a browser's click would decode, and click-to-image runs from sending it until the new decoded image is fetched
over HTTP (the browser bench: until it is fetched and decoded in the page). The server's CPU and memory are
measured as in the browser bench; so is the load generator's own CPU (one Python process, one event loop), which
replaces the browsers' share of the cores. `compare(n)` runs both benches at the same N, one after the other.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from pathlib import Path

from explorer.bench import load as browser_load
from explorer.bench.browser import streamlit_server
from explorer.bench.load import CLICK_TIMEOUT_S, PROGRESS, QUEUE_FULL, THINK_S, cpu_s, percentile, rss_mb, server_pid
from explorer.bench.process import in_own_thread
from explorer.bench.ws_session import WsSession, open_sessions
from explorer.data.mnist import SHARED_MNIST

PAGE, MAP_KEY, MAPS_TAB, TRAIN_TAB = "latent_space", "click_mnist-vae-2d", "AE vs VAE", "Train your own"
OPEN_TIMEOUT_S = 120.0


def is_decoded_image(kind: str, element) -> bool:
    """The image a click on a map decodes (its caption names the point)."""
    return kind == "imgs" and any(image.caption.startswith("decoded at z = ") for image in element.imgs.imgs)


def map_extent(session: WsSession) -> list[float]:
    """The VAE map's [z1 min, z1 max, z2 min, z2 max], from the data the component was sent."""
    proto = session.page.find(key=MAP_KEY).proto
    return json.loads(proto.json or proto.mixed.json)["extent"]


async def click_once(session: WsSession, rng: random.Random, last: list[float]):
    """Click a point of the VAE map far from the last one, where the browser bench would (fractions of the map's
    width and height, 0.08 to 0.92): the click's RerunTiming."""
    fx, fy = last
    while abs(fx - last[0]) + abs(fy - last[1]) < 0.25:  # far enough to decode a different image
        fx, fy = rng.uniform(0.08, 0.92), rng.uniform(0.08, 0.92)
    last[:] = [fx, fy]
    x0, x1, y0, y1 = map_extent(session)
    point = {"z1": x0 + fx * (x1 - x0), "z2": y0 + (1 - fy) * (y1 - y0)}  # the canvas's toZ: y grows downwards
    return await session.trigger(key=MAP_KEY, event="released", value=point, until=is_decoded_image,
                                 timeout=CLICK_TIMEOUT_S)


async def drive(session: WsSession, until: float, think_s: float, seed: int, log: dict) -> None:
    rng, last = random.Random(seed), [0.5, 0.5]
    while time.monotonic() < until:
        timing = await click_once(session, rng, last)
        failed = timing.error is not None or timing.fetched_s is None
        log["timeouts"] += failed  # and in the percentiles as the timeout: a lower bound, as the browser bench
        log["click_errors"] += [timing.error] if failed else []
        log["latencies"].append(CLICK_TIMEOUT_S if failed else timing.fetched_s)
        log["in_page"].append(CLICK_TIMEOUT_S if failed else timing.matched_s)
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
    log["exceptions"] += len(session.page.exceptions())
    log["session_errors"] += session.errors


def progress_step(session: WsSession) -> int | None:
    steps = [int(m.group(1)) for text in session.page.texts() if (m := PROGRESS.match(text))]
    return steps[0] if steps else None


async def start_training(session: WsSession) -> tuple[str, int | None, float]:
    """Train from scratch with the most steps offered on "Train your own", then go back to the maps (lazy tabs:
    the training charts are not drawn meanwhile): 'training' or 'queue full', the step reached, and when."""
    await session.set_widget(TRAIN_TAB, key="latent_tab", timeout=OPEN_TIMEOUT_S)
    await session.set_widget(-1, label="Steps", timeout=OPEN_TIMEOUT_S)
    await session.trigger(label="Train from scratch", timeout=OPEN_TIMEOUT_S)
    full = any(QUEUE_FULL.search(text) for text in session.page.texts())
    step, at = progress_step(session), time.monotonic()
    await session.set_widget(MAPS_TAB, key="latent_tab", timeout=OPEN_TIMEOUT_S)
    return ("queue full" if full else "training"), step, at


async def step_now(session: WsSession) -> int | None:
    await session.set_widget(TRAIN_TAB, key="latent_tab", timeout=OPEN_TIMEOUT_S)
    return progress_step(session)


async def _train(sessions: list[WsSession], trainers: int) -> dict:
    from explorer.training.jobs import MAX_RUNNING

    started = [await start_training(session) for session in sessions[:trainers]]
    result = {"trainers": trainers, "trainers_started": [outcome for outcome, _, _ in started].count("training"),
              "steps_at_start": [(step, at) for _, step, at in started]}
    if trainers == MAX_RUNNING and len(sessions) > trainers:  # one more trainer than the server allows
        result["third_trainer"] = (await start_training(sessions[trainers]))[0]
    return result


async def _open_all(url: str, n: int, pid: int, memory: dict) -> list[WsSession]:
    sessions = [await WsSession.open(url, PAGE, timeout=OPEN_TIMEOUT_S)]
    await asyncio.sleep(2.0)
    memory["rss_idle_1_session_mb"] = rss_mb(pid)
    sessions += await open_sessions(url, n - 1, PAGE, at_once=browser_load.OPEN_AT_ONCE, timeout=OPEN_TIMEOUT_S)
    if n > 1:
        await asyncio.sleep(3.0)
        idle_n = memory[f"rss_idle_{n}_sessions_mb"] = rss_mb(pid)
        memory["rss_per_extra_idle_session_mb"] = round((idle_n - memory["rss_idle_1_session_mb"]) / (n - 1), 1)
    memory["page_load_p50_s"] = percentile([s.load_timing.finished_s for s in sessions], 50)
    memory["page_load_max_s"] = percentile([s.load_timing.finished_s for s in sessions], 100)
    return sessions


async def _sample_rss(pid: int, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(rss_mb(pid))
        await asyncio.sleep(0.5)


async def _run(url: str, pid: int, n: int, duration_s: float, think_s: float, trainers: int) -> dict:
    log = {"latencies": [], "in_page": [], "timeouts": 0, "exceptions": 0, "click_errors": [], "session_errors": []}
    memory = {"rss_no_session_mb": rss_mb(pid)}
    sessions = await _open_all(url, n, pid, memory)
    trainers = min(trainers, n)
    training = await _train(sessions, trainers)
    steps_before = training.pop("steps_at_start")
    samples, stop = [], asyncio.Event()
    sampler = asyncio.create_task(_sample_rss(pid, samples, stop))
    cpu0, started = (cpu_s([pid]), cpu_s([os.getpid()])), time.monotonic()
    await asyncio.gather(*(drive(s, started + duration_s, think_s, seed, log) for seed, s in enumerate(sessions)))
    elapsed = time.monotonic() - started
    cores = (cpu_s([pid]) - cpu0[0]) / elapsed
    cpu = {"server_cpu_cores": round(cores, 2), "server_cpu_cores_per_session": round(cores / n, 3),
           "load_generator_cpu_cores": round((cpu_s([os.getpid()]) - cpu0[1]) / elapsed, 2)}
    steps_after = [(await step_now(s), time.monotonic()) for s in sessions[:trainers]]
    stop.set()
    await sampler
    await asyncio.gather(*(s.close() for s in sessions))
    rates = browser_load.training_rates(steps_before, steps_after)
    memory["rss_peak_under_load_mb"] = max(samples, default=None)
    return _summary(n, log, memory, {**training, "training_steps_per_s": rates}, cpu, elapsed)


def _summary(n: int, log: dict, memory: dict, training: dict, cpu: dict, elapsed: float) -> dict:
    latencies = log["latencies"]
    return {"sessions": n, "client": "websocket", "seconds": round(elapsed, 1), "clicks": len(latencies),
            "click_to_image_p50_s": percentile(latencies, 50), "click_to_image_p95_s": percentile(latencies, 95),
            "click_to_image_max_s": percentile(latencies, 100),
            "click_to_image_in_page_p50_s": percentile(log["in_page"], 50),
            "click_to_image_in_page_p95_s": percentile(log["in_page"], 95),
            "errors": log["timeouts"] + log["exceptions"] + len(log["session_errors"]),
            "timeouts": log["timeouts"], "exceptions_on_pages": log["exceptions"],
            "click_errors": log["click_errors"][:5], "session_errors": log["session_errors"][:5],
            **training, **memory, **cpu}


def run_ws_load(n: int, duration_s: float = 40.0, think_s: float = THINK_S, trainers: int = 2) -> dict:
    """Start the real server, drive `n` websocket sessions for `duration_s` seconds, stop it; the numbers."""
    env = {"LATENT_LAB_MNIST_DIR": str(SHARED_MNIST)} if SHARED_MNIST.exists() else {}
    with streamlit_server(env=env) as url:
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        return in_own_thread(asyncio.run, _run(url, pid, n, duration_s, think_s, trainers))


ROWS = (  # (row of the comparison table, how to read it from a result)
    ("clicks", lambda r: r["clicks"]),
    ("click-to-image p50 / p95 / max (s)",
     lambda r: f'{r["click_to_image_p50_s"]} / {r["click_to_image_p95_s"]} / {r["click_to_image_max_s"]}'),
    ("image in the page p50 / p95 (s)",
     lambda r: f'{r["click_to_image_in_page_p50_s"]} / {r["click_to_image_in_page_p95_s"]}'),
    ("errors (timeouts)", lambda r: f'{r["errors"]} ({r["timeouts"]})'),
    ("trainings, steps/s each; third trainer",
     lambda r: f'{", ".join(map(str, r["training_steps_per_s"]))}; {r.get("third_trainer", "–")}'),
    ("server RSS idle 1 → N → peak (MB)", lambda r: f'{r["rss_idle_1_session_mb"]} → '
     f'{r.get("rss_idle_{}_sessions_mb".format(r["sessions"]), "–")} → {r["rss_peak_under_load_mb"]}'),
    ("server RSS per extra idle session (MB)", lambda r: r.get("rss_per_extra_idle_session_mb", "–")),
    ("server CPU cores (per session)",
     lambda r: f'{r["server_cpu_cores"]} ({round(r["server_cpu_cores"] / r["sessions"], 3)})'),
    ("client CPU cores (browsers / load generator)",
     lambda r: r.get("browser_cpu_cores", r.get("load_generator_cpu_cores"))),
)


def comparison_table(browser: dict, websocket: dict) -> str:
    """The two benches' results side by side, as a Markdown table."""
    n = websocket["sessions"]
    lines = [f"| N = {n} | browsers (Chromium) | websocket sessions |", "|---|---|---|"]
    lines += [f"| {name} | {read(browser)} | {read(websocket)} |" for name, read in ROWS]
    return "\n".join(lines)


def compare(n: int = 10, duration_s: float = 40.0) -> dict:
    """The browser bench and the websocket bench at the same N, one after the other, each on a fresh server."""
    browser = browser_load.run_load(n, duration_s=duration_s)
    websocket = run_ws_load(n, duration_s=duration_s)
    return {"browser": browser, "websocket": websocket, "table": comparison_table(browser, websocket)}


def main(ns: tuple[int, ...] = (10,), json_path: str = "bench_ws.json", quick: bool = False,
         with_browsers: bool = False) -> dict:
    """Each N with websocket sessions (and with browsers too, and the table, when `with_browsers`)."""
    duration_s = 15.0 if quick else 40.0
    results = {"uptime_load_before": os.getloadavg()}
    for n in ns:
        result = compare(n, duration_s) if with_browsers else {"websocket": run_ws_load(n, duration_s=duration_s)}
        results[f"ws_{n}"] = result
        print(result.get("table") or json.dumps(result["websocket"]), flush=True)
    results["uptime_load_after"] = os.getloadavg()
    Path(json_path).write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {json_path}")
    return results
