#!/usr/bin/env python3
"""Piece lists (cascade-pieces-v1) for the relay tests, independent of the C code.

  pieces.py list IMAGE [PIECE_SIZE]     prints the list
  pieces.py digest IMAGE [PIECE_SIZE]   prints the SHA-256 of the list (X_CASCADE_ImagePiecesSHA256)
  pieces.py feed IMAGE OUT RATE [FROM] [CORRUPT_OFFSET]
        appends IMAGE's bytes from FROM (default 0) to OUT at RATE bytes/s in 64 KiB
        writes, flipping the byte at CORRUPT_OFFSET when given (a bad piece as it lands)
"""
import hashlib
import sys
import time


def piece_list(path, piece_size):
    with open(path, "rb") as image:
        data = image.read()
    lines = ["cascade-pieces-v1", "size=%d" % len(data), "piece_size=%d" % piece_size,
             "sha256=" + hashlib.sha256(data).hexdigest()]
    lines += [hashlib.sha256(data[i:i + piece_size]).hexdigest() for i in range(0, len(data), piece_size)]
    return ("\n".join(lines) + "\n").encode()


def feed(image_path, out_path, rate, start=0, corrupt=-1):
    with open(image_path, "rb") as image:
        data = bytearray(image.read())
    if 0 <= corrupt < len(data):
        data[corrupt] ^= 0xFF
    began = time.monotonic()
    with open(out_path, "r+b") as out:
        position = start
        while position < len(data):
            chunk = data[position:position + 65536]
            out.seek(position)
            out.write(chunk)
            out.flush()
            position += len(chunk)
            due = began + (position - start) / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)


def main():
    command, path = sys.argv[1], sys.argv[2]
    if command in ("list", "digest"):
        piece_size = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 20
        text = piece_list(path, piece_size)
        if command == "list":
            sys.stdout.buffer.write(text)
        else:
            print(hashlib.sha256(text).hexdigest())
    elif command == "feed":
        feed(path, sys.argv[3], float(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 0,
             int(sys.argv[6]) if len(sys.argv) > 6 else -1)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
