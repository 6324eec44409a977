/* SPDX-License-Identifier: MIT */
/* ctop-demo: a toy trading backtest with two classic performance
 * anti-patterns (eager formatting of a disabled debug log message, and a
 * filesystem check of the data directory every simulated hour) for
 * showing what a sampling profiler finds; --fixed removes both. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctop/util.h"

/* Keep the interesting functions out of line and unspecialised, so a
 * profile names them as written (no .isra/.constprop suffixes). */
#define DEMO_FRAME __attribute__((noinline, noclone))

#define N_ASSETS	8	/* coins in the portfolio */
#define WINDOW		168	/* hours of prices kept per coin: a week */
#define SHORT_MA	24	/* fast moving average, hours */
#define LONG_MA		WINDOW	/* slow moving average, hours */
#define LOG_BUF_SIZE	4096

enum log_level { LOG_ERROR, LOG_INFO, LOG_DEBUG };

/* One hourly bar: open, high, low, close, each its own data series. */
enum bar_field { BAR_OPEN, BAR_HIGH, BAR_LOW, BAR_CLOSE, BAR_FIELDS };

struct asset {
	char name[8];
	double prices[WINDOW];	/* ring of the last WINDOW closing prices */
	double bar[BAR_FIELDS];	/* the latest hour */
	double short_ma;
	double long_ma;
	double holding;		/* coins held */
};

struct backtest {
	struct asset assets[N_ASSETS];
	double cash;
	long hour;		/* hours simulated so far */
	uint64_t rng;
	bool fixed;		/* the two remedies on */
	const char *data_dir;
	int dir_cached;		/* --fixed: -1 unknown, else the answer */
	enum log_level level;
	char log_buf[LOG_BUF_SIZE];
};

static volatile sig_atomic_t demo_stop;

static void
on_signal(int sig)
{
	(void)sig;
	demo_stop = 1;
}

/* ------------------------------------------------------------------------
 * The market: a reproducible random walk per coin
 * ------------------------------------------------------------------------ */

static double
rng_uniform(uint64_t *s)
{
	/* xorshift64*: fast and good enough for a toy market. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (double)((*s * 2685821657736338717ULL) >> 11) * 0x1.0p-53;
}

/* One field of the coin's next hourly bar, read from its data series
 * (simulated: a random walk around the last close). */
static DEMO_FRAME double
load_bar_field(struct backtest *bt, const struct asset *a,
    enum bar_field field)
{
	double last = a->prices[(bt->hour + WINDOW - 1) % WINDOW];
	double step = (rng_uniform(&bt->rng) - 0.5) * 0.02;

	(void)field;
	return last * (1.0 + step);
}

/* Real but cheap work: both averages are recomputed over the window. */
static DEMO_FRAME void
update_moving_average(struct asset *a, long hour)
{
	double s = 0, l = 0;

	for (int i = 0; i < LONG_MA; i++) {
		double p = a->prices[(hour - i + WINDOW) % WINDOW];

		if (i < SHORT_MA)
			s += p;
		l += p;
	}
	a->short_ma = s / SHORT_MA;
	a->long_ma = l / LONG_MA;
}

/* Moving-average crossover: hold a coin while its fast average is above
 * the slow one, with a small fee per trade. */
static DEMO_FRAME void
strategy_step(struct backtest *bt, struct asset *a, double price)
{
	bool want = a->short_ma > a->long_ma * 1.001;
	double budget = bt->cash / N_ASSETS;

	if (want && a->holding == 0 && budget > 1.0) {
		a->holding = budget * 0.999 / price;
		bt->cash -= budget;
	} else if (!want && a->holding > 0) {
		bt->cash += a->holding * price * 0.999;
		a->holding = 0;
	}
}

/* ------------------------------------------------------------------------
 * Anti-pattern 1: a debug message formatted whatever the log level
 * ------------------------------------------------------------------------ */

/* The whole state of the portfolio as text: a dozen %f per coin. */
static DEMO_FRAME const char *
format_portfolio(struct backtest *bt)
{
	char *p = bt->log_buf, *end = bt->log_buf + sizeof bt->log_buf;

	p += snprintf(p, (size_t)(end - p), "hour %ld cash %.6f:", bt->hour,
	    bt->cash);
	for (int i = 0; i < N_ASSETS && p < end; i++) {
		const struct asset *a = &bt->assets[i];

		p += snprintf(p, (size_t)(end - p), " %s(hold %.8f value "
		    "%.6f ma %.6f/%.6f spread %.6f bar %.6f %.6f %.6f %.6f)",
		    a->name, a->holding, a->holding * a->bar[BAR_CLOSE],
		    a->short_ma, a->long_ma, a->short_ma - a->long_ma,
		    a->bar[BAR_OPEN], a->bar[BAR_HIGH], a->bar[BAR_LOW],
		    a->bar[BAR_CLOSE]);
	}
	return bt->log_buf;
}

/* The slow version formats first and looks at the level after, like
 * logging.debug("..." % args) in the talk; --fixed checks the level
 * first, like logging.debug("...", args). */
static DEMO_FRAME void
log_debug(struct backtest *bt)
{
	const char *msg;

	if (bt->fixed && bt->level < LOG_DEBUG)
		return;
	msg = format_portfolio(bt);
	if (bt->level < LOG_DEBUG)
		return;
	fprintf(stderr, "debug: %s\n", msg);
}

/* ------------------------------------------------------------------------
 * Anti-pattern 2: the data directory checked on every access
 * ------------------------------------------------------------------------ */

static DEMO_FRAME bool
data_dir_exists(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where a coin's hourly data lives. The slow version asks the filesystem
 * every time (ensure_directory in the talk); --fixed asks once and keeps
 * the answer (functools.lru_cache). */
static DEMO_FRAME bool
get_data_dir(struct backtest *bt)
{
	if (!bt->fixed)
		return data_dir_exists(bt->data_dir);
	if (bt->dir_cached < 0)
		bt->dir_cached = data_dir_exists(bt->data_dir);
	return bt->dir_cached;
}

/* ------------------------------------------------------------------------
 * The backtest
 * ------------------------------------------------------------------------ */

static DEMO_FRAME int
load_hour_prices(struct backtest *bt)
{
	for (int i = 0; i < N_ASSETS; i++) {
		struct asset *a = &bt->assets[i];

		for (int f = 0; f < BAR_FIELDS; f++) {
			if (!get_data_dir(bt))
				return -ENOENT;
			a->bar[f] = load_bar_field(bt, a, f);
		}
		a->prices[bt->hour % WINDOW] = a->bar[BAR_CLOSE];
	}
	return 0;
}

static DEMO_FRAME int
simulate_hour(struct backtest *bt)
{
	if (load_hour_prices(bt) < 0)
		return -ENOENT;
	for (int i = 0; i < N_ASSETS; i++) {
		struct asset *a = &bt->assets[i];

		update_moving_average(a, bt->hour);
		strategy_step(bt, a, a->prices[bt->hour % WINDOW]);
	}
	log_debug(bt);
	bt->hour++;
	return 0;
}

static double
portfolio_value(const struct backtest *bt)
{
	double v = bt->cash;

	for (int i = 0; i < N_ASSETS; i++) {
		const struct asset *a = &bt->assets[i];

		v += a->holding * a->prices[(bt->hour + WINDOW - 1) % WINDOW];
	}
	return v;
}

static void
backtest_init(struct backtest *bt, bool fixed, const char *data_dir)
{
	static const char *const names[N_ASSETS] = {
		"BTC", "ETH", "LTC", "XRP", "BCH", "EOS", "XLM", "ADA",
	};

	memset(bt, 0, sizeof *bt);
	bt->cash = 10000.0;
	bt->rng = 0x9e3779b97f4a7c15ULL;
	bt->fixed = fixed;
	bt->data_dir = data_dir;
	bt->dir_cached = -1;
	bt->level = LOG_INFO;
	for (int i = 0; i < N_ASSETS; i++) {
		struct asset *a = &bt->assets[i];

		snprintf(a->name, sizeof a->name, "%s", names[i]);
		for (int k = 0; k < WINDOW; k++)
			a->prices[k] = 100.0 * (i + 1);
	}
}

/* Runs until `hours` are simulated (0 = until a signal). Returns 0, or 1
 * when the data directory vanished. */
static DEMO_FRAME int
backtest_run(struct backtest *bt, long hours)
{
	double start = util_now_s(), secs;
	int rc = 0;

	while (!demo_stop && (hours == 0 || bt->hour < hours)) {
		if (simulate_hour(bt) < 0) {
			fprintf(stderr, "ctop-demo: data directory %s is gone: "
			    "%s (pass --data-dir)\n", bt->data_dir,
			    strerror(ENOENT));
			rc = 1;
			break;
		}
	}
	secs = util_now_s() - start;
	printf("ctop-demo: %ld hours simulated, final capital %.2f, "
	    "%.0f hours/s (%s)\n", bt->hour, portfolio_value(bt),
	    secs > 0 ? bt->hour / secs : 0.0, bt->fixed ? "fixed" : "unfixed");
	fflush(stdout);
	return rc;
}

/* ------------------------------------------------------------------------
 * Command line
 * ------------------------------------------------------------------------ */

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: ctop-demo [--hours N] [--fixed] [--data-dir DIR]\n"
	    "A toy crypto backtest that is slow for two classic reasons,\n"
	    "for trying out a sampling profiler such as ctop-prof.\n"
	    "\n"
	    "  --hours N       simulate N hours (default: until interrupted)\n"
	    "  --fixed         check the log level before formatting and\n"
	    "                  check the data directory only once\n"
	    "  --data-dir DIR  directory of the price data (default: .)\n"
	    "  -h, --help      show this help\n"
	    "\n"
	    "Prints one line at the end (or on SIGINT/SIGTERM): hours\n"
	    "simulated, final capital, hours per second.\n"
	    "Exit status: 0 done, 1 data directory missing, 2 usage error.\n");
}

static void
usage_error(const char *what)
{
	fprintf(stderr, "ctop-demo: %s (see ctop-demo --help)\n", what);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "hours", required_argument, NULL, 'H' },
		{ "fixed", no_argument, NULL, 'f' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct backtest bt;
	const char *data_dir = ".";
	bool fixed = false;
	long hours = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			errno = 0;
			hours = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || hours <= 0)
				usage_error("bad --hours: need a positive "
				    "integer");
			break;
		case 'f':
			fixed = true;
			break;
		case 'D':
			data_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage_error("bad option");
		}
	}
	if (optind < argc)
		usage_error("unexpected argument");
	if (!data_dir_exists(data_dir)) {
		fprintf(stderr, "ctop-demo: data directory %s: not a "
		    "directory (pass --data-dir)\n", data_dir);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	backtest_init(&bt, fixed, data_dir);
	return backtest_run(&bt, hours);
}
