"""The classic demo's server, written against Python's sysv_ipc as its documentation shows.

python demo_server.py [--path /tmp/example] [--proj 42]
"""
import argparse
import os

import sysv_ipc

parser = argparse.ArgumentParser()
parser.add_argument("--path", default="/tmp/example")
parser.add_argument("--proj", type=int, default=42)
args = parser.parse_args()

open(args.path, "a").close()
key = sysv_ipc.ftok(args.path, args.proj, silence_warning=True)
mq = sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREAT, mode=0o644)
while True:
    message, mtype = mq.receive(type=10)
    if message == b"ping":
        print("Server: Received ping", flush=True)
        mq.send(b"pong", type=11)
        print("Server: Sent pong", flush=True)
    elif message == b"end":
        mq.remove()
        os.unlink(args.path)
        break
