"""The index folder's lock: one per process, shared by its stores across threads, said with the holder's pid, and
gone with the process however it ends."""

import os
import signal
import subprocess
import sys
import threading

import pytest

from fashion_ai.catalog.locking import LOCK_FILE, lock_folder, unlock_folder
from fashion_ai.config import PROJECT_ROOT
from fashion_ai.errors import IndexLockedError

# Another process tries the folder: prints "locked" when it got it, else the sentence it was refused with.
TRY = """
import sys
from fashion_ai.catalog.locking import lock_folder
from fashion_ai.errors import IndexLockedError
try:
    lock_folder(sys.argv[1])
    print("locked")
except IndexLockedError as exc:
    print(exc)
"""
HOLD = """
import sys
from fashion_ai.catalog.locking import lock_folder
lock_folder(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
"""


def other_process(folder) -> str:
    done = subprocess.run([sys.executable, "-c", TRY, str(folder)], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip()


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "chroma"
    path.mkdir()
    return path


def test_the_stores_of_one_process_share_the_lock_until_the_last_lets_go(folder):
    first, second = lock_folder(folder), lock_folder(folder)
    assert first == second
    assert (folder / LOCK_FILE).read_text() == str(os.getpid())  # who holds it, for the others
    unlock_folder(first)
    assert other_process(folder).startswith("The catalog index is in use by another process (pid ")
    unlock_folder(second)
    assert other_process(folder) == "locked"


def test_a_lock_taken_in_one_thread_is_given_back_in_another(folder):
    key = lock_folder(folder)
    in_thread = []
    opener = threading.Thread(target=lambda: in_thread.append(lock_folder(folder)))  # a second store, elsewhere
    opener.start()
    opener.join()
    unlock_folder(key)
    closer = threading.Thread(target=unlock_folder, args=(in_thread[0],))
    closer.start()
    closer.join()
    assert other_process(folder) == "locked"


def test_a_killed_holder_leaves_the_folder_free_and_a_live_one_is_named(folder):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], cwd=PROJECT_ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexLockedError, match=rf"in use by another process \(pid {holder.pid}\)"):
            lock_folder(folder)
        holder.send_signal(signal.SIGKILL)  # no clean-up runs: the system lets the lock go
        holder.wait(timeout=60)
    finally:
        holder.kill()
        holder.communicate(timeout=60)
    key = lock_folder(folder)  # would be refused, were the lock still held
    unlock_folder(key)
    assert key == str(folder.resolve())
