/*
 * arena.c - the per-result bump allocator.
 *
 * A result owns every string it hands out; allocating them from chunks
 * that die together keeps the per-message path to a handful of mallocs
 * and makes leaks impossible by construction.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bsc-private.h"

#define CHUNK_SIZE 8192

struct bsc_arena_chunk {
	bsc_arena_chunk_t *next;
	size_t used, size;
	bool borrowed; /* bsc_arena_init_with()'s buffer: not freed here */
	max_align_t data[];
};

void
bsc_arena_init (bsc_arena_t *arena)
{
	arena->head = NULL;
	arena->failed = false;
}

void
bsc_arena_init_with (bsc_arena_t *arena, void *buf, size_t size)
{
	bsc_arena_chunk_t *c = buf;

	bsc_arena_init (arena);
	if (size <= sizeof (*c))
		return;
	*c = (bsc_arena_chunk_t) { NULL, 0, size - sizeof (*c), true };
	arena->head = c;
}

void
bsc_arena_release (bsc_arena_t *arena)
{
	bsc_arena_chunk_t *c = arena->head;

	while (c) {
		bsc_arena_chunk_t *next = c->next;
		if (!c->borrowed)
			free (c);
		c = next;
	}
	arena->head = NULL;
}

void *
bsc_arena_alloc (bsc_arena_t *arena, size_t size)
{
	const size_t align = sizeof (max_align_t);
	bsc_arena_chunk_t *c = arena->head;
	size_t need = (size + align - 1) / align * align;

	if (need < size) { /* overflow */
		arena->failed = true;
		return NULL;
	}
	if (!c || c->size - c->used < need) {
		size_t sz = need > CHUNK_SIZE / 2 ? need : CHUNK_SIZE;
		bsc_arena_chunk_t *n = sz <= SIZE_MAX - sizeof (*n) ? malloc (sizeof (*n) + sz) : NULL;

		if (!n) {
			arena->failed = true;
			return NULL;
		}
		n->used = 0;
		n->size = sz;
		n->borrowed = false;
		/* A big block goes behind the current chunk so that the
		 * space left in the current one is not wasted. */
		if (c && sz > CHUNK_SIZE) {
			n->next = c->next;
			c->next = n;
			n->used = need;
			return n->data;
		}
		n->next = c;
		arena->head = c = n;
	}
	void *p = (char *) c->data + c->used;
	c->used += need;
	return p;
}

char *
bsc_arena_strndup (bsc_arena_t *arena, const char *s, size_t len)
{
	char *p = bsc_arena_alloc (arena, len + 1);

	if (!p)
		return NULL;
	if (len)
		memcpy (p, s, len);
	p[len] = '\0';
	return p;
}

char *
bsc_arena_strdup (bsc_arena_t *arena, const char *s)
{
	return s ? bsc_arena_strndup (arena, s, strlen (s)) : NULL;
}

void *
bsc_arena_grow (bsc_arena_t *arena, void *base, size_t elem, size_t *cap, size_t need)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return base;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / elem) {
		arena->failed = true;
		return NULL;
	}
	n = bsc_arena_alloc (arena, ncap * elem);
	if (!n)
		return NULL;
	if (base && *cap)
		memcpy (n, base, *cap * elem);
	*cap = ncap;
	return n;
}
