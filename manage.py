#!/usr/bin/env python
"""Django's command-line utility for the IETP site.

Settings come from the environment: production needs SECRET_KEY; a development machine sets
DEBUG=1 (the make targets do). See README.md.
"""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ietp_site.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A missing setting is the person's to fix, not a crash: say what to set, without a traceback.
        sys.exit(f"manage.py: {error}")


if __name__ == "__main__":
    main()
