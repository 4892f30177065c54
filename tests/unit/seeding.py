"""What the seed tests share: a model's weights, bit-identity, another session's thread hammering torch's
global generator, and tasks run at once in threads."""

from __future__ import annotations

import contextlib
import sys
import threading

import torch


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: t.detach().clone() for name, t in model.state_dict().items()}


def assert_identical(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    different = [name for name in a if not torch.equal(a[name], b[name])]
    assert not different, f"not bit-identical: {different}"


@contextlib.contextmanager
def global_rng_hammered():
    """Another session's thread: reseeds torch's global generator and draws from it in a tight loop, with the
    interpreter switching threads every 10 µs, so it lands between any two draws of the code under test."""
    stop, interval = threading.Event(), sys.getswitchinterval()

    def hammer() -> None:
        while not stop.is_set():
            torch.manual_seed(12345)
            torch.randn(64)

    thread = threading.Thread(target=hammer, daemon=True)
    sys.setswitchinterval(1e-5)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)


def in_threads(*tasks):
    """Run the tasks at once, each in its own thread with one intra-op thread (as a training job); their results."""
    results: list = [None] * len(tasks)

    def run(i: int) -> None:
        torch.set_num_threads(1)
        results[i] = tasks[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
