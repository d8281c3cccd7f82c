#!/usr/bin/python3
"""An HTTP CONNECT proxy on loopback for the cloud tests, as a corporate proxy behaves.

`connect_proxy.py DIR [--user U --password P]` listens on 127.0.0.1 (a free port, written
to DIR/proxy.port once it accepts), answers CONNECT host:port by connecting there and
relaying both ways; with --user it demands `Proxy-Authorization: Basic` and answers 407
otherwise. Every request is logged to DIR/proxy.log as one JSON line: {target, status,
authorization (present or not)}. Anything but CONNECT gets 405. Runs until SIGTERM.
"""

import argparse
import asyncio
import base64
import json
import os
import signal


async def pipe(reader, writer):
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


class Proxy:
    def __init__(self, directory, user, password):
        self.log_path = os.path.join(directory, "proxy.log")
        self.expected = None
        if user is not None:
            self.expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def log(self, **entry):
        with open(self.log_path, "a") as out:
            out.write(json.dumps(entry) + "\n")

    async def handle(self, reader, writer):
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = (lines[0].split(" ") + ["", "", ""])[:3]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        authorization = headers.get("proxy-authorization")

        async def answer(status, text):
            self.log(method=method, target=target, status=status, authorization=authorization is not None)
            writer.write(f"HTTP/1.1 {status} {text}\r\nContent-Length: 0\r\n\r\n".encode())
            await writer.drain()
            writer.close()

        if method != "CONNECT":
            return await answer(405, "Method Not Allowed")
        if self.expected is not None and authorization != self.expected:
            return await answer(407, "Proxy Authentication Required")
        host, _, port = target.rpartition(":")
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except (OSError, ValueError):
            return await answer(502, "Bad Gateway")
        self.log(method=method, target=target, status=200, authorization=authorization is not None)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--user")
    parser.add_argument("--password", default="")
    arguments = parser.parse_args()
    proxy = Proxy(arguments.directory, arguments.user, arguments.password)
    open(proxy.log_path, "w").close()
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    port_path = os.path.join(arguments.directory, "proxy.port")
    with open(port_path + ".tmp", "w") as out:
        out.write(str(server.sockets[0].getsockname()[1]))
    os.rename(port_path + ".tmp", port_path)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
