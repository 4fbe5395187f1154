"""The wheel is what gets deployed: build it, install it with its dependencies in a clean venv,
and run it from elsewhere.

The checkout serves templates and migrations from beside the package; an installed wheel must
carry its own copies, so this is the only test that notices a resource left out of the wheel.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

CHECK_INSTALLED_APP = r"""
import json, sys
import wagechannel
from wagechannel import create_app

token, name = sys.argv[1], sys.argv[2]
app = create_app()
response = app.test_client().get(f"/s/{token}")
page = response.get_data(as_text=True)
print(json.dumps({"file": wagechannel.__file__, "status": response.status_code,
                  "name_shown": name in page,
                  "templates": app.template_folder}, ensure_ascii=False))
"""


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, (f"{' '.join(command)} exited {result.returncode}\n"
                                    f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result


def clean_environment(**extra: str) -> dict[str, str]:
    """No WAGECHANNEL_* settings and no PYTHONPATH from the caller: only what the test sets."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("WAGECHANNEL_") and key not in {"PYTHONPATH", "PYTHONHOME"}}
    env.update(extra)
    return env


def build_wheel(out: Path) -> Path:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")  # hatchling is here: no need to fetch it
    run([*command, str(REPO)], cwd=out.parent, env=clean_environment())
    wheels = list(out.glob("wagechannel-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "wheels")

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "wagechannel/__init__.py" in names
    assert "wagechannel/templates/base.html" in names
    assert "wagechannel/templates/intake/form.html" in names
    assert "wagechannel/static/wagechannel.js" in names
    assert "wagechannel/migrations/env.py" in names
    assert any(n.startswith("wagechannel/migrations/versions/") and n.endswith(".py")
               for n in names), sorted(n for n in names if "migrations" in n)
    assert any(n.startswith("wagechannel/notices/") for n in names), "notices/ left out"
    assert not any("__pycache__" in n for n in names)

    # A venv of its own, without system site-packages, whatever environment runs the suite:
    # the wheel's declared dependencies come from the index (or wheel cache) pip is configured
    # with, so a dependency left out of pyproject.toml fails here as on a fresh machine.
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=clean_environment())
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", str(wheel)], cwd=tmp_path,
        env=clean_environment(), timeout=900)
    run([str(python), "-m", "pip", "check"], cwd=tmp_path, env=clean_environment())
    isolated = subprocess.run([str(python), "-c", "import pytest"], cwd=tmp_path,
                              env=clean_environment(), capture_output=True, text=True)
    assert isolated.returncode != 0, "the venv sees the test environment's packages"
    command = venv / "bin" / "wagechannel"
    assert command.is_file(), "the console script was not installed"

    instance = tmp_path / "instance"
    env = clean_environment(WAGECHANNEL_INSTANCE_PATH=str(instance))
    upgraded = run([str(command), "db", "upgrade"], cwd=tmp_path, env=env)
    assert "数据库已是最新结构" in upgraded.stdout
    assert (instance / "wagechannel.sqlite3").is_file()
    run([str(command), "demo"], cwd=tmp_path, env=env)
    listed = run([str(command), "board", "list", "--json"], cwd=tmp_path, env=env)
    boards = json.loads(listed.stdout)
    assert len(boards) >= 2, boards
    assert "打印前请设置 WAGECHANNEL_BASE_URL" in listed.stderr, listed.stderr
    assert all(board["active"] and board["url"].endswith(f"/s/{board['token']}")
               for board in boards)

    checked = run([str(python), "-c", CHECK_INSTALLED_APP, boards[0]["token"],
                   boards[0]["project_name"]], cwd=tmp_path, env=env)
    seen = json.loads(checked.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200, seen
    assert seen["name_shown"], seen
    installed = Path(seen["file"]).resolve()
    assert installed.is_relative_to(venv.resolve()), f"imported {installed}, not the wheel"
    assert not installed.is_relative_to(REPO), installed
    assert Path(seen["templates"]).resolve().is_relative_to(venv.resolve()), seen
