"""Running a file-cleaning function in a child process under a memory and a time budget.

A file from the public is decoded by code (Pillow, pypdf, zlib) that may need far more memory or time than the
file's size suggests. Done in a child process with an address-space limit (RLIMIT_AS) and killed after a number of
seconds, the worst a file can do is end its own process: the worker that asked carries on, and is told why.

The function (given by its dotted path) takes the file's bytes and returns (bytes, label), or raises
django's ValidationError with a code. The child has no database and no settings but USE_I18N=False: it sees only
the file.
"""

import dataclasses
import importlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

PROJECT_DIRECTORY = Path(__file__).resolve().parent.parent
REFUSED_EXIT = 3
OUT_OF_MEMORY_EXIT = 4


@dataclasses.dataclass
class Outcome:
    content: bytes = b""
    label: str = ""
    # "" when the function succeeded; else the ValidationError's code, "out_of_memory", "out_of_time" or "failed".
    refusal: str = ""
    detail: str = ""


def run_bounded(function_path, data, *, memory_bytes, seconds, niceness):
    """`function_path(data)` run in a child process limited to `memory_bytes` of address space and `seconds`, at
    `niceness` (web workers on the same machine come first: a letter may wait, a visitor should not)."""

    def limit_child():
        os.nice(niceness)
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        # A backstop should the parent die before it kills the child: CPU seconds, then SIGKILL.
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))

    try:
        result = subprocess.run(
            [sys.executable, "-m", "uploads.sandbox", function_path],
            input=data,
            capture_output=True,
            timeout=seconds,
            preexec_fn=limit_child,  # noqa: PLW1509 - the worker runs one job at a time, in one thread
            cwd=PROJECT_DIRECTORY,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(PROJECT_DIRECTORY)},
        )
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        return Outcome(refusal="out_of_time", detail=f"still running after {seconds} s")
    stderr_tail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
    if result.returncode == 0:
        header, _newline, content = result.stdout.partition(b"\n")
        return Outcome(content=content, label=json.loads(header)["label"])
    if result.returncode == REFUSED_EXIT:
        return Outcome(refusal=json.loads(result.stdout)["code"] or "failed", detail=stderr_tail[0])
    if result.returncode == OUT_OF_MEMORY_EXIT or result.returncode < 0:
        # Out of memory shows as MemoryError, or as a signal (a C library's failed allocation; the CPU backstop).
        return Outcome(refusal="out_of_memory", detail=f"exit {result.returncode}: {stderr_tail[0]}"[:500])
    return Outcome(refusal="failed", detail=f"exit {result.returncode}: {stderr_tail[0]}"[:500])


def child_main(function_path):
    from django.conf import settings

    settings.configure(USE_I18N=False)
    from django.core.exceptions import ValidationError

    module_name, _dot, function_name = function_path.rpartition(".")
    function = getattr(importlib.import_module(module_name), function_name)
    data = sys.stdin.buffer.read()
    try:
        content, label = function(data)
    except ValidationError as error:
        sys.stdout.write(json.dumps({"code": error.code or ""}))
        sys.stderr.write("; ".join(error.messages))
        return REFUSED_EXIT
    except MemoryError:
        return OUT_OF_MEMORY_EXIT
    sys.stdout.buffer.write(json.dumps({"label": label}).encode() + b"\n" + content)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1]))
