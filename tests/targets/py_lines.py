# SPDX-License-Identifier: MIT
# Python target for the source view (L): work() runs its own loop on
# SELF_LINE (twice the iterations) and calls helper() on CALL_LINE, whose
# loop is on HELPER_LINE. Prints "ready" once running.
def work():
    s = 0
    for i in range(200000): s += i * 7  # SELF_LINE
    s += helper(100000)  # CALL_LINE
    return s


def helper(n):
    t = 0
    for i in range(n): t += i  # HELPER_LINE
    return t


print("ready", flush=True)
while True:
    work()
