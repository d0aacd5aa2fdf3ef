"""numpy's side of the npy/npz interoperability tests (npy_test.cpp runs it).

    npz_interop.py check DIR   load what ctnn wrote in DIR with numpy and check every value
    npz_interop.py make DIR    write files with numpy for ctnn to read

Values follow expected(n) = (arange(n) % 97) * 0.125 - 6, exact in float32 and float64.
"""
import os
import sys

import numpy as np


def expected(n, dtype=np.float64):
    return ((np.arange(n) % 97) * 0.125 - 6).astype(dtype)


def check(d):
    z = np.load(os.path.join(d, "from_ctnn.npz"))
    assert list(z.keys()) == ["a", "b", "scalar", "ints", "bytes"], list(z.keys())
    a = z["a"]
    assert a.dtype == np.float32 and a.shape == (2, 3, 4), (a.dtype, a.shape)
    assert np.array_equal(a.ravel(), expected(24, np.float32))
    b = z["b"]
    assert b.dtype == np.float64 and b.shape == (7,) and np.array_equal(b, expected(7)), b
    s = z["scalar"]
    assert s.dtype == np.float64 and s.shape == () and s == 2.5, s
    i = z["ints"]
    assert i.dtype == np.int64 and list(i) == [-1, 0, 2**40], i
    u = z["bytes"]
    assert u.dtype == np.uint8 and np.array_equal(u, np.arange(256, dtype=np.uint8)), u
    n = np.load(os.path.join(d, "from_ctnn.npy"))
    assert n.dtype == np.float32 and n.shape == (2, 3, 4) and np.array_equal(n.ravel(), expected(24, np.float32))
    net = np.load(os.path.join(d, "net.npz"))
    assert list(net.keys()) == ["1.weight", "1.bias", "4.weight", "4.bias", "8.weight", "8.bias", "10.weight",
                                "10.bias"], list(net.keys())
    assert net["4.weight"].shape == (8, 4, 3, 3) and net["8.weight"].shape == (16, 32)
    total = sum(v.size for v in net.values())
    flat = np.concatenate([net[k].ravel() for k in net.keys()])
    assert np.array_equal(flat, expected(total, np.float32)), "network values"
    print("numpy read ctnn's files: OK")


def make(d):
    a = expected(24, np.float32).reshape(2, 3, 4)
    np.save(os.path.join(d, "v1.npy"), a)
    for version in [(2, 0), (3, 0)]:
        with open(os.path.join(d, f"v{version[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, a, version=version)
    np.save(os.path.join(d, "big_endian.npy"), expected(10, ">f8"))
    np.save(os.path.join(d, "fortran.npy"), np.asfortranarray(a))
    np.save(os.path.join(d, "int64.npy"), np.array([-1, 0, 2**40], dtype=np.int64))
    np.save(os.path.join(d, "uint8.npy"), np.arange(256, dtype=np.uint8))
    np.save(os.path.join(d, "bool.npy"), np.array([True, False]))
    np.savez_compressed(os.path.join(d, "compressed.npz"), long=expected(50000, np.float32), a=a,
                        ints=np.tile(np.arange(50, dtype=np.int32), 400))
    print("numpy wrote its files: OK")


if __name__ == "__main__":
    {"check": check, "make": make}[sys.argv[1]](sys.argv[2])
