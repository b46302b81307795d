#!/usr/bin/env python3
"""Renders a dpkit HTML report in headless Chromium and checks that a person would see it.

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: commands on
fd 3, replies on fd 4, NUL-separated JSON), using only the Python standard library:

  1. no JavaScript exception, no console error or warning-level log error, and no network
     request other than the file itself (the report must be self-contained);
  2. the page script ran (data-report-ready on <html> equals the number of charts);
  3. at least --min-charts charts (svg.chart) are laid out with a non-zero size, are displayed
     and visible, and each one's own screenshot is not blank (several colours, non-zero
     luminance variance, at least 0.5% of pixels not background);
  4. the full-page screenshot is not blank and shows the report's real (blue) and synthetic
     (orange) colours;
  5. the sections (guarantee, summary, fidelity, utility, privacy) are present.

Usage: check_report.py REPORT.html [--min-charts N] [--screenshot out.png]
       [--chromium /usr/bin/chromium] [--expect-chart KIND ...]
Prints one line per check and a closing "N passed, M failed"; exit status 0 iff all passed.
"""
import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib


# ----------------------------------------------------------------------------------------------
# PNG decoding (8-bit greyscale/RGB/RGBA, non-interlaced: what Chromium writes).

def decode_png(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, []
    width = height = depth = ctype = interlace = None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if depth != 8 or ctype not in (0, 2, 6) or interlace != 0:
        raise ValueError(f"unsupported PNG: depth {depth} colour type {ctype}")
    bpp = {0: 1, 2: 3, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    p = 0
    for _ in range(height):
        ftype = raw[p]
        line = bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        elif ftype != 0:
            raise ValueError(f"bad PNG filter {ftype}")
        rows.append(bytes(line))
        prev = line
    pixels = []
    for line in rows:
        for i in range(0, stride, bpp):
            if bpp == 1:
                pixels.append((line[i],) * 3)
            else:
                pixels.append((line[i], line[i + 1], line[i + 2]))
    return width, height, pixels


def image_stats(pixels):
    """Distinct colours (quantised to 5 bits), luminance variance, share of non-background."""
    n = len(pixels)
    if n == 0:
        return {"colours": 0, "variance": 0.0, "ink": 0.0}
    counts = {}
    total = total2 = 0.0
    for r, g, b in pixels:
        key = (r >> 3, g >> 3, b >> 3)
        counts[key] = counts.get(key, 0) + 1
        lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
        total += lum
        total2 += lum * lum
    background = max(counts.values())
    mean = total / n
    return {"colours": len(counts), "variance": total2 / n - mean * mean,
            "ink": 1.0 - background / n}


def count_near(pixels, rgb, tol=24):
    r0, g0, b0 = rgb
    return sum(1 for r, g, b in pixels
               if abs(r - r0) <= tol and abs(g - g0) <= tol and abs(b - b0) <= tol)


# ----------------------------------------------------------------------------------------------
# DevTools protocol over a pipe.

class Browser:
    def __init__(self, chromium, timeout):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="dpkit_chromium_")
        cmd_r, self.cmd_w = os.pipe()   # we write commands, Chromium reads fd 3
        self.resp_r, resp_w = os.pipe()  # Chromium writes fd 4, we read
        self.stderr = tempfile.TemporaryFile()

        def child_fds():
            # Move both ends out of the way first so neither dup2 clobbers the other, then
            # place them on fds 3 and 4 (kept open through exec by pass_fds below).
            high_r = os.dup(cmd_r) if cmd_r >= 5 else fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            high_w = os.dup(resp_w) if resp_w >= 5 else fcntl.fcntl(resp_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
                "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
                "--window-size=1280,900", "about:blank"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.stderr,
                                     stderr=self.stderr, preexec_fn=child_fds,
                                     pass_fds=(3, 4))
        os.close(cmd_r)
        os.close(resp_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.cmd_w, self.resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from Chromium")
            ready, _, _ = select.select([self.resp_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.resp_r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe:\n" + self.stderr_text())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=None):
        self.next_id += 1
        mid = self.next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == mid:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = 0
        while True:
            for e in self.events[seen:]:
                if e.get("method") == method:
                    return e
            seen = len(self.events)
            self.events.append(self._read_message(deadline))


# ----------------------------------------------------------------------------------------------

PAGE_PROBE = r"""
(() => {
  const charts = Array.from(document.querySelectorAll('svg.chart')).map((el) => {
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    return {kind: el.getAttribute('data-chart'), x: r.left + window.scrollX,
            y: r.top + window.scrollY, w: r.width, h: r.height,
            display: cs.display, visibility: cs.visibility, opacity: parseFloat(cs.opacity),
            shapes: el.querySelectorAll('rect,line,path,circle').length};
  });
  const sections = ['guarantee', 'summary', 'fidelity', 'utility', 'privacy']
      .filter((id) => document.getElementById(id) !== null);
  return JSON.stringify({
    ready: document.documentElement.getAttribute('data-report-ready'),
    title: document.title, charts, sections,
    width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    external: Array.from(document.querySelectorAll('[src],link[href]')).length,
  });
})()
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report")
    ap.add_argument("--min-charts", type=int, default=5)
    ap.add_argument("--expect-chart", action="append", default=[],
                    help="a data-chart kind that must be present (repeatable)")
    ap.add_argument("--screenshot", help="also save the full-page screenshot here")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()

    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'}: {name}{(' - ' + detail) if detail else ''}")

    if not os.path.exists(args.chromium):
        print(f"SKIP: {args.chromium} not found (apt-get install chromium)")
        return 77
    path = os.path.abspath(args.report)
    if not os.path.exists(path):
        print(f"FAIL: report {path} does not exist")
        return 1
    url = "file://" + path

    browser = Browser(args.chromium, args.timeout)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            browser.send(method, session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                     session=session)
        browser.events.clear()
        browser.send("Page.navigate", {"url": url}, session=session)
        browser.wait_event("Page.loadEventFired")
        # Let late errors (timers, deferred work) surface.
        browser.send("Runtime.evaluate",
                     {"expression": "new Promise(r => setTimeout(r, 300))", "awaitPromise": True},
                     session=session)

        problems, requests = [], []
        for e in browser.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                problems.append("exception: " + d.get("exception", {}).get(
                    "description", d.get("text", "?")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                problems.append("console.error: " + " ".join(
                    str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                problems.append("log error: " + p["entry"].get("text", ""))
            elif m == "Network.requestWillBeSent":
                u = p.get("request", {}).get("url", "")
                if u != url and not u.startswith("data:"):
                    requests.append(u)
        check("no JavaScript exceptions or console errors", not problems, "; ".join(problems[:5]))
        check("no network requests besides the report file", not requests,
              ", ".join(requests[:5]))

        probe = json.loads(browser.send("Runtime.evaluate",
                                        {"expression": PAGE_PROBE, "returnByValue": True},
                                        session=session)["result"]["value"])
        charts = probe["charts"]
        check("page script ran (data-report-ready)", probe["ready"] == str(len(charts)),
              f"ready={probe['ready']!r}, charts={len(charts)}")
        check("report sections present", len(probe["sections"]) == 5,
              ", ".join(probe["sections"]))
        check("no external resources referenced", probe["external"] == 0,
              f"{probe['external']} elements with src/href")
        check(f"at least {args.min_charts} charts", len(charts) >= args.min_charts,
              f"{len(charts)} found")
        kinds = {c["kind"] for c in charts}
        for k in args.expect_chart:
            check(f"chart kind '{k}' present", any(kind.startswith(k) for kind in kinds),
                  ", ".join(sorted(kinds)))

        invisible = [c for c in charts if c["w"] < 50 or c["h"] < 50 or c["display"] == "none"
                     or c["visibility"] != "visible" or c["opacity"] < 0.5 or c["shapes"] < 3]
        check("every chart laid out, displayed and drawn", not invisible,
              "; ".join(f"{c['kind']} {c['w']:.0f}x{c['h']:.0f} {c['display']}/"
                        f"{c['visibility']} shapes={c['shapes']}" for c in invisible[:5]))

        blank = []
        for c in charts[:80]:
            shot = browser.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": c["x"], "y": c["y"], "width": c["w"], "height": c["h"],
                         "scale": 0.5}}, session=session)
            _, _, px = decode_png(base64.b64decode(shot["data"]))
            s = image_stats(px)
            if s["colours"] < 3 or s["variance"] < 1.0 or s["ink"] < 0.005:
                blank.append(f"{c['kind']} (colours={s['colours']}, var={s['variance']:.1f}, "
                             f"ink={s['ink']:.4f})")
        check(f"each chart's screenshot is non-blank ({min(len(charts), 80)} checked)",
              not blank, "; ".join(blank[:5]))

        height = min(probe["height"], 16000)
        full = browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}},
            session=session)
        png = base64.b64decode(full["data"])
        if args.screenshot:
            with open(args.screenshot, "wb") as f:
                f.write(png)
        small = browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 0.25}},
            session=session)
        _, _, px = decode_png(base64.b64decode(small["data"]))
        s = image_stats(px)
        check("full-page screenshot is non-blank",
              s["colours"] >= 16 and s["variance"] > 20 and s["ink"] > 0.02,
              f"colours={s['colours']} variance={s['variance']:.1f} ink={s['ink']:.3f} "
              f"size=1280x{height}")
        blue, orange = count_near(px, (0x2b, 0x6c, 0xb0)), count_near(px, (0xdd, 0x6b, 0x20))
        check("real (blue) and synthetic (orange) series are painted",
              blue >= 20 and orange >= 20, f"blue px={blue}, orange px={orange}")
    except Exception as e:  # a protocol failure is a test failure with Chromium's log
        check("browser session", False, f"{type(e).__name__}: {e}\n{browser.stderr_text()[-3000:]}")
    finally:
        browser.close()

    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
