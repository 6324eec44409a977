# SPDX-License-Identifier: MIT
# multiprocessing.Pool(2): two worker processes each burn 1.5 s of CPU
# (about 750 samples at 499 Hz); the parent only waits. For the
# --children tests of both backends.
import multiprocessing
import time


def burn(s):
    end = time.process_time() + s
    while time.process_time() < end:
        sum(i * i for i in range(1000))
    return s


if __name__ == "__main__":
    with multiprocessing.Pool(2) as p:
        print(p.map(burn, [1.5, 1.5]))
