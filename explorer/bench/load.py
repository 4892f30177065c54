"""`python -m explorer bench --load N`: N browser sessions at once against the real server.

One headless Chromium with N contexts (a Streamlit session each), driven by asyncio, opens the latent-space page;
every session then clicks the VAE's latent map again and again while two of them train a model ("Train your own",
Train from scratch) and a third tries to and must get the "queue full" message. Click-to-image latency is measured
in the page, from the click's mousedown until the new decoded image is fetched and decoded (a MutationObserver and
`img.decode()`), so the driver's own delays do not count. Errors: exceptions on a page, JavaScript errors, clicks
without a new image in time. Memory: RSS of the server and its children (/proc), idle with one and with N sessions,
and at its peak under load. Also for `python -m explorer bench`: the memory of every pretrained model in one
process (`zoo_memory`) and (in `explorer.bench.pages`) the rerun time of each page alone in AppTest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import time
from pathlib import Path

from explorer.bench.browser import launch, streamlit_server
from explorer.bench.process import in_own_thread, run_script
from explorer.data.mnist import SHARED_MNIST

CLICK_TIMEOUT_S = 15.0
OPEN_TIMEOUT_MS = 120_000
OPEN_AT_ONCE = 4  # sessions that load the page at the same time
THINK_S = 2.0  # mean pause between a session's image and its next click (uniform, 0.5 to 1.5 times this)
QUEUE_FULL = re.compile(r"at most \d+ at once")
PROGRESS = re.compile(r"^step (\d+) / \d+")
WATCH_JS = """() => {
  window.__clickAt = 0; window.__imageAt = 0; window.__src = null;
  window.addEventListener('mousedown', () => { window.__clickAt = performance.now(); }, true);
  const decoded = () => [...document.querySelectorAll('[data-testid="stImage"]')].find(figure =>
    (figure.querySelector('[data-testid="stImageCaption"]')?.textContent || '').startsWith('decoded at z = '));
  new MutationObserver(() => {
    const img = decoded()?.querySelector('img');
    if (!img || img.src === window.__src) return;
    const src = window.__src = img.src;  // in the page now; on screen once it is fetched and decoded
    window.__srcAt = performance.now();
    img.decode().then(() => { if (window.__src === src) window.__imageAt = performance.now(); }, () => {});
  }).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in task.read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += _children(tree[-1])
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants, MB."""
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError, StopIteration):
            total += next(int(line.split()[1]) for line in Path(f"/proc/{p}/status").read_text().splitlines()
                          if line.startswith("VmRSS:"))
    return round(total / 1024, 1)


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes."""
    ticks = 0
    for p in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_pid(port: int) -> int:
    """The Streamlit server this process started on `port`."""
    for pid in _children(os.getpid()):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"streamlit" in b" ".join(cmdline) and str(port).encode() in cmdline:
            return pid
    raise LookupError(f"no Streamlit server child on port {port}")


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank q-th percentile (q = 100: the maximum), in the values' unit, 3 decimals."""
    ordered = sorted(values)
    return round(ordered[round(q / 100 * (len(ordered) - 1))], 3) if ordered else None


async def open_session(browser, url: str, log: dict):
    context = await browser.new_context(viewport={"width": 1400, "height": 1500})
    page = await context.new_page()
    page.on("pageerror", lambda err: log["page_errors"].append(str(err)[:200]))
    await page.goto(url + "/latent_space")
    await page.get_by_role("heading", name="Latent space").wait_for(timeout=OPEN_TIMEOUT_MS)
    await page.locator("canvas.map").nth(1).wait_for(timeout=OPEN_TIMEOUT_MS)
    await page.wait_for_timeout(500)  # the maps' sprite sheets load
    await page.evaluate(WATCH_JS)
    return page


async def start_training(page) -> tuple[str, int | None, float]:
    """Train from scratch (the most steps offered, so the run lasts) on the "Train your own" tab, then go back to the
    maps (the tabs are lazy: the training charts are not drawn meanwhile): 'training' or 'queue full', and the
    step the run had reached, and when."""
    await page.get_by_role("tab", name="Train your own").click()
    steps = await page.get_by_role("slider", name=re.compile("^Steps")).element_handle()
    before = await steps.get_attribute("aria-valuetext")
    await steps.focus()
    await page.keyboard.press("End")
    await page.wait_for_function("([s, v]) => s.getAttribute('aria-valuetext') !== v", arg=[steps, before])
    await page.get_by_role("button", name="Train from scratch").click()
    progress = page.get_by_text(PROGRESS)
    full = page.get_by_text(QUEUE_FULL)
    await progress.or_(full).first.wait_for(timeout=OPEN_TIMEOUT_MS)
    outcome = "queue full" if await full.count() else "training"
    step, at = await progress_step(page), time.monotonic()
    await page.get_by_role("tab", name="AE vs VAE").click()
    await page.locator("canvas.map:visible").nth(1).wait_for(timeout=OPEN_TIMEOUT_MS)
    return outcome, step, at


async def progress_step(page) -> int | None:
    texts = await page.get_by_text(PROGRESS).all_inner_texts()
    return int(PROGRESS.match(texts[0]).group(1)) if texts else None


async def step_now(page) -> int | None:
    """The training step, read on the "Train your own" tab."""
    await page.get_by_role("tab", name="Train your own").click()
    await page.get_by_text(PROGRESS).first.wait_for(timeout=OPEN_TIMEOUT_MS)
    return await progress_step(page)


async def click_once(page, rng: random.Random, last: list[float]) -> list[float] | None:
    """Click a point of the VAE map far from the last one: seconds until the new image is in the page and
    until it is on screen (fetched and decoded); None on a timeout."""
    box = await page.locator("canvas.map:visible").nth(1).bounding_box()  # the VAE's map
    fx, fy = last
    while abs(fx - last[0]) + abs(fy - last[1]) < 0.25:  # far enough to decode a different image
        fx, fy = rng.uniform(0.08, 0.92), rng.uniform(0.08, 0.92)
    last[:] = [fx, fy]
    await page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    try:
        # the times are stamped in the page; polling by interval, not by animation frame, so the waiting itself
        # does not make N pages render 60 frames a second on the cores being measured
        await page.wait_for_function("() => window.__clickAt > 0 && window.__imageAt > window.__clickAt",
                                     timeout=CLICK_TIMEOUT_S * 1000, polling=100)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError: the image never came
        return None
    return await page.evaluate("() => [window.__srcAt - window.__clickAt, window.__imageAt - window.__clickAt]"
                               ".map(ms => ms / 1000)")


async def drive(page, until: float, think_s: float, seed: int, log: dict) -> None:
    rng, last = random.Random(seed), [0.5, 0.5]
    while time.monotonic() < until:
        latency = await click_once(page, rng, last)
        log["timeouts"] += latency is None  # and in the percentiles as the timeout: a lower bound
        for key, seconds in zip(("in_page", "latencies"), latency or [CLICK_TIMEOUT_S] * 2, strict=True):
            log[key].append(seconds)
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
    log["exceptions"] += await page.locator('[data-testid="stException"]').count()


async def _sample_rss(pid: int, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(rss_mb(pid))
        await asyncio.sleep(0.5)


async def _open_all(browser, url: str, n: int, log: dict, pid: int) -> tuple[list, dict]:
    pages = [await open_session(browser, url, log)]
    await asyncio.sleep(2.0)
    memory = {"rss_no_session_mb": log.pop("rss_start"), "rss_idle_1_session_mb": rss_mb(pid)}
    gate = asyncio.Semaphore(OPEN_AT_ONCE)

    async def one():
        async with gate:
            return await open_session(browser, url, log)

    pages += await asyncio.gather(*(one() for _ in range(n - 1)))
    if n > 1:
        await asyncio.sleep(3.0)
        idle_n = memory[f"rss_idle_{n}_sessions_mb"] = rss_mb(pid)
        memory["rss_per_extra_idle_session_mb"] = round((idle_n - memory["rss_idle_1_session_mb"]) / (n - 1), 1)
    return pages, memory


async def _train(pages: list, trainers: int) -> dict:
    from explorer.training.jobs import MAX_RUNNING

    started = [await start_training(page) for page in pages[:trainers]]
    result = {"trainers": trainers, "trainers_started": [outcome for outcome, _, _ in started].count("training"),
              "steps_at_start": [(step, at) for _, step, at in started]}
    if trainers == MAX_RUNNING and len(pages) > trainers:  # one more trainer than the server allows
        result["third_trainer"] = (await start_training(pages[trainers]))[0]
    return result


async def _run(url: str, pid: int, n: int, duration_s: float, think_s: float, trainers: int) -> dict:
    from playwright.async_api import async_playwright

    log = {"latencies": [], "in_page": [], "timeouts": 0, "exceptions": 0, "page_errors": [], "rss_start": rss_mb(pid)}
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        pages, memory = await _open_all(browser, url, n, log, pid)
        trainers = min(trainers, n)
        training = await _train(pages, trainers)
        steps_before = training.pop("steps_at_start")
        samples, stop = [], asyncio.Event()
        sampler = asyncio.create_task(_sample_rss(pid, samples, stop))
        browser_pids = [p for p in process_tree(os.getpid()) if p not in (os.getpid(), pid)]
        cpu0, started = (cpu_s([pid]), cpu_s(browser_pids)), time.monotonic()
        until = started + duration_s
        await asyncio.gather(*(drive(p, until, think_s, seed, log) for seed, p in enumerate(pages)))
        elapsed = time.monotonic() - started
        cpu = {"server_cpu_cores": round((cpu_s([pid]) - cpu0[0]) / elapsed, 2),
               "browser_cpu_cores": round((cpu_s(browser_pids) - cpu0[1]) / elapsed, 2)}
        steps_after = [(await step_now(p), time.monotonic()) for p in pages[:trainers]]
        stop.set()
        await sampler
        await browser.close()
    rates = training_rates(steps_before, steps_after)
    memory["rss_peak_under_load_mb"] = max(samples, default=None)
    return _summary(n, log, memory, {**training, "training_steps_per_s": rates}, cpu, elapsed)


def training_rates(before: list[tuple], after: list[tuple]) -> list[float]:
    """Steps per second of each trainer from its (step, time) read before and after the load (unread ones left out)."""
    return [round((b - a) / (tb - ta), 1) for (a, ta), (b, tb) in zip(before, after, strict=True)
            if a is not None and b is not None]


def _summary(n: int, log: dict, memory: dict, training: dict, cpu: dict, elapsed: float) -> dict:
    latencies = log["latencies"]
    errors = log["timeouts"] + log["exceptions"] + len(log["page_errors"])
    return {"sessions": n, "seconds": round(elapsed, 1), "clicks": len(latencies),
            "click_to_image_p50_s": percentile(latencies, 50), "click_to_image_p95_s": percentile(latencies, 95),
            "click_to_image_max_s": percentile(latencies, 100),
            "click_to_image_in_page_p50_s": percentile(log["in_page"], 50),
            "click_to_image_in_page_p95_s": percentile(log["in_page"], 95),
            "errors": errors, "timeouts": log["timeouts"], "exceptions_on_pages": log["exceptions"],
            "page_errors": log["page_errors"][:5], **training, **memory, **cpu}


def run_load(n: int, duration_s: float = 40.0, think_s: float = THINK_S, trainers: int = 2) -> dict:
    """Start the real server, drive `n` sessions for `duration_s` seconds, stop it; the numbers as a dict."""
    env = {"LATENT_LAB_MNIST_DIR": str(SHARED_MNIST)} if SHARED_MNIST.exists() else {}
    with streamlit_server(env=env) as url:
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        return in_own_thread(asyncio.run, _run(url, pid, n, duration_s, think_s, trainers))


ZOO_MEMORY_SCRIPT = """
import json, os
from explorer.bench import load as bench_load
from explorer.store import zoo
from explorer.ui import cache
before = bench_load.rss_mb(os.getpid())
loaded = [cache.freeze(zoo.load(name)) for name in zoo.names()]
after = bench_load.rss_mb(os.getpid())
weights = sum(t.numel() * t.element_size() for m in loaded for t in m.state_dict().values()) / 2**20
print(json.dumps({"models": len(loaded), "rss_before_mb": round(before, 1), "rss_all_models_mb": round(after, 1),
                  "rss_added_mb": round(after - before, 1), "weights_mb": round(weights, 1)}))
"""


def zoo_memory() -> dict:
    """RSS of a fresh process after importing torch and explorer, then with every pretrained model loaded."""
    return run_script(ZOO_MEMORY_SCRIPT)


def main(ns: tuple[int, ...] = (1, 5, 10, 20), json_path: str = "bench_load.json", quick: bool = False) -> dict:
    results = {"uptime_load_before": os.getloadavg()}
    for n in ns:
        results[f"load_{n}"] = run_load(n, duration_s=15.0 if quick else 40.0)
        print(json.dumps(results[f"load_{n}"]), flush=True)
    results["uptime_load_after"] = os.getloadavg()
    Path(json_path).write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {json_path}")
    return results
