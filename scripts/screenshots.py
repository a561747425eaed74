"""The screenshots of docs/pages.md: each demo role's landing page, in Chinese, on a desktop (1440×900) and on a
phone (390×844), as PNGs under docs/img/ of less than 150 KB each (Chromium's own encoder, no image tool: a
picture over the limit is taken again at a smaller scale).

    .venv/bin/python scripts/screenshots.py [--persons 3000] [--out docs/img]

It runs `fangkong demo` (a synthetic city and its outbreak day) in a scratch folder, serves it on a free
loopback port, signs in as each role with the demo password and photographs the page it lands on (the top of
it: what the role sees first). Needs Debian's chromium (scripts/bootstrap.sh --test installs it)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROLES = ["commander", "epidemiologist", "analyst", "verifier", "lab", "isolation", "admin", "citizen"]
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "fangkong-demo"          # fangkong.demo.DEMO_PASSWORD
LIMIT = 150_000                     # bytes per picture (docs/pages.md)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, seconds: float = 900) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            sys.exit(f"fangkong demo ended with {proc.returncode} before serving")
        try:
            urllib.request.urlopen(url + "/api/health", timeout=2)
            return
        except OSError:
            time.sleep(1)
    sys.exit("fangkong demo did not serve in time")


def _shoot_one(browser, base: str, role: str, viewport: dict, scale: float, path: Path) -> str:
    """Sign in as `role` and photograph the top of the page it lands on; the page's address."""
    context = browser.new_context(base_url=base, viewport=viewport, device_scale_factor=scale)
    context.add_cookies([{"name": "lang", "value": "zh", "url": base}])
    pg = context.new_page()
    pg.goto("/login")
    pg.fill("input[name=username]", role)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("#login-submit")
    pg.wait_for_load_state("networkidle")
    if pg.locator("#round-progress[hx-trigger]").count():
        pg.wait_for_selector("#progress", timeout=60_000)
    if role == "verifier" and pg.locator("#community option").count() > 1:   # their queue, not the picker
        pg.select_option("#community", index=1)
        pg.wait_for_selector("#verify-list")
    pg.wait_for_timeout(300)
    pg.screenshot(path=str(path))
    url = pg.url
    context.close()
    return url


def shoot(base: str, out: Path) -> list[Path]:
    made = []
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for role in ROLES:
            for name, viewport in VIEWPORTS.items():
                path = out / f"{role}-{name}.png"
                for scale in (1, 0.85, 0.7, 0.55):   # a smaller picture while it is over the limit
                    url = _shoot_one(browser, base, role, viewport, scale, path)
                    if path.stat().st_size < LIMIT:
                        break
                print(f"{path}  {path.stat().st_size // 1024} KB  scale {scale}  ({url})")
                made.append(path)
        browser.close()
    return made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "img")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FANGKONG_DEMO": "1"}
        env.pop("FANGKONG_DATABASE_URL", None)
        proc = subprocess.Popen([sys.executable, "-m", "fangkong.cli", "demo", "--persons", str(args.persons),
                                 "--dir", tmp, "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            _wait(f"http://127.0.0.1:{port}", proc)
            shoot(f"http://127.0.0.1:{port}", args.out)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
