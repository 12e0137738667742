"""The Chromium the browser tests, Lighthouse and the screenshot scripts drive: Debian's chromium-headless-shell
(`apt-get install chromium-headless-shell`; tests/browser/install-browser installs it), or the binary in
CHROMIUM_PATH.

The headless shell is Debian's build of Chromium's own headless browser, from the same source and version as the
`chromium` package and with the same Blink and V8, without the desktop browser around them (the headless shell is
what Playwright itself runs headless tests in). Measured on the browser and validator tests (bench/README.md, "The
browser tests in the headless shell"): half the CPU of the full browser, which spends most of its time starting a
browser window's processes for each new page and winding them down after.
"""

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium-headless-shell"
