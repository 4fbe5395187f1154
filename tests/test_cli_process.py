"""The `wagechannel` command as a person runs it: a real process, its exit status and its lines.

Each test gives the process an instance folder and a database of its own and no other
WAGECHANNEL_* settings, as on a fresh machine.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scratch_database import revision_before_head, scratch_database
from wagechannel.migrate import upgrade

COMMAND = [sys.executable, "-m", "wagechannel.cli"]


@pytest.fixture()
def fresh_machine(tmp_path: Path) -> Iterator[dict[str, str]]:
    with scratch_database(tmp_path) as url:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("WAGECHANNEL_")}
        env.update(WAGECHANNEL_INSTANCE_PATH=str(tmp_path / "instance"),
                   WAGECHANNEL_DATABASE_URL=url, PYTHONUNBUFFERED="1")
        yield env


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_serve_on_a_busy_port_says_so_in_one_chinese_line(fresh_machine: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["serve", "--port", str(port)], fresh_machine)
    assert result.returncode == 1, result
    assert result.stderr.splitlines() == [
        f"错误：端口 {port} 已被占用：请先停止占用它的程序，或用 --port 换一个端口"], result.stderr
    assert "正在" not in result.stdout + result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_serve_announces_itself_once_bound_and_warns_of_its_own_qr_address(
        fresh_machine: dict[str, str]) -> None:
    server = subprocess.Popen([*COMMAND, "serve", "--port", "0", "--threads", "2"],
                              env=fresh_machine, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, stdin=subprocess.DEVNULL)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # blocks until serve prints, or exits
        running = re.fullmatch(r"wagechannel 正在 http://127\.0\.0\.1:(\d+)/ 上运行（Ctrl\+C 停止）\n", line)
        assert running, (line, server.poll())
        port = int(running.group(1))
        assert port != 0
        # Said only after the port is bound: the first connection is answered.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
            assert response.status == 200
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=30)
    assert f"二维码指向 http://127.0.0.1:{port}，打印前请设置 WAGECHANNEL_BASE_URL" in err.splitlines(), err
    assert "Traceback" not in err


def test_a_command_on_a_database_behind_the_code_prints_one_line_and_no_traceback(
        fresh_machine: dict[str, str]) -> None:
    upgrade(fresh_machine["WAGECHANNEL_DATABASE_URL"], revision=revision_before_head())
    result = run(["board", "list"], fresh_machine)
    assert result.returncode == 1, result
    assert result.stderr == "错误：数据库结构不是最新的，请先运行 wagechannel db upgrade\n", result.stderr
    assert result.stdout == ""
    fixed = run(["db", "upgrade"], fresh_machine)
    assert fixed.returncode == 0 and "数据库已是最新结构" in fixed.stdout, fixed
    listed = run(["board", "list"], fresh_machine)
    assert listed.returncode == 0 and "还没有告示牌" in listed.stdout, listed


def test_board_list_loads_the_configuration_and_the_database_only(
        fresh_machine: dict[str, str]) -> None:
    """Listing boards builds no web application: none of the pages' modules (PDF, images,
    workbooks) is imported, so a person waits for the list, not for them."""
    upgrade(fresh_machine["WAGECHANNEL_DATABASE_URL"])
    pages = ("fpdf", "openpyxl", "wagechannel.boards.views", "wagechannel.cases.views",
             "wagechannel.intake.views")
    script = ("import atexit, sys\n"
              "from wagechannel.cli import main\n"
              f"atexit.register(lambda: print(sorted(set({pages!r}) & set(sys.modules)),"
              " file=sys.stderr))\n"
              "main(['board', 'list', '--json'])\n")
    result = subprocess.run([sys.executable, "-c", script], env=fresh_machine,
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result
    assert result.stdout == "[]\n"
    assert result.stderr.splitlines()[-1] == "[]", result.stderr
