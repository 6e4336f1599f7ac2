"""No outbound connection, ever: the app and every CLI command, watched at the syscall level.

Each program runs in a new network namespace that has only the loopback interface
(``unshare -n``, then ``ip link set lo up``), under ``strace -f`` tracing ``connect``,
``sendto``, ``sendmsg`` and ``sendmmsg`` of the process and every child it starts (solver
binaries, Dask workers, Chromium for snapshots included). The test fails on any of those
calls aimed at an address that is not loopback (127.0.0.0/8, ::1), and on any aimed at port
53 even on loopback (a DNS lookup means something wanted a remote name). Unix sockets are
local and allowed.

The app is started with the repository's ``.streamlit/config.toml`` and nothing but a port on
the command line (so the config itself must stop Streamlit's public-IP lookup); a Chromium
inside the same namespace opens every page while strace watches the server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

_SYSCALLS = "connect,sendto,sendmsg,sendmmsg"
_INET = re.compile(r"sin_port=htons\((\d+)\), sin_addr=inet_addr\(\"([\d.]+)\"\)")
_INET6 = re.compile(r"sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6, \"([0-9a-fA-F:.]+)\"")


def _outbound(log: Path) -> list[str]:
    """The traced calls that aimed outside this machine (or at a DNS server)."""
    bad = []
    for line in log.read_text(errors="replace").splitlines():
        if not re.search(rf"\b({_SYSCALLS.replace(',', '|')})\(", line):
            continue
        for port, addr in _INET.findall(line):
            if not addr.startswith("127.") or port == "53":
                bad.append(line.strip())
        for port, addr in _INET6.findall(line):
            a = addr.lower()
            loop = a == "::1" or a.startswith("::ffff:127.")
            if not loop or port == "53":
                bad.append(line.strip())
    return bad


def _tools():
    missing = [t for t in ("unshare", "strace", "ip") if not shutil.which(t)]
    if missing:
        pytest.fail(f"needs {missing}: run `make install-test` (scripts/system-deps.sh)")
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.fail("`unshare -n` is not permitted here (needs root or user namespaces)")


def _isolated(cmd: list[str]) -> list[str]:
    """``cmd`` in a fresh network namespace with only ``lo`` up."""
    return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *cmd]


def _strace(log: Path, cmd: list[str]) -> list[str]:
    return ["strace", "-f", "-qq", "-e", f"trace={_SYSCALLS}", "-o", str(log), *cmd]


def test_the_parser_sees_an_outbound_connection(tmp_path):
    """The watcher itself: a deliberate connect() to a public address is caught."""
    _tools()
    log = tmp_path / "probe.log"
    code = ("import socket\ns = socket.socket()\ns.settimeout(1)\n"
            "try:\n    s.connect(('93.184.216.34', 80))\nexcept OSError:\n    pass\n"
            "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "try:\n    u.sendto(b'x', ('127.0.0.1', 53))\nexcept OSError:\n    pass\n"
            "t = socket.socket()\ntry:\n    t.connect(('127.0.0.1', 9))\nexcept OSError:\n    pass\n")
    subprocess.run(_isolated(_strace(log, [sys.executable, "-c", code])), timeout=60)
    bad = _outbound(log)
    assert len(bad) == 2 and "93.184.216.34" in bad[0] and "htons(53)" in bad[1]


CLI = [
    ["validate"],
    ["site", "--out", "{out}/site"],
    ["staff", "--out", "{out}/staff"],
    ["fund", "--budget", "5000000", "--out", "{out}/fund"],
    ["hazards", "--out", "{out}/hazards"],
    ["brief", "--out", "{out}/brief"],
    ["map", "--plan", "all", "--out", "{out}/map"],
    ["batch", "--counties", "500109", "--workers", "1", "--no-progress", "--out", "{out}/batch"],
    ["scenario", "list"],
    ["policy"],
    ["demo"],
]


@pytest.mark.parametrize("args", CLI, ids=lambda a: a[0])
def test_no_cli_command_connects_out(tmp_path, args):
    _tools()
    log = tmp_path / "trace.log"
    argv = [a.format(out=tmp_path) for a in args]
    env = {**os.environ, "CHILDPLAN_STORE": str(tmp_path / "store.gpkg"),
           "PYTHONPATH": os.pathsep.join(sys.path)}
    r = subprocess.run(_isolated(_strace(log, [sys.executable, "-m", "childplan.cli", *argv])),
                       capture_output=True, text=True, timeout=1500, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert _outbound(log) == []


_DRIVER = textwrap.dedent("""
    import json, subprocess, sys, time, urllib.request
    repo, log, port, chromium, out, syscalls = sys.argv[1:7]
    pages = ["", "siting", "staffing", "funding", "hazards", "scenarios", "batch", "data"]
    proc = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=" + syscalls, "-o", log,
                             sys.executable, "-m", "streamlit", "run", "app.py",
                             "--server.port", port],
                            cwd=repo, stdout=open(out + ".server.txt", "w"),
                            stderr=subprocess.STDOUT)
    result = {"pages": [], "health": False}
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not result["health"]:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as r:
                    result["health"] = r.status == 200
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium, headless=True,
                                  args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            pg = b.new_page()
            for name in pages:
                pg.goto(f"http://127.0.0.1:{port}/{name}", timeout=120000)
                pg.wait_for_selector("[data-testid='stSidebarNav']", timeout=120000)
                pg.wait_for_timeout(4000)  # let the page script run (maps, tables)
                result["pages"].append(name or "map")
            b.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(json.dumps(result))
""")


@pytest.mark.e2e
def test_the_app_never_connects_out(tmp_path):
    _tools()
    from tests.e2e.conftest import CHROMIUM

    log = tmp_path / "app.log"
    env = {**os.environ, "CHILDPLAN_STORE": str(tmp_path / "store.gpkg"),
           "PYTHONPATH": os.pathsep.join(sys.path)}
    for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(k, None)
    r = subprocess.run(_isolated([sys.executable, "-c", _DRIVER, str(REPO), str(log), "8765",
                                  CHROMIUM, str(tmp_path / "run"), _SYSCALLS]),
                       capture_output=True, text=True, timeout=1200, env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["health"] and len(result["pages"]) == 8, result
    bad = _outbound(log)
    assert bad == [], "\n".join(bad[:20])
