"""A real JupyterLab and a headless Chromium for the browser tests, both started here.

The server runs on 127.0.0.1 on a free port with a random token, on a copy of
``notebooks/`` (so nothing a test does can touch the committed notebooks), with every
Jupyter, matplotlib and home directory in a temporary folder. The browser is Debian's
Chromium (``/usr/bin/chromium``, which ``make test`` installs as root); it may reach
127.0.0.1 only. Without Chromium or Playwright, the browser tests skip and say why.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("FCN_TUTORIAL_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "build" / "screenshots"
# Flags known to work headless in a container (no GPU, no sandbox, small /dev/shm).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# JupyterLab plugins switched off: the "get notified about Jupyter news?" toast.
DISABLED_PLUGINS = ["@jupyterlab/apputils-extension:announcements"]
# User settings: no autosave (the notebooks are copies, but nothing should be written).
USER_SETTINGS = {"@jupyterlab/docmanager-extension/plugin": {"autosave": False}}
SERVER_START_TIMEOUT_S = 90


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[test]' (or run `make test`)"
    if not CHROMIUM.is_file():
        how = "`make test` installs it" if os.geteuid() == 0 else "ask an admin, or run as root"
        return f"{CHROMIUM} is missing: apt-get install -y chromium ({how})"
    return None


@pytest.fixture(scope="session", autouse=True)
def _browser_available():
    """Skip every browser test, with the reason, where Playwright or Chromium is missing."""
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class JupyterLab:
    """A running server: ``url(path)`` for the browser, ``api(path)`` for REST calls."""

    def __init__(self, port: int, token: str, notebooks: Path, log: Path):
        self.port, self.token, self.notebooks, self.log = port, token, notebooks, log
        self.origin = f"http://127.0.0.1:{port}"

    def url(self, path: str) -> str:
        return f"{self.origin}/{path.lstrip('/')}?token={self.token}"

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(
            f"{self.origin}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every session (and its kernel), so the next notebook has the CPU."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def _write_config(config_dir: Path) -> None:
    labconfig = config_dir / "labconfig"
    labconfig.mkdir(parents=True)
    disabled = {plugin: True for plugin in DISABLED_PLUGINS}
    (labconfig / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}))
    for plugin_id, values in USER_SETTINGS.items():
        extension, plugin = plugin_id.rsplit("/", 1)
        folder = config_dir / "lab" / "user-settings" / extension
        folder.mkdir(parents=True)
        (folder / f"{plugin}.jupyterlab-settings").write_text(json.dumps(values))


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()  # JupyterLab shuts its kernels down on SIGTERM
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        # The server leads its own process group: take its kernels down with it.
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """JupyterLab on 127.0.0.1, serving a copy of ``notebooks/``; stopped whatever happens."""
    home = tmp_path_factory.mktemp("jupyterlab-home")
    notebooks = home / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".*"))
    config_dir = home / "jupyter-config"
    _write_config(config_dir)
    env = {
        **os.environ,  # keeps KERAS_HOME, which the repository's conftest.py points at its copy
        "HOME": str(home),
        "TMPDIR": str(home),
        "MPLCONFIGDIR": str(home / "matplotlib"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_DATA_DIR": str(home / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(home / "jupyter-runtime"),
        "FCN_TUTORIAL_SPEED": "quick",
        "KERAS_BACKEND": "tensorflow",
    }
    port, token = _free_port(), secrets.token_hex(24)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={notebooks}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = home / "jupyterlab.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            command,
            env=env,
            cwd=home,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    lab = JupyterLab(port, token, notebooks, log)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{lab.log_tail()}")
            try:
                lab.api("status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer on {lab.origin}:\n{lab.log_tail()}")
                time.sleep(0.3)
        yield lab
    finally:
        _stop(server)


@pytest.fixture(scope="session")
def browser_context(jupyterlab):
    """A headless Chromium page context that can reach the JupyterLab server only."""
    from playwright.sync_api import sync_playwright

    blocked = []

    def only_local(route):
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", only_local)
            context.blocked = blocked
            yield context
            context.close()
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshots():
    """``build/screenshots/`` (CI keeps it), emptied at the start of each run."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS
