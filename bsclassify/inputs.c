/*
 * inputs.c - walking bsclassify's operands: files, folders, mboxes, stdin
 *
 * How an mbox is split (RFC 4155, with the mboxrd escaping of
 * qmail/mutt/Dovecot):
 *  - a file (or standard input) whose first five bytes are "From " is an
 *    mbox; anything else is one message;
 *  - a message starts at a line beginning "From " that is the first line of
 *    the file, or follows an empty line, or - for writers that forget the
 *    empty line - looks like a real From_ line: "From ADDR" followed by an
 *    asctime() date (weekday, month, day, hh:mm[:ss], a 4-digit year, an
 *    optional zone anywhere after the time);
 *  - the From_ line itself is not part of the message, nor is the empty
 *    line that separates a message from the next From_ line (or ends the
 *    file);
 *  - a line ">From ", ">>From ", ... loses one '>' (mboxrd); a body line
 *    "From " that the writer did not escape and that is neither after an
 *    empty line nor a plausible From_ line stays in the message;
 *  - LF and CRLF lines are both understood.
 * The file is read in 64 KiB chunks and only the current message is kept;
 * a message over the size cap is still read to its end (so the next one is
 * found) but reported as an error.  A line longer than a chunk is handled in
 * pieces; only its first 64 KiB decide whether it is a From_ or escaped line.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inputs.h"

#define CHUNK_BYTES (64 * 1024)
#define MIN_MESSAGE_ALLOC (64 * 1024)

enum msg_state {
	MSG_OK = 0,
	MSG_TOO_LARGE,		/* over sink.max_message: only counted */
	MSG_NO_MEMORY		/* the buffer could not grow: only counted */
};

struct inputs {
	input_sink_t sink;
	char *chunk;			/* CHUNK_BYTES read buffer */
	char *msg;			/* the message being read */
	size_t msg_len;			/* bytes kept in msg */
	size_t msg_alloc;
	unsigned long long msg_size;	/* bytes the message really has */
	enum msg_state msg_state;
};

/* One open input, read in chunks and handed out in line pieces. */
typedef struct reader {
	inputs_t *in;
	int fd;
	size_t pos, len;	/* unread bytes are in->chunk[pos, len) */
	int eof;
	int err;		/* errno of a read error, 0 when none */
} reader_t;

/* A piece of a line: the whole line when it fits in a chunk. */
typedef struct piece {
	const char *data;
	size_t len;
	int line_end;		/* this piece ends its line */
} piece_t;

/* ------------------------------------------------------------ reading */

/* Moves unread bytes to the front and reads once more. */
static void
reader_fill (reader_t *r)
{
	char *buf = r->in->chunk;
	ssize_t n;

	if (r->pos > 0) {
		memmove (buf, buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->eof || r->len == CHUNK_BYTES)
		return;
	do
		n = read (r->fd, buf + r->len, CHUNK_BYTES - r->len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->err = errno;
		r->eof = 1;
	} else if (n == 0) {
		r->eof = 1;
	} else {
		r->len += (size_t) n;
		if (r->in->sink.progress)
			r->in->sink.progress (r->in->sink.ctx, (size_t) n);
	}
}

/* Makes at least @want bytes visible unless the input ends first. */
static void
reader_peek (reader_t *r, size_t want)
{
	while (r->len - r->pos < want && !r->eof)
		reader_fill (r);
}

/*
 * The next piece: up to and including the next '\n'; or the rest of the
 * input at its end; or a full chunk when a line is longer than that.
 * Returns 0 at the end of the input.
 */
static int
reader_next (reader_t *r, piece_t *p)
{
	for (;;) {
		const char *start = r->in->chunk + r->pos;
		size_t avail = r->len - r->pos;
		const char *nl = avail ? memchr (start, '\n', avail) : NULL;

		if (nl || (avail && (r->eof || (r->pos == 0 && r->len == CHUNK_BYTES)))) {
			p->data = start;
			p->len = nl ? (size_t) (nl - start) + 1 : avail;
			p->line_end = nl != NULL || r->eof;
			r->pos += p->len;
			return 1;
		}
		if (r->eof)
			return 0;
		reader_fill (r);
	}
}

/*
 * From a line start: the complete lines up to the next one that could
 * matter to the mbox split (one starting with 'F', '>' or an empty one),
 * as one piece, so that the common lines of a message are copied in one
 * go rather than line by line.  0 when there is none in the chunk.
 */
static int
reader_plain_lines (reader_t *r, piece_t *p)
{
	const char *start = r->in->chunk + r->pos, *end = r->in->chunk + r->len, *q = start;

	while (q < end && *q != 'F' && *q != '>' && *q != '\n' && *q != '\r') {
		const char *nl = memchr (q, '\n', (size_t) (end - q));
		if (!nl)
			break;
		q = nl + 1;
	}
	if (q == start)
		return 0;
	p->data = start;
	p->len = (size_t) (q - start);
	p->line_end = 1;
	r->pos += p->len;
	return 1;
}

/* ------------------------------------------------------------ the message */

static void
msg_reset (inputs_t *in)
{
	in->msg_len = 0;
	in->msg_size = 0;
	in->msg_state = MSG_OK;
}

/* Grows the buffer to hold @need bytes, never beyond the cap. */
static int
msg_reserve (inputs_t *in, size_t need)
{
	size_t alloc = in->msg_alloc ? in->msg_alloc : MIN_MESSAGE_ALLOC;
	char *p;

	if (need <= in->msg_alloc)
		return 0;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
	/* a message never outgrows the cap, so its buffer need not either */
	if (alloc > in->sink.max_message && need <= in->sink.max_message)
		alloc = in->sink.max_message;
	p = realloc (in->msg, alloc);
	if (!p)
		return -1;
	in->msg = p;
	in->msg_alloc = alloc;
	return 0;
}

static void
msg_append (inputs_t *in, const char *data, size_t len)
{
	in->msg_size += len;
	if (in->msg_state != MSG_OK)
		return;
	if (in->msg_size > in->sink.max_message) {
		in->msg_state = MSG_TOO_LARGE;
		return;
	}
	if (msg_reserve (in, in->msg_len + len) < 0) {
		in->msg_state = MSG_NO_MEMORY;
		return;
	}
	memcpy (in->msg + in->msg_len, data, len);
	in->msg_len += len;
}

/* Drops the last @len bytes: the empty line that separates mbox messages. */
static void
msg_drop_tail (inputs_t *in, size_t len)
{
	if (in->msg_size < len)
		return;
	in->msg_size -= len;
	if (in->msg_state == MSG_OK)
		in->msg_len -= len;
}

static int
msg_emit (inputs_t *in, const char *file, long index)
{
	const input_sink_t *s = &in->sink;
	char text[96];

	switch (in->msg_state) {
	case MSG_TOO_LARGE:
		snprintf (text, sizeof text, "message too large: %llu bytes", in->msg_size);
		return s->message_error (s->ctx, file, index, text);
	case MSG_NO_MEMORY:
		snprintf (text, sizeof text, "out of memory reading a message of %llu bytes",
			  in->msg_size);
		return s->message_error (s->ctx, file, index, text);
	case MSG_OK:
		break;
	}
	/* An empty message still has a valid (non-NULL) address. */
	return s->message (s->ctx, file, index, in->msg ? in->msg : "", in->msg_len);
}

static int
report_file_error (inputs_t *in, const char *file, const char *what, int err)
{
	char text[160];

	snprintf (text, sizeof text, "%s: %s", what, strerror (err));
	return in->sink.file_error (in->sink.ctx, file, text);
}

/* A read error after part of the input: the message being read is lost. */
static int
report_read_error (inputs_t *in, const char *file, long index, int err)
{
	char text[160];

	snprintf (text, sizeof text, "read error: %s", strerror (err));
	return in->sink.message_error (in->sink.ctx, file, index, text);
}

/* ------------------------------------------------------------ mbox lines */

static int
starts_with_from (const piece_t *p)
{
	return p->len >= 5 && memcmp (p->data, "From ", 5) == 0;
}

/* 1 for "\n", 2 for "\r\n", 0 for any other line. */
static size_t
empty_line_length (const piece_t *p)
{
	if (p->len == 1 && p->data[0] == '\n')
		return 1;
	if (p->len == 2 && p->data[0] == '\r' && p->data[1] == '\n')
		return 2;
	return 0;
}

/* mboxrd: ">From ", ">>From ", ... are escaped body lines. */
static int
is_escaped_from (const piece_t *p)
{
	size_t i = 0;

	while (i < p->len && p->data[i] == '>')
		i++;
	return i > 0 && p->len - i >= 5 && memcmp (p->data + i, "From ", 5) == 0;
}

/* The next blank-separated word of [*s, end); its length, 0 at the end. */
static size_t
next_word (const char **s, const char *end, const char **word)
{
	const char *p = *s;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	*word = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	*s = p;
	return (size_t) (p - *word);
}

static int
word_in (const char *w, size_t len, const char *const *list)
{
	for (; *list; list++)
		if (len == 3 && memcmp (w, *list, 3) == 0)
			return 1;
	return 0;
}

static int
all_digits (const char *w, size_t len, size_t min, size_t max)
{
	size_t i;

	if (len < min || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (w[i] < '0' || w[i] > '9')
			return 0;
	return 1;
}

/* "hh:mm" or "hh:mm:ss" */
static int
is_clock (const char *w, size_t len)
{
	size_t i, colons = 0;

	if (len < 4 || len > 8 || w[0] < '0' || w[0] > '9')
		return 0;
	for (i = 0; i < len; i++) {
		if (w[i] == ':')
			colons++;
		else if (w[i] < '0' || w[i] > '9')
			return 0;
	}
	return colons == 1 || colons == 2;
}

/*
 * "From ADDR Www Mmm dd hh:mm:ss [zone] yyyy [zone]": the asctime() date
 * that every mbox writer puts on its From_ lines.  Body text that happens
 * to start with "From " ("From the desk of ...") does not have it.
 */
static int
looks_like_from_line (const piece_t *p)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", NULL };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", NULL };
	const char *s = p->data + 5, *end = p->data + p->len, *w;
	size_t n;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (next_word (&s, end, &w) == 0)	/* the envelope sender */
		return 0;
	n = next_word (&s, end, &w);
	if (!word_in (w, n, days))
		return 0;
	n = next_word (&s, end, &w);
	if (!word_in (w, n, months))
		return 0;
	n = next_word (&s, end, &w);
	if (!all_digits (w, n, 1, 2))
		return 0;
	n = next_word (&s, end, &w);
	if (!is_clock (w, n))
		return 0;
	while ((n = next_word (&s, end, &w)) > 0)
		if (all_digits (w, n, 4, 4))
			return 1;
	return 0;
}

/* ------------------------------------------------------------ one stream */

static int
read_mbox (reader_t *r, const char *file)
{
	inputs_t *in = r->in;
	piece_t p;
	long index = -1;		/* no message before the first From_ line */
	int line_start = 1;		/* p starts a line */
	int in_from_line = 0;		/* skipping the rest of a long From_ line */
	size_t blank = 0;		/* the previous line was empty: its length */

	for (;;) {
		if (line_start && !in_from_line && index >= 0 && reader_plain_lines (r, &p)) {
			msg_append (in, p.data, p.len);
			blank = 0;
			continue;
		}
		if (!reader_next (r, &p))
			break;
		if (line_start && starts_with_from (&p) &&
		    (index < 0 || blank || looks_like_from_line (&p))) {
			if (index >= 0) {
				msg_drop_tail (in, blank);
				if (msg_emit (in, file, index))
					return 1;
			}
			msg_reset (in);
			index++;
			in_from_line = !p.line_end;
			line_start = p.line_end;
			blank = 0;
			continue;
		}
		if (in_from_line) {
			in_from_line = !p.line_end;
			line_start = p.line_end;
			continue;
		}
		if (line_start && is_escaped_from (&p))
			msg_append (in, p.data + 1, p.len - 1);
		else
			msg_append (in, p.data, p.len);
		blank = line_start && p.line_end ? empty_line_length (&p) : 0;
		line_start = p.line_end;
	}
	if (r->err)
		return report_read_error (in, file, index, r->err);
	msg_drop_tail (in, blank);
	return msg_emit (in, file, index);
}

static int
read_single (reader_t *r, const char *file)
{
	inputs_t *in = r->in;
	piece_t p;

	while (reader_next (r, &p))
		msg_append (in, p.data, p.len);
	if (r->err)
		return report_read_error (in, file, 0, r->err);
	return msg_emit (in, file, 0);
}

/* Reads the open @fd as an mbox or as one message. */
static int
read_fd (inputs_t *in, int fd, const char *file)
{
	reader_t r = { .in = in, .fd = fd };

	msg_reset (in);
	reader_peek (&r, 5);
	if (r.len == 0) {
		if (r.err)
			return report_file_error (in, file, "cannot read", r.err);
		return in->sink.file_error (in->sink.ctx, file, "empty file: no message");
	}
	if (r.len >= 5 && memcmp (in->chunk, "From ", 5) == 0)
		return read_mbox (&r, file);
	return read_single (&r, file);
}

static int
read_path (inputs_t *in, const char *path)
{
	int fd, rc;

	do
		fd = open (path, O_RDONLY | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return report_file_error (in, path, "cannot open", errno);
	rc = read_fd (in, fd, path);
	close (fd);
	return rc;
}

/* ------------------------------------------------------------ folders */

static int
compare_names (const void *a, const void *b)
{
	return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
free_names (char **names, size_t n)
{
	while (n > 0)
		free (names[--n]);
	free (names);
}

/*
 * The entries of @path that do not start with '.', sorted with strcmp() so
 * that the output does not depend on the file system's order.
 * Returns 0, or an errno value.
 */
static int
list_folder (const char *path, char ***out, size_t *count)
{
	DIR *dir = opendir (path);
	struct dirent *e;
	char **names = NULL, **grown;
	size_t n = 0, alloc = 0;
	int err = 0;

	if (!dir)
		return errno;
	for (;;) {
		errno = 0;
		e = readdir (dir);
		if (!e) {
			err = errno;
			break;
		}
		if (e->d_name[0] == '.')
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			grown = realloc (names, alloc * sizeof *names);
			if (!grown) {
				err = ENOMEM;
				break;
			}
			names = grown;
		}
		names[n] = strdup (e->d_name);
		if (!names[n]) {
			err = ENOMEM;
			break;
		}
		n++;
	}
	closedir (dir);
	if (err) {
		free_names (names, n);
		return err;
	}
	if (n > 1)
		qsort (names, n, sizeof *names, compare_names);
	*out = names;
	*count = n;
	return 0;
}

static char *
join_path (const char *dir, const char *name)
{
	size_t dl = strlen (dir), nl = strlen (name);
	int slash = dl > 0 && dir[dl - 1] != '/';
	char *p = malloc (dl + slash + nl + 1);

	if (!p)
		return NULL;
	memcpy (p, dir, dl);
	if (slash)
		p[dl] = '/';
	memcpy (p + dl + slash, name, nl + 1);
	return p;
}

static int walk_folder (inputs_t *in, const char *path);

/*
 * One entry of a folder.  Regular files are read and sub-folders walked;
 * a symbolic link is read when it leads to a regular file, but a linked
 * folder is not entered (no loops, no leaving the tree).  Devices, pipes
 * and sockets are skipped.
 */
static int
visit_entry (inputs_t *in, const char *path)
{
	struct stat st;

	if (lstat (path, &st) < 0)
		return report_file_error (in, path, "cannot open", errno);
	if (S_ISDIR (st.st_mode))
		return walk_folder (in, path);
	if (S_ISLNK (st.st_mode)) {
		if (stat (path, &st) < 0)
			return report_file_error (in, path, "cannot open", errno);
		if (!S_ISREG (st.st_mode))
			return 0;
	}
	if (!S_ISREG (st.st_mode))
		return 0;
	return read_path (in, path);
}

static int
walk_folder (inputs_t *in, const char *path)
{
	char **names = NULL;
	size_t n = 0, i;
	int err, rc = 0;

	err = list_folder (path, &names, &n);
	if (err)
		return report_file_error (in, path, "cannot read folder", err);
	for (i = 0; i < n && rc == 0; i++) {
		char *child = join_path (path, names[i]);

		if (!child)
			rc = report_file_error (in, path, "cannot read folder", ENOMEM);
		else
			rc = visit_entry (in, child);
		free (child);
	}
	free_names (names, n);
	return rc;
}

/* ------------------------------------------------------------ public */

inputs_t *
inputs_new (const input_sink_t *sink)
{
	inputs_t *in = calloc (1, sizeof *in);

	if (!in)
		return NULL;
	in->sink = *sink;
	in->chunk = malloc (CHUNK_BYTES);
	if (!in->chunk) {
		free (in);
		return NULL;
	}
	return in;
}

void
inputs_free (inputs_t *in)
{
	if (!in)
		return;
	free (in->chunk);
	free (in->msg);
	free (in);
}

int
inputs_read (inputs_t *in, const char *operand)
{
	struct stat st;

	if (strcmp (operand, "-") == 0)
		return read_fd (in, STDIN_FILENO, operand);
	/* An operand is followed even when it is a symbolic link: the user named it. */
	if (stat (operand, &st) < 0)
		return report_file_error (in, operand, "cannot open", errno);
	if (S_ISDIR (st.st_mode))
		return walk_folder (in, operand);
	return read_path (in, operand);
}

unsigned long long
inputs_file_size (const char *operand)
{
	struct stat st;
	int rc;

	if (strcmp (operand, "-") == 0)
		rc = fstat (STDIN_FILENO, &st);
	else
		rc = stat (operand, &st);
	if (rc < 0 || !S_ISREG (st.st_mode) || st.st_size < 0)
		return 0;
	return (unsigned long long) st.st_size;
}
