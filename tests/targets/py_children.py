# SPDX-License-Identifier: MIT
# Python in child processes, for --children: the parent forks two
# workers (multiprocessing, fork start method) that burn A and A/2
# seconds of CPU (argv[1], default 2) in work_a() and work_b(), and
# starts a new interpreter (subprocess, fork + exec) that burns A/2 in
# work_c(); the parent itself only waits. Each process's own Python
# frames must be under its own process frame. Prints "done" at the end.
import multiprocessing
import subprocess
import sys
import time


def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        sum(i * i for i in range(1000))


def work_a(seconds):
    burn(seconds)


def work_b(seconds):
    burn(seconds)


def work_c(seconds):
    burn(seconds)


def main(secs):
    ctx = multiprocessing.get_context("fork")
    a = ctx.Process(target=work_a, args=(secs,))
    b = ctx.Process(target=work_b, args=(secs / 2,))
    c = subprocess.Popen([sys.executable, __file__, "c", str(secs / 2)])
    a.start()
    b.start()
    a.join()
    b.join()
    c.wait()
    print("done", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "c":
        work_c(float(sys.argv[2]))
    else:
        main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
