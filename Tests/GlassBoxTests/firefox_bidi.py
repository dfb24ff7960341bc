"""A small WebDriver BiDi client for Debian's firefox-esr, without geckodriver.

Firefox speaks WebDriver BiDi itself (`--remote-debugging-port`); geckodriver is only needed by
classic WebDriver, and Debian 12 does not package it. Playwright's own BiDi mode asks for
commands this ESR lacks (emulation.setMediaFeaturesOverride), so the browser test drives
Firefox with the few commands below: navigate, evaluate a script, press keys, screenshot.

    with Firefox() as ff:
        ff.navigate("http://127.0.0.1:8090/")
        ff.wait("document.body.dataset.ready === 'true'")
"""
import base64, json, os, re, shutil, subprocess, tempfile, threading, time

import websocket   # python3 -m pip install websocket-client


class BiDiError(Exception):
    pass


class Firefox:
    def __init__(self, executable=None, timeout=60):
        self.executable = executable or os.environ.get("LOUPE_FIREFOX") or shutil.which("firefox-esr") or shutil.which("firefox")
        self.timeout = timeout
        self.errors = []   # uncaught JavaScript errors of the page

    def __enter__(self):
        self.profile = tempfile.mkdtemp(prefix="loupe-firefox-")
        self.process = None
        self.socket = None
        try:
            self._start()
        except BaseException:
            self._stop()   # a browser that failed to connect is not left running
            raise
        return self

    def _start(self):
        # Port 0: Firefox picks one and prints "WebDriver BiDi listening on ws://127.0.0.1:PORT".
        self.process = subprocess.Popen(
            [self.executable, "--headless", "--no-remote", "--profile", self.profile, "--remote-debugging-port", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + self.timeout
        address = None
        while address is None and time.time() < deadline:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                raise BiDiError("firefox exited before listening")
            match = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
            if match:
                address = match.group(1)
        if address is None:
            raise BiDiError("firefox did not start its WebDriver BiDi server")
        # Keep reading Firefox's messages, so that a full pipe never blocks it.
        threading.Thread(target=self.process.stderr.read, daemon=True).start()
        # No Origin header: Firefox refuses a handshake from a web origin.
        self.socket = websocket.create_connection(address.rstrip("/") + "/session", timeout=self.timeout, suppress_origin=True)
        self.next_id = 0
        self.version = self.send("session.new", {"capabilities": {}})["capabilities"]["browserVersion"]
        self.send("session.subscribe", {"events": ["log.entryAdded"]})
        self.context = self.send("browsingContext.getTree", {})["contexts"][0]["context"]
        self.send("browsingContext.setViewport", {"context": self.context, "viewport": {"width": 1400, "height": 1000}})

    def __exit__(self, *exc):
        try:
            self.send("session.end", {})
        except Exception:
            pass
        self._stop()

    def _stop(self):
        if self.socket:
            self.socket.close()
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def send(self, method, params):
        """Sends one command and returns its result (events that arrive meanwhile are kept)."""
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("type") == "event":
                if message["method"] == "log.entryAdded" and message["params"].get("type") == "javascript":
                    self.errors.append(message["params"].get("text", ""))
                continue
            if message.get("id") == self.next_id:
                if message.get("type") == "error":
                    raise BiDiError(f"{method}: {message.get('error')}: {message.get('message')}")
                return message["result"]

    def navigate(self, url):
        self.send("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, expression):
        """The value of a JavaScript expression (promises awaited), as JSON."""
        result = self.send("script.evaluate", {
            "expression": f"(async () => JSON.stringify(await ({expression})))()",
            "target": {"context": self.context}, "awaitPromise": True, "resultOwnership": "none"})
        if result.get("type") == "exception":
            raise BiDiError(f"{expression}: {result['exceptionDetails'].get('text')}")
        value = result["result"].get("value")
        return None if value is None else json.loads(value)

    def wait(self, condition, timeout=None):
        """Waits until the expression is true; returns the seconds it took."""
        start = time.time()
        while not self.evaluate(condition):
            if time.time() - start > (timeout or self.timeout):
                raise BiDiError(f"timed out waiting for {condition}")
            time.sleep(0.02)
        return time.time() - start

    def press(self, key):
        """Presses a key in the focused element (WebDriver's key codes: Enter is \\ue007)."""
        self.send("input.performActions", {"context": self.context, "actions": [{
            "type": "key", "id": "keyboard", "actions": [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]})

    def screenshot(self, path):
        data = self.send("browsingContext.captureScreenshot", {"context": self.context})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
