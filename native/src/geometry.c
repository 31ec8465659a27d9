/* geometry.c -- IoU and the sparse IoU edges of mottrack/geometry.py. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void mt_edges_free(mt_edges *e)
{
    free(e->r);
    free(e->c);
    free(e->v);
    free(e->order);
    free(e->found);
    free(e->bx1);
    memset(e, 0, sizeof *e);
}

int mt_edges_reserve(mt_edges *e, size_t need)
{
    if (need <= e->cap)
        return 0;
    size_t c1 = e->cap, c2 = e->cap, c3 = e->cap;
    if (MT_GROW(e->r, c1, need) || MT_GROW(e->c, c2, need) || MT_GROW(e->v, c3, need))
        return -1;
    e->cap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    return 0;
}

/* Stable bottom-up merge sort of row indices `a` by b's x1 (ties keep row order; any
 * order of ties gives the same edges, as the candidates are sorted by row after). */
static void merge_sort(int64_t *a, int64_t *tmp, size_t n, const double *b)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = b[4 * (size_t)a[j]] < b[4 * (size_t)a[i]] ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
}

size_t mt_search_left(const double *v, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t mt_search_right(const double *v, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int mt_overlap_edges(mt_edges *e, const double *a, size_t n, const double *b, size_t m)
{
    e->n = 0;
    if (n == 0 || m == 0)
        return 0;
    if ((uint64_t)n * (uint64_t)m <= 1024) {  /* dense scan (geometry._dense_edges_into) */
        if (mt_edges_reserve(e, n * m))
            return -1;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            double ax1 = a[4 * i], ay1 = a[4 * i + 1], ax2 = a[4 * i + 2], ay2 = a[4 * i + 3];
            for (size_t j = 0; j < m; j++) {
                const double *bj = b + 4 * j;
                double v = mt_iou(ax1, ay1, ax2, ay2, bj[0], bj[1], bj[2], bj[3]);
                if (v > 0.0) {
                    e->r[k] = (int64_t)i;
                    e->c[k] = (int64_t)j;
                    e->v[k] = v;
                    k++;
                }
            }
        }
        e->n = k;
        return 0;
    }
    /* sweep over b sorted by x1 (geometry._sweep_edges) */
    if (n > SIZE_MAX / 16 - m)
        return -1;
    size_t cap = 4 * (n + m) + 16;
    if (mt_edges_reserve(e, cap))
        return -1;
    size_t s1 = e->scap, s2 = e->scap, s3 = e->scap;
    if (MT_GROW(e->order, s1, 2 * m) || MT_GROW(e->found, s2, 2 * m) || MT_GROW(e->bx1, s3, 2 * m))
        return -1;
    e->scap = s1 < s2 ? (s1 < s3 ? s1 : s3) : (s2 < s3 ? s2 : s3);
    for (size_t j = 0; j < m; j++)
        e->order[j] = (int64_t)j;
    merge_sort(e->order, e->found, m, b);
    double max_w = 0.0;
    for (size_t j = 0; j < m; j++) {
        e->bx1[j] = b[4 * (size_t)e->order[j]];
        double w = b[4 * j + 2] - b[4 * j];
        if (w > max_w)
            max_w = w;
    }
    size_t k_e = 0;
    for (size_t i = 0; i < n; i++) {
        const double *ai = a + 4 * i;
        size_t lo = mt_search_left(e->bx1, m, ai[0] - max_w);
        size_t hi = mt_search_left(e->bx1, m, ai[2]);
        size_t k = 0;
        for (size_t t = lo; t < hi; t++) {
            size_t j = (size_t)e->order[t];
            const double *bj = b + 4 * j;
            if (bj[2] <= ai[0])
                continue;
            double v = mt_iou(ai[0], ai[1], ai[2], ai[3], bj[0], bj[1], bj[2], bj[3]);
            if (v > 0.0)
                e->found[k++] = (int64_t)j;
        }
        if (k == 0)
            continue;
        qsort(e->found, k, sizeof *e->found, cmp_i64);
        if (mt_edges_reserve(e, k_e + k))
            return -1;
        for (size_t t = 0; t < k; t++) {
            size_t j = (size_t)e->found[t];
            const double *bj = b + 4 * j;
            e->r[k_e] = (int64_t)i;
            e->c[k_e] = (int64_t)j;
            e->v[k_e] = mt_iou(ai[0], ai[1], ai[2], ai[3], bj[0], bj[1], bj[2], bj[3]);
            k_e++;
        }
    }
    e->n = k_e;
    return 0;
}
