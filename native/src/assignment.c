/* assignment.c -- the compiled solvers of mottrack/assignment.py: SciPy's shortest
 * augmenting path (_solve_wide), max_weight_matching over connected components, and
 * match_edges (its degree-one shortcut).  Scratch lives in an mt_assign_ws (grows only). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void mt_assign_ws_free(mt_assign_ws *w)
{
    free(w->iw);
    free(w->fw);
    free(w->bw);
    memset(w, 0, sizeof *w);
}

/* _solve_wide on the nr x nc cost (nr <= nc), col4row out (nr); scratch passed in. */
static int solve_wide(const double *cost, int64_t nr, int64_t nc, int64_t *col4row, double *u, double *v,
                      double *spc, int64_t *path, int64_t *row4col, unsigned char *in_sr, unsigned char *in_sc,
                      int64_t *todo)
{
    for (int64_t i = 0; i < nr; i++) {
        u[i] = 0.0;
        col4row[i] = -1;
    }
    for (int64_t j = 0; j < nc; j++) {
        v[j] = 0.0;
        path[j] = -1;
        row4col[j] = -1;
    }
    for (int64_t cur = 0; cur < nr; cur++) {
        for (int64_t k = 0; k < nc; k++) {
            todo[k] = nc - 1 - k;
            spc[k] = INFINITY;
            in_sc[k] = 0;
        }
        for (int64_t k = 0; k < nr; k++)
            in_sr[k] = 0;
        int64_t n_todo = nc;
        double min_val = 0.0;
        int64_t i = cur, sink = -1;
        while (sink == -1) {
            int64_t best = -1;
            double lowest = INFINITY;
            in_sr[i] = 1;
            for (int64_t k = 0; k < n_todo; k++) {
                int64_t j = todo[k];
                double r = min_val + cost[i * nc + j] - u[i] - v[j];
                if (r < spc[j]) {
                    path[j] = i;
                    spc[j] = r;
                }
                if (spc[j] < lowest || (spc[j] == lowest && row4col[j] == -1)) {
                    lowest = spc[j];
                    best = k;
                }
            }
            min_val = lowest;
            if (min_val == INFINITY)
                return 0;
            int64_t j = todo[best];
            if (row4col[j] == -1)
                sink = j;
            else
                i = row4col[j];
            in_sc[j] = 1;
            n_todo -= 1;
            todo[best] = todo[n_todo];
        }
        u[cur] += min_val;
        for (int64_t r_ = 0; r_ < nr; r_++)
            if (in_sr[r_] && r_ != cur)
                u[r_] += min_val - spc[col4row[r_]];
        for (int64_t c_ = 0; c_ < nc; c_++)
            if (in_sc[c_])
                v[c_] -= min_val - spc[c_];
        int64_t j = sink;
        for (;;) {
            int64_t ii = path[j];
            row4col[j] = ii;
            int64_t tmp = col4row[ii];
            col4row[ii] = j;
            j = tmp;
            if (ii == cur)
                break;
        }
    }
    return 1;
}

static int64_t find(int64_t *parent, int64_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

int mt_max_weight_matching(mt_assign_ws *w, int64_t n_rows, int64_t n_cols, const int64_t *er, const int64_t *ec,
                           const double *ev, size_t ne, int64_t *col4row_out)
{
    for (int64_t i = 0; i < n_rows; i++)
        col4row_out[i] = -1;
    if (ne == 0)
        return 0;
    size_t V = (size_t)(n_rows + n_cols), E = ne;
    /* int scratch: parent, comp, local, nr_of, nc_of (5V), edge_comp, order, start (3E + V + 1),
     * grow, gcol (2V), solver: col4row, path, row4col, todo (4V) */
    size_t ineed = 5 * V + 3 * E + V + 1 + 2 * V + 4 * V + 8;
    if (MT_GROW(w->iw, w->iw_cap, ineed) || MT_GROW(w->bw, w->bw_cap, 3 * V + 8))
        return -1;
    int64_t *parent = w->iw, *comp = parent + V, *local = comp + V, *nr_of = local + V, *nc_of = nr_of + V;
    int64_t *edge_comp = nc_of + V, *order = edge_comp + E, *cstart = order + E;
    int64_t *grow = cstart + V + 1, *gcol = grow + V;
    int64_t *s_col4row = gcol + V, *s_path = s_col4row + V, *s_row4col = s_path + V, *s_todo = s_row4col + V;
    unsigned char *has_edge = w->bw, *in_sr = has_edge + V, *in_sc = in_sr + V;
    for (size_t x = 0; x < V; x++)
        parent[x] = (int64_t)x;
    for (size_t e = 0; e < E; e++) {
        int64_t a = find(parent, er[e]);
        int64_t b = find(parent, n_rows + ec[e]);
        if (a != b)
            parent[b] = a;
    }
    for (size_t x = 0; x < V; x++) {
        comp[x] = find(parent, (int64_t)x);
        local[x] = -1;
        nr_of[x] = 0;
        nc_of[x] = 0;
        has_edge[x] = 0;
    }
    for (size_t e = 0; e < E; e++) {
        has_edge[er[e]] = 1;
        has_edge[n_rows + ec[e]] = 1;
    }
    for (int64_t x = 0; x < n_rows; x++)
        if (has_edge[x]) {
            int64_t root = comp[x];
            local[x] = nr_of[root]++;
        }
    for (int64_t x = 0; x < n_cols; x++)
        if (has_edge[n_rows + x]) {
            int64_t root = comp[n_rows + x];
            local[n_rows + x] = nc_of[root]++;
        }
    /* edges grouped by component, stable (counting sort by root = argsort mergesort) */
    for (size_t x = 0; x <= V; x++)
        cstart[x] = 0;
    for (size_t e = 0; e < E; e++) {
        edge_comp[e] = comp[er[e]];
        cstart[edge_comp[e] + 1]++;
    }
    for (size_t x = 0; x < V; x++)
        cstart[x + 1] += cstart[x];
    for (size_t e = 0; e < E; e++)
        order[cstart[edge_comp[e]]++] = (int64_t)e;
    size_t start = 0;
    while (start < E) {
        int64_t root = edge_comp[order[start]];
        size_t stop = start;
        while (stop < E && edge_comp[order[stop]] == root)
            stop++;
        int64_t r = nr_of[root], c = nc_of[root];
        if (stop - start == 1) {
            size_t e = (size_t)order[start];
            col4row_out[er[e]] = ec[e];
        } else {
            for (size_t t = start; t < stop; t++) {
                size_t e = (size_t)order[t];
                grow[local[er[e]]] = er[e];
                gcol[local[n_rows + ec[e]]] = ec[e];
            }
            int transpose = r > c;
            int64_t R = transpose ? c : r, C = transpose ? r : c;
            if ((uint64_t)R * (uint64_t)C > SIZE_MAX / 16
                || MT_GROW(w->fw, w->fw_cap, (size_t)(R * C) + 3 * (size_t)C + (size_t)R + 8))
                return -1;
            double *wm = w->fw, *u = wm + R * C, *v = u + R, *spc = v + C;
            for (int64_t q = 0; q < R * C; q++)
                wm[q] = 0.0;
            for (size_t t = start; t < stop; t++) {
                size_t e = (size_t)order[t];
                int64_t lr = local[er[e]], lc = local[n_rows + ec[e]];
                if (transpose)
                    wm[lc * C + lr] = -ev[e];
                else
                    wm[lr * C + lc] = -ev[e];
            }
            solve_wide(wm, R, C, s_col4row, u, v, spc, s_path, s_row4col, in_sr, in_sc, s_todo);
            for (int64_t q = 0; q < R; q++) {
                int64_t a = s_col4row[q];
                if (a >= 0 && wm[q * C + a] < 0.0) {
                    if (transpose)
                        col4row_out[grow[a]] = gcol[q];
                    else
                        col4row_out[grow[q]] = gcol[a];
                }
            }
        }
        start = stop;
    }
    return 0;
}

int mt_match_edges(mt_assign_ws *w, int64_t n_rows, int64_t n_cols, const int64_t *er, const int64_t *ec,
                   const double *ev, size_t k, int64_t *col_for_row)
{
    for (int64_t i = 0; i < n_rows; i++)
        col_for_row[i] = -1;
    if (k == 0)
        return 0;
    size_t V = (size_t)(n_rows + n_cols);
    /* the degree / best arrays sit after max_weight_matching's scratch would start: use
     * a separate region at the end of iw */
    size_t base = 0;
    if (MT_GROW(w->iw, w->iw_cap, 2 * V + 8))
        return -1;
    int64_t *deg_r = w->iw + base, *deg_c = deg_r + n_rows, *best_r = deg_c + n_cols, *best_c = best_r + n_rows;
    for (int64_t i = 0; i < n_rows; i++)
        deg_r[i] = 0;
    for (int64_t j = 0; j < n_cols; j++)
        deg_c[j] = 0;
    for (size_t e = 0; e < k; e++) {
        deg_r[er[e]]++;
        deg_c[ec[e]]++;
    }
    for (size_t e = 0; e < k; e++)
        if (deg_r[er[e]] > 1 && deg_c[ec[e]] > 1)
            return mt_max_weight_matching(w, n_rows, n_cols, er, ec, ev, k, col_for_row);
    for (int64_t i = 0; i < n_rows; i++)
        best_r[i] = -1;
    for (int64_t j = 0; j < n_cols; j++)
        best_c[j] = -1;
    for (size_t e = 0; e < k; e++) {
        int64_t r = er[e], c = ec[e];
        if (deg_r[r] > 1) {
            if (best_r[r] < 0 || ev[e] > ev[best_r[r]])
                best_r[r] = (int64_t)e;
        } else if (deg_c[c] > 1) {
            if (best_c[c] < 0 || ev[e] > ev[best_c[c]])
                best_c[c] = (int64_t)e;
        } else {
            col_for_row[r] = c;
        }
    }
    for (int64_t r = 0; r < n_rows; r++)
        if (best_r[r] >= 0)
            col_for_row[r] = ec[best_r[r]];
    for (int64_t c = 0; c < n_cols; c++)
        if (best_c[c] >= 0)
            col_for_row[er[best_c[c]]] = c;
    return 0;
}

int mt_linear_sum_assignment(mt_assign_ws *w, const double *cost, int64_t nr, int64_t nc, int64_t *rows,
                             int64_t *cols, int64_t *n_pairs)
{
    *n_pairs = 0;
    if (nr <= 0 || nc <= 0)
        return 0;
    int transpose = nc < nr;
    int64_t R = transpose ? nc : nr, C = transpose ? nr : nc;
    if ((uint64_t)R * (uint64_t)C > SIZE_MAX / 16)
        return -2;
    size_t need_f = (size_t)(R * C) + (size_t)R + 2 * (size_t)C + 8;
    size_t need_i = (size_t)R + 3 * (size_t)C + 8;
    if (MT_GROW(w->fw, w->fw_cap, need_f) || MT_GROW(w->iw, w->iw_cap, need_i)
        || MT_GROW(w->bw, w->bw_cap, (size_t)(R + C) + 8))
        return -2;
    double *m = w->fw, *u = m + R * C, *v = u + R, *spc = v + C;
    const double *src = cost;
    if (transpose) {
        for (int64_t i = 0; i < R; i++)
            for (int64_t j = 0; j < C; j++)
                m[i * C + j] = cost[j * nc + i];
        src = m;
    }
    int64_t *col4row = w->iw, *path = col4row + R, *row4col = path + C, *todo = row4col + C;
    unsigned char *in_sr = w->bw, *in_sc = in_sr + R;
    if (!solve_wide(src, R, C, col4row, u, v, spc, path, row4col, in_sr, in_sc, todo))
        return -1;
    if (!transpose) {
        for (int64_t i = 0; i < R; i++) {
            rows[i] = i;
            cols[i] = col4row[i];
        }
    } else {
        /* col4row maps original columns to original rows (distinct): report sorted by row */
        for (int64_t j = 0; j < R; j++)
            rows[j] = col4row[j], cols[j] = j;
        /* insertion sort of the R pairs by row (R = min(nr, nc), small) */
        for (int64_t a = 1; a < R; a++) {
            int64_t rr = rows[a], cc = cols[a], b = a - 1;
            while (b >= 0 && rows[b] > rr) {
                rows[b + 1] = rows[b];
                cols[b + 1] = cols[b];
                b--;
            }
            rows[b + 1] = rr;
            cols[b + 1] = cc;
        }
    }
    *n_pairs = R;
    return 0;
}
