"""The web container's health check: asks the site's own gunicorn for a page, as the front server would.

    python deploy/healthcheck.py [PATH]     (default /healthz; exit status 0 when it answers 200)

No curl in the image: the standard library is enough. The request names a host the site answers to (the first of
ALLOWED_HOSTS) and says it came over HTTPS, as every request through the front server does.
"""

import os
import sys
import urllib.error
import urllib.request


def main(path="/healthz"):
    address = os.environ.get("HEALTHCHECK_ADDRESS", "127.0.0.1:8000")
    host = os.environ.get("ALLOWED_HOSTS", "").split(",")[0].strip().lstrip(".*") or "localhost"
    request = urllib.request.Request(f"http://{address}{path}", headers={"Host": host, "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        print(f"{path}: {error}")
        return 1
    print(f"{path}: {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
