"""Headless Chromium for the report's tests, driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`): no driver binary to match to the browser's version, and no
debugging port that another user of a shared machine could connect to.

`Chromium.open(path)` loads a page, waits until its charts are drawn and returns a Page that
records every console message, uncaught error and network request the page made; `measure()`
runs the layout checks in the page.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import unavailable

# Flags that work on this project's machines, as root, without a display or a network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
]
WIDTH, HEIGHT = 1280, 900  # a laptop's browser window: the report's page is 1,200 px wide
# Screenshots for the reader: in the checkout's results/ (ignored by git), where pytest's rotating
# temporary folders do not remove them.
SCREENSHOTS = Path(__file__).resolve().parents[1] / "results" / "screenshots"


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def install_chromium() -> str | None:
    """Debian's chromium package, installed as root like the SLURM cluster; why not, otherwise."""
    if os.geteuid() != 0:
        return "headless Chromium is not installed and installing it needs root"
    if not shutil.which("apt-get"):
        return "headless Chromium is not installed and apt-get is missing (Debian/Ubuntu only)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    done = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0:  # a fresh machine: the package lists first
        subprocess.run(["apt-get", "update"], capture_output=True, text=True, env=env, timeout=600)
        done = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0 or not chromium_binary():
        return f"apt-get install chromium failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return None


class Page:
    """One tab: commands go to it by session id; its events are kept in order."""

    def __init__(self, browser: Chromium, session: str):
        self.browser, self.session = browser, session

    def send(self, method: str, **params):
        return self.browser.send(method, params, self.session)

    def events(self, method: str) -> list[dict]:
        return [
            e["params"]
            for e in self.browser.events
            if e.get("sessionId") == self.session and e["method"] == method
        ]

    def evaluate(self, expression: str):
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            raise AssertionError(f"{expression[:80]}...: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors of this page."""
        found = [
            " ".join(str(a.get("value", a.get("description", ""))) for a in e["args"])
            for e in self.events("Runtime.consoleAPICalled")
            if e["type"] in ("error", "assert")
        ]
        found += [
            e["exceptionDetails"].get("exception", {}).get("description", str(e))
            for e in self.events("Runtime.exceptionThrown")
        ]
        found += [e["entry"]["text"] for e in self.events("Log.entryAdded") if e["entry"]["level"] == "error"]
        return found

    def requests(self) -> list[str]:
        return [e["request"]["url"] for e in self.events("Network.requestWillBeSent")]

    def screenshot(self, path: Path) -> Path:
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        shot = self.send(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": WIDTH, "height": min(height, 16000), "scale": 1},
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def measure(self) -> dict:
        return self.evaluate(MEASURE)

    def keep_screenshot(self, name: str, capsys) -> Path:
        """A full-page screenshot in SCREENSHOTS/NAME.png, its path printed in the test output."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = self.screenshot(SCREENSHOTS / f"{name}.png")
        with capsys.disabled():
            print(f"\n  screenshot: {path}")
        return path


# Runs in the page: for every image and chart, the size it is drawn at and the size it is shown
# at; for every chart, its marks (data drawn), legends, panels and the smallest text as shown.
MEASURE = """
(() => {
  const page = document.documentElement.clientWidth;
  const shown = [];
  for (const img of document.querySelectorAll('img')) {
    const box = img.getBoundingClientRect();
    shown.push({what: 'img ' + (img.alt || img.src.slice(0, 40)), drawn: img.naturalWidth, shown: box.width,
                right: box.right, smallest_text: null, marks: null});
  }
  for (const el of document.querySelectorAll('.vega')) {
    const svg = el.querySelector('svg');
    if (!svg) {
      shown.push({what: el.id, drawn: 0, shown: 0, right: 0, marks: 0, smallest_text: null});
      continue;
    }
    const box = svg.getBoundingClientRect();
    const drawn = Number(svg.getAttribute('width'));
    const scale = box.width / drawn;
    let smallest = Infinity;
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim()) continue;
      smallest = Math.min(smallest, parseFloat(getComputedStyle(t).fontSize) * scale);
    }
    const marks = Array.from(svg.querySelectorAll('.role-mark > path, .role-mark > g > path'))
      .filter(p => (p.getAttribute('d') || '').length > 2).length;
    const panels = svg.querySelectorAll('.role-scope.cell > g');
    const cells = new Set(Array.from(panels).map(c => Math.round(c.getBoundingClientRect().top)));
    const perRow = {};
    for (const c of panels) {
      const top = Math.round(c.getBoundingClientRect().top);
      perRow[top] = (perRow[top] || 0) + 1;
    }
    shown.push({what: el.id, drawn: drawn, shown: box.width, right: box.right, marks: marks,
                smallest_text: smallest === Infinity ? null : smallest,
                legends: svg.querySelectorAll('.role-legend').length,
                panels_per_row: Math.max(0, ...Object.values(perRow)), rows: cells.size});
  }
  return {page_width: page, scroll_width: document.documentElement.scrollWidth, items: shown,
          charts: window.parbenchCharts || null};
})()
"""


def layout_problems(measured: dict, smallest_px: float = 11.0, max_per_row: int = 3) -> list[str]:
    """What makes the page hard to read: a figure shown at under half its drawn size or running
    off the page, text under `smallest_px` as shown, more than `max_per_row` panels in a row."""
    problems = []
    for item in measured["items"]:
        name = item["what"]
        if item["drawn"] and item["shown"] < 0.5 * item["drawn"]:
            problems.append(f"{name}: drawn {item['drawn']:.0f} px wide, shown at {item['shown']:.0f} px")
        if item["right"] > measured["page_width"] + 1:
            problems.append(
                f"{name}: runs off the page ({item['right']:.0f} px > {measured['page_width']} px)"
            )
        if item["smallest_text"] is not None and item["smallest_text"] < smallest_px:
            problems.append(f"{name}: text {item['smallest_text']:.1f} px high as shown")
        if item.get("panels_per_row", 0) > max_per_row:
            problems.append(f"{name}: {item['panels_per_row']} panels in a row")
    return problems


class Chromium:
    """A headless Chromium; `open(path)` gives a Page with the file loaded and its charts drawn."""

    def __init__(self, binary: str, profile: Path, log: Path):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Descriptors 3 and 4 are the browser's end of the pipe; copies above 10 so the child's
        # dup2 onto 3 and 4 cannot overwrite one it still has to copy.
        high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)

        def plug_pipe():
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self._log = open(log, "wb")  # noqa: SIM115 (closed in close())
        command = [
            binary,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={WIDTH},{HEIGHT}",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            pass_fds=(3, 4),
            preexec_fn=plug_pipe,
        )
        for fd in (to_browser_r, from_browser_w, high_r, high_w):
            os.close(fd)
        self.events: list[dict] = []
        self._answers: dict[int, dict] = {}
        self._next_id = 0
        self._lock = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        buffer = b""
        while True:
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._lock:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._answers[message["id"]] = message
                    else:
                        self.events.append(message)
                self._lock.notify_all()
        with self._lock:
            self._lock.notify_all()

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60):
        with self._lock:
            self._next_id += 1
            number = self._next_id
        message = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._lock:
            while number not in self._answers:
                if self.process.poll() is not None:
                    raise RuntimeError(f"Chromium exited ({self.process.returncode}) during {method}")
                if (
                    not self._lock.wait(timeout=max(0.0, deadline - time.monotonic()))
                    and time.monotonic() > deadline
                ):
                    raise TimeoutError(f"no answer to {method} within {timeout} s")
            answer = self._answers.pop(number)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def open(self, path: Path, timeout: float = 120) -> Page:
        """A new tab showing `path`, after its load event and, if it has charts, once all are drawn
        or failed."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )
        page.send("Page.navigate", url=Path(path).resolve().as_uri())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if page.events("Page.loadEventFired"):
                state = page.evaluate("window.parbenchCharts || null")
                if state is None or state["rendered"] + len(state["failed"]) >= state["total"]:
                    return page
            time.sleep(0.2)
        raise TimeoutError(f"{path}: charts not drawn within {timeout} s")

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        self._log.close()


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """One headless Chromium for the session (installed from Debian's package as root if missing)."""
    binary = chromium_binary()
    if binary is None:
        reason = install_chromium()
        if reason:
            unavailable(reason)
        binary = chromium_binary()
    folder = tmp_path_factory.mktemp("chromium")
    browser = Chromium(binary, folder / "profile", folder / "chromium.log")
    yield browser
    browser.close()
