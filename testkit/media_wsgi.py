"""The site as gunicorn serves it, with /media/ served beside it as a front web server would (the validator tests:
a page whose pictures answer 404 is not the page readers get)."""

from django.conf import settings
from whitenoise import WhiteNoise

from ietp_site.wsgi import application as site

application = WhiteNoise(site, root=settings.MEDIA_ROOT, prefix=settings.MEDIA_URL, max_age=31536000)
