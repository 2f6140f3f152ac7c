#!/usr/bin/env python3
"""A seed corpus kept as one text file, an input per line in hex, instead of
hundreds of small binary files.
  corpus_hex.py pack DIR FILE     every file of DIR, sorted by content
  corpus_hex.py unpack FILE DIR   one file per line, named by its line number
"""
import os
import sys


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("pack", "unpack"):
        sys.exit(__doc__)
    verb, src, dst = sys.argv[1:]
    if verb == "pack":
        inputs = []
        for name in os.listdir(src):
            with open(os.path.join(src, name), "rb") as f:
                inputs.append(f.read())
        with open(dst, "w") as f:
            for data in sorted(set(inputs)):
                f.write(data.hex() + "\n")
    else:
        os.makedirs(dst, exist_ok=True)
        with open(src) as f:
            for n, line in enumerate(f):
                with open(os.path.join(dst, f"seed-{n:05d}"), "wb") as out:
                    out.write(bytes.fromhex(line.strip()))


if __name__ == "__main__":
    main()
