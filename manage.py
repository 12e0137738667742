#!/usr/bin/env python
"""Django's command-line utility for the IETP site."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ietp_site.settings")
    if not os.environ.get("SECRET_KEY") and "DEBUG" not in os.environ:
        # A developer's command on a fresh clone; the production server (wsgi.py) still refuses to start.
        print("manage.py: no SECRET_KEY in the environment, so using development settings (DEBUG=1).", file=sys.stderr)
        os.environ["DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
