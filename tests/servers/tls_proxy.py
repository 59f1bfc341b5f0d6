#!/usr/bin/env python3
"""TLS front for the test git HTTP server: terminates TLS with a test certificate on 127.0.0.1
and forwards the bytes to a plain HTTP port (lighttpd here has no TLS module installed).

usage: tls_proxy.py LISTEN_PORT CERT_PEM KEY_PEM TARGET_PORT
"""
import asyncio
import ssl
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def handle(client_r, client_w, target_port):
    try:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        client_w.close()
        return
    await asyncio.gather(pipe(client_r, up_w), pipe(up_r, client_w))


async def main():
    listen, cert, key, target = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, target), "127.0.0.1", listen, ssl=ctx)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
