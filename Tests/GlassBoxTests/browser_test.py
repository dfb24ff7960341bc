#!/usr/bin/env python3
"""Drives the glass-box page of a running `loupe web` in headless Chromium (Playwright for
Python, with Debian's /usr/bin/chromium), and checks the HTTP API against `loupe dump`'s files.

    python3 browser_test.py --url http://127.0.0.1:PORT/ --dump DIR --prompt TEXT [--screenshots DIR]

Exit status 0: every check passed; 1: a check failed (the message says which); 77: no browser
(the caller may skip). Every wait is bounded.
"""
import argparse, json, os, shutil, struct, sys, urllib.parse, urllib.request

SKIP = 77


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def api(url, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + "loupe/v1/" + path, data=data,
                                     headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        raw = response.read()
        return raw if path.split("?")[0].endswith(".npy") else json.loads(raw)


def read_npy(path):
    raw = open(path, "rb").read()
    length = struct.unpack("<H", raw[8:10])[0]
    header = raw[10:10 + length].decode()
    shape = [int(x) for x in header.split("'shape': (")[1].split(")")[0].split(",") if x.strip()]
    values = struct.unpack("<%df" % ((len(raw) - 10 - length) // 4), raw[10 + length:])
    return shape, list(values), raw


def check_api(url, dump, prompt):
    """Every activation the API returns equals `loupe dump`'s: JSON values and .npy bytes."""
    names = sorted(f[:-4] for f in os.listdir(dump) if f.endswith(".npy"))
    if not names:
        fail("no .npy files in " + dump)
    for name in names:
        shape, values, raw = read_npy(os.path.join(dump, name + ".npy"))
        got = api(url, "activation", {"prompt": prompt, "hook": name})
        if got["shape"] != shape:
            fail(f"{name}: shape {got['shape']} != dump's {shape}")
        as_float32 = [struct.unpack("<f", struct.pack("<f", v))[0] if v is not None else float("-inf") for v in got["values"]]
        if as_float32 != values:
            fail(f"{name}: JSON values differ from loupe dump's")
        query = urllib.parse.urlencode({"prompt": prompt, "hook": name})
        if api(url, "activation.npy?" + query) != raw:
            fail(f"{name}.npy differs from loupe dump's file")
    print(f"api: {len(names)} activations equal loupe dump's")


def check_page(url, prompt, screenshots):
    try:
        from playwright.sync_api import sync_playwright, expect
    except ImportError:
        fail("Playwright for Python is missing: python3 -m pip install playwright (see Weights/setup.sh --tests)")
    browser_path = os.environ.get("LOUPE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser_path:
        print("SKIP: no chromium installed", file=sys.stderr)
        sys.exit(SKIP)
    model = api(url, "model")
    T = len(api(url, "tokenize", {"prompt": prompt})["tokens"])
    h = model["heads"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]")
        page.evaluate("localStorage.clear()")

        # Look inside: type a prompt, press Enter, see the tokens.
        page.fill("#inspect-prompt", prompt)
        page.press("#inspect-prompt", "Enter")
        expect(page.locator("#tokens li")).to_have_count(T)
        # Click a token: it is selected and its id is shown.
        token = page.locator("#tokens button[data-position='1']")
        token.click()
        expect(token).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#token-detail")).to_contain_text("id ")
        # h heatmaps of T×T cells for the layer.
        expect(page.locator("#heads canvas.head-map")).to_have_count(h)
        sizes = page.eval_on_selector_all("#heads canvas.head-map",
                                          "cs => cs.map(c => [c.width, c.height, +c.dataset.rows, +c.dataset.cols])")
        if any(s != [T, T, T, T] for s in sizes):
            fail(f"heatmaps are not {T}×{T}: {sizes}")
        # Another layer with the slider.
        page.eval_on_selector("#layer", "e => { e.value = 5; e.dispatchEvent(new Event('change')); }")
        expect(page.locator("#heads canvas[data-layer='5']")).to_have_count(h)
        expect(page.locator("#lens-table tr")).to_have_count(model["layers"] + 2)
        if screenshots:
            page.locator("#inside").screenshot(path=os.path.join(screenshots, "web-inside.png"))

        # The steps, with explanations.
        page.click("#steps-box summary")
        expect(page.locator("#steps tr")).to_have_count(len(model["hooks"]) + 1)

        # Ablate a head and see the probabilities change.
        expect(page.locator("#intervention td.ablated").first).to_be_visible()
        before = page.eval_on_selector_all("#intervention td.ablated", "ts => ts.map(t => t.textContent)")
        page.fill("#ablate-layer", "0")
        page.fill("#ablate-head", "0")
        page.click("#ablate-head-button")
        page.wait_for_function(
            "before => { const now = [...document.querySelectorAll('#intervention td.ablated')].map(t => t.textContent);"
            " return now.length && JSON.stringify(now) !== JSON.stringify(before); }", arg=before)
        changed = page.eval_on_selector_all("#intervention tr[data-id]",
            "rs => rs.filter(r => r.querySelector('.original').textContent !== r.querySelector('.ablated').textContent).length")
        # The shown percentages (2 decimals) differ for at least one token.
        if changed == 0:
            fail("ablating head 0.0 changed no probability on the page")
        if screenshots:
            page.locator("#interventions").screenshot(path=os.path.join(screenshots, "web-interventions.png"))
        page.click("#restore-button")
        page.wait_for_function("() => [...document.querySelectorAll('#intervention tr[data-id]')].every("
                               "r => r.querySelector('.original').textContent === r.querySelector('.ablated').textContent)")

        # Switch to French.
        page.click("#lang-toggle")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("#inside-title")).to_have_text("Regarder à l'intérieur d'un prompt")
        expect(page.locator("#steps td.expl").nth(10)).to_contain_text("Motif d'attention")

        # Playground: stream a few tokens, click one, see its candidates per sampler and the drawn one.
        page.fill("#gen-prompt", prompt)
        page.fill("#max-tokens", "4")
        page.click("#generate")
        page.wait_for_function("() => document.querySelectorAll('#output .tok').length >= 1 && document.querySelector('#stop').disabled")
        if page.locator("#output .tok").count() < 1:
            fail("no generated token on the page")
        page.locator("#output .tok").first.click()
        expect(page.locator("#candidates .stage").first).to_be_visible()
        if page.locator("#candidates .stage").count() < 2:
            fail("the candidates show fewer than two sampler stages")
        expect(page.locator("#candidates tr.drawn").first).to_be_visible()
        if screenshots:
            page.locator("#playground").screenshot(path=os.path.join(screenshots, "web-playground.png"))

        # Kernels and one block.
        page.click("#kernels-form button")
        expect(page.locator("#kernel-results td").first).to_have_text("naive")
        page.click("#block-form button")
        expect(page.locator("#block-view .hex").first).to_be_visible()
        if screenshots:
            page.locator("#kernels").screenshot(path=os.path.join(screenshots, "web-kernels.png"))
        if errors:
            fail("script errors on the page: " + "; ".join(errors))
        browser.close()
    print(f"page: {T} tokens, {h} heatmaps of {T}×{T}, French, ablation, playground, kernels: all shown")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--dump", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--screenshots")
    args = parser.parse_args()
    check_api(args.url, args.dump, args.prompt)
    check_page(args.url, args.prompt, args.screenshots)


if __name__ == "__main__":
    main()
