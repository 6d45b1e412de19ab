/*
 * pool.c - bsclassify -j N: worker processes that share one engine.
 */
#define _POSIX_C_SOURCE 200809L

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bsclass.h"
#include "pool.h"

/*
 * With -j N > 1 the parent forks N workers after building the engine, so
 * that they share it copy-on-write (processes, not threads: GMime makes
 * every header a GObject, and GLib's global locks keep two threads from
 * scaling; research/PERF.md).  The parent goes on reading the inputs as
 * with -j 1; it numbers every record it owes (messages and error records
 * alike) and hands each message to a worker.  A worker classifies it and
 * sends back the finished record text and its verdict over a pipe; the
 * parent writes records strictly in input order.
 *
 * Each worker has a ring of WORKER_MAX_BYTES shared with the parent
 * (mapped before the fork; read-only in the worker).  The parent copies a
 * message into it once and sends only a small task over the worker's
 * pipe: number, file name, and where the message is in the ring; the
 * worker classifies it where it lies.  Through a pipe every message would
 * be copied three times (into a frame kept for re-dispatch, into the pipe,
 * out of it), and the parent is one of the N + 1 processes sharing the
 * CPUs.  A worker finishes its tasks in the order it was sent them, so the
 * ring is a FIFO: a message's bytes are free again once its record is
 * back.  A message that has no place in a ring (an empty one, or one
 * larger than the ring) goes in the task itself, over the pipe.
 *
 * Memory stays bounded whatever the size of the input: a worker is sent at
 * most WORKER_MAX_TASKS messages or WORKER_MAX_BYTES bytes ahead (always at
 * least one message), and records are numbered no further than
 * pool.window ahead of the next record to write, so the reorder buffer
 * holds at most that many.  The parent never blocks on a worker's pipe
 * (non-blocking pipes and poll()), so neither side can wait on the other
 * for ever.
 *
 * A message stays in the parent (in the ring, or in its task) until its
 * record comes back.  When a worker dies, the message it was working on
 * (the oldest it was sent) gets an error record "worker died: signal N";
 * the others it had been sent go to the remaining workers, copied from the
 * dead one's ring (which the parent keeps mapped) to theirs.  Without
 * workers left the run stops (exit 2) after an error record for every
 * message still owed.
 */

#define WORKER_MAX_TASKS 64U
#define WORKER_MAX_BYTES (4UL * 1024 * 1024)
#define WORKER_BATCH_RECORDS 16U	/* a worker sends its records in batches ... */
#define WORKER_BATCH_BYTES (64U * 1024)	/* ... unless it has nothing else to do */
#define READ_BYTES (256U * 1024)
#define RECORD_ERROR (-1)		/* a result that is an error record */
#define DATA_FOLLOWS UINT64_MAX		/* task_head.data_off: not in the ring */
#define NO_RING SIZE_MAX		/* task.off: the same; ring_place(): no room */

/*
 * Before each task on a worker's pipe; the file name (with its NUL)
 * follows, then the message when it is not in the worker's ring.
 */
typedef struct task_head {
	uint64_t seq;
	uint64_t file_len;
	uint64_t data_len;
	uint64_t data_off;	/* of the message in the ring, or DATA_FOLLOWS */
	int64_t index;
} task_head_t;

/* Before each record on a worker's result pipe; the record text follows. */
typedef struct result_head {
	uint64_t seq;
	uint64_t text_len;
	int64_t verdict;	/* a bsc_verdict_t, or RECORD_ERROR */
} result_head_t;

/* A growable byte buffer with a read position. */
typedef struct buf {
	char *data;
	size_t pos, len, alloc;
} buf_t;

/* Room for @need unread bytes from data[0]; 0, or -1 when out of memory. */
static int
buf_room (buf_t *b, size_t need)
{
	size_t alloc = b->alloc ? b->alloc : READ_BYTES;
	char *p;

	if (b->pos > 0) {
		memmove (b->data, b->data + b->pos, b->len - b->pos);
		b->len -= b->pos;
		b->pos = 0;
	}
	if (need <= b->alloc)
		return 0;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
	p = realloc (b->data, alloc);
	if (!p)
		return -1;
	b->data = p;
	b->alloc = alloc;
	return 0;
}

static int
buf_append (buf_t *b, const void *data, size_t len)
{
	if (len > SIZE_MAX - b->len || buf_room (b, b->len + len) < 0)
		return -1;
	memcpy (b->data + b->len, data, len);
	b->len += len;
	return 0;
}

/* Writes all of @len bytes to a blocking @fd; 0, or -1 with errno. */
static int
write_all (int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write (fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t) n;
	}
	return 0;
}

/* "signal 11", "exit status 3": how a worker ended. */
static void
describe_status (int status, char *text, size_t size)
{
	if (WIFSIGNALED (status))
		snprintf (text, size, "signal %d", WTERMSIG (status));
	else if (WIFEXITED (status))
		snprintf (text, size, "exit status %d", WEXITSTATUS (status));
	else
		snprintf (text, size, "status %#x", (unsigned) status);
}

/* ---- the worker side */

/* Formats one record for message @h; 0, or -1 when out of memory. */
static int
worker_record (const bsc_engine_t *engine, output_t *render, const task_head_t *h,
	       const char *file, const char *data, buf_t *out)
{
	bsc_result_t *result = NULL;
	result_head_t r = { .seq = h->seq, .verdict = RECORD_ERROR };
	bsc_status_t st;
	const char *text;
	int rc;

	output_buffer_reset (render);
	st = bsc_classify (engine, data, (size_t) h->data_len, &result);
	if (st != BSC_OK) {
		rc = output_message_error (render, file, (long) h->index, bsc_strerror (st));
	} else {
		/* Counted as with -j 1: a verdict unknown to the summary as normal. */
		r.verdict = (unsigned) bsc_result_verdict (result) < SUMMARY_VERDICTS
				    ? bsc_result_verdict (result) : BSC_VERDICT_NORMAL;
		rc = output_result (render, file, (long) h->index, result);
		bsc_result_free (result);
		if (rc > 0)
			r.verdict = RECORD_ERROR;
	}
	if (rc < 0) {
		output_buffer_reset (render);
		r.verdict = RECORD_ERROR;
		if (output_message_error (render, file, (long) h->index, "out of memory") < 0)
			return -1;
	}
	text = output_buffer (render, &r.text_len);
	if (buf_append (out, &r, sizeof r) < 0 || buf_append (out, text, r.text_len) < 0)
		return -1;
	return 0;
}

/*
 * A worker: reads tasks from @in_fd until the parent closes it, classifies
 * their messages (in @ring or in the task), sends their records to
 * @out_fd.  Returns its exit status.
 */
static int
worker_main (const bsc_engine_t *engine, const char *ring, int in_fd, int out_fd,
	     output_format_t format, int explain)
{
	output_t *render = output_new_buffer (format, explain);
	buf_t in = { 0 }, out = { 0 };
	unsigned batched = 0;
	int status = 1;

	if (!render)
		goto done;
	for (;;) {
		size_t avail = in.len - in.pos, need = sizeof (task_head_t);
		task_head_t h;

		if (avail >= sizeof h) {
			memcpy (&h, in.data + in.pos, sizeof h);
			if (h.file_len == 0 || h.file_len > SIZE_MAX / 4 || h.data_len > SIZE_MAX / 4 ||
			    (h.data_off != DATA_FOLLOWS &&
			     (h.data_off > WORKER_MAX_BYTES || h.data_len > WORKER_MAX_BYTES - h.data_off)))
				goto done;	/* not from our parent */
			need += (size_t) h.file_len;
			if (h.data_off == DATA_FOLLOWS)
				need += (size_t) h.data_len;
		}
		if (avail < need) {
			ssize_t n;

			/* About to wait for the parent: send what is ready first. */
			if (out.len > 0 && write_all (out_fd, out.data, out.len) < 0)
				goto done;
			out.len = 0;
			batched = 0;
			if (buf_room (&in, need) < 0)
				goto done;
			do
				n = read (in_fd, in.data + in.len, in.alloc - in.len);
			while (n < 0 && errno == EINTR);
			if (n <= 0) {
				status = n == 0 && avail == 0 ? 0 : 1;
				goto done;
			}
			in.len += (size_t) n;
			continue;
		}
		{
			const char *file = in.data + in.pos + sizeof h;
			const char *data =
				h.data_off == DATA_FOLLOWS ? file + h.file_len : ring + h.data_off;

			if (file[h.file_len - 1] != '\0' ||
			    worker_record (engine, render, &h, file, data, &out) < 0)
				goto done;
		}
		in.pos += need;
		if (++batched >= WORKER_BATCH_RECORDS || out.len >= WORKER_BATCH_BYTES) {
			if (write_all (out_fd, out.data, out.len) < 0)
				goto done;
			out.len = 0;
			batched = 0;
		}
	}
done:
	output_free (render);
	free (in.data);
	free (out.data);
	return status;
}

/* ---- the parent side */

/* A message sent to a worker, kept until its record comes back. */
typedef struct task {
	struct task *next;
	uint64_t seq;
	const char *data;	/* the message: in its worker's ring, or in frame */
	size_t len;		/* of data */
	size_t off;		/* of data in the ring, or NO_RING when in frame */
	size_t frame_len;
	char frame[];		/* what goes on the pipe: task_head_t, file name[, data] */
} task_t;

typedef struct worker {
	pid_t pid;		/* 0 once it is gone */
	int to_fd, from_fd;	/* the parent's ends of its pipes, -1 when closed */
	task_t *head, *tail;	/* sent (or being sent) in this order, no record yet */
	task_t *unsent;		/* the first task not wholly written, or NULL */
	size_t unsent_pos;	/* bytes of it written */
	unsigned count;		/* tasks in head..tail */
	size_t bytes;		/* and their message bytes */
	buf_t in;		/* records read */
	char *ring;		/* WORKER_MAX_BYTES shared with the worker, or NULL */
	size_t ring_head;	/* where the last message put in the ring ends */
	size_t ring_tail;	/* where the last message freed ended */
	size_t ring_live;	/* bytes of the messages in the ring */
} worker_t;

/* A record that came back before those ahead of it. */
typedef struct slot {
	int ready;
	int verdict;
	char *text;
	size_t len;
} slot_t;

struct pool {
	run_t *run;
	worker_t *w;
	int n, alive;
	uint64_t next_seq;	/* the number of the next record */
	uint64_t write_seq;	/* the next record to write */
	size_t window;		/* records numbered but not written, at most */
	slot_t *slots;		/* [seq % window] */
	task_t *pending;	/* sorted by seq: to send again, a worker died */
	output_t *render;	/* the parent's own error records */
	struct pollfd *pfd;
	int *pfd_worker;
	enum pool_stop stop;
	char died[64];		/* how the last worker ended */
};

static void
pool_warn (pool_t *p, const char *fmt, ...) PRINTF_LIKE (2, 3);

static void
pool_warn (pool_t *p, const char *fmt, ...)
{
	va_list ap;

	progress_clear (&p->run->progress);
	fputs ("bsclassify: ", stderr);
	va_start (ap, fmt);
	vfprintf (stderr, fmt, ap);
	va_end (ap);
	fputc ('\n', stderr);
}

/* Writes one record in its turn and counts it. */
static void
pool_emit (pool_t *p, int verdict, const char *text, size_t len)
{
	run_t *run = p->run;

	if (p->stop != POOL_WRITE_ERROR && output_raw (run->out, text, len) < 0)
		p->stop = POOL_WRITE_ERROR;
	if (verdict == RECORD_ERROR || verdict < 0) {
		run->summary.errors++;
		run->input_failed = 1;
	} else {
		run->summary.verdicts[verdict < SUMMARY_VERDICTS ? verdict : BSC_VERDICT_NORMAL]++;
	}
	progress_add_message (&run->progress);
}

/* Record @seq is done: written now when its turn has come, else kept. */
static void
pool_put (pool_t *p, uint64_t seq, int verdict, const char *text, size_t len)
{
	slot_t *s;

	if (seq != p->write_seq) {
		s = &p->slots[seq % p->window];
		s->text = malloc (len ? len : 1);
		if (!s->text) {
			p->stop = POOL_NO_MEMORY;
			return;
		}
		memcpy (s->text, text, len);
		s->len = len;
		s->verdict = verdict;
		s->ready = 1;
		return;
	}
	pool_emit (p, verdict, text, len);
	p->write_seq++;
	for (s = &p->slots[p->write_seq % p->window]; s->ready;
	     s = &p->slots[p->write_seq % p->window]) {
		pool_emit (p, s->verdict, s->text, s->len);
		free (s->text);
		s->text = NULL;
		s->ready = 0;
		p->write_seq++;
	}
}

/* An error record the parent formats itself, for record @seq. */
static void
pool_put_error (pool_t *p, uint64_t seq, const char *file, long index, const char *text)
{
	const char *rec;
	size_t len;

	output_buffer_reset (p->render);
	if (output_message_error (p->render, file, index, text) < 0) {
		p->stop = POOL_NO_MEMORY;
		return;
	}
	rec = output_buffer (p->render, &len);
	pool_put (p, seq, RECORD_ERROR, rec, len);
}

static void
task_error (pool_t *p, task_t *t, const char *text)
{
	task_head_t h;

	memcpy (&h, t->frame, sizeof h);
	pool_put_error (p, t->seq, t->frame + sizeof h, (long) h.index, text);
}

static void
free_tasks (task_t *t)
{
	while (t) {
		task_t *next = t->next;

		free (t);
		t = next;
	}
}

/*
 * Where @len more bytes (0 < len) would start in @w's ring: an offset, or
 * NO_RING when there is no room now.  The messages in the ring lie in the
 * order they were sent, from ring_tail to ring_head: in one piece when
 * ring_head > ring_tail, else wrapped, up to where the ring was left and
 * on from 0.  After a wrap ring_tail may stop where the ring was left
 * rather than at 0: that only hides room until the next message is freed.
 */
static size_t
ring_place (const worker_t *w, size_t len)
{
	size_t end_room = WORKER_MAX_BYTES - w->ring_head;

	if (w->ring_live == 0)
		return len <= WORKER_MAX_BYTES ? 0 : NO_RING;
	if (w->ring_head > w->ring_tail) {
		/* Back to 0 once the room there is twice what is in use, not
		 * only at the end: the ring then touches a few times the bytes
		 * in flight, not all its pages (in the RSS of both processes),
		 * and the margin seldom leaves the wrapped ring too full for
		 * the next message while its worker still has little to do. */
		if (len <= w->ring_tail && (2 * w->ring_live <= w->ring_tail || len > end_room))
			return 0;
		return len <= end_room ? w->ring_head : NO_RING;
	}
	return len <= w->ring_tail - w->ring_head ? w->ring_head : NO_RING;
}

/*
 * Whether @w takes @t now: always when it has nothing to do, else within
 * its bounds and when the message, if it goes in the ring, has room there.
 */
static int
worker_accepts (const worker_t *w, const task_t *t)
{
	return w->pid > 0 &&
	       (w->count == 0 ||
		(w->count < WORKER_MAX_TASKS && w->bytes + t->len <= WORKER_MAX_BYTES &&
		 (t->off == NO_RING || ring_place (w, t->len) != NO_RING)));
}

/* The least busy worker that takes @t, or NULL. */
static worker_t *
pool_pick (pool_t *p, const task_t *t)
{
	worker_t *best = NULL;
	int i;

	for (i = 0; i < p->n; i++) {
		worker_t *w = &p->w[i];

		if (worker_accepts (w, t) &&
		    (!best || w->count < best->count ||
		     (w->count == best->count && w->bytes < best->bytes)))
			best = w;
	}
	return best;
}

static void worker_lost (pool_t *p, worker_t *w);
static void worker_gone (pool_t *p, worker_t *w);

/* Writes what the pipe takes of @w's unsent tasks. */
static void
worker_send (pool_t *p, worker_t *w)
{
	while (w->unsent) {
		task_t *t = w->unsent;
		ssize_t n = write (w->to_fd, t->frame + w->unsent_pos, t->frame_len - w->unsent_pos);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				worker_lost (p, w);
			return;
		}
		w->unsent_pos += (size_t) n;
		if (w->unsent_pos == t->frame_len) {
			w->unsent = t->next;
			w->unsent_pos = 0;
		}
	}
}

/*
 * Gives @t to @w (which accepts it): copies its message into @w's ring
 * (from the input, or from the ring of a worker that died) unless it
 * travels in the task.
 */
static void
worker_assign (pool_t *p, worker_t *w, task_t *t)
{
	if (t->off != NO_RING) {
		task_head_t h;

		t->off = ring_place (w, t->len);
		memcpy (w->ring + t->off, t->data, t->len);
		t->data = w->ring + t->off;
		w->ring_head = t->off + t->len;
		w->ring_live += t->len;
		memcpy (&h, t->frame, sizeof h);
		h.data_off = t->off;
		memcpy (t->frame, &h, sizeof h);
	}
	t->next = NULL;
	if (w->tail)
		w->tail->next = t;
	else
		w->head = t;
	w->tail = t;
	if (!w->unsent) {
		w->unsent = t;
		w->unsent_pos = 0;
	}
	w->count++;
	w->bytes += t->len;
	worker_send (p, w);
}

/* Hands the messages of dead workers to the living. */
static void
pool_assign_pending (pool_t *p)
{
	worker_t *w;

	while (p->pending && (w = pool_pick (p, p->pending)) != NULL) {
		task_t *t = p->pending;

		p->pending = t->next;
		worker_assign (p, w, t);
	}
}

/* Puts @list (in seq order) back among the pending tasks, keeping seq order. */
static void
pool_requeue (pool_t *p, task_t *list)
{
	task_t **link = &p->pending;

	while (list) {
		task_t *t = list;

		list = t->next;
		while (*link && (*link)->seq < t->seq)
			link = &(*link)->next;
		t->next = *link;
		*link = t;
		link = &t->next;
	}
}

/* Takes the records that are complete in @w's buffer. */
static void
worker_parse (pool_t *p, worker_t *w)
{
	buf_t *b = &w->in;

	while (w->pid > 0 && b->len - b->pos >= sizeof (result_head_t)) {
		result_head_t r;
		task_t *t = w->head;

		memcpy (&r, b->data + b->pos, sizeof r);
		if (!t || w->unsent == t || r.seq != t->seq || r.text_len > SIZE_MAX / 4 ||
		    (r.verdict < 0 && r.verdict != RECORD_ERROR) || r.verdict >= SUMMARY_VERDICTS) {
			/* Cannot happen with our own worker; end it rather than guess. */
			pool_warn (p, "worker %ld: unexpected reply", (long) w->pid);
			kill (w->pid, SIGKILL);
			worker_gone (p, w);
			return;
		}
		if (b->len - b->pos - sizeof r < r.text_len)
			break;
		pool_put (p, r.seq, (int) r.verdict, b->data + b->pos + sizeof r, (size_t) r.text_len);
		b->pos += sizeof r + (size_t) r.text_len;
		w->head = t->next;
		if (!w->head)
			w->tail = NULL;
		w->count--;
		w->bytes -= t->len;
		if (t->off != NO_RING) {
			/* Its bytes are free: the worker is done with the message. */
			w->ring_live -= t->len;
			if (w->ring_live)
				w->ring_tail = t->off + t->len;
			else
				w->ring_head = w->ring_tail = 0;
		}
		free (t);
	}
}

/* One read from @w's result pipe: 1 read something, 0 nothing yet, -1 end or error. */
static int
worker_read (pool_t *p, worker_t *w)
{
	buf_t *b = &w->in;
	size_t need = READ_BYTES;
	ssize_t n;

	if (b->len - b->pos >= sizeof (result_head_t)) {
		result_head_t r;

		memcpy (&r, b->data + b->pos, sizeof r);
		if (r.text_len <= SIZE_MAX / 4 && sizeof r + (size_t) r.text_len > need)
			need = sizeof r + (size_t) r.text_len;
	}
	if (buf_room (b, need) < 0) {
		p->stop = POOL_NO_MEMORY;
		return -1;
	}
	n = read (w->from_fd, b->data + b->len, b->alloc - b->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	if (n == 0)
		return -1;
	b->len += (size_t) n;
	worker_parse (p, w);
	return 1;
}

/*
 * @w's result pipe has ended: the worker is gone.  Reaps it, gives the
 * message it was working on an error record, hands its other messages on.
 */
static void
worker_gone (pool_t *p, worker_t *w)
{
	char why[48], text[64];
	task_t *rest;
	int status = 0;
	pid_t pid = w->pid;

	if (pid <= 0)
		return;
	if (w->to_fd >= 0)
		close (w->to_fd);
	close (w->from_fd);
	w->to_fd = w->from_fd = -1;
	while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
		;
	w->pid = 0;
	p->alive--;
	describe_status (status, why, sizeof why);
	snprintf (text, sizeof text, "worker died: %s", why);
	snprintf (p->died, sizeof p->died, "%s", why);
	rest = w->head;
	if (rest && rest != w->unsent) {	/* it had the whole message: the culprit */
		task_t *t = rest;

		rest = t->next;
		task_head_t h;

		memcpy (&h, t->frame, sizeof h);
		pool_warn (p, "%s while classifying %s #%lld", text, t->frame + sizeof h,
			   (long long) h.index);
		task_error (p, t, text);
		free (t);
	} else {
		pool_warn (p, "%s", text);
	}
	w->head = w->tail = w->unsent = NULL;
	w->count = 0;
	w->bytes = 0;
	w->in.pos = w->in.len = 0;
	/* Its ring is written no more (nobody picks a dead worker) and stays
	 * mapped: the messages in @rest are read from it when sent again. */
	pool_requeue (p, rest);
	if (p->alive == 0) {
		/* Nobody left to classify what is owed: error records, then stop. */
		while (p->pending) {
			task_t *t = p->pending;

			p->pending = t->next;
			task_error (p, t, "not classified: no worker left");
			free (t);
		}
		if (p->stop == POOL_GO)
			p->stop = POOL_NO_WORKER;
	}
}

/* Writing to @w failed: takes the records it still sends, then reaps it. */
static void
worker_lost (pool_t *p, worker_t *w)
{
	int flags;

	if (w->pid <= 0)
		return;
	if (w->to_fd >= 0) {
		close (w->to_fd);
		w->to_fd = -1;
	}
	flags = fcntl (w->from_fd, F_GETFL);
	if (flags >= 0)
		fcntl (w->from_fd, F_SETFL, flags & ~O_NONBLOCK);
	while (w->pid > 0 && worker_read (p, w) >= 0)
		;
	worker_gone (p, w);
}

/* Moves data to and from the workers; waits for some unless @block is 0. */
static void
pool_pump (pool_t *p, int block)
{
	int i, k, n = 0, rc;

	pool_assign_pending (p);
	for (i = 0; i < p->n; i++) {
		worker_t *w = &p->w[i];

		if (w->pid <= 0)
			continue;
		p->pfd[n].fd = w->from_fd;
		p->pfd[n].events = POLLIN;
		p->pfd_worker[n++] = i;
		if (w->unsent) {
			p->pfd[n].fd = w->to_fd;
			p->pfd[n].events = POLLOUT;
			p->pfd_worker[n++] = i;
		}
	}
	if (n == 0)
		return;
	rc = poll (p->pfd, (nfds_t) n, block ? -1 : 0);
	if (rc <= 0)
		return;
	for (k = 0; k < n; k++) {
		worker_t *w = &p->w[p->pfd_worker[k]];
		short re = p->pfd[k].revents;

		if (!re || w->pid <= 0)
			continue;
		if (p->pfd[k].events == POLLIN) {
			if (worker_read (p, w) < 0 && w->pid > 0)
				worker_gone (p, w);
		} else if (re & POLLOUT) {
			worker_send (p, w);
		} else {
			worker_lost (p, w);
		}
	}
}

/* Waits for room for one more record (and a worker for @t unless NULL). */
static int
pool_wait (pool_t *p, const task_t *t)
{
	for (;;) {
		if (p->stop)
			return -1;
		if (p->next_seq - p->write_seq < p->window &&
		    (!t || (!p->pending && pool_pick (p, t))))
			return 0;
		pool_pump (p, 1);
	}
}

int
pool_message (pool_t *p, const char *file, long index, const char *data, size_t len)
{
	size_t flen = strlen (file) + 1;
	int in_task = len == 0 || len > WORKER_MAX_BYTES;
	task_head_t h = { .file_len = flen, .data_len = len, .data_off = DATA_FOLLOWS,
			  .index = index };
	task_t *t = malloc (sizeof *t + sizeof h + flen + (in_task ? len : 0));

	if (!t) {
		p->stop = POOL_NO_MEMORY;
		return 1;
	}
	t->len = len;
	t->frame_len = sizeof h + flen + (in_task ? len : 0);
	if (in_task) {
		t->off = NO_RING;
		t->data = t->frame + sizeof h + flen;
		memcpy (t->frame + sizeof h + flen, data, len);
	} else {
		t->off = 0;	/* set by worker_assign() */
		t->data = data;
	}
	memcpy (t->frame + sizeof h, file, flen);
	if (pool_wait (p, t) < 0) {
		free (t);
		return 1;
	}
	h.seq = t->seq = p->next_seq++;
	memcpy (t->frame, &h, sizeof h);
	worker_assign (p, pool_pick (p, t), t);
	return p->stop != 0;
}

int
pool_error (pool_t *p, const char *file, long index, const char *text)
{
	if (pool_wait (p, NULL) < 0)
		return 1;
	pool_put_error (p, p->next_seq++, file, index, text);
	return p->stop != 0;
}

static void
set_nonblocking (int fd)
{
	int flags = fcntl (fd, F_GETFL);

	if (flags >= 0)
		fcntl (fd, F_SETFL, flags | O_NONBLOCK);
}

enum pool_stop
pool_finish (pool_t *p, char *died, size_t size)
{
	enum pool_stop stop;
	int i;

	if (!p)
		return POOL_GO;
	while (p->stop == POOL_GO && p->write_seq < p->next_seq)
		pool_pump (p, 1);
	/* A worker reads the end of its task pipe and exits; one that is still
	 * writing records gets EPIPE and exits too. */
	for (i = 0; i < p->n; i++) {
		worker_t *w = &p->w[i];

		if (w->to_fd >= 0)
			close (w->to_fd);
		if (w->from_fd >= 0)
			close (w->from_fd);
	}
	for (i = 0; i < p->n; i++) {
		worker_t *w = &p->w[i];
		int status;

		if (w->pid > 0) {
			while (waitpid (w->pid, &status, 0) < 0 && errno == EINTR)
				;
			if (p->stop == POOL_GO && status != 0) {
				char why[48];

				describe_status (status, why, sizeof why);
				pool_warn (p, "worker ended with %s", why);
			}
		}
		free_tasks (w->head);
		free (w->in.data);
		munmap (w->ring, WORKER_MAX_BYTES);
	}
	free_tasks (p->pending);
	if (p->slots)
		for (i = 0; (size_t) i < p->window; i++)
			free (p->slots[i].text);
	free (p->slots);
	free (p->w);
	free (p->pfd);
	free (p->pfd_worker);
	output_free (p->render);
	stop = p->stop;
	if (died)
		snprintf (died, size, "%s", p->died);
	free (p);
	return stop;
}

/* In a worker: frees its copy of the parent's pool (it holds no task yet). */
static void
pool_free_copy (pool_t *p)
{
	free (p->slots);
	free (p->w);
	free (p->pfd);
	free (p->pfd_worker);
	output_free (p->render);
	free (p);
}

/* Closes both ends of a pipe that pipe() may not have made (-1). */
static void
close_pair (int fd[2])
{
	for (int k = 0; k < 2; k++)
		if (fd[k] >= 0)
			close (fd[k]);
}

pool_t *
pool_start (run_t *run, const bsc_engine_t *engine, int jobs, output_format_t format,
	    int explain, int *worker_exit)
{
	pool_t *p = calloc (1, sizeof *p);
	int i, j;

	*worker_exit = -1;
	if (p) {
		p->run = run;
		p->window = (size_t) jobs * WORKER_MAX_TASKS * 2;
		p->w = calloc ((size_t) jobs, sizeof *p->w);
		p->slots = calloc (p->window, sizeof *p->slots);
		p->pfd = calloc ((size_t) jobs * 2, sizeof *p->pfd);
		p->pfd_worker = calloc ((size_t) jobs * 2, sizeof *p->pfd_worker);
		p->render = output_new_buffer (format, explain);
	}
	if (!p || !p->w || !p->slots || !p->pfd || !p->pfd_worker || !p->render) {
		msg ("out of memory");
		pool_finish (p, NULL, 0);
		return NULL;
	}
	/* waitpid() needs children that are not reaped behind our back. */
	signal (SIGCHLD, SIG_DFL);
	fflush (stdout);
	fflush (stderr);
	for (i = 0; i < jobs; i++) {
		int task_pipe[2] = { -1, -1 }, result_pipe[2] = { -1, -1 };
		pid_t pid = -1;
		/* Pages are only touched as the ring is used (ring_place()). */
		char *ring = mmap (NULL, WORKER_MAX_BYTES, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (ring == MAP_FAILED || pipe (task_pipe) < 0 || pipe (result_pipe) < 0 ||
		    (pid = fork ()) < 0) {
			msg ("cannot start a worker: %s", strerror (errno));
			close_pair (task_pipe);
			close_pair (result_pipe);
			if (ring != MAP_FAILED)
				munmap (ring, WORKER_MAX_BYTES);
			goto fail;
		}
		if (pid == 0) {
			/* The worker: only its own two pipe ends and its own ring
			 * stay; the ring read-only, so that a worker gone wrong
			 * cannot spoil the messages the parent sends again. */
			for (j = 0; j < i; j++) {
				close (p->w[j].to_fd);
				close (p->w[j].from_fd);
				munmap (p->w[j].ring, WORKER_MAX_BYTES);
			}
			close (task_pipe[1]);
			close (result_pipe[0]);
			mprotect (ring, WORKER_MAX_BYTES, PROT_READ);
			pool_free_copy (p);
			*worker_exit = worker_main (engine, ring, task_pipe[0], result_pipe[1],
						    format, explain);
			close (task_pipe[0]);
			close (result_pipe[1]);
			munmap (ring, WORKER_MAX_BYTES);
			return NULL;
		}
		close (task_pipe[0]);
		close (result_pipe[1]);
		set_nonblocking (task_pipe[1]);
		set_nonblocking (result_pipe[0]);
		p->w[i].pid = pid;
		p->w[i].to_fd = task_pipe[1];
		p->w[i].from_fd = result_pipe[0];
		p->w[i].ring = ring;
		p->n++;
		p->alive++;
	}
	return p;
fail:
	p->stop = POOL_NO_MEMORY;	/* only so that pool_finish() waits for nothing */
	pool_finish (p, NULL, 0);
	return NULL;
}
