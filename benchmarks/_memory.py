"""Resident-memory sampling shared by the benchmarks.

``rss()`` reads the current resident set size; ``PeakRSS`` samples it in a background thread
while a block runs::

    with PeakRSS() as mem:
        model.transform(big)
    mem.base, mem.peak, mem.extra   # bytes: before, highest seen, highest minus before

``PeakRSS(tree=True)`` samples the sum over this process and all its descendants (e.g. the
worker processes of a ``distributed.LocalCluster``), with ``tree_rss()``.
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


def tree_rss():
    """Resident set size of this process plus all its descendant processes, in bytes."""
    import psutil

    proc = psutil.Process()
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:  # exited between listing and reading
            pass
    return total


class PeakRSS:
    """Context manager recording the resident set size before and at its peak inside.

    Parameters
    ----------
    interval : float, default=0.002
        Seconds between two samples.
    tree : bool, default=False
        Sample this process and its descendants together (:func:`tree_rss`).
    """

    def __init__(self, interval=0.002, tree=False):
        self.interval = interval
        self.tree = tree
        self._read = tree_rss if tree else rss

    def __enter__(self):
        self.base = self.peak = self._read()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._done.is_set():
            self.peak = max(self.peak, self._read())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self._read())
        return False

    @property
    def extra(self):
        """Peak minus the size before the block (bytes)."""
        return self.peak - self.base
