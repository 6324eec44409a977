#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# ctop-demo.py: ctop-demo's toy trading backtest in Python, with the talk's
# two anti-patterns as Python code (a debug message formatted with "%"
# although debug logging is off, and os.path.isdir() of the data directory
# for every series loaded every simulated hour); --fixed removes both.
# Standard library only; runs on Python 3.6 and later.
import argparse
import functools
import logging
import os
import random
import signal
import sys
import time
from collections import deque
from itertools import islice

PROG = "ctop-demo.py"
N_ASSETS = 8        # coins in the portfolio
WINDOW = 168        # hours of prices kept per coin: a week
SHORT_MA = 24       # fast moving average, hours
NAMES = ("BTC", "ETH", "LTC", "XRP", "BCH", "EOS", "XLM", "ADA")
BAR_FIELDS = ("open", "high", "low", "close")   # one data series each

log = logging.getLogger("ctop-demo")


class Asset(object):
    """One coin: the last WINDOW closing prices (newest first), the latest
    hourly bar, both moving averages and the coins held."""
    __slots__ = ("name", "prices", "bar", "short_ma", "long_ma", "holding")

    def __init__(self, name, price):
        self.name = name
        self.prices = deque([price] * WINDOW, maxlen=WINDOW)
        self.bar = [price] * len(BAR_FIELDS)
        self.short_ma = self.long_ma = price
        self.holding = 0.0

    def __repr__(self):
        # Everything about the coin, with its last day of prices: what one
        # would like to see in a debug log, and costly to turn into text.
        return ("%s(hold %.8f value %.6f ma %.6f/%.6f spread %.6f "
                "bar %r day %r)" % (
                    self.name, self.holding, self.holding * self.bar[3],
                    self.short_ma, self.long_ma,
                    self.short_ma - self.long_ma, self.bar,
                    list(islice(self.prices, SHORT_MA))))


class Backtest(object):
    __slots__ = ("assets", "cash", "hour", "rng", "fixed", "data_dir")

    def __init__(self, fixed, data_dir):
        self.assets = [Asset(n, 100.0 * (i + 1)) for i, n in enumerate(NAMES)]
        self.cash = 10000.0
        self.hour = 0
        self.rng = random.Random(0x9e3779b97f4a7c15)  # reproducible market
        self.fixed = fixed
        self.data_dir = data_dir


# ---------------------------------------------------------------------------
# The market: a reproducible random walk per coin
# ---------------------------------------------------------------------------

def load_bar_field(bt, asset, field):
    """One field of the coin's next hourly bar, read from its data series
    (simulated: a random walk around the last close)."""
    step = (bt.rng.random() - 0.5) * 0.02
    return asset.prices[0] * (1.0 + step)


def update_moving_average(asset):
    """Real but cheap work: both averages over the window."""
    asset.short_ma = sum(islice(asset.prices, SHORT_MA)) / SHORT_MA
    asset.long_ma = sum(asset.prices) / WINDOW


def strategy_step(bt, asset, price):
    """Moving-average crossover: hold a coin while its fast average is above
    the slow one, with a small fee per trade."""
    want = asset.short_ma > asset.long_ma * 1.001
    budget = bt.cash / N_ASSETS
    if want and asset.holding == 0 and budget > 1.0:
        asset.holding = budget * 0.999 / price
        bt.cash -= budget
    elif not want and asset.holding > 0:
        bt.cash += asset.holding * price * 0.999
        asset.holding = 0.0


# ---------------------------------------------------------------------------
# Anti-pattern 1: a debug message formatted whatever the log level
# ---------------------------------------------------------------------------

def log_debug(bt):
    """The slow version formats the whole portfolio with "%" before logging
    looks at the level (redo's retry() in the talk), and logging drops the
    text: debug is off. --fixed passes the arguments to log.debug(), which
    formats them only if the message is emitted."""
    if bt.fixed:
        log.debug("hour %d cash %.6f: %s", bt.hour, bt.cash, bt.assets)
    else:
        log.debug("hour %d cash %.6f: %s" % (bt.hour, bt.cash, bt.assets))


# ---------------------------------------------------------------------------
# Anti-pattern 2: the data directory checked on every access
# ---------------------------------------------------------------------------

def data_dir_exists(path):
    return os.path.isdir(path)


# The talk's fix: functools.lru_cache remembers the answer.
cached_data_dir_exists = functools.lru_cache(maxsize=None)(data_dir_exists)


def get_data_dir(bt):
    """Where a coin's hourly data lives. The slow version asks the
    filesystem every time (catalyst's get_exchange_folder() in the talk);
    --fixed asks once."""
    if bt.fixed:
        return cached_data_dir_exists(bt.data_dir)
    return data_dir_exists(bt.data_dir)


# ---------------------------------------------------------------------------
# The backtest
# ---------------------------------------------------------------------------

class DataDirGone(Exception):
    pass


def load_hour_prices(bt):
    for asset in bt.assets:
        for field in range(len(BAR_FIELDS)):
            if not get_data_dir(bt):
                raise DataDirGone(bt.data_dir)
            asset.bar[field] = load_bar_field(bt, asset, field)
        asset.prices.appendleft(asset.bar[3])


def simulate_hour(bt):
    load_hour_prices(bt)
    for asset in bt.assets:
        update_moving_average(asset)
        strategy_step(bt, asset, asset.prices[0])
    log_debug(bt)
    bt.hour += 1


def portfolio_value(bt):
    return bt.cash + sum(a.holding * a.prices[0] for a in bt.assets)


stop_requested = []     # non-empty once SIGINT or SIGTERM came


def on_signal(signum, frame):
    stop_requested.append(signum)


def backtest_run(bt, hours):
    """Runs until `hours` are simulated (0: until a signal), prints the
    result line and returns the exit status: 0, or 1 when the data
    directory vanished. The rate is per second of the process's CPU time,
    so that a busy machine does not change it much."""
    start = time.process_time()
    rc = 0
    try:
        while not stop_requested and (hours == 0 or bt.hour < hours):
            simulate_hour(bt)
    except DataDirGone:
        sys.stderr.write("%s: data directory %s is gone: No such file or "
                         "directory (pass --data-dir)\n" % (PROG, bt.data_dir))
        rc = 1
    secs = time.process_time() - start
    print("%s: %d hours simulated, final capital %.2f, %.0f hours/s (%s)" % (
        PROG, bt.hour, portfolio_value(bt),
        bt.hour / secs if secs > 0 else 0.0,
        "fixed" if bt.fixed else "unfixed"))
    sys.stdout.flush()
    return rc


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("%s: %s (see %s --help)\n" % (PROG, message, PROG))
        sys.exit(2)


def positive_int(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n <= 0:
        raise argparse.ArgumentTypeError("need a positive integer")
    return n


def parse_args(argv):
    p = Parser(prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
               description="A toy crypto backtest that is slow for two "
               "classic reasons,\nfor trying out a sampling profiler such as "
               "ctop-prof:\nctop-prof -- python3 ctop-demo.py",
               epilog="Prints one line at the end (or on SIGINT/SIGTERM): "
               "hours simulated,\nfinal capital, hours per second of CPU "
               "time.\nExit status: 0 done, 1 data directory missing, 2 "
               "usage error.")
    p.add_argument("--hours", type=positive_int, default=0, metavar="N",
                   help="simulate N hours (default: until interrupted)")
    p.add_argument("--fixed", action="store_true",
                   help="format the debug message only when it is logged "
                   "and check the data directory only once")
    p.add_argument("--data-dir", default=".", metavar="DIR",
                   help="directory of the price data (default: .)")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    bt = Backtest(args.fixed, args.data_dir)
    # Asked as the backtest asks: with --fixed the answer is kept from here.
    if not get_data_dir(bt):
        sys.stderr.write("%s: data directory %s: not a directory (pass "
                         "--data-dir)\n" % (PROG, args.data_dir))
        return 1
    logging.basicConfig(level=logging.INFO, format=PROG + ": %(message)s")
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return backtest_run(bt, args.hours)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
