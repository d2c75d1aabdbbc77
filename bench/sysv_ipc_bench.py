"""The Python sysv_ipc contender: the same ping-pong (and --stream) as svmq's examples.

python sysv_ipc_bench.py [--count N] [--size S] [--stream] [--pin A,B]; last line: "<rate> msg/s".
--pin A,B puts this process on CPU A and the peer on CPU B.
"""
import argparse
import os
import time

import sysv_ipc

p = argparse.ArgumentParser()
p.add_argument("--count", type=int, default=20000)
p.add_argument("--size", type=int, default=1024)
p.add_argument("--stream", action="store_true")
p.add_argument("--pin", default=None)
a = p.parse_args()
cpus = [int(c) for c in a.pin.split(",")] if a.pin else None
if cpus:
    os.sched_setaffinity(0, {cpus[0]})

mq = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX, mode=0o600, max_message_size=max(a.size, 1))
payload = b"x" * a.size
pid = os.fork()
if pid == 0:
    if cpus:
        os.sched_setaffinity(0, {cpus[1]})
    try:
        if a.stream:
            for _ in range(a.count):
                mq.receive(type=1)
            mq.send(b"", type=2)
        else:
            while True:  # ends when the parent removes the queue
                msg, _ = mq.receive(type=1)
                mq.send(msg, type=2)
    except sysv_ipc.ExistentialError:
        pass
    finally:
        os._exit(0)
t0 = time.perf_counter()
if a.stream:
    for _ in range(a.count):
        mq.send(payload, type=1)
    mq.receive(type=2)
else:
    for _ in range(a.count):
        mq.send(payload, type=1)
        mq.receive(type=2)
secs = time.perf_counter() - t0
mq.remove()  # wakes the echoing child with an error: it exits
os.waitpid(pid, 0)
print(f"{a.count / secs:.0f} msg/s")
