"""Draws static/img/ietp-share.jpg (the link card of a page without its own picture, 1200 x 630) and
static/img/ietp-logo.png (the publisher logo in the stories' structured data, 512 x 512) from the site's mark,
in the browser tests' Chromium with its Chinese font. The images are committed; run this again only to change them:

    .venv/bin/python docs/draw-share-images.py
"""

import io
import os
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

# The browser tests' Chromium (testkit/chromium.py).
CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium-headless-shell"
IMAGES = Path(__file__).resolve().parent.parent / "static" / "img"
mark = (IMAGES / "ietp-mark.svg").read_text()
card = f"""<!doctype html><html><body style="margin:0">
<div style="width:1200px;height:630px;box-sizing:border-box;padding:80px 90px;background:#005a87;color:#fff;
font-family:'Noto Sans CJK SC',sans-serif;display:flex;flex-direction:column;justify-content:center;gap:28px">
<div style="display:flex;align-items:center;gap:36px">
<div style="width:170px;height:170px;background:#fff;border-radius:28px;padding:18px;box-sizing:border-box">{mark}</div>
<div><div style="font-size:64px;font-weight:700;line-height:1.1">ICTI Ethical Toy Program</div>
<div style="font-size:52px;font-weight:700;margin-top:14px">ICTI 玩具道德计划</div></div></div>
<div style="font-size:34px;color:#d6e9f5;line-height:1.4">
Safe, fair and family-friendly toy factories<br>安全、公平、关爱家庭的玩具工厂</div>
</div></body></html>"""
logo = f"""<!doctype html><html><body style="margin:0;background:transparent">
<div style="width:512px;height:512px">{mark}</div></body></html>"""
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1200, "height": 630})
    page.set_content(card)
    png = page.screenshot(clip={"x": 0, "y": 0, "width": 1200, "height": 630})
    Image.open(io.BytesIO(png)).convert("RGB").save(
        IMAGES / "ietp-share.jpg", quality=80, optimize=True, progressive=True
    )
    page = browser.new_page(viewport={"width": 512, "height": 512})
    page.set_content(logo)
    png = page.screenshot(clip={"x": 0, "y": 0, "width": 512, "height": 512}, omit_background=True)
    Image.open(io.BytesIO(png)).save(IMAGES / "ietp-logo.png", optimize=True)
    browser.close()
