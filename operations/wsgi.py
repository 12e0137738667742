"""What the WSGI application does around Django, for the front server in front of it."""

# The largest body the front server passes on (the admin's uploads, deploy/nginx/ietp.conf.template), and some.
MOST_UNREAD_BYTES_READ = 110 * 1024 * 1024


def reading_the_whole_request_body(application):
    """Reads what is left of a request's body once Django has answered without reading it all (a failed CSRF
    check, a malformed form). gunicorn would otherwise close a connection with unread bytes, which resets it, and
    nginx, still writing the body, would answer 502 instead of the site's own refusal."""

    def read_whole_body_then_answer(environ, start_response):
        response = application(environ, start_response)
        try:
            unread = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return response
        if unread > MOST_UNREAD_BYTES_READ:
            # No front server passes that much: a client talking to gunicorn directly is refused at once.
            return response
        body = environ["wsgi.input"]
        while unread > 0:
            chunk = body.read(min(unread, 256 * 1024))
            if not chunk:
                break
            unread -= len(chunk)
        return response

    return read_whole_body_then_answer
