"""The final save into the folder the app loads from: whole or not at all, at any instant, keeping what else is there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fashion_ai.training import saving
from fashion_ai.training.saving import OLD_TAG, STAGING_TAG, recover_folder, save_model_folder

DEAD_PID = 99_999_999  # above Linux's largest pid (2**22): no such process


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def old_folder(tmp_path) -> Path:
    """An output folder as a finished run and an `eval` leave it, plus a note of the user's."""
    out = tmp_path / "extractor"
    (out / "checkpoint").mkdir(parents=True)
    (out / "checkpoint" / "state.pt").write_bytes(b"training state")
    for name, content in (("config.json", b'{"old": 1}'), ("model.safetensors", b"old weights"),
                          ("tokenizer.json", b"old tokenizer"), ("eval.json", b'{"old": true}'),
                          ("eval_confusion.png", b"old picture"), ("notes.txt", b"mine")):
        (out / name).write_bytes(content)
    return out


def write_adapter(folder: Path) -> None:
    """A new save of another kind (a LoRA adapter): the old full model's files must not stay beside it."""
    (folder / "adapter_config.json").write_text('{"r": 4}')
    (folder / "adapter_model.safetensors").write_bytes(b"new adapter")
    (folder / "eval.json").write_text('{"new": true}')


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p != folder)


@pytest.mark.parametrize("exchange", [True, False], ids=["atomic exchange", "two renames"])
def test_the_new_model_replaces_the_old_one_and_the_rest_is_carried(old_folder, monkeypatch, exchange):
    if not exchange:  # what a system without renameat2's RENAME_EXCHANGE does
        monkeypatch.setattr(saving, "_exchange", lambda a, b: False)
    inode = (old_folder / "checkpoint" / "state.pt").stat().st_ino
    save_model_folder(old_folder, write_adapter)
    assert snapshot(old_folder) == {
        "adapter_config.json": b'{"r": 4}', "adapter_model.safetensors": b"new adapter", "eval.json": b'{"new": true}',
        "checkpoint/state.pt": b"training state", "eval_confusion.png": b"old picture", "notes.txt": b"mine"}
    assert (old_folder / "checkpoint" / "state.pt").stat().st_ino == inode  # linked, not copied
    assert siblings(old_folder) == []


@pytest.mark.parametrize("where", ["write", "carry", "exchange", "between renames"])
def test_a_save_stopped_at_any_step_leaves_the_old_folder_as_it_was(old_folder, monkeypatch, where):
    before = snapshot(old_folder)

    def stop(*args):
        raise KeyboardInterrupt

    def write(folder: Path) -> None:
        (folder / "config.json").write_text("{}")
        (folder / "model.safetensors").write_bytes(b"half")  # a save_pretrained cut short
        if where == "write":
            stop()

    if where == "carry":
        monkeypatch.setattr(saving, "_carry", stop)
    elif where == "exchange":
        monkeypatch.setattr(saving, "_exchange", stop)
    elif where == "between renames":  # output -> .output.old-<pid> done, .output.saving-<pid> -> output stopped
        monkeypatch.setattr(saving, "_exchange", lambda a, b: False)
        rename = Path.rename
        monkeypatch.setattr(Path, "rename", lambda self, to: stop() if STAGING_TAG in self.name else rename(self, to))
    with pytest.raises(KeyboardInterrupt):
        save_model_folder(old_folder, write)
    assert snapshot(old_folder) == before
    assert siblings(old_folder) == []  # no half folder left beside it


def test_a_kill_between_the_two_renames_is_undone_by_the_next_start(old_folder):
    before = snapshot(old_folder)
    # The state a SIGKILL leaves after `output -> .output.old-<pid>` and before `.output.saving-<pid> -> output`.
    old = old_folder.with_name(f".{old_folder.name}{OLD_TAG}{DEAD_PID}")
    staging = old_folder.with_name(f".{old_folder.name}{STAGING_TAG}{DEAD_PID}")
    old_folder.rename(old)
    staging.mkdir()
    write_adapter(staging)
    recover_folder(old_folder)
    assert snapshot(old_folder) == before and siblings(old_folder) == []


def test_a_live_process_keeps_its_temporary_folder(old_folder):
    """Another run saving into the same place at this moment: its folder is not pulled from under it."""
    parent_pid = os.getppid()
    busy = old_folder.with_name(f".{old_folder.name}{STAGING_TAG}{parent_pid}")
    busy.mkdir()
    recover_folder(old_folder)
    assert busy.is_dir()


def test_a_first_save_makes_the_folder(tmp_path):
    out = tmp_path / "runs" / "model"
    save_model_folder(out, write_adapter)
    assert sorted(p.name for p in out.iterdir()) == ["adapter_config.json", "adapter_model.safetensors", "eval.json"]
