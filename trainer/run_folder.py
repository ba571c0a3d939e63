"""``fit``'s and ``pretrain``'s hold on their run folder (``--out``): one trainer at a time,
and the folder as it was found when a run fails before its first checkpoint. Torch-free.

Two trainers in one run folder (two viewer windows resuming one run, the training dialog and a
``forensic-train fit --resume`` in a shell) overwrite each other's checkpoints, resume file and
history. So a run takes :class:`RunLock` (``--out/.train.lock``, :class:`engine.lock.FolderLock`,
as a scan locks its output folder) before it reads or writes anything there, and holds it to its
end: a second trainer is refused at once, in one line naming the folder and the holder (PID,
host, start time, command), and touches nothing. A lock left by a process that was killed is no
lock: the operating system released it with the process, and the next run takes it.

``calibrate`` and ``face-model`` take the same lock on the folders of their ``--model``,
``--out`` and ``--json`` that are run folders (hold a ``run.json``: :func:`holding_run_folders`): in a
one-stage run the dialog's ``RUN/calibrated.safetensors`` is written into ``fit``'s ``--out``,
and a ``fit --resume`` in a shell during the calibration changed the weights it described.
``ensemble``, ``average``, ``verdict``, ``features`` and ``eval`` take it on the folders of the
files they write (a run folder's ``ensemble.json``, averaged checkpoint, verdict report,
features file or evaluation, which ``eval`` writes beside its checkpoint by default, is written
there while a trainer might be writing the same folder).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from engine.files import (
    atomic_write,
    is_temp_name,
    open_append,
    open_append_fd,
    read_regular,
    temp_target,
)
from engine.lock import FolderLock, FolderLocked, LockFailed
from trainer.plan import LAST_CHECKPOINT, RESUME_NAME, RUN_LOCK

RUN_RECORD = "run.json"
HISTORY = "history.jsonl"  # the validation events, a line appended by each (append_history)
# What fit writes in --out before its first checkpoint: run.json as it starts, and
# history.jsonl when a validation comes first. The checkpoint's own files say that it came.
EARLY_FILES = (RUN_RECORD, HISTORY)
CHECKPOINT_FILES = (LAST_CHECKPOINT, RESUME_NAME)
# safetensors' save_file wrote through a temporary file of its own, named by Rust's tempfile
SAFETENSORS_TEMP = re.compile(r"\.tmp[A-Za-z0-9]{6}")


class RunLocked(FolderLocked):
    """Another trainer is writing into the run folder."""


class RunLock(FolderLock):
    """The exclusive lock of a run folder (see the module doc)."""

    name = RUN_LOCK
    what = "training run"
    failed = LockFailed
    refused = RunLocked


# The run folders this process trains in (holding_run_folder), by absolute path: what
# ensure_run_folder checks a write against.
_HELD: dict[str, RunLock] = {}


def _contents(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:  # none (or none readable): nothing to put back
        return None


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def missing_folders(out: Path) -> list[Path]:
    """``out`` and those of its parents that do not exist, deepest first."""
    return [p for p in (out, *out.parents) if not p.exists()]


def remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first), each only when empty; stop at the first that is not."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break  # not empty: what is in it is not the run's


class OutFolder:
    """``--out`` as a ``fit`` found it, so that a failure before the run's first checkpoint
    (data that fails to decode, a loss that becomes NaN at once, out of memory, Ctrl-C) leaves
    it as it was: nothing of the run is in it then that could be resumed, and an empty or
    half-written folder looked like a run to the next command. The folders ``fit`` made
    (``made``, found before its lock made them) are removed (each only when empty), the
    :data:`EARLY_FILES` it wrote put back as they were, the lock file removed when the run made
    it. Once a checkpoint was written, everything stays: the run can be resumed."""

    def __init__(self, out: Path, made: list[Path]) -> None:
        self.out = out
        self.made = made
        self.files = {name: _contents(out / name) for name in EARLY_FILES}
        self.checkpoint = {name: _stamp(out / name) for name in CHECKPOINT_FILES}

    def checkpointed(self) -> bool:
        """Whether this run wrote a checkpoint (or its resume file) since."""
        return any(_stamp(self.out / n) != stamp for n, stamp in self.checkpoint.items())

    def restore(self, lock: RunLock | None) -> None:
        """Put ``--out`` back as it was, unless a checkpoint was written; ``lock``, the run's,
        is released (its file removed when the run made it)."""
        if self.checkpointed():
            return
        if lock is not None and not lock.still_held():  # the folder is another's now, or none
            lock.release()
            return
        for name, data in self.files.items():
            path = self.out / name
            try:
                if data is None:
                    path.unlink(missing_ok=True)
                elif _contents(path) != data:
                    atomic_write(path, data)
            except OSError:
                pass  # the error that brought us here is the one to report
        if lock is not None:
            lock.release(remove=lock.created)
        remove_empty(self.made)


def remove_leftover_temps(out: Path) -> list[str]:
    """Remove (and name) the temporary files that writers of the run folder left in ``out`` when
    they were killed while writing: a checkpoint's, the resume file's, ``run.json``'s or
    ``history.jsonl``'s (``NAME.~XXXXXXXX.tmp``, :func:`engine.files.temp_path`), and the
    ``.tmpXXXXXX`` safetensors' ``save_file`` left (each the size of a checkpoint, hundreds of
    MB for a real model, kept for ever). Called with the folder's lock held, so no writer of
    the run's is at work; regular files only, the folder's own level only."""
    removed = []
    try:
        entries = list(os.scandir(out))
    except OSError:
        return removed  # no folder (yet): nothing left in it
    for entry in entries:
        name = entry.name
        if is_temp_name(name):
            target = temp_target(Path(name)).name
            ours = target.endswith(".safetensors") or target in (RESUME_NAME, RUN_RECORD, HISTORY)
        else:
            ours = SAFETENSORS_TEMP.fullmatch(name) is not None
        with contextlib.suppress(OSError):
            if ours and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(name)
    return removed


def drop_history_after(out: Path, step: int) -> int:
    """Remove from ``out/history.jsonl`` the rows of validations after ``step`` (the last one
    the resume file's state includes), and say how many: a run killed after a validation's row
    was appended but before the checkpoint that records it validates that epoch again on
    ``--resume``, which appended the row a second time. Lines that are no row with a step are
    kept as they are. Raises OSError naming the file (see :func:`_writing_run_folder`)."""
    path = out / HISTORY
    with _writing_run_folder():
        try:
            lines = read_regular(path, follow_links=False).splitlines(keepends=True)
        except FileNotFoundError:
            return 0
        kept = [line for line in lines if not _after(line, step)]
        if len(kept) < len(lines):
            atomic_write(path, b"".join(kept))
    return len(lines) - len(kept)


def _after(line: bytes, step: int) -> bool:
    try:
        row = json.loads(line)
    except ValueError:
        return False
    return isinstance(row, dict) and isinstance(row.get("step"), int) and row["step"] > step


@contextlib.contextmanager
def holding_run_folder(out: Path, command: str, *, main_rank: bool = True) -> Iterator[None]:
    """Inside, this process is the one trainer of ``out``: its :class:`RunLock` held (by the
    main rank; the other ranks of a distributed run write nothing), and ``out`` put back as it
    was (:class:`OutFolder`) when the block fails before the run's first checkpoint, a stop
    signal included. Raises :class:`RunLocked` at once while another trainer holds ``out``."""
    if not main_rank:
        yield
        return
    made = missing_folders(out)
    lock = RunLock(out, command=command)
    try:
        lock.acquire()
    except RunLocked:
        raise  # the holder's folder: nothing of it is ours to put back
    except BaseException:
        remove_empty(made)
        raise
    _HELD[os.path.abspath(out)] = lock
    try:
        remove_leftover_temps(out)
        before = OutFolder(out, made)
        try:
            yield
        except BaseException:
            before.restore(lock)
            raise
    finally:
        _HELD.pop(os.path.abspath(out), None)
        lock.release()


def ensure_run_folder(out: Path) -> None:
    """Before ``fit`` writes into ``out``: where this process holds its :class:`RunLock`
    (:func:`holding_run_folder`), raise OSError (one line naming the folder) when the folder
    was removed or replaced since (its lock file is not the file held). Made anew, it held
    checkpoints without their lock or ``run.json``, and a ``--resume`` there ran as a second
    trainer beside this one, unchecked (walk-through W5, 2026-12-06). Where none is held (the
    loop called by a program of its own), the folder is made when missing."""
    lock = _HELD.get(os.path.abspath(out))
    if lock is None:
        out.mkdir(parents=True, exist_ok=True)
    elif not lock.still_held():
        raise OSError(
            errno.ENOENT,
            f"the run folder was removed or replaced while the run trained (its {RUN_LOCK} is "
            "not the one this trainer holds); the run stops without writing there again",
            str(out),
        )


@contextlib.contextmanager
def holding_run_folders(files: Iterable[Path | None], command: str) -> Iterator[None]:
    """Inside, this process holds the :class:`RunLock` of each folder of ``files`` (a command's
    checkpoints read and written: ``calibrate``'s and ``face-model``'s ``--model`` and
    ``--out``, and their ``--json``; the files ``ensemble``, ``average``, ``verdict``,
    ``features`` and ``eval`` write; None for one not given) that is a run folder, one holding :data:`RUN_RECORD`;
    other folders are not locked. Raises :class:`RunLocked` at once, before the command reads
    anything there, while a trainer (or another such command) holds one. A lock file made
    here is removed again at the end, so the folder keeps only what the command wrote."""
    folders = sorted({Path(os.path.abspath(f.parent)) for f in files if f is not None})
    locks: list[RunLock] = []
    try:
        for folder in folders:
            if (folder / RUN_RECORD).is_file():
                lock = RunLock(folder, command=command)
                lock.acquire()
                locks.append(lock)
        yield
    finally:
        for lock in reversed(locks):
            lock.release(remove=lock.created)


def probe_run_folders(folders: Iterable[Path]) -> None:
    """Raise :class:`RunLocked` when a trainer (or ``calibrate``, ``face-model``) holds one of
    ``folders``, taking nothing and making nothing (:meth:`engine.lock.FolderLock.probe`): the
    training dialog asks before it writes its own records into a run's folders, which a
    trainer it then started would be refused in."""
    for folder in dict.fromkeys(folders):
        RunLock(folder).probe()


def running(folders: Iterable[Path]) -> str | None:
    """``running (PID N)`` while another process (a trainer, ``calibrate``) holds one of
    ``folders`` (:func:`probe_run_folders`: nothing taken or made), None when none is held:
    the dialog's list of earlier runs and its Resume said such a run "stopped" and offered to
    continue it, and only the trainer Resume started was refused."""
    try:
        probe_run_folders(folders)
    except RunLocked as e:
        return f"running (PID {e.holder.get('pid', '?')})"
    return None


@contextlib.contextmanager
def _writing_run_folder() -> Iterator[None]:
    """An OSError inside said as a write to the run folder failing, naming the file
    (``trainer.cli`` prints ``FILE: cannot write the run folder: WHY``, as the dialog does)."""
    try:
        yield
    except OSError as e:
        why = e.strerror or str(e)
        raise OSError(e.errno, f"cannot write the run folder: {why}", e.filename) from e


def check_history(out: Path) -> None:
    """Refuse now, before any training, an ``out/history.jsonl`` that :func:`append_history`
    would refuse at the first validation (a symbolic link, a pipe, a folder), which lost the
    epoch trained before it. A missing file is fine: the first validation makes it."""
    path = out / HISTORY
    if os.path.lexists(path):
        with _writing_run_folder():
            os.close(open_append_fd(path, follow_links=False))


def append_history(out: Path, row: dict[str, object]) -> None:
    """Append ``row`` as a JSON line to ``out/history.jsonl``. Never through a symbolic link
    (``O_NOFOLLOW``): a link in a copied or planted run folder had the run append its
    validation rows to the file it names. Raises OSError naming the file (see
    :func:`_writing_run_folder`)."""
    with (
        _writing_run_folder(),
        open_append(out / HISTORY, "a", follow_links=False, encoding="utf-8") as f,
    ):
        f.write(json.dumps(row) + "\n")


def resume_advice(out: Path) -> str:
    """What to do when ``out``'s resume file cannot be read: a new ``--out``, or ``--init`` of
    the run's last checkpoint, whose weights survive (the optimiser and position do not)."""
    last = out / LAST_CHECKPOINT
    init = (
        f", or train on from its weights with --init {last} and another --out"
        if last.is_file()
        else ""
    )
    return f"start the run again with another --out{init}"


def check_resume_file(out: Path) -> None:
    """Refuse (:class:`~engine.errors.CheckpointError`, one line with what to do) a resume file
    that begins as the ``torch.save`` archive fit writes but is not whole: cut short by a full
    disk or a copy. Its zip directory, at the end of the file, is read (not the tensors), so
    ``fit --resume`` says so before it decodes the training images, not after. Any other file
    is left to the loader (:func:`engine.torchload.load_torch_file`), which says what it is."""
    import zipfile

    from engine.errors import CheckpointError
    from engine.files import open_regular

    path = out / RESUME_NAME
    try:
        with open_regular(path) as f:  # a pipe: refused, not waited on
            if f.read(4) != b"PK\x03\x04":
                return
            with zipfile.ZipFile(f):
                return
    except (zipfile.BadZipFile, EOFError) as e:
        why = "cut short or damaged: its archive directory is missing"
        raise CheckpointError(path, f"damaged resume file ({why}); {resume_advice(out)}") from e
    except OSError:
        return  # the loader says why it cannot be read
