#!/usr/bin/env python3
"""TLS front that requires a client certificate signed by a given CA, for the Helm repository
tests of certSecretRef tls.crt/tls.key: terminates TLS on 127.0.0.1 and forwards the bytes to a
plain HTTP port.

usage: mtls_proxy.py LISTEN_PORT CERT_PEM KEY_PEM CLIENT_CA_PEM TARGET_PORT
"""
import asyncio
import ssl
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
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
    listen, cert, key, client_ca, target = sys.argv[1:6]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(client_ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    server = await asyncio.start_server(lambda r, w: handle(r, w, int(target)), "127.0.0.1", int(listen), ssl=ctx)
    async with server:
        await server.serve_forever()


asyncio.run(main())
