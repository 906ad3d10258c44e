/* SPDX-License-Identifier: GPL-2.0 */
/*
 * transpose.h - 16 x 16 byte tiles: the unit in which a capture's records
 * become byte planes (capture_write.c) and byte planes records again
 * (capture_read.c).  Moving bytes one by one was most of the recorder's
 * CPU time: one load and one store per byte of every record.
 */
#ifndef __PFNMAP_TRANSPOSE_H
#define __PFNMAP_TRANSPOSE_H

#include <stddef.h>
#include <linux/types.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define TILE		16

/*
 * Byte i of row k of src becomes byte k of row i of dst, for TILE rows of
 * TILE bytes; the rows of src are sstride apart, those of dst dstride.
 * With SSE2: four rounds of interleaving (8-, 16-, 32-, then 64-bit) in
 * registers.
 */
#ifdef __SSE2__
static inline void tile_transpose(__u8 *dst, size_t dstride, const __u8 *src,
				  size_t sstride)
{
	__m128i a[TILE], b[TILE];
	int k, j;

	for (k = 0; k < TILE; k++)
		a[k] = _mm_loadu_si128((const __m128i *)(src + k * sstride));
	for (k = 0; k < TILE; k += 2) {
		b[k] = _mm_unpacklo_epi8(a[k], a[k + 1]);
		b[k + 1] = _mm_unpackhi_epi8(a[k], a[k + 1]);
	}
	for (k = 0; k < TILE; k += 4) {
		a[k] = _mm_unpacklo_epi16(b[k], b[k + 2]);
		a[k + 1] = _mm_unpackhi_epi16(b[k], b[k + 2]);
		a[k + 2] = _mm_unpacklo_epi16(b[k + 1], b[k + 3]);
		a[k + 3] = _mm_unpackhi_epi16(b[k + 1], b[k + 3]);
	}
	for (k = 0; k < TILE; k += 8)
		for (j = 0; j < 4; j++) {
			b[k + 2 * j] = _mm_unpacklo_epi32(a[k + j], a[k + 4 + j]);
			b[k + 2 * j + 1] = _mm_unpackhi_epi32(a[k + j], a[k + 4 + j]);
		}
	for (k = 0; k < TILE / 2; k++) {
		a[2 * k] = _mm_unpacklo_epi64(b[k], b[k + 8]);
		a[2 * k + 1] = _mm_unpackhi_epi64(b[k], b[k + 8]);
	}
	for (k = 0; k < TILE; k++)
		_mm_storeu_si128((__m128i *)(dst + k * dstride), a[k]);
}
#else
static inline void tile_transpose(__u8 *dst, size_t dstride, const __u8 *src,
				  size_t sstride)
{
	size_t k, i;

	for (k = 0; k < TILE; k++)
		for (i = 0; i < TILE; i++)
			dst[i * dstride + k] = src[k * sstride + i];
}
#endif

#endif /* __PFNMAP_TRANSPOSE_H */
