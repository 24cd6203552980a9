"""Calling one function from many threads at once, as concurrent requests to a server would."""

import threading
from collections.abc import Callable


def call_at_once(fn: Callable[[], object], times: int) -> list:
    """fn's results from `times` threads started together (in no particular order)."""
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(fn())) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
