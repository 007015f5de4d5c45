"""Read and parse a document in a child process, with a time and a memory budget.

The reader's limits (``_base``) refuse what is known to be too large; this is the bound
for everything else: a parse that runs past ``seconds`` is killed and refused with
"文档过于复杂，解析超时", one that needs more than ``memory_bytes`` of address space is
refused too, and neither touches the process that asked (a web worker). A child process,
not a deadline checked in loops, because the slow part may be inside lxml or pdfminer.

The child is ``python -m zhenggai.textparse.budget``; it reads a length-prefixed JSON
header and the file on stdin and writes one JSON object on stdout (the stored form of
the result, see ``serialize.dump_result``, or the reader's refusal).
"""

from __future__ import annotations

import json
import logging
import os
import struct
import subprocess
import sys
from typing import Any

from ._base import ReadError, _fail
from .model import ParseResult

log = logging.getLogger(__name__)

#: Seconds a web parse may take; real plans take well under one.
DEFAULT_SECONDS = 30.0
#: Address space the child may use (the interpreter itself takes about 100 MB of it).
DEFAULT_MEMORY_BYTES = 1536 * 1024 * 1024

# The command that runs the child: this module. Tests put a child that never ends here.
CHILD_COMMAND = [sys.executable, "-m", "zhenggai.textparse.budget"]

# What the child inherits of the environment: enough to find Python and this package,
# none of the server's secrets (the child reads hostile files).
# ZHENGGAI_SOFFICE: where LibreOffice is, for .doc/.wps/.rtf (textparse._office).
_ENV_KEPT = (
    *("PATH", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR"),
    "ZHENGGAI_SOFFICE",
)

TOO_SLOW = "文档过于复杂，解析超时（超过 {seconds:g} 秒），拒绝读取"
TOO_BIG = "文档过于复杂，解析所需内存超出上限，拒绝读取"
FAILED = "解析文档时出错，请确认文件完好后重试"


def read_and_parse(
    data: bytes,
    name: str,
    *,
    seconds: float = DEFAULT_SECONDS,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> ParseResult:
    """``parse_document(read_bytes(data, name))`` in a child process within the budget.

    Raises :class:`ReadError` for what the reader refuses, and for a parse past its time
    or memory budget.
    """
    from .serialize import load_result

    header = json.dumps({"name": name, "memory": memory_bytes}).encode()
    payload = struct.pack("!I", len(header)) + header + data
    try:
        done = subprocess.run(  # noqa: S603  our own module; the file and its name go through stdin
            CHILD_COMMAND,
            input=payload,
            capture_output=True,
            timeout=seconds,
            check=False,
            env={k: v for k, v in os.environ.items() if k in _ENV_KEPT},
        )
    except subprocess.TimeoutExpired:  # run() has killed the child and reaped it
        raise _fail(name, TOO_SLOW.format(seconds=seconds)) from None
    try:
        answer = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
    except (UnicodeDecodeError, IndexError, ValueError):
        answer = None
    if isinstance(answer, dict) and "result" in answer:
        return load_result(answer["result"])
    if isinstance(answer, dict) and "refused" in answer:
        raise _fail(name, str(answer["refused"]))
    log.warning(
        "document parse of %r ended with status %s: %s",
        name,
        done.returncode,
        done.stderr.decode("utf-8", "replace")[-2000:],
    )
    if (isinstance(answer, dict) and answer.get("memory")) or done.returncode < 0:
        raise _fail(name, TOO_BIG)  # killed by a signal: the kernel's answer to memory
    raise _fail(name, FAILED)


def _limit_memory(memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: the time budget still holds
        return
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _child() -> dict[str, Any]:
    stdin = sys.stdin.buffer
    (size,) = struct.unpack("!I", stdin.read(4))
    header = json.loads(stdin.read(size))
    data = stdin.read()
    _limit_memory(int(header.get("memory", 0)))
    from .parse import parse_document
    from .reader import read_bytes
    from .serialize import dump_result

    try:
        return {"result": dump_result(parse_document(read_bytes(data, str(header["name"]))))}
    except ReadError as exc:
        return {"refused": exc.reason}
    except MemoryError:
        return {"memory": True}


if __name__ == "__main__":
    answer = _child()
    sys.stdout.write(json.dumps(answer) + "\n")  # ASCII: no U+2028 or U+0085 to split the line
    sys.stdout.flush()
    os._exit(0)  # skip freeing a large heap object by object
