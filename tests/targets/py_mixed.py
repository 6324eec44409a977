# SPDX-License-Identifier: MIT
# Python stacks of every kind: deep recursion (50 frames), a second thread
# with its own frames, a C extension call (hashlib) whose native time
# belongs under the calling Python frame, exec'd code named <generated>,
# and a generator whose frame (owned by the generator object, not on the
# thread's frame stack) sits under the frame that resumes it. Prints "ready" once running; runs argv[1] seconds.
import hashlib
import sys
import threading
import time


def spin(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def recurse(n):
    if n == 0:
        return spin(20000)
    return recurse(n - 1)


def hasher():
    # Under 2 KiB hashlib keeps the GIL: larger data would release it 20
    # times a round, and each time the side thread holds it for the whole
    # switch interval (5 ms), leaving main a few percent of the run (a
    # CI run once had no sample of generated()).
    data = b"x" * 2000
    for _ in range(400):
        hashlib.sha256(data).digest()


def squares(n):
    for i in range(n):
        yield i * i


def consume():
    total = 0
    for v in squares(30000):
        total += v
    return total


def side_body():
    spin(30000)


def side(end):
    while time.monotonic() < end:
        side_body()


exec(compile("def generated():\n    return spin(30000)\n", "<generated>",
             "exec"))


def main(secs):
    end = time.monotonic() + secs
    t = threading.Thread(target=side, args=(end,), name="pyside")
    t.start()
    print("ready", flush=True)
    while time.monotonic() < end:
        recurse(50)
        hasher()
        generated()
        consume()
    t.join()


main(float(sys.argv[1]))
