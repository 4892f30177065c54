"""Issue 19's targets for hostile uploads, measured: the costliest checkpoints that `explorer.store.config_limits`
accepts load, with the 16 prior samples the "Your models" page decodes, in < 1 s and < 200 MB, and the configs
that used to cost seconds and gigabytes are refused in < 100 ms.

Each accepted case is the largest config of its shape that the limits let through (found by bisection on a
width), saved with float16 weights (a float32 file at the parameter limit would be over the 20 MB upload cap;
float16 also costs a cast on loading). It is loaded in a fresh Python process, so nothing is warm: VmRSS before
the load, VmHWM (the peak, reset through /proc/self/clear_refs just before) and VmRSS after it, and the wall
time of `checkpoints.load_bytes` and of decoding the samples, and the CPU time of both (all threads; less
disturbed than wall time by other work on a shared machine). Run: `python -m explorer.bench.uploads`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import safetensors.torch
import torch

from explorer import models
from explorer.runtime.threads import torch_threads
from explorer.store import checkpoints, config_limits

SIDE = config_limits.IMAGE_SIDE_MAX
IMAGE = {"x_dim": SIDE * SIDE, "image_shape": (SIDE, SIDE)}
LAYERS = config_limits.LAYERS_MAX
# name -> (kind, config as a function of a width, the largest width to try)
ACCEPTED: dict[str, tuple[str, Callable[[int], dict], int]] = {
    "vae, 8 hidden layers": ("vae", lambda w: {**IMAGE, "z_dim": 1024, "hidden": (w,) * LAYERS}, 4096),
    "vae, one hidden layer": ("vae", lambda w: {**IMAGE, "z_dim": 1024, "hidden": (w,)}, 4096),
    "gumbel, 8 hidden layers": ("gumbel", lambda w: {**IMAGE, "groups": 64, "categories": 16,
                                                     "hidden": (w,) * LAYERS}, 4096),
    "hvae, 8 groups x 8 blocks": ("hvae", lambda w: {**IMAGE, "groups": (128,) * LAYERS, "blocks": LAYERS,
                                                    "hidden": w}, 4096),
    "vqvae conv 64x64, 1 layer": ("vqvae", lambda c: {**IMAGE, "hidden": (c,), "code_dim": 16,
                                                      "codebook_size": 1024}, 512),
    "vqvae conv 64x64, 3 layers": ("vqvae", lambda c: {**IMAGE, "hidden": (c,) * 3, "code_dim": 256,
                                                       "codebook_size": 1024}, 512),
    "convvae 64x64, 2 layers": ("convvae", lambda c: {**IMAGE, "hidden": (c, c), "code_dim": 256}, 512),
    "prior 32x32 grid, 8 layers": ("prior", lambda d: {"grid": (32, 32), "n_layers": LAYERS, "n_heads": 1,
                                                       "codebook_size": 4096, "d_model": d}, 1024),
}
REFUSED: dict[str, tuple[str, dict]] = {  # the uploads of issue 19: what they cost before the limits
    "prior grid [16000], d_model 1 (was +1 GB)": ("prior", {"grid": (16000,), "d_model": 1, "n_heads": 1}),
    "vqvae image 2048x2048 (was 26 s, +5.5 GB)": ("vqvae", {"x_dim": 2048**2, "image_shape": (2048, 2048)}),
    "prior n_layers 20000 (was 25 s)": ("prior", {"n_layers": 20000}),
    "vae hidden of 10^5 ones (was 45 s)": ("vae", {"hidden": (1,) * 10**5}),
    "hvae blocks 10^5": ("hvae", {"blocks": 10**5}),
}


def fits(kind: str, values: dict) -> bool:
    try:
        config_limits.check(kind, models.config_from_dict(kind, values))
        return True
    except config_limits.LimitError:
        return False


def widest(kind: str, template: Callable[[int], dict], high: int) -> dict:
    """template(w) for the largest w in [1, high] the limits accept (cost grows with w)."""
    low = 1
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(kind, template(middle)) else (low, middle - 1)
    return template(low)


def write_checkpoint(kind: str, values: dict, path: Path) -> dict:
    """A float16 checkpoint of a freshly built model of `values`; returns what describes it."""
    torch.manual_seed(0)
    config = models.config_from_dict(kind, values)
    model = models.build(kind, config)
    tensors = {key: (t.half() if t.is_floating_point() else t).contiguous().clone()
               for key, t in model.state_dict().items()}
    metadata = {"format": checkpoints.FORMAT, "kind": kind, "config": json.dumps(models.config_to_dict(config))}
    path.write_bytes(safetensors.torch.save(tensors, metadata=metadata))
    cost = config_limits.check(kind, config)
    return {"config": models.config_to_dict(config), "file_mb": path.stat().st_size / 2**20,
            "stored_numbers": cost.stored_numbers, "multiply_adds": cost.multiply_adds}


def memory_kib() -> dict[str, int]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


@torch_threads(1)  # as model_io.load_upload
def load_as_the_page_does(data: bytes) -> tuple[torch.nn.Module, dict[str, float]]:
    """`checkpoints.load_bytes` and 16 prior samples on one torch thread, as `explorer.ui.views.my_models.load_upload`
    does, with their wall and CPU times and the memory they took."""
    before = memory_kib()["VmRSS"]
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS now
    start, start_cpu = time.perf_counter(), time.process_time()
    model = checkpoints.load_bytes(data, label="bench")
    loaded = time.perf_counter()
    if models.is_latent_model(model):  # what model_io.prior_samples does; a token prior draws nothing
        model.sample(16, generator=torch.Generator().manual_seed(0))
    done, cpu = time.perf_counter(), time.process_time() - start_cpu
    after = memory_kib()
    return model, {"load_s": loaded - start, "samples_s": done - loaded, "total_s": done - start, "cpu_s": cpu,
                   "peak_mb": (after["VmHWM"] - before) / 1024, "kept_mb": (after["VmRSS"] - before) / 1024}


def child(path: str) -> None:
    """Load one checkpoint twice as the page does, keeping both models as a session does, and print the
    costs of each as JSON. Run in a fresh process: the first load pays torch's one-time lazy set-up (the
    first upload after a server starts), the second is what every further upload costs."""
    data = Path(path).read_bytes()
    first, cold = load_as_the_page_does(data)
    second, warm = load_as_the_page_does(data)
    print(json.dumps({**{f"cold_{key}": value for key, value in cold.items()},
                      **{f"warm_{key}": value for key, value in warm.items()}}))


def measure_accepted(folder: Path, repeats: int) -> dict[str, dict]:
    results = {}
    for name, (kind, template, high) in ACCEPTED.items():
        path = folder / f"{kind}.safetensors"
        described = write_checkpoint(kind, widest(kind, template, high), path)
        runs = [json.loads(subprocess.run([sys.executable, "-m", "explorer.bench.uploads", "--child", str(path)],
                                          capture_output=True, text=True, check=True).stdout)
                for _ in range(repeats)]
        results[name] = {**described, **{key: max(run[key] for run in runs) for key in runs[0]},
                         **{f"median_{key}": statistics.median(run[key] for run in runs)
                            for key in ("cold_total_s", "warm_total_s", "warm_cpu_s")}}
    return results


def measure_refused(repeats: int) -> dict[str, float]:
    """Median seconds until each hostile upload is refused (in this process, warm)."""
    results = {}
    for name, (kind, overrides) in REFUSED.items():
        config = {**models.config_to_dict(models.build(kind).config), **overrides}
        data = safetensors.torch.save({"w": torch.zeros(1)}, metadata={
            "format": checkpoints.FORMAT, "kind": kind, "config": json.dumps(config)})
        results[name] = statistics.median(_refusal_seconds(data) for _ in range(repeats))
    nested = json.dumps({"__metadata__": {"format": checkpoints.FORMAT}})[:-1] + ', "x": ' + "[" * 10**5 + "]" * 10**5
    results["header nested 10^5 deep (was a RecursionError)"] = statistics.median(
        _refusal_seconds(len(nested + "}").to_bytes(8, "little") + (nested + "}").encode()) for _ in range(repeats))
    return results


def _refusal_seconds(data: bytes) -> float:
    start = time.perf_counter()
    try:
        checkpoints.load_bytes(data)
    except checkpoints.CheckpointError:
        return time.perf_counter() - start
    raise AssertionError("a hostile upload was accepted")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.bench.uploads", description=__doc__.split("\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per accepted case")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        report = {"accepted": measure_accepted(Path(folder), args.repeats), "refused_s": measure_refused(5)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
