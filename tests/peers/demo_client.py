"""The classic demo's client, written against Python's sysv_ipc as its documentation shows.

python demo_client.py [--path /tmp/example] [--proj 42] [--rounds 100]
"""
import argparse

import sysv_ipc

parser = argparse.ArgumentParser()
parser.add_argument("--path", default="/tmp/example")
parser.add_argument("--proj", type=int, default=42)
parser.add_argument("--rounds", type=int, default=100)
args = parser.parse_args()

open(args.path, "a").close()
key = sysv_ipc.ftok(args.path, args.proj, silence_warning=True)
mq = sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREAT, mode=0o644)
for _ in range(args.rounds):
    mq.send(b"ping", type=10)
    print("Client: Sent ping", flush=True)
    message, mtype = mq.receive(type=11)
    assert message == b"pong" and mtype == 11, (message, mtype)
    print("Client: Received pong", flush=True)
mq.send(b"end", type=10)
