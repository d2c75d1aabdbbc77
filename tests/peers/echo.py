"""A sysv_ipc peer for the interoperability tests (sysv_ipc opens queues by key, not by id).

echo.py KEY_IN KEY_OUT MSGMAX    echo every message from KEY_IN to KEY_OUT, same type and bytes, up to and
                                 including a message of type 1
echo.py --emit KEY_OUT MSGMAX    send the corpus (sizes 0..MSGMAX, types up to 2**31 - 1) to KEY_OUT, then
                                 an empty message of type 1
echo.py --ftok PATH              print sysv_ipc.ftok(PATH, i) for i in 1..255, one per line
"""
import sys

import sysv_ipc


def corpus(msgmax):
    sizes = sorted({0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 255, 256, 1023, 1024, 1025, 4095, 4096, msgmax - 1, msgmax})
    # sysv_ipc takes message types as a C int: it refuses anything above 2**31 - 1 (the glibc peer
    # covers types beyond 32 bits).
    types = [2, 3, 1000, 65535, 2**31 - 1]
    for i, size in enumerate(sizes):
        payload = bytes((j * 31 + i) & 0xFF for j in range(size))
        yield payload, types[i % len(types)]


if sys.argv[1] == "--ftok":
    for i in range(1, 256):
        print(sysv_ipc.ftok(sys.argv[2], i, silence_warning=True))
elif sys.argv[1] == "--emit":
    # sysv_ipc refuses to send or receive more than max_message_size (2048 unless given).
    out = sysv_ipc.MessageQueue(int(sys.argv[2]), max_message_size=int(sys.argv[3]))
    for payload, mtype in corpus(int(sys.argv[3])):
        out.send(payload, type=mtype)
    out.send(b"", type=1)
else:
    msgmax = int(sys.argv[3])
    inq = sysv_ipc.MessageQueue(int(sys.argv[1]), max_message_size=msgmax)
    out = sysv_ipc.MessageQueue(int(sys.argv[2]), max_message_size=msgmax)
    while True:
        message, mtype = inq.receive()
        out.send(message, type=mtype)
        if mtype == 1:
            break
