#!/usr/bin/env python3
"""Moves slots with CLUSTER MIGRATESLOTS and shows the progress (bin/keyshard-cluster rebalance|move).

  keyshard-migrate.py rebalance PORT        even out the slots over the live primaries
  keyshard-migrate.py move PORT SLOTS ID    SLOTS: 0-99,200,300-310; ID: the target node

On a terminal one line is redrawn (slots moved, rate, ETA); otherwise a plain line every 2 s.
Exits non-zero if a job fails or is cancelled.
"""
import socket
import sys
import time


class Conn:
    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.buf = b""

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self._read()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind in (b"*", b"%"):
            n = int(rest)
            return [self._read() for _ in range(n * (2 if kind == b"%" else 1))]
        if kind == b"=":
            return self.call_verbatim(int(rest))
        raise RuntimeError("unexpected reply " + line.decode())

    def call_verbatim(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(65536)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data[4:].decode()


def primaries(conn):
    """Live primaries: id -> list of their slots."""
    out = {}
    for line in conn.call("CLUSTER", "NODES").splitlines():
        f = line.split()
        if len(f) < 8 or "master" not in f[2] or "fail" in f[2] or "noaddr" in f[2]:
            continue
        slots = []
        for r in f[8:]:
            if r.startswith("["):
                continue
            lo, _, hi = r.partition("-")
            slots.extend(range(int(lo), int(hi or lo) + 1))
        out[f[0]] = slots
    return out


def ranges(slots):
    slots = sorted(slots)
    out = []
    for s in slots:
        if out and out[-1][1] + 1 == s:
            out[-1][1] = s
        else:
            out.append([s, s])
    return out


def plan(nodes):
    """(source, target, slots) moves that leave every primary within one slot of an even share."""
    ids = sorted(nodes)
    total = sum(len(s) for s in nodes.values())
    share = {i: total // len(ids) + (1 if k < total % len(ids) else 0) for k, i in enumerate(ids)}
    spare = {i: sorted(nodes[i])[share[i]:] for i in ids if len(nodes[i]) > share[i]}
    need = {i: share[i] - len(nodes[i]) for i in ids if len(nodes[i]) < share[i]}
    moves = []
    for target, n in need.items():
        for source in list(spare):
            if n == 0:
                break
            take, spare[source] = spare[source][:n], spare[source][n:]
            if take:
                moves.append((source, target, take))
                n -= len(take)
            if not spare[source]:
                del spare[source]
    return moves


def migrate(conn, moves):
    if not moves:
        print("keyshard-cluster: nothing to move")
        return 0
    args = []
    for source, target, slots in moves:
        args.append("SLOTSRANGE")
        for lo, hi in ranges(slots):
            args += [lo, hi]
        args += ["NODE", target]
        print("keyshard-cluster: %d slots from %s to %s" % (len(slots), source[:8], target[:8]))
    before = {j["name"] for j in jobs(conn)}
    conn.call("CLUSTER", "MIGRATESLOTS", *args)
    total = sum(len(m[2]) for m in moves)
    tty = sys.stdout.isatty()
    started = time.time()
    last_print = 0
    while True:
        mine = [j for j in jobs(conn) if j["name"] not in before]
        moved = sum(int(j["slots_moved"]) for j in mine)
        done = all(j["state"] in ("success", "failed", "cancelled") for j in mine)
        elapsed = time.time() - started
        rate = moved / elapsed if elapsed > 0 else 0
        eta = (total - moved) / rate if rate > 0 else float("nan")
        line = "%d/%d slots moved, %.0f slots/s, ETA %s" % (
            moved, total, rate, "%.0f s" % eta if eta == eta else "?")
        if tty:
            sys.stdout.write("\r\033[K" + line)
            sys.stdout.flush()
        elif done or time.time() - last_print >= 2:
            print(line, flush=True)
            last_print = time.time()
        if done:
            break
        time.sleep(0.2)
    if tty:
        print()
    bad = 0
    for j in mine:
        print("keyshard-cluster: job %s %s: %s slots moved, %s; requests parked per slot: median %s ms, max %s ms%s" % (
            j["name"][:8], j["slot_ranges"] if len(j["slot_ranges"]) < 40 else j["slot_ranges"][:37] + "...",
            j["slots_moved"], j["state"], j["pause_median_ms"], j["pause_max_ms"],
            " (" + j["message"] + ")" if j["message"] else ""))
        bad += j["state"] != "success"
    print("keyshard-cluster: %d slots in %.1f s" % (moved, time.time() - started))
    return 1 if bad else 0


def jobs(conn):
    out = []
    for kv in conn.call("CLUSTER", "GETSLOTMIGRATIONS"):
        out.append({kv[i]: str(kv[i + 1]) for i in range(0, len(kv), 2)})
    return out


def parse_slots(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def main(argv):
    if len(argv) < 3 or argv[1] not in ("rebalance", "move"):
        print(__doc__, file=sys.stderr)
        return 2
    conn = Conn(int(argv[2]))
    nodes = primaries(conn)
    if argv[1] == "rebalance":
        return migrate(conn, plan(nodes))
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    slots, target = parse_slots(argv[3]), argv[4]
    owner = {s: i for i, ss in nodes.items() for s in ss}
    by_source = {}
    for s in slots:
        if owner.get(s) != target:
            by_source.setdefault(owner.get(s), []).append(s)
    return migrate(conn, [(src, target, ss) for src, ss in by_source.items()])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except RuntimeError as e:
        print("keyshard-cluster: " + str(e), file=sys.stderr)
        sys.exit(1)
