#!/usr/bin/env python3
"""http_server.py - a small HTTP/1.1 server (keep-alive) for the tests and examples of the http stage.

Usage: python3 tests/servers/http_server.py [--port N] [--tls]

Listens on 127.0.0.1:N (N = 0: a free port) and prints the port on its first line of standard
output.  With --tls it speaks https:// with the certificate in tests/servers/tls (for 127.0.0.1,
signed by the test CA tests/servers/tls/ca.pem).  Python's standard library only.

Endpoints (GET unless said otherwise; every answer has a Content-Length, so connections stay
open between requests):
  /echo/<x>          answers <x>, percent-decoded; POST, PUT and PATCH /echo answer their body
  /item/<x>          answers the JSON {"id": "<x>", "title": "item <x>", "links": [...]}
                     (?ms=N: after N milliseconds)
  /path/<anything>   answers the request's path as it arrived (not decoded)
  /method            answers the request's method (any method; HEAD gets the headers only)
  /request           answers "<method> <body>" (any method)
  /redirect/<code>/<path>  answers <code> with "Location: /<path>"
  /bare-redirect/<code>/<path>  the same with a status line without a reason ("HTTP/1.1 303")
  /header/<name>     answers the value of the request header <name> ("" when absent)
  /status/<code>     answers with that status and the body "status <code>"
  /slow/<ms>         answers "slept <ms>" after <ms> milliseconds
  /big/<n>           answers <n> bytes of 'x' (?chunked=1: in chunks of 30, without a length;
                     ?status=N: with the status N)
  /flaky/<key>/<n>   answers 503 to the first <n> requests for <key>, then "ok <key>"
  /close             promises 100 bytes, sends 10 and closes the connection
  /count             answers "requests=R connections=C": the requests since the last /reset
                     (/count and /reset not counted) and the connections opened since
                     (the one asking included)
  /reset             sets both counts to 0
"""

import argparse
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
counts = {"requests": 0, "connections": 0}
flaky = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    # The headers and the body go in separate writes: without TCP_NODELAY the body would wait
    # for the client's delayed ACK (40 ms on Linux) after every response.
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        with lock:
            counts["connections"] += 1

    def log_message(self, format, *args):  # quiet
        pass

    def answer(self, code, body, ctype="text/plain", head=False):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def handle_any(self):
        path, _, query = self.path.partition("?")
        params = urllib.parse.parse_qs(query)
        parts = path.split("/")[1:]
        head = self.command == "HEAD"
        if parts[0] in ("count", "reset"):
            with lock:
                if parts[0] == "reset":
                    counts["requests"] = counts["connections"] = 0
                text = "requests=%d connections=%d" % (counts["requests"], counts["connections"])
            return self.answer(200, text)
        with lock:
            counts["requests"] += 1
        sent = self.body()
        rest = "/".join(parts[1:])
        if parts[0] == "echo" and self.command in ("POST", "PUT", "PATCH"):
            return self.answer(200, sent, "application/octet-stream")
        if parts[0] == "echo":
            return self.answer(200, urllib.parse.unquote_to_bytes(rest), head=head)
        if parts[0] == "item":
            ms = int(params.get("ms", ["0"])[0])
            if ms > 0:
                time.sleep(ms / 1000)
            x = urllib.parse.unquote(rest)
            doc = {"id": x, "title": "item " + x, "links": ["/item/%s/%d" % (x, i) for i in (1, 2)]}
            return self.answer(200, json.dumps(doc), "application/json", head)
        if parts[0] == "path":
            return self.answer(200, path, head=head)
        if parts[0] == "method":
            return self.answer(200, self.command, head=head)
        if parts[0] == "request":
            return self.answer(200, self.command.encode() + b" " + sent, head=head)
        if parts[0] == "bare-redirect":
            self.wfile.write(b"HTTP/1.1 %s\r\nLocation: /%s\r\nContent-Length: 0\r\n\r\n"
                             % (parts[1].encode(), "/".join(parts[2:]).encode()))
            return None
        if parts[0] == "redirect":
            self.send_response(int(parts[1]))
            self.send_header("Location", "/" + "/".join(parts[2:]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if parts[0] == "header":
            return self.answer(200, self.headers.get(rest, ""), head=head)
        if parts[0] == "status":
            return self.answer(int(parts[1]), "status " + parts[1], head=head)
        if parts[0] == "slow":
            time.sleep(int(parts[1]) / 1000)
            return self.answer(200, "slept " + parts[1], head=head)
        if parts[0] == "big" and "chunked" in params:
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            left = int(parts[1])
            while left > 0:
                n = min(left, 30)
                self.wfile.write(b"%x\r\n%s\r\n" % (n, b"x" * n))
                left -= n
            self.wfile.write(b"0\r\n\r\n")
            return None
        if parts[0] == "big":
            code = int(params.get("status", ["200"])[0])
            return self.answer(code, b"x" * int(parts[1]), head=head)
        if parts[0] == "flaky":
            with lock:
                flaky[parts[1]] = flaky.get(parts[1], 0) + 1
                hits = flaky[parts[1]]
            if hits <= int(parts[2]):
                return self.answer(503, "try again", head=head)
            return self.answer(200, "ok " + parts[1], head=head)
        if parts[0] == "close":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            self.close_connection = True
            return None
        return self.answer(404, "no such endpoint: " + path, head=head)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client gone: not news
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls", action="store_true")
    args = ap.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    if args.tls:
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tls")
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(os.path.join(here, "server.pem"), os.path.join(here, "server.key"))
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    server.server_close()


if __name__ == "__main__":
    main()
