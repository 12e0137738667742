"""A WSGI application that does nothing: what gunicorn alone costs a request (bench/throughput.py's floor)."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Length", "0")])
    return []
