"""Putting a trained model into the folder the app loads from, whole: the new files are written to a temporary folder
beside it, which then takes its place in one step, so a kill at any instant leaves there the old model or the new one.

What else lives in that folder (checkpoint/, the run's logs, eval_confusion.png, anything the user put there) is
carried into the new folder before the swap, as hard links (no copy of a large checkpoint); the old model's own files
(weights, configs, processor and tokenizer files, its card) are not: they would mix with the new ones.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

STAGING_TAG = ".saving-"  # .<name>.saving-<pid>: the new folder being written, beside the output folder
OLD_TAG = ".old-"  # .<name>.old-<pid>: the old folder during a swap by two renames (no atomic exchange)
# What save_pretrained writes for a model, a LoRA adapter, a processor or a tokenizer (peft adds a README.md card).
MODEL_SUFFIXES = (".safetensors", ".bin", ".model", ".jinja")
MODEL_FILES = frozenset({
    "config.json", "generation_config.json", "adapter_config.json", "preprocessor_config.json",
    "processor_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    "vocab.json", "vocab.txt", "merges.txt", "chat_template.json", "model.safetensors.index.json", "README.md",
})
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def is_model_file(path: Path) -> bool:
    """Whether a top-level entry of a model folder belongs to the model itself (replaced by a new save)."""
    return path.is_file() and (path.name in MODEL_FILES or path.name.endswith(MODEL_SUFFIXES))


def _sibling(target: Path, tag: str, pid: int | None = None) -> Path:
    return target.parent / f".{target.name}{tag}{os.getpid() if pid is None else pid}"


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux's renameat2 with RENAME_EXCHANGE); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a libc without it
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a kernel or file system without the flag
        return False
    raise OSError(code, os.strerror(code), str(b))


def _replace_folder(new: Path, target: Path) -> None:
    """Put `new` in `target`'s place and remove the old folder."""
    if not target.exists():
        new.rename(target)
        return
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the old folder
        return
    # Two renames: between them the old folder is whole at `old` and recover_folder puts it back.
    old = _sibling(target, OLD_TAG)
    target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, but another user's
        return True
    return True


def recover_folder(target: Path) -> None:
    """Undo what a killed save left beside `target`: the old folder of an unfinished two-rename swap goes back in
    place; temporary folders of processes that are gone are removed."""
    target = Path(target)
    if not target.parent.is_dir():
        return
    for tag in (OLD_TAG, STAGING_TAG):
        for path in sorted(target.parent.glob(f".{target.name}{tag}*")):
            pid = path.name.rsplit("-", 1)[-1]
            if not pid.isdigit() or int(pid) == os.getpid() or _pid_alive(int(pid)):
                continue
            if tag == OLD_TAG and not target.exists():
                path.rename(target)
                logger.warning("a save into %s was killed mid-swap: the previous model is back in place", target)
            else:
                shutil.rmtree(path, ignore_errors=True)
                logger.info("removed %s, left by a save that was killed", path)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(src, dst)


def _carry(old: Path, new: Path) -> None:
    """Bring into `new` what `old` holds besides its model's own files, unless `new` has the same name."""
    if not old.is_dir():
        return
    for entry in old.iterdir():
        dest = new / entry.name
        if dest.exists() or dest.is_symlink() or is_model_file(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, dest, symlinks=True, copy_function=_link_or_copy)
        elif entry.is_symlink():
            dest.symlink_to(os.readlink(entry))
        else:
            _link_or_copy(str(entry), str(dest))


def save_model_folder(target: str | Path, write: Callable[[Path], None]) -> Path:
    """Write a model with ``write(folder)`` into a temporary folder beside `target`, carry over what else lives in
    `target`, and put the result in `target`'s place in one step; returns `target`.

    Anything raised (a Ctrl-C included) before the swap leaves `target` as it was and removes the temporary folder.
    """
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_folder(target)
    staging = _sibling(target, STAGING_TAG)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        write(staging)
        _carry(target, staging)
        _replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("model saved to %s", target)
    return target
