"""Headless Chromium for browser tests, driven over the Chrome DevTools Protocol (CDP).

Chromium comes from Debian (`scripts/install-browser`); nothing here downloads a browser.
The driver is Chromium's own `--remote-debugging-port` websocket, spoken with the
`websockets` package (already a Prefect dependency), so there is no chromedriver and no
new dependency.

    with Browser(width=1440, height=900) as browser:
        page = browser.load("http://127.0.0.1:4200/v2/deployments", wait_for="641-KH-UBND")
        assert page.found, page.excerpt()
        browser.screenshot("tests/output/deployments.png")

Text is compared after Unicode NFC normalisation on both sides, so a Vietnamese name
typed decomposed (NFD) still matches what the page renders, and vice versa.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

__all__ = ["Browser", "BrowserError", "BrowserMissingError", "Rendered", "chromium_path", "nfc"]

INSTALL_HINT = "run scripts/install-browser (installs Debian's chromium and chromium-driver)"

#: Flags every launch uses: headless, no sandbox (we run as root in containers), and
#: nothing that phones home or downloads components.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-proxy-server",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--force-color-profile=srgb",
    "--lang=vi-VN",
)


class BrowserError(RuntimeError):
    """Chromium could not be started or did not answer as expected."""


class BrowserMissingError(BrowserError):
    """No Chromium binary on this machine."""


def chromium_path() -> str:
    """The Chromium binary to run: `$THIDUA_CHROMIUM` if set, else Debian's `/usr/bin/chromium`.

    Raises BrowserMissingError, naming scripts/install-browser, when there is none.
    """
    override = os.environ.get("THIDUA_CHROMIUM")
    candidates = [override] if override else ["/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    looked = ", ".join(c for c in candidates if c) or "PATH"
    raise BrowserMissingError(
        f"Chromium not found (looked at {looked}): {INSTALL_HINT}"
        + ("" if override else ", or set THIDUA_CHROMIUM to a Chromium binary")
        + "."
    )


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass
class Rendered:
    """What a page showed once the wait ended."""

    url: str  # the URL asked for
    final_url: str  # where the page ended up (after redirects and client-side routing)
    text: str  # document.body.innerText, NFC
    html: str  # document.documentElement.outerHTML, NFC
    found: str | None  # the first awaited text that appeared, or None after a timeout
    waited: float  # seconds from navigation to the end of the wait
    errors: list[str] = field(default_factory=list)  # uncaught JS exceptions on the page

    def has(self, text: str) -> bool:
        """Whether the rendered text contains `text` (both NFC)."""
        return nfc(text) in self.text

    def excerpt(self, limit: int = 1500) -> str:
        """A readable summary for assertion messages."""
        text = self.text if len(self.text) <= limit else self.text[:limit] + " …"
        lines = [f"{self.final_url} after {self.waited:.1f}s:", text]
        if self.errors:
            lines.append("JS errors: " + " | ".join(self.errors[:5]))
        return "\n".join(lines)


class Browser:
    """One headless Chromium with one tab, controlled over CDP. Use as a context manager.

    `load()` navigates and waits for text; `screenshot()` saves what the tab shows;
    `screenshot_url()` does both. Every method is synchronous.
    """

    def __init__(
        self,
        *,
        width: int = 1440,
        height: int = 900,
        timeout: float = 30.0,
        timezone: str | None = None,
        chromium: str | None = None,
        extra_args: Iterable[str] = (),
    ) -> None:
        self.width, self.height = width, height
        self.timezone = timezone  # e.g. "Asia/Ho_Chi_Minh": pages show times as operators do
        self.timeout = timeout
        self.chromium = chromium or chromium_path()
        self.extra_args = tuple(extra_args)
        self._profile: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._ws: ClientConnection | None = None
        self._session: str | None = None
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    # --- lifecycle ---------------------------------------------------------------

    def __enter__(self) -> Browser:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self._profile = tempfile.mkdtemp(prefix="thidua-chromium-")
        log = open(Path(self._profile) / "chromium.log", "wb")  # noqa: SIM115 - closed below
        args = [
            self.chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={self._profile}",
            "--remote-debugging-port=0",  # Chromium picks a free port, see DevToolsActivePort
            "--remote-debugging-address=127.0.0.1",
            f"--window-size={self.width},{self.height}",
            *self.extra_args,
            "about:blank",
        ]
        # Own process group, so close() can end the browser and all its helpers by id.
        # Crash reports and caches go under XDG dirs, not --user-data-dir: keep them in it too.
        env = {**os.environ, "XDG_CONFIG_HOME": self._profile, "XDG_CACHE_HOME": self._profile}
        self._proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True
        )
        log.close()
        endpoint = self._wait_for_devtools(Path(self._profile) / "DevToolsActivePort")
        self._ws = connect(endpoint, max_size=None, proxy=None, open_timeout=10, ping_interval=None)
        target = self._send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self._send(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            session=False,
        )
        self._session = attached["sessionId"]
        self._send("Page.enable")
        self._send("Runtime.enable")
        self.set_viewport(self.width, self.height)
        if self.timezone:
            self._send("Emulation.setTimezoneOverride", {"timezoneId": self.timezone})

    def _wait_for_devtools(self, port_file: Path) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise BrowserError(
                    f"Chromium exited with code {self._proc.returncode} at start:\n{self._log_tail()}"
                )
            with contextlib.suppress(FileNotFoundError, ValueError):
                port, path = port_file.read_text().split("\n")[:2]
                if port and path:
                    return f"ws://127.0.0.1:{int(port)}{path}"
            time.sleep(0.05)
        raise BrowserError(f"Chromium did not open its DevTools port in 20 s:\n{self._log_tail()}")

    def _log_tail(self, lines: int = 20) -> str:
        if not self._profile:
            return ""
        try:
            text = (Path(self._profile) / "chromium.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                self._ws.send(json.dumps({"id": next(self._ids), "method": "Browser.close"}))
            with contextlib.suppress(Exception):
                self._ws.close()
            self._ws = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=5)
            # Helpers (zygote, renderers) share the group; end any that outlived the browser.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    # --- CDP ---------------------------------------------------------------------

    def _send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: bool = True,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send one CDP command and return its result; events that arrive meanwhile are kept."""
        if self._ws is None:
            raise BrowserError("the browser is not running (use `with Browser() as b:`)")
        msg_id = next(self._ids)
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"no answer to {method} in {timeout or self.timeout:.0f} s")
            try:
                reply = json.loads(self._ws.recv(timeout=remaining))
            except TimeoutError:
                continue
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise BrowserError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)
                del self._events[:-200]

    def evaluate(self, expression: str) -> Any:
        """Run a JavaScript expression in the page and return its (JSON) value."""
        result = self._send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(
                f"{expression!r} threw: {_exception_text(result['exceptionDetails'])}"
            )
        return result.get("result", {}).get("value")

    # --- pages -------------------------------------------------------------------

    def set_viewport(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def goto(self, url: str) -> None:
        """Navigate the tab; returns once the navigation is committed, not when it renders."""
        self._events.clear()
        # Mark the old document, so text is never read from it after the navigation.
        self.evaluate("window.__thiduaStale = true")
        result = self._send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"cannot open {url}: {result['errorText']}")
        if result.get("loaderId"):  # a new document (not a same-document hash change)
            self._wait_until(
                lambda: self.evaluate("window.__thiduaStale === undefined"), timeout=None
            )

    def text(self) -> str:
        """The rendered text of the page (innerText: what a person can read), NFC."""
        return nfc(self.evaluate("document.body ? document.body.innerText : ''") or "")

    def html(self) -> str:
        """The current DOM serialised as HTML (not the server's original HTML), NFC."""
        return nfc(self.evaluate("document.documentElement.outerHTML") or "")

    def wait_for_text(
        self,
        texts: str | Iterable[str],
        *,
        timeout: float | None = None,
        all_of: bool = False,
        poll: float = 0.2,
    ) -> str | None:
        """Wait until one of `texts` (with `all_of`: every one) is in the rendered text.

        Returns the first awaited text found, or None when the timeout passed first.
        """
        wanted = [nfc(t) for t in ([texts] if isinstance(texts, str) else texts)]
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            with contextlib.suppress(BrowserError):  # a page mid-navigation may not answer
                rendered = self.text()
                present = [text for text in wanted if text in rendered]
                if present and (not all_of or len(present) == len(wanted)):
                    return present[0]
            if time.monotonic() >= deadline:
                return None
            time.sleep(poll)

    def load(
        self,
        url: str,
        wait_for: str | Iterable[str] | None = None,
        *,
        timeout: float | None = None,
        all_of: bool = False,
        settle: float = 0.0,
    ) -> Rendered:
        """Open `url` and wait for any of `wait_for` (with `all_of`: all) to render.

        Without `wait_for` it waits for the load event only, which for a single-page app
        is long before its data shows. Does not raise when the text never appears:
        `Rendered.found` is then None and `Rendered.excerpt()` tells what the page showed
        instead. `settle` waits a little longer after the match (e.g. so a screenshot
        catches parts that load later).
        """
        started = time.monotonic()
        self.goto(url)
        found: str | None = None
        if wait_for is not None:
            found = self.wait_for_text(wait_for, timeout=timeout, all_of=all_of)
        else:
            self._wait_until(
                lambda: self.evaluate("document.readyState") == "complete", timeout=timeout
            )
        waited = time.monotonic() - started
        if settle:
            time.sleep(settle)
        return Rendered(
            url=url,
            final_url=self.evaluate("location.href") or url,
            text=self.text(),
            html=self.html(),
            found=found,
            waited=waited,
            errors=self.page_errors(),
        )

    def page_errors(self) -> list[str]:
        """Uncaught JavaScript exceptions reported since the last navigation."""
        self._drain_events()
        return [
            _exception_text(e["params"]["exceptionDetails"])
            for e in self._events
            if e.get("method") == "Runtime.exceptionThrown"
        ]

    def screenshot(self, path: str | os.PathLike[str], *, full_page: bool = False) -> Path:
        """Save a PNG of the tab as it is now (the viewport, or the whole page)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = self._send("Page.captureScreenshot", params)["data"]
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))
        return out

    def screenshot_url(
        self,
        url: str,
        path: str | os.PathLike[str],
        *,
        width: int | None = None,
        height: int | None = None,
        wait_for: str | Iterable[str] | None = None,
        timeout: float | None = None,
        all_of: bool = False,
        settle: float = 0.5,
        full_page: bool = False,
    ) -> Rendered:
        """Open `url` at the given window size, wait as `load()` does, save a PNG to `path`."""
        if width or height:
            self.set_viewport(width or self.width, height or self.height)
        page = self.load(url, wait_for, timeout=timeout, all_of=all_of, settle=settle)
        self.screenshot(path, full_page=full_page)
        return page

    # --- forms: what a person does on a page ------------------------------------

    def _element(self, selector: str) -> str:
        """A JS expression for the element `selector`, throwing a readable error if absent."""
        sel = json.dumps(selector)
        return (
            f"(document.querySelector({sel}) || "
            f"(() => {{ throw new Error('no element ' + {sel}); }})())"
        )

    def fill(self, selector: str, value: str) -> None:
        """Type `value` into the field `selector` (replacing what it holds), as keystrokes."""
        self.evaluate(
            f"{self._element(selector)}.focus(); {self._element(selector)}.select && {self._element(selector)}.select(); true"
        )
        self.evaluate(f"{self._element(selector)}.value = ''; true")
        self._send("Input.insertText", {"text": value})

    def choose(self, selector: str, value: str) -> None:
        """Pick the option whose value (or visible text) is `value` in the select `selector`."""
        wanted = json.dumps(value)
        found = self.evaluate(
            f"(() => {{ const s = {self._element(selector)}; "
            f"const o = [...s.options].find(o => o.value === {wanted} || o.text.trim() === {wanted}); "
            "if (!o) return false; s.value = o.value; "
            "s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()"
        )
        if not found:
            raise BrowserError(f"no option {value!r} in {selector}")

    def check(self, selector: str) -> None:
        """Tick the checkbox or radio button `selector`."""
        self.click(selector, navigates=False)

    def set_files(self, selector: str, paths: Iterable[str | os.PathLike[str]]) -> None:
        """Choose files for the file input `selector`, as the file picker would."""
        root = self._send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self._send("DOM.querySelector", {"nodeId": root, "selector": selector})
        if not node.get("nodeId"):
            raise BrowserError(f"no element {selector}")
        files = [str(Path(p).resolve()) for p in paths]
        self._send("DOM.setFileInputFiles", {"nodeId": node["nodeId"], "files": files})

    def click(self, selector: str, *, navigates: bool = True, timeout: float | None = None) -> None:
        """Click the element `selector` with the mouse at its centre; with `navigates`, wait
        until the page it leads to (a link, a form's submit button) has loaded."""
        box = self.evaluate(
            f"(() => {{ const e = {self._element(selector)}; e.scrollIntoView({{block: 'center'}}); "
            # A link wrapped over two lines has its box's centre between them: aim at its first line.
            "const r = e.getClientRects()[0] || e.getBoundingClientRect(); "
            "return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        if navigates:
            self.evaluate("window.__thiduaStale = true")
        for kind in ("mousePressed", "mouseReleased"):
            self._send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
            )
        if navigates and not self._wait_until(
            lambda: self.evaluate(
                "window.__thiduaStale === undefined && document.readyState === 'complete'"
            ),
            timeout=timeout,
        ):
            raise BrowserError(f"clicking {selector} led to no new page in time")

    def url(self) -> str:
        return str(self.evaluate("location.href"))

    # --- helpers -----------------------------------------------------------------

    def _wait_until(self, predicate: Any, *, timeout: float | None) -> bool:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while time.monotonic() < deadline:
            with contextlib.suppress(BrowserError):
                if predicate():
                    return True
            time.sleep(0.1)
        return False

    def _drain_events(self) -> None:
        if self._ws is None:
            return
        while True:
            try:
                message = json.loads(self._ws.recv(timeout=0))
            except TimeoutError:
                return
            if "method" in message:
                self._events.append(message)


def _exception_text(details: dict[str, Any]) -> str:
    exception = details.get("exception") or {}
    return exception.get("description") or details.get("text") or str(details)
