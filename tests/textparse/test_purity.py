"""textparse is pure Python: importing and running it loads no Django."""

from __future__ import annotations

import subprocess
import sys


def test_importing_and_running_textparse_does_not_import_django():
    code = (
        "import sys\n"
        "import zhenggai.textparse.parse as p, zhenggai.textparse.lint as l, zhenggai.textparse.reader\n"
        "import zhenggai.textparse.serialize\n"
        "r = p.parse_text('一、问题整改\\n（一）针对学习少问题\\n一是制定了计划。')\n"
        "l.lint(r)\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
