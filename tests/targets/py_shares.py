# SPDX-License-Identifier: MIT
# Known shares by construction: one() and three() run the same loop body,
# three() three times as many iterations, so three() gets 75% of the CPU
# time spent in either. Prints "ready" once running; runs argv[1] seconds.
import sys
import time


def body(n):
    # Small ints only: every iteration costs the same (i * i would pass
    # 2**30 in three() alone and take CPython's slower multi-digit path).
    s = 0
    for i in range(n):
        s = (s + i * 3) & 0xffff
    return s


def one():
    return body(60000)


def three():
    return body(180000)


def main(secs):
    end = time.monotonic() + secs
    print("ready", flush=True)
    while time.monotonic() < end:
        one()
        three()


main(float(sys.argv[1]))
