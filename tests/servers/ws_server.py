#!/usr/bin/env python3
"""ws_server.py - a WebSocket server for the tests of the `websocket` stage (python3-websockets).

Usage: ws_server.py [PORT] [--tls]   (default 0: a free port)

With --tls it speaks wss:// with the certificate in tests/servers/tls (for 127.0.0.1, signed
by the test CA tests/servers/tls/ca.pem).

Listens on 127.0.0.1 and prints the port it got as its first line on standard output,
then one line per event ("closed /path code=1000 by=client", ...), flushed at once.
What a connection gets depends on its path and query:

  /count?n=N            text frames "1" .. "N", then a close with status 1000
  /binary?n=N&size=S    N binary frames of S bytes (frame i: byte j is (i*7 + j) % 256),
                        then a close with status 1000
  /drop?n=N&after=A&id=X  text frames "1" .. "N" as /count, but drops the TCP connection
                        (no close frame) after each A frames; the next connection with the
                        same id goes on where the last one stopped
  /close?code=C&n=K     K text frames, then a close with status C (reason "test"); code=none:
                        a close frame without a status
  /refuse?status=S      refuses the handshake with HTTP S (default 403)
  /fail?times=T&n=N&id=X  refuses the first T handshakes of id X with HTTP 503, then as /count
  /slow?ms=M            a text frame every M ms (default 20) until the client closes
  /big?size=S&frags=F   one binary message of S bytes (byte j is j % 251) sent in F
                        fragments, then the text frame "end", then a close with status 1000
  /log?n=N              N log-like text lines ("... level=error ..." every 10th; the
                        example pipelines/websocket-tail.yaml keeps those), then a close 1000
  /headers              the request's Authorization and Sec-WebSocket-Protocol as two text
                        frames ("-" when absent), then a close with status 1000
"""
import asyncio
import http
import os
import ssl
import sys
import urllib.parse

import websockets
from websockets.frames import Close

progress = {}  # /drop: id -> the next number to send
handshakes = {}  # /fail: id -> handshakes seen


def event(text):
    print(text, flush=True)


def query(path):
    url = urllib.parse.urlsplit(path)
    return url.path, dict(urllib.parse.parse_qsl(url.query))


def process_request(path, headers):
    route, q = query(path)
    if route == "/refuse":
        status = int(q.get("status", "403"))
        event(f"refused {path} status={status}")
        return http.HTTPStatus(status), [], b"refused by the test server\n"
    if route == "/fail":
        key = q.get("id", "")
        handshakes[key] = handshakes.get(key, 0) + 1
        if handshakes[key] <= int(q.get("times", "1")):
            event(f"refused {path} status=503")
            return http.HTTPStatus.SERVICE_UNAVAILABLE, [], b"try again\n"
    return None


async def drained(ws):
    """Waits until what was sent has left this process (to the kernel)."""
    while ws.transport.get_write_buffer_size() > 0:
        await asyncio.sleep(0.005)


async def handler(ws):
    route, q = query(ws.path)
    n = int(q.get("n", "10"))
    try:
        if route in ("/count", "/fail"):
            for i in range(1, n + 1):
                await ws.send(str(i))
            await ws.close(1000)
        elif route == "/binary":
            size = int(q.get("size", "256"))
            for i in range(n):
                await ws.send(bytes((i * 7 + j) % 256 for j in range(size)))
            await ws.close(1000)
        elif route == "/drop":
            key, after = q.get("id", ""), int(q.get("after", "5"))
            start = progress.get(key, 1)
            i = start
            while i <= n and i < start + after:
                await ws.send(str(i))
                i += 1
            progress[key] = i
            if i > n:
                await ws.close(1000)
            else:
                await drained(ws)
                event(f"dropped {ws.path} at={i}")
                ws.transport.abort()
                return
        elif route == "/close":
            for i in range(1, int(q.get("n", "0")) + 1):
                await ws.send(str(i))
            if q.get("code") == "none":  # a close frame without a status (1005)
                await ws.write_close_frame(Close(1005, ""), b"")
            else:
                await ws.close(int(q.get("code", "1011")), "test")
        elif route == "/slow":
            ms, i = int(q.get("ms", "20")), 1
            while True:
                await ws.send(str(i))
                i += 1
                await asyncio.sleep(ms / 1000)
        elif route == "/big":
            size, frags = int(q.get("size", "1000000")), int(q.get("frags", "16"))
            data = bytes(j % 251 for j in range(size))
            step = -(-size // frags)
            await ws.send(data[k:k + step] for k in range(0, size, step))
            await ws.send("end")
            await ws.close(1000)
        elif route == "/log":
            for i in range(1, n + 1):
                level = "error" if i % 10 == 0 else "info"
                await ws.send(f"seq={i} level={level} msg=\"request {i} served\"")
            await ws.close(1000)
        elif route == "/headers":
            await ws.send(ws.request_headers.get("Authorization", "-"))
            await ws.send(ws.request_headers.get("Sec-WebSocket-Protocol", "-"))
            await ws.close(1000)
        else:
            await ws.close(1008, "unknown path")
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    by = "client" if ws.close_sent is None or (
        ws.close_rcvd is not None and ws.close_rcvd_then_sent) else "server"
    code = ws.close_rcvd.code if ws.close_rcvd is not None else ws.close_code
    event(f"closed {ws.path} code={code} by={by}")


async def main():
    args = [a for a in sys.argv[1:] if a != "--tls"]
    port = int(args[0]) if args else 0
    tls = None
    if "--tls" in sys.argv:  # wss://, with the test certificate of tests/servers/tls
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tls")
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(os.path.join(here, "server.pem"), os.path.join(here, "server.key"))
    subprotocols = ["chat"]
    async with websockets.serve(handler, "127.0.0.1", port, process_request=process_request,
                                ssl=tls,
                                select_subprotocol=lambda offered, supported: (
                                    offered[0] if offered else None),
                                subprotocols=subprotocols, compression=None,
                                max_size=None) as server:
        event(str(server.sockets[0].getsockname()[1]))
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
