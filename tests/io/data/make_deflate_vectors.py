#!/usr/bin/env python3
"""Writes the raw DEFLATE streams of tests/io/data/deflate/ with zlib (run with Debian's
/usr/bin/python3 from the repository root). Each stream is checked to contain the block
types its name promises; manifest.txt lists name, decoded size and CRC-32 of the decoded
bytes, which inflate_test compares against. Regenerate only on purpose."""
import os
import random
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "deflate")


def text(n, seed):
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(300)]
    out = bytearray()
    while len(out) < n:
        out += rng.choice(words) + (b"\n" if rng.random() < 0.1 else b" ")
    return bytes(out[:n])


def noise(n, seed):
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(n))


def far_repeats(seed):
    # A 3000-byte chunk of noise, 28000 other bytes, then the chunk again: one match at a
    # distance near the 32 KiB window limit (distance codes 28 and 29).
    chunk = noise(3000, seed)
    return chunk + text(28000, seed + 1) + chunk + chunk[:500]


def deflate(data, level=9, mem_level=8, strategy=zlib.Z_DEFAULT_STRATEGY):
    c = zlib.compressobj(level, zlib.DEFLATED, -15, mem_level, strategy)
    return c.compress(data) + c.flush()


def first_block_type(stream):
    return (stream[0] >> 1) & 3  # bits 1-2 of the first byte (bit 0 is BFINAL)


VECTORS = [
    # name, data, options, expected first block type
    ("stored", noise(2000, 1), dict(level=0), 0),  # (multi-block stored streams are built in the test)
    ("fixed_short", b"ctnn " * 12 + b"reads deflate\n", {}, 1),
    ("fixed_matches", text(20000, 2), dict(strategy=zlib.Z_FIXED), 1),
    ("dynamic_text", text(24000, 3), {}, 2),
    ("dynamic_many_blocks", text(20000, 4), dict(mem_level=1), 2),  # small buffers: many blocks
    ("dynamic_far", far_repeats(5), {}, 2),
    ("rle", b"\0" * 5000 + bytes(range(256)) * 4 + b"\xff" * 3000, dict(strategy=zlib.Z_RLE), 2),
    ("huffman_only", noise(3000, 6) + text(3000, 7), dict(strategy=zlib.Z_HUFFMAN_ONLY), 2),
    ("empty", b"", {}, 1),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = []
    for name, data, options, first_type in VECTORS:
        stream = deflate(data, **options)
        assert zlib.decompress(stream, -15) == data
        assert first_block_type(stream) == first_type, (name, first_block_type(stream))
        with open(os.path.join(OUT, name + ".deflate"), "wb") as f:
            f.write(stream)
        lines.append(f"{name} {len(data)} {zlib.crc32(data):08x}")
        print(f"{name}: {len(data)} -> {len(stream)} bytes")
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
