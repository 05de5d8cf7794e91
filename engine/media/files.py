"""Checks on the files a user names, with sentences a person can act on.

Every reader (images, sound, video, projects) and the export's output check
go through here, so that a missing file, a folder, an over-long name or a
permission problem reads the same everywhere, and never as a bare ``OSError``.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from engine.errors import AudioError, ImageError, InputError, OutputError, ProjectError

#: Each kind of input: its words in messages, and the error raised for it.
_KINDS: dict[str, tuple[str, type[InputError] | type[ProjectError]]] = {
    "image": ("image", ImageError), "sound": ("sound file", AudioError),
    "video": ("video", InputError), "project": ("project", ProjectError),
}


def reason(e: BaseException) -> str:
    """A short lower-case reason for an ``OSError`` ("permission denied")."""
    code = getattr(e, "errno", None)
    if code == errno.ENOSPC:
        return "the disk is full"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.EROFS:
        return "it is read-only"
    if code == errno.ENAMETOOLONG:
        return "the file name is too long for this file system"
    text = getattr(e, "strerror", None) or str(e)
    return text[:1].lower() + text[1:] if text else "unknown error"


def _short(p: Path) -> str:
    name = p.name
    return name if len(name) <= 60 else f"{name[:40]}…{name[-12:]}"


def name_too_long(p: Path) -> str | None:
    """The message for a path whose name (or whole) is too long for its file system, or None."""
    folder = p.parent if str(p.parent) else Path(".")
    try:
        limit = os.pathconf(folder if folder.is_dir() else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    if len(os.fsencode(p.name)) > limit:
        return (f"The file name {_short(p)} is too long ({len(p.name)} characters; this file "
                f"system allows {limit}). Choose a shorter name.")
    return None


def check_input_file(path: str | os.PathLike[str], kind: str) -> Path:
    """Check that ``path`` names a readable, non-empty file before it is decoded.

    Args:
        path: the file.
        kind: ``"image"``, ``"sound"``, ``"video"`` or ``"project"`` (for the words).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ImageError, AudioError, InputError (video) or ProjectError: the file is missing, a folder,
            has a name too long for the file system, cannot be read, or is empty.
    """
    p = Path(path)
    what, error = _KINDS[kind]
    if (msg := name_too_long(p)) is not None:
        raise error(msg)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(f"The {what} {p} does not exist.") from None
    except NotADirectoryError:
        raise error(f"The {what} {p} does not exist (a part of its path is a file).") from None
    except OSError as e:
        raise error(f"The {what} {_short(p)} cannot be read ({reason(e)}).") from e
    if p.is_dir():
        raise error(f"{p} is a folder, not a{'n' if what[0] in 'aeiou' else ''} {what}. "
                    f"Choose a{'n' if what[0] in 'aeiou' else ''} {what}.")
    try:
        with open(p, "rb"):
            pass
    except OSError as e:
        raise error(f"The {what} {_short(p)} cannot be read ({reason(e)}).") from e
    if st.st_size == 0:
        raise error(f"The {what} {_short(p)} is empty (0 bytes).")
    return p


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file: through links, ``..`` and, on file
    systems that ignore case, a different case (``os.path.samefile``)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def refuse_input_as_output(output: str | os.PathLike[str],
                           inputs: dict[str, str | os.PathLike[str] | None]) -> None:
    """Refuse to write ``output`` over one of the inputs.

    Args:
        output: the file about to be written.
        inputs: ``{"portrait": path, "voice track": path, ...}``; None entries are skipped.

    Raises:
        OutputError: ``output`` is one of the inputs (the message says which).
    """
    for what, path in inputs.items():
        if path is not None and same_file(output, path):
            raise OutputError(f"The output {Path(output).name} is the {what} itself: "
                              f"writing it would destroy the {what}. Choose another file name.")


#: Longest name a temporary ``.NAME.part-PID-XXXXXXXX`` file adds to ``NAME``.
PART_EXTRA = len(".") + len(".part-") + 10 + 1 + 8


def part_path(path: Path) -> Path:
    """A hidden temporary file beside ``path`` (``.NAME.part-PID-XXXXXXXX``).

    Writers fill it and rename it over ``path`` when done, so an interrupted
    export never leaves a half-written file under the real name. The process
    id in the name lets :func:`remove_stale_parts` tell its own leftovers.
    """
    return path.with_name(f".{path.name}.part-{os.getpid()}-{secrets.token_hex(4)}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or no kill() here
        return True
    return True


def remove_stale_parts(path: Path) -> list[Path]:
    """Delete temporary files of earlier exports to ``path`` whose process is gone.

    A process killed outright (SIGKILL, power loss) cannot clean up its
    ``.NAME.part-PID-XXXXXXXX``; the next export to the same name removes
    it. Files of a process still running, and files of other names, are kept.

    Returns:
        The files removed.
    """
    removed: list[Path] = []
    prefix = f".{path.name}.part-"
    try:
        candidates = [f for f in path.parent.iterdir() if f.name.startswith(prefix)]
    except OSError:
        return removed
    for f in candidates:
        pid_text = f.name[len(prefix):].split("-", 1)[0]
        if pid_text.isdigit() and "-" in f.name[len(prefix):] and _alive(int(pid_text)):
            continue
        try:
            f.unlink()
            removed.append(f)
        except OSError:
            continue
    return removed
