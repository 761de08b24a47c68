"""A loopback HTTP/1.1 proxy between trailform and moto that adds latency and injects faults.

Used by the reliability tests and the benchmarks (design.md §5, issues 6 and 7). It only
ever listens on and connects to 127.0.0.1.

    python faultproxy.py --upstream-port 5000 [--latency-ms 40] [--error-rate 0.1]
        [--throttle-rate 0.1] [--reset-rate 0.05] [--lost-rate 0.05] [--seed 7]
        [--only-ops CreateTrail,StartLogging] [--only-body ou-abcd-1234] [--port 0]

On start it prints one line `PORT <n>` to stdout. `GET /__proxy/stats` answers JSON counts
(requests by operation, faults injected by kind); `POST /__proxy/config` with a JSON body
changes the rates at run time (used to turn faults off for a converge check). Faults are
drawn from one seeded RNG so a test run is repeatable in kind and proportion.

Faults, each protocol-correct for the service being called:
- error:    HTTP 500 with an empty JSON/XML body (the SDK treats it as transient and retries)
- throttle: JSON protocols (CloudTrail, Organizations): HTTP 400 with __type
            ThrottlingException (CloudTrail) / TooManyRequestsException (Organizations);
            query protocol (STS): HTTP 400 <Code>Throttling</Code>
- reset:    the connection is closed before the request is forwarded (nothing happened)
- lost:     the request is forwarded (the change happened) and then the connection is
            closed with no answer (a lost response)
"""

import argparse
import asyncio
import json
import random
import sys

STATS = {"requests": 0, "by_operation": {}, "faults": {"error": 0, "throttle": 0, "reset": 0, "lost": 0}}
CONFIG = {}


async def read_body(reader, headers):
    """The message body by Content-Length, or de-chunked; (body, was_chunked)."""
    if "content-length" in headers:
        n = int(headers["content-length"])
        return (await reader.readexactly(n) if n else b""), False
    if headers.get("transfer-encoding", "").lower() != "chunked":
        return b"", False
    chunks = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.strip().split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(chunks), True
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body, chunked = await read_body(reader, headers)
    if chunked:
        head = head.replace(b"Transfer-Encoding: chunked", b"Content-Length: %d" % len(body))
        head = head.replace(b"transfer-encoding: chunked", b"content-length: %d" % len(body))
    return method, target, headers, head, body


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body, chunked = await read_body(reader, headers)
    if chunked:
        out = []
        for line in lines:
            if line.lower().startswith("transfer-encoding"):
                continue
            if line:
                out.append(line)
        out.append("Content-Length: %d" % len(body))
        head = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
    return head, body


def operation_of(headers, body):
    target = headers.get("x-amz-target")
    if target:
        service, _, op = target.rpartition(".")
        return service, op
    # Query protocol (STS): Action=AssumeRole&...
    try:
        text = body.decode("utf-8", "replace")
        for part in text.split("&"):
            if part.startswith("Action="):
                return "sts", part[len("Action="):]
    except Exception:  # noqa: BLE001 - statistics only
        pass
    return "unknown", "unknown"


def throttle_response(service):
    if service == "sts":
        body = (
            b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
            b"<RequestId>faultproxy</RequestId></ErrorResponse>"
        )
        ctype = b"text/xml"
    else:
        code = "TooManyRequestsException" if "Organizations" in service else "ThrottlingException"
        body = json.dumps({"__type": code, "message": "Rate exceeded"}).encode()
        ctype = b"application/x-amz-json-1.1"
    return (
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: " + ctype + b"\r\nx-amzn-RequestId: faultproxy\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def error_response():
    body = b'{"message":"injected internal error"}'
    return (
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def draw_fault(rng, op, body):
    only = CONFIG.get("only_ops")
    if only and op not in only:
        return None
    needle = CONFIG.get("only_body")
    if needle and needle.encode() not in body:
        return None
    r = rng.random()
    for kind in ("error", "throttle", "reset", "lost"):
        rate = CONFIG.get(kind + "_rate", 0.0)
        if r < rate:
            return kind
        r -= rate
    return None


async def handle_control(method, target, body, writer):
    if target.startswith("/__proxy/config") and method == "POST":
        CONFIG.update(json.loads(body or b"{}"))
        payload = json.dumps(CONFIG).encode()
    else:
        payload = json.dumps(STATS).encode()
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(payload)).encode()
        + b"\r\n\r\n"
        + payload
    )
    await writer.drain()


async def handle(client_reader, client_writer, upstream_port, rng):
    up_reader = up_writer = None
    try:
        while True:
            try:
                method, target, headers, head, body = await read_request(client_reader)
            except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                return
            if target.startswith("/__proxy/"):
                await handle_control(method, target, body, client_writer)
                continue
            service, op = operation_of(headers, body)
            STATS["requests"] += 1
            STATS["by_operation"][op] = STATS["by_operation"].get(op, 0) + 1
            latency = CONFIG.get("latency_ms", 0) / 1000.0
            if latency:
                await asyncio.sleep(latency)
            fault = draw_fault(rng, op, body)
            if fault:
                STATS["faults"][fault] += 1
            if fault == "reset":
                return
            if fault == "error":
                client_writer.write(error_response())
                await client_writer.drain()
                continue
            if fault == "throttle":
                client_writer.write(throttle_response(service))
                await client_writer.drain()
                continue
            if up_writer is None:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
            up_writer.write(head + body)
            await up_writer.drain()
            resp_head, resp_body = await read_response(up_reader)
            if fault == "lost":
                return
            client_writer.write(resp_head + resp_body)
            await client_writer.drain()
    finally:
        for w in (client_writer, up_writer):
            if w is not None:
                try:
                    w.close()
                except Exception:  # noqa: BLE001 - closing a broken socket
                    pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream-port", type=int, required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--error-rate", type=float, default=0.0)
    ap.add_argument("--throttle-rate", type=float, default=0.0)
    ap.add_argument("--reset-rate", type=float, default=0.0)
    ap.add_argument("--lost-rate", type=float, default=0.0)
    ap.add_argument("--only-ops", default="")
    ap.add_argument("--only-body", default="")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    CONFIG.update(
        latency_ms=a.latency_ms,
        error_rate=a.error_rate,
        throttle_rate=a.throttle_rate,
        reset_rate=a.reset_rate,
        lost_rate=a.lost_rate,
        only_ops=[o for o in a.only_ops.split(",") if o],
        only_body=a.only_body,
    )
    rng = random.Random(a.seed)
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, a.upstream_port, rng), "127.0.0.1", a.port, backlog=1024
    )
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write("PORT %d\n" % port)
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
