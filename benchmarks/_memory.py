"""Resident-memory sampling shared by the benchmarks.

``rss()`` reads the current resident set size; ``PeakRSS`` samples it in a background thread
while a block runs::

    with PeakRSS() as mem:
        model.transform(big)
    mem.base, mem.peak, mem.extra   # bytes: before, highest seen, highest minus before
"""

import os
import threading
import time

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss():
    """Current resident set size of this process in bytes."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:  # not Linux
        import psutil

        return psutil.Process().memory_info().rss


class PeakRSS:
    """Context manager recording the resident set size before and at its peak inside.

    Parameters
    ----------
    interval : float, default=0.002
        Seconds between two samples.
    """

    def __init__(self, interval=0.002):
        self.interval = interval

    def __enter__(self):
        self.base = self.peak = rss()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._done.is_set():
            self.peak = max(self.peak, rss())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, rss())
        return False

    @property
    def extra(self):
        """Peak minus the size before the block (bytes)."""
        return self.peak - self.base
