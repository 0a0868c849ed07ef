#!/usr/bin/env python3
"""The longest stall a client sees while BGSAVE writes a large dataset under a write load.

  bench/bgsave-stall.py [--keys 1000000] [--saves 3] [--overwrite] [--carmine PATH]

For redis-server and carmine-server in turn: DEBUG POPULATE the keys (with --overwrite: SET the benchmark's own key
names, so that the load overwrites keys instead of inserting new ones), start redis-benchmark writing SETs with
8 clients, run a probe that sends PING every millisecond on its own connection, then BGSAVE several times and
report the BGSAVE reply time, the probe's longest round trip while a save ran, and its 99th/99.9th percentiles.
It prints figures and asserts nothing; on a shared machine run it when the machine is quiet.
"""
import argparse, os, socket, statistics, subprocess, tempfile, threading, time

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=600).stdout.strip()

def info_field(port, field):
    for line in cli(port, "info", "persistence").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return ""

def probe(port, stop, samples):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while not stop.is_set():
        t = time.perf_counter()
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        buf = b""
        while not buf.endswith(b"\r\n"):
            buf += s.recv(64)
        samples.append((t, time.perf_counter() - t))
        time.sleep(0.001)
    s.close()

def load_benchmark_keys(port, keys):
    """The names redis-benchmark -r uses (key:%012d), set through redis-cli --pipe."""
    buf = bytearray()
    for i in range(keys):
        k = b"key:%012d" % i
        buf += b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n" % (len(k), k)
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=bytes(buf), capture_output=True, timeout=600)

def measure(name, binary, keys, saves, overwrite):
    port, d = free_port(), tempfile.mkdtemp(prefix="bgsave-stall-")
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", d, "--enable-debug-command", "yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if cli(port, "ping") == "PONG":
                break
            time.sleep(0.1)
        if overwrite:
            load_benchmark_keys(port, keys)
        else:
            cli(port, "debug", "populate", str(keys))
        load = subprocess.Popen(["redis-benchmark", "-p", str(port), "-t", "set", "-r", str(keys), "-n", "1000000000", "-c", "8", "-q"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2)
        stop, samples = threading.Event(), []
        t = threading.Thread(target=probe, args=(port, stop, samples)); t.start()
        time.sleep(1)
        windows, replies = [], []
        for _ in range(saves):
            start = time.perf_counter()
            cli(port, "bgsave")
            replies.append(time.perf_counter() - start)
            while info_field(port, "rdb_bgsave_in_progress") != "0":
                time.sleep(0.05)
            windows.append((start, time.perf_counter()))
            time.sleep(1)
        stop.set(); t.join(); load.kill(); load.wait()
        during = [rtt for (at, rtt) in samples if any(a <= at <= b for a, b in windows)]
        during.sort()
        pct = lambda p: during[min(len(during) - 1, int(len(during) * p))] * 1000 if during else 0
        print(f"| {name} | {min(replies)*1000:.0f}-{max(replies)*1000:.0f} ms | {max(during)*1000 if during else 0:.0f} ms | "
              f"{pct(0.99):.2f} / {pct(0.999):.2f} ms | {len(during)} |", flush=True)
    finally:
        server.kill(); server.wait()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--saves", type=int, default=3)
    ap.add_argument("--overwrite", action="store_true")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--carmine", default=os.path.join(here, "..", "src", "Carmine.Server", "bin", "Release", "net10.0", "carmine-server"))
    a = ap.parse_args()
    print(f"{a.keys} keys, {a.saves} BGSAVEs under an 8-client SET load {'overwriting' if a.overwrite else 'inserting'} keys, {os.cpu_count()} cores")
    print("| server | BGSAVE reply | longest probe stall during saves | p99 / p99.9 | probes |")
    print("|---|---|---|---|---|")
    measure("redis-server", "/usr/bin/redis-server", a.keys, a.saves, a.overwrite)
    measure("carmine-server", a.carmine, a.keys, a.saves, a.overwrite)

if __name__ == "__main__":
    main()
