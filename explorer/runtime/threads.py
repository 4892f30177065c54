"""The one limiter of torch's intra-op threads: `torch_threads(n)`, a context manager and a decorator.

The app's computations are small (a page's numbers, a sweep's tiny models, an upload's checks): on the 2-core
machine OpenMP's second thread made them 3-20x slower, its spinning workers fighting the server and the browser
for the cores. So they run on one thread and restore the setting afterwards.

Why the restore matters beyond the calling thread: `torch.set_num_threads` sets the calling thread's OpenMP
count (other running threads keep theirs), but torch also stores the value process-wide, and a thread started
later adopts it at its first parallel operation. A limiter that did not restore would leave every later
server thread on one thread.
"""

from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def torch_threads(n: int):
    """Run a block, or a function (`@torch_threads(1)`), on n intra-op torch threads, then restore the previous
    count, also when it raises. As a decorator each call enters afresh, so threads may call it at once."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
