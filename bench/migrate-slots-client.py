#!/usr/bin/env python3
"""The client side of bench/migrate-slots.sh, for any Redis Cluster (Keyshard or redis-server).

  migrate-slots-client.py load PORT N         SET key:0..key:N-1, pipelined per node
  migrate-slots-client.py probe PORT N STOPFILE   GET/SET random keys one at a time until
                                              STOPFILE exists; prints latency percentiles
  migrate-slots-client.py check PORT N        every key:i holds its value (counts the others)

The probe follows MOVED and ASK (with ASKING), retries TRYAGAIN (counted) and counts any other
error; a request's latency includes its redirects and retries.
"""
import os
import random
import socket
import sys
import time

CRC16_TAB = []
for i in range(256):
    c = i << 8
    for _ in range(8):
        c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
    CRC16_TAB.append(c & 0xFFFF)


def slot(key):
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    crc = 0
    for b in key:
        crc = ((crc << 8) & 0xFFFF) ^ CRC16_TAB[((crc >> 8) ^ b) & 0xFF]
    return crc % 16384


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def read(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest
        if kind == b"-":
            return Error(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 16)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            return [self.read() for _ in range(int(rest))]
        raise RuntimeError("reply " + line.decode())

    def call(self, *args):
        self.send(self.encode(args))
        return self.read()


class Error(str):
    pass


class Cluster:
    def __init__(self, port):
        self.seed = port
        self.conns = {}
        self.owner = [None] * 16384
        self.refresh()

    def conn(self, port):
        if port not in self.conns:
            self.conns[port] = Conn(port)
        return self.conns[port]

    def refresh(self):
        for entry in self.conn(self.seed).call("CLUSTER", "SLOTS"):
            for s in range(int(entry[0]), int(entry[1]) + 1):
                self.owner[s] = int(entry[2][1])


def load(port, n):
    c = Cluster(port)
    batch = 500
    t0 = time.time()
    retried = 0
    todo = list(range(n))
    for attempt in range(5):
        failed = []
        for start in range(0, len(todo), batch):
            by_port = {}
            for i in todo[start:start + batch]:
                k = b"key:%d" % i
                by_port.setdefault(c.owner[slot(k)], []).append((i, Conn.encode([b"SET", k, b"v%d" % i])))
            for p, cmds in by_port.items():
                c.conn(p).send(b"".join(cmd for _, cmd in cmds))
            for p, cmds in by_port.items():
                conn = c.conn(p)
                for i, _ in cmds:
                    if isinstance(conn.read(), Error):
                        failed.append(i)  # a cold node's first writes may time out: again
        if not failed:
            break
        retried += len(failed)
        todo = failed
    else:
        raise RuntimeError("load: %d keys not written" % len(todo))
    print("loaded %d keys in %.1f s (%d writes retried)" % (n, time.time() - t0, retried))


def request(c, args, key, stats):
    port = c.owner[slot(key)]
    asking = False
    for _ in range(50):
        conn = c.conn(port)
        if asking:
            conn.send(Conn.encode([b"ASKING"]) + Conn.encode(args))
            conn.read()
        else:
            conn.send(Conn.encode(args))
        r = conn.read()
        if not isinstance(r, Error):
            return r
        if r.startswith("MOVED"):
            port = int(r.split()[2].rsplit(":", 1)[1])
            c.owner[slot(key)] = port
            stats["moved"] += 1
            asking = False
        elif r.startswith("ASK"):
            port = int(r.split()[2].rsplit(":", 1)[1])
            stats["ask"] += 1
            asking = True
        elif r.startswith("TRYAGAIN"):
            stats["tryagain"] += 1
            time.sleep(0.01)
        else:
            stats["errors"] += 1
            stats["last_error"] = r
            return None
    stats["errors"] += 1
    stats["last_error"] = "too many redirects"
    return None


def probe(port, n, stopfile):
    c = Cluster(port)
    stats = {"moved": 0, "ask": 0, "tryagain": 0, "errors": 0, "last_error": ""}
    lat = []
    rnd = random.Random(7)
    while not os.path.exists(stopfile):
        i = rnd.randrange(n)
        k = b"key:%d" % i
        t0 = time.perf_counter()
        if rnd.random() < 0.5:
            request(c, [b"GET", k], k, stats)
        else:
            request(c, [b"SET", k, b"v%d" % i], k, stats)
        lat.append(time.perf_counter() - t0)
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(len(lat) * p))] * 1000 if lat else float("nan")

    print("requests=%d p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.1f moved=%d ask=%d tryagain=%d errors=%d %s" % (
        len(lat), pct(0.5), pct(0.99), pct(0.999), (lat[-1] * 1000 if lat else float("nan")),
        stats["moved"], stats["ask"], stats["tryagain"], stats["errors"], stats["last_error"]))


def check(port, n):
    c = Cluster(port)
    stats = {"moved": 0, "ask": 0, "tryagain": 0, "errors": 0, "last_error": ""}
    bad = 0
    for i in range(n):
        k = b"key:%d" % i
        if request(c, [b"GET", k], k, stats) != b"v%d" % i:
            bad += 1
    print("checked %d keys: %d wrong or missing" % (n, bad))
    return bad


if __name__ == "__main__":
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "load":
        load(port, int(sys.argv[3]))
    elif cmd == "probe":
        probe(port, int(sys.argv[3]), sys.argv[4])
    elif cmd == "check":
        sys.exit(1 if check(port, int(sys.argv[3])) else 0)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
