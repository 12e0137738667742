"""Mail servers for tests, on 127.0.0.1: a sink that keeps what it is sent, and one that accepts and never answers.

Minimal SMTP (RFC 5321 without extensions): enough for Django's SMTP backend with EMAIL_USE_TLS off.
"""

import email
import email.policy
import socket
import socketserver
import threading
import time

from testkit.ports import free_port

# The ports these servers use (the machine's other test runs use others).
SMTP_PORTS = range(18850, 18900)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SMTPSink:
    """Accepts every message and keeps it (`messages`: parsed emails); `delay` seconds before accepting each. With
    `stop_after`, it stops once it has that many, in the middle of a session: the next command is answered 421 and
    the connection closed, and new connections are refused, as a mail server shut down during a send."""

    def __init__(self, port=None, delay=0.0, stop_after=None):
        self.port = port or free_port(SMTP_PORTS)
        self.delay = delay
        self.stop_after = stop_after
        self.messages = []
        self._lock = threading.Lock()
        sink = self

        class Session(socketserver.StreamRequestHandler):
            timeout = 30

            def reply(self, line):
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self):
                self.reply("220 sink.test ESMTP")
                while line := self.rfile.readline():
                    command = line.decode("ascii", "replace").strip().upper()
                    if sink.stop_after is not None and len(sink.messages) >= sink.stop_after:
                        self.reply("421 sink.test Service not available, closing transmission channel")
                        return
                    if command.startswith(("EHLO", "HELO")):
                        self.reply("250 sink.test")
                    elif command.startswith("DATA"):
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = []
                        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                            data.append(line[1:] if line.startswith(b"..") else line)
                        time.sleep(sink.delay)
                        with sink._lock:
                            sink.messages.append(email.message_from_bytes(b"".join(data), policy=email.policy.default))
                            stopping = sink.stop_after is not None and len(sink.messages) >= sink.stop_after
                        self.reply("250 OK: queued")
                        if stopping:
                            threading.Thread(target=sink.stop_listening, daemon=True).start()
                    elif command.startswith("QUIT"):
                        self.reply("221 Bye")
                        return
                    else:  # MAIL, RCPT, RSET, NOOP
                        self.reply("250 OK")

        self._server = _Server(("127.0.0.1", self.port), Session)

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self.stop_listening()

    def stop_listening(self):
        self._server.shutdown()
        self._server.server_close()

    def subjects(self):
        with self._lock:
            return [str(message["Subject"]) for message in self.messages]


class HangingSMTP:
    """Accepts connections and never says a word, like a mail server that has stopped answering."""

    def __init__(self, port=None):
        self.port = port or free_port(SMTP_PORTS)
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=64)
        self._held = []
        self._stopped = threading.Event()

    def _accept(self):
        self._listener.settimeout(0.1)
        while not self._stopped.is_set():
            try:
                connection, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(connection)

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self._stopped.set()
        self._listener.close()
        for connection in self._held:
            connection.close()
