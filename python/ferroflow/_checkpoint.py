"""``ff.train.Checkpoint`` and ``ff.train.CheckpointManager`` for iterators, as the tf.data
guide's "Iterator checkpointing" uses them: ``Checkpoint(iterator=it)``, ``save`` /
``write`` / ``restore`` / ``read``, and a manager that numbers checkpoints, keeps the last
``max_to_keep`` and names the latest.

A checkpoint is one JSON file, ``<path>.ffckpt``, holding each tracked iterator's
``get_state()``; it is written to a temporary file and renamed into place, so a process
killed while saving leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from typing import Any

from .errors import InvalidArgumentError, NotFoundError

_SUFFIX = ".ffckpt"
_FORMAT = "ferroflow_checkpoint"
_INDEX = "checkpoint"


def _file(path: str | os.PathLike[str]) -> str:
    return os.fspath(path) + _SUFFIX


def _write_atomically(path: str, text: str) -> None:
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=_SUFFIX)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class CheckpointLoadStatus:
    """What ``Checkpoint.restore`` returns; every tracked iterator was restored, so the
    assertions TensorFlow offers hold."""

    def assert_consumed(self) -> CheckpointLoadStatus:
        """Every value in the checkpoint was restored (always, here)."""
        return self

    def assert_existing_objects_matched(self) -> CheckpointLoadStatus:
        """Every tracked object was restored (always, here)."""
        return self

    def expect_partial(self) -> CheckpointLoadStatus:
        """Silences warnings about unrestored values (there are none)."""
        return self


class Checkpoint:
    """Tracks iterators by keyword: ``Checkpoint(step=..., iterator=it)`` is refused for
    anything but iterators (their state is all ferroflow saves; save model weights with your
    framework)."""

    def __init__(self, **kwargs: Any) -> None:
        for name, value in kwargs.items():
            if not (
                callable(getattr(value, "get_state", None))
                and callable(getattr(value, "set_state", None))
            ):
                raise InvalidArgumentError(
                    f"Checkpoint({name}=...): ferroflow checkpoints hold iterators only, got "
                    f"{type(value).__name__}; save other objects with their own framework"
                )
        self._tracked = dict(kwargs)
        self.save_counter = 0

    def write(self, file_prefix: str | os.PathLike[str]) -> str:
        """Writes the tracked iterators' states to ``file_prefix`` (no number added) and
        returns that path."""
        path = os.fspath(file_prefix)
        states = {name: it.get_state() for name, it in self._tracked.items()}
        text = json.dumps({_FORMAT: 1, "save_counter": self.save_counter, "objects": states})
        _write_atomically(_file(path), text)
        return path

    def save(self, file_prefix: str | os.PathLike[str]) -> str:
        """Writes a numbered checkpoint, ``<file_prefix>-<n>`` with ``n`` counting the saves,
        and returns its path (what ``restore`` takes)."""
        self.save_counter += 1
        return self.write(f"{os.fspath(file_prefix)}-{self.save_counter}")

    def read(self, save_path: str | os.PathLike[str]) -> CheckpointLoadStatus:
        """Restores the tracked iterators from ``save_path``."""
        path = _file(save_path)
        try:
            with open(path) as f:
                data = json.load(f)
        except FileNotFoundError:
            raise NotFoundError(f"no checkpoint at {os.fspath(save_path)} ({path})") from None
        except (OSError, ValueError) as e:
            raise InvalidArgumentError(f"{path}: not a readable checkpoint: {e}") from e
        if not isinstance(data, dict) or data.get(_FORMAT) != 1:
            raise InvalidArgumentError(f"{path}: not a ferroflow checkpoint")
        objects = data.get("objects", {})
        missing = sorted(set(self._tracked) - set(objects))
        if missing:
            raise InvalidArgumentError(f"{path} holds no state for {', '.join(missing)}")
        for name, it in self._tracked.items():
            it.set_state(objects[name])
        self.save_counter = int(data.get("save_counter", self.save_counter))
        return CheckpointLoadStatus()

    def restore(self, save_path: str | os.PathLike[str] | None) -> CheckpointLoadStatus:
        """Restores the tracked iterators from ``save_path``; ``None`` (no checkpoint yet, as
        ``CheckpointManager.latest_checkpoint`` says on a first run) restores nothing."""
        if save_path is None:
            return CheckpointLoadStatus()
        return self.read(save_path)


class CheckpointManager:
    """Numbered checkpoints of ``checkpoint`` in ``directory``: ``save()`` writes the next
    one and deletes all but the last ``max_to_keep`` (``None`` keeps every one). A file
    named ``checkpoint`` in the directory lists them, so a manager made after a restart
    knows the ones written before."""

    def __init__(
        self,
        checkpoint: Checkpoint,
        directory: str | os.PathLike[str],
        max_to_keep: int | None,
        checkpoint_name: str = "ckpt",
    ) -> None:
        if max_to_keep is not None and max_to_keep < 1:
            raise InvalidArgumentError(f"max_to_keep must be at least 1 or None, got {max_to_keep}")
        self._checkpoint = checkpoint
        self.directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._prefix = os.path.join(self.directory, checkpoint_name)
        self._checkpoints = self._listed()
        numbers = [self._number(p) for p in self._checkpoints]
        if numbers:
            checkpoint.save_counter = max(checkpoint.save_counter, max(numbers))

    def _number(self, path: str) -> int:
        match = re.search(r"-(\d+)$", path)
        return int(match.group(1)) if match else 0

    def _listed(self) -> list[str]:
        try:
            with open(os.path.join(self.directory, _INDEX)) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        paths = [
            os.path.join(self.directory, json.loads(line.split(":", 1)[1]))
            for line in lines
            if line.startswith("all_model_checkpoint_paths:")
        ]
        return [p for p in paths if os.path.exists(_file(p))]

    def _write_index(self) -> None:
        names = [os.path.relpath(p, self.directory) for p in self._checkpoints]
        lines = [f"model_checkpoint_path: {json.dumps(names[-1])}"] if names else []
        lines += [f"all_model_checkpoint_paths: {json.dumps(n)}" for n in names]
        _write_atomically(os.path.join(self.directory, _INDEX), "\n".join(lines) + "\n")

    @property
    def latest_checkpoint(self) -> str | None:
        """The newest checkpoint's path, or None before the first save."""
        return self._checkpoints[-1] if self._checkpoints else None

    @property
    def checkpoints(self) -> list[str]:
        """The paths of the checkpoints kept, oldest first."""
        return list(self._checkpoints)

    def save(self, checkpoint_number: int | None = None) -> str:
        """Writes the next checkpoint (numbered ``checkpoint_number`` when given) and drops
        the oldest beyond ``max_to_keep``; returns its path."""
        if checkpoint_number is None:
            path = self._checkpoint.save(self._prefix)
        else:
            self._checkpoint.save_counter = int(checkpoint_number)
            path = self._checkpoint.write(f"{self._prefix}-{int(checkpoint_number)}")
        self._checkpoints = [p for p in self._checkpoints if p != path] + [path]
        if self._max_to_keep is not None:
            while len(self._checkpoints) > self._max_to_keep:
                old = self._checkpoints.pop(0)
                if os.path.exists(_file(old)):
                    os.unlink(_file(old))
        self._write_index()
        return path


def latest_checkpoint(checkpoint_dir: str | os.PathLike[str]) -> str | None:
    """The newest checkpoint a ``CheckpointManager`` listed in ``checkpoint_dir``."""
    try:
        with open(os.path.join(os.fspath(checkpoint_dir), _INDEX)) as f:
            for line in f:
                if line.startswith("model_checkpoint_path:"):
                    return os.path.join(
                        os.fspath(checkpoint_dir), json.loads(line.split(":", 1)[1])
                    )
    except FileNotFoundError:
        pass
    return None
