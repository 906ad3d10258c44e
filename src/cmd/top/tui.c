// SPDX-License-Identifier: GPL-2.0
/*
 * tui.c - the full screen of `pfnmap top` (ncurses), and keeping the
 * terminal sane.
 *
 * The terminal is never left broken: tui_end() runs on every way out
 * (normal exit, q, -n, SIGINT/SIGTERM/SIGHUP which only set a flag, an
 * error, atexit), and a fatal signal writes the saved reset sequence and
 * restores the saved termios before dying.
 */
#define _GNU_SOURCE
#include <curses.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "hist_print.h"
#include "top.h"
#include "view.h"


/* The terminal, and signals */

static volatile sig_atomic_t stop;	/* SIGINT, SIGTERM, SIGHUP */
static volatile sig_atomic_t tui_active;
static struct termios saved_tios;
static bool have_tios;
static char reset_seq[256];
static size_t reset_len;
static SCREEN *screen;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

bool top_signalled(void)
{
	return stop;
}

void tui_end(void)
{
	if (!tui_active)
		return;
	tui_active = 0;
	endwin();
	fflush(stdout);
	delscreen(screen);
	screen = NULL;
}

/* Async-signal-safe: what endwin() would do, from saved bytes. */
static void on_fatal(int sig)
{
	if (tui_active) {
		if (reset_len && write(STDOUT_FILENO, reset_seq, reset_len) < 0)
			reset_len = 0;
		if (have_tios)
			tcsetattr(STDOUT_FILENO, TCSANOW, &saved_tios);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void reset_add(const char *cap)
{
	const char *s = tigetstr(cap);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (reset_len + n < sizeof(reset_seq)) {
		memcpy(reset_seq + reset_len, s, n);
		reset_len += n;
	}
}

void top_signals_init(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa = { .sa_handler = on_signal };
	size_t i;

	/* Before newterm(): ncurses then keeps ours instead of its own. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed pipe in batch mode is a write error, handled as such. */
	signal(SIGPIPE, SIG_IGN);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

int tui_begin(void)
{
	const char *term = getenv("TERM");

	have_tios = !tcgetattr(STDOUT_FILENO, &saved_tios);
	screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		fprintf(stderr, "pfnmap top: cannot drive terminal '%s' (use -b for batch mode)\n",
			term ? term : "");
		return -1;
	}
	tui_active = 1;
	atexit(tui_end);
	if (!tigetstr("cup") || tigetstr("cup") == (char *)-1) {
		tui_end();
		fprintf(stderr, "pfnmap top: terminal '%s' cannot move the cursor (use -b for batch mode)\n",
			term ? term : "");
		return -1;
	}
	reset_add("rmcup");
	reset_add("cnorm");
	reset_add("sgr0");
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	return 0;
}

/* The histogram: log2 slots of ns, as `report --hist` prints them */

struct log2_hist {
	__u64	slot[LOG2_SLOTS];
	int	lo, hi;		/* first, last slot in use; hi < lo: empty */
};

/* Fills *l for the selected row; the lines its drawing takes. */
static int hist_lines(struct top *t, struct log2_hist *l)
{
	const struct agg_stats *st = model_hist_stats(&t->m);
	int i;

	l->lo = LOG2_SLOTS;
	l->hi = -1;
	if (!st || !st->lat.count)
		return 2;
	log2_slots(&st->lat, l->slot);
	for (i = 0; i < LOG2_SLOTS; i++) {
		if (!l->slot[i])
			continue;
		if (i < l->lo)
			l->lo = i;
		l->hi = i;
	}
	return 3 + l->hi - l->lo;
}

/* "latency of pid 1234 ...: 1629 ops in 1.8s, p50 ...", over every slot. */
static void hist_title(struct top *t, struct top_out *o,
		       const struct agg_stats *st)
{
	char desc[PATH_MAX + 64], p50[16], p99[16], mx[16], secs[32];

	top_key_desc(t, &st->key, desc, sizeof(desc));
	fmt_ns(p50, sizeof(p50), hist_percentile(&st->lat, 50));
	fmt_ns(p99, sizeof(p99), hist_percentile(&st->lat, 99));
	fmt_ns(mx, sizeof(mx), st->lat.max);
	top_fmt_secs(secs, sizeof(secs), now_ns() - t->m.cum_start);
	top_put(o, TOP_A_BOLD, "latency of %s: %llu ops in %s, p50 %s p99 %s max %s",
		desc, (unsigned long long)st->lat.count, secs, p50, p99, mx);
}

static void hist_put_line(void *ctx, const char *line)
{
	top_put(ctx, TOP_A_NORMAL, "%s", line);
}

static void hist_draw(struct top *t, struct top_out *o,
		      const struct log2_hist *l)
{
	const struct agg_stats *st = model_hist_stats(&t->m);

	if (!st || l->hi < 0) {
		top_put(o, TOP_A_BOLD, "latency histogram: no row selected (Up/Down select one)");
		top_put(o, TOP_A_NORMAL, "");
		return;
	}
	hist_title(t, o, st);
	log2_hist_print("nsecs", l->slot, LOG2_SLOTS, 0, hist_put_line, o);
}

/* The screen */

static const int attrs[] = {
	[TOP_A_NORMAL]	= A_NORMAL,
	[TOP_A_BOLD]	= A_BOLD,
	[TOP_A_REVERSE]	= A_REVERSE,
};

/* The sink of text.c's lines: one screen line each, cut at the width. */
static bool screen_line(struct top_out *o, enum top_attr a, const char *s)
{
	if (o->y >= o->ymax)
		return false;
	attrset(attrs[a]);
	mvaddnstr(o->y++, 0, s, COLS);
	attrset(A_NORMAL);
	return true;
}

static void draw_table(struct top *t, struct top_out *o, int rows)
{
	const struct top_model *m = &t->m;
	char buf[1024];
	int x = 0, w = 0, i;

	top_title_line(t, buf, sizeof(buf), &x, &w);
	if (top_put(o, TOP_A_REVERSE, "%-*s", COLS, buf))
		mvchgat(o->y - 1, x, w, A_REVERSE | A_BOLD | A_UNDERLINE, 0,
			NULL);
	model_scroll(&t->m, rows);
	for (i = m->first; i < (int)m->nrows && i < m->first + rows; i++) {
		top_row_line(t, &m->rows[i], i == m->sel, buf, sizeof(buf));
		top_put(o, i == m->sel ? TOP_A_REVERSE : TOP_A_NORMAL, "%-*s",
			i == m->sel ? COLS : 0, buf);
	}
	if (!m->nrows)
		top_put(o, TOP_A_NORMAL, " %s", m->shown_ns ?
			"no operations in the last interval" :
			"collecting: rows come with the first refresh");
}

void tui_draw(struct top *t)
{
	struct top_out o = { .line = screen_line, .ymax = LINES - 1 };
	struct log2_hist l;
	int hist = 0;

	model_resize(&t->m, LINES, COLS);
	erase();
	top_header(t, &o);
	top_put(&o, TOP_A_BOLD, "%s", t->m.msg);
	if (t->m.hist) {
		/* The histogram and a blank line before it; the table keeps half. */
		hist = hist_lines(t, &l) + 1;
		if (hist > (o.ymax - o.y) / 2)
			hist = (o.ymax - o.y) / 2;
	}
	o.ymax -= hist;
	draw_table(t, &o, o.ymax - o.y - 1);
	if (t->m.hist) {
		o.ymax += hist;
		top_put(&o, TOP_A_NORMAL, "");
		hist_draw(t, &o, &l);
	}
	attrset(A_REVERSE);
	mvaddnstr(LINES - 1, 0, " q quit  s < > sort  g group  p pause  h histogram  Up/Down select", COLS);
	attrset(A_NORMAL);
	refresh();
}

/* Keys */

/* ncurses' codes to the model's; other keys are the same in both. */
static int model_key_of(int ch)
{
	switch (ch) {
	case KEY_UP:
		return MODEL_KEY_UP;
	case KEY_DOWN:
		return MODEL_KEY_DOWN;
	case KEY_PPAGE:
		return MODEL_KEY_PPAGE;
	case KEY_NPAGE:
		return MODEL_KEY_NPAGE;
	case KEY_HOME:
		return MODEL_KEY_HOME;
	case KEY_END:
		return MODEL_KEY_END;
	}
	return ch;
}

void tui_read_keys(struct top *t)
{
	bool any = false;
	int ch, err;

	/* Pages are half the screen: the size it has now. */
	model_resize(&t->m, LINES, COLS);
	while ((ch = getch()) != ERR) {
		err = model_key(&t->m, model_key_of(ch));
		if (err)
			top_fail(t, err, "regrouping");
		any = true;
	}
	if (any && !t->m.quit)
		tui_draw(t);
}
