"""The isolation a verify worker runs user code in, with what Linux offers an ordinary user.

Parent side (`worker_environment`): a fresh temporary directory is the worker's working
directory, `HOME`, `TMPDIR` and every cache; the environment is an allow-list (no tokens, no
`PYTHONPATH`); the parent removes the directory when the worker ends.

Worker side, before TensorFlow and long before user code (`enter`): the worker dies with tflint
(`PR_SET_PDEATHSIG`) and adopts what its children orphan (`PR_SET_CHILD_SUBREAPER`, so
`reap_descendants` finds `setsid` grandchildren too); hard resource limits that code cannot
lift (address space, CPU seconds, file size, processes, no core files); a network namespace of
its own when the kernel lets us make one (no interface but a downed loopback); and an audit
hook, which cannot be removed, refusing socket connects, binds and sends and DNS lookups.

None of this makes untrusted code safe to run: it shares the user's uid and file system. It
keeps a module's accidents (files written at import, a forgotten server, a runaway allocation)
away from the user's tree, network and machine.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys
from pathlib import Path
from typing import Any

# Passed through to the worker as they are; everything else is dropped.
ALLOWED_ENV = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "LD_LIBRARY_PATH",
    "CUDA_VISIBLE_DEVICES",
    "CUDA_HOME",
    "NVIDIA_VISIBLE_DEVICES",
    "XLA_FLAGS",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_NUM_INTEROP_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "OMP_NUM_THREADS",
    "KERAS_BACKEND",
)
ALLOWED_ENV_PREFIXES = ("LC_",)
_HOME_VARIABLES = {
    "HOME": "home",
    "TMPDIR": "tmp",
    "XDG_CACHE_HOME": "cache",
    "XDG_CONFIG_HOME": "config",
    "XDG_DATA_HOME": "data",
    "KERAS_HOME": "keras",
    "MPLCONFIGDIR": "matplotlib",
    "TFHUB_CACHE_DIR": "cache",
    "HF_HOME": "cache",
}
FILE_SIZE_LIMIT = 256 << 20
_PROCESS_HEADROOM = 1024  # tasks (threads count) beyond those the user already runs

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_SOCKET_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
    }
)


def worker_environment(workdir: Path, settings: dict[str, str]) -> dict[str, str]:
    """The worker's whole environment: the allow-list, our settings, and every home and cache
    variable inside `workdir` (created here)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in ALLOWED_ENV or name.startswith(ALLOWED_ENV_PREFIXES)
    }
    for name, sub in _HOME_VARIABLES.items():
        directory = workdir / sub
        directory.mkdir(exist_ok=True)
        env[name] = str(directory)
    env.update(
        PYTHONDONTWRITEBYTECODE="1",  # no __pycache__ in the user's tree
        PYTHONUNBUFFERED="1",
        PYTHONIOENCODING="utf-8",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    env.update(settings)
    return env


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _die_with_parent(parent: int) -> str | None:
    """SIGKILL when the thread that started us ends (tflint starts workers from one thread
    that lives as long as the pool); adopt orphaned descendants."""
    try:
        libc = _libc()
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return None
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        return None
    if os.getppid() != parent:  # tflint died before the signal was armed
        os._exit(1)
    return "dies with tflint"


def _set_hard(which: int, value: int) -> bool:
    """Soft and hard limit both `value` (never above a hard limit already in place)."""
    try:
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        return False
    return True


def _user_tasks() -> int:
    """Tasks (processes and threads) the real uid runs now: RLIMIT_NPROC counts them all."""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += sum(1 for _ in Path(entry.path, "task").iterdir())
    return count


def _limit_resources(memory: int, cpu_seconds: int) -> list[str]:
    done = []
    if memory > 0 and _set_hard(resource.RLIMIT_AS, memory):
        done.append(f"address space {memory >> 20} MiB")
    if cpu_seconds > 0 and _set_hard(resource.RLIMIT_CPU, cpu_seconds):
        done.append(f"{cpu_seconds} CPU seconds")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails, it does not kill
    if _set_hard(resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT):
        done.append(f"files up to {FILE_SIZE_LIMIT >> 20} MiB")
    _set_hard(resource.RLIMIT_CORE, 0)
    if os.getuid() != 0:  # root is exempt from RLIMIT_NPROC
        with contextlib.suppress(OSError):
            tasks = _user_tasks() + _PROCESS_HEADROOM + 4 * (os.cpu_count() or 1)
            if _set_hard(resource.RLIMIT_NPROC, tasks):
                done.append(f"{tasks} tasks for the user")
    return done


def _write(path: str, text: str) -> None:
    Path(path).write_text(text)


def _isolate_network() -> str | None:
    """A network namespace of our own: directly with CAP_SYS_ADMIN, else inside a new user
    namespace that maps our uid and gid to themselves. Must run while single-threaded."""
    try:
        libc = _libc()
    except OSError:
        return None
    if libc.unshare(_CLONE_NEWNET) == 0:
        return "no network"
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        return None
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError:
        return "no network (user namespace without an id map)"
    return "no network"


def _refuse_sockets(event: str, args: tuple[Any, ...]) -> None:
    if event in _SOCKET_EVENTS:
        raise PermissionError(f"tflint --verify: network access is blocked ({event})")


def enter(parent: int, memory: int, cpu_seconds: int) -> list[str]:
    """Isolate this process (call first thing, single-threaded); what was put in place."""
    sys.dont_write_bytecode = True
    network = _isolate_network()  # first: a new user namespace must not clear the signal
    protections = [p for p in (_die_with_parent(parent), network) if p]
    protections += _limit_resources(memory, cpu_seconds)
    sys.addaudithook(_refuse_sockets)
    protections.append("sockets refused")
    # `python -c` puts the working directory first on sys.path; it is ours, but nothing of the
    # user's or ours should be importable by accident from it.
    sys.path[:] = [p for p in sys.path if p not in ("", ".", str(Path.cwd()))]
    return protections


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_bytes()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (with the subreaper set, `setsid`'ed ones too)."""
    try:
        tree = _children()
    except OSError:
        return []
    found, stack = [], list(tree.get(pid, ()))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(tree.get(child, ()))
    return found


def reap_descendants() -> None:
    """Kill what user code started in this worker, and collect the zombies."""
    for pid in descendants(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
