/* Dense minimum-cost assignment, the same operations in the same order as
 * mottrack/assignment.py (_solve_wide / linear_sum_assignment, itself SciPy's
 * shortest-augmenting-path algorithm): identical pairs, including among ties. */
#include "lsa.h"

#include <math.h>

size_t mt_lsa_workspace_doubles(size_t nr, size_t nc) {
    size_t small = nr < nc ? nr : nc, big = nr < nc ? nc : nr;
    /* transposed cost, u, v, spc */
    return small * big + small + 2 * big;
}

size_t mt_lsa_workspace_ints(size_t nr, size_t nc) {
    size_t small = nr < nc ? nr : nc, big = nr < nc ? nc : nr;
    /* path, col4row, row4col, todo, in_sr, in_sc */
    return 3 * big + 2 * small + big;
}

/* cost (nr x nc, nr <= nc, row-major); col4row (nr); returns 0 or -1 if infeasible */
static int solve_wide(const double *cost, size_t nr, size_t nc, int64_t *col4row, double *dw, int64_t *iw) {
    double *u = dw, *v = u + nr, *spc = v + nc;
    int64_t *path = iw, *row4col = path + nc, *todo = row4col + nc, *in_sr = todo + nc, *in_sc = in_sr + nr;
    for (size_t k = 0; k < nr; k++) { u[k] = 0.0; col4row[k] = -1; }
    for (size_t k = 0; k < nc; k++) { v[k] = 0.0; path[k] = -1; row4col[k] = -1; }
    for (size_t cur = 0; cur < nr; cur++) {
        for (size_t k = 0; k < nc; k++) {
            todo[k] = (int64_t)(nc - 1 - k);
            spc[k] = INFINITY;
            in_sc[k] = 0;
        }
        for (size_t k = 0; k < nr; k++) in_sr[k] = 0;
        size_t n_todo = nc;
        double min_val = 0.0;
        int64_t i = (int64_t)cur, sink = -1;
        while (sink == -1) {
            int64_t best = -1;
            double lowest = INFINITY;
            in_sr[i] = 1;
            for (size_t k = 0; k < n_todo; k++) {
                int64_t j = todo[k];
                double r = min_val + cost[(size_t)i * nc + (size_t)j] - u[i] - v[j];
                if (r < spc[j]) {
                    path[j] = i;
                    spc[j] = r;
                }
                if (spc[j] < lowest || (spc[j] == lowest && row4col[j] == -1)) {
                    lowest = spc[j];
                    best = (int64_t)k;
                }
            }
            min_val = lowest;
            if (min_val == INFINITY) return -1;
            int64_t j = todo[best];
            if (row4col[j] == -1) sink = j;
            else i = row4col[j];
            in_sc[j] = 1;
            n_todo -= 1;
            todo[best] = todo[n_todo];
        }
        u[cur] += min_val;
        for (size_t r = 0; r < nr; r++)
            if (in_sr[r] && r != cur) u[r] += min_val - spc[col4row[r]];
        for (size_t c = 0; c < nc; c++)
            if (in_sc[c]) v[c] -= min_val - spc[c];
        int64_t j = sink;
        for (;;) {
            int64_t ii = path[j];
            row4col[j] = ii;
            int64_t tmp = col4row[ii];
            col4row[ii] = j;
            j = tmp;
            if (ii == (int64_t)cur) break;
        }
    }
    return 0;
}

int mt_lsa(const double *cost, size_t nr, size_t nc, int64_t *rows, int64_t *cols, size_t *n_pairs,
           double *dw, int64_t *iw) {
    *n_pairs = 0;
    if (nr == 0 || nc == 0) return 0;
    if (nc < nr) {
        /* solve the transpose: nc rows (original columns) of nr columns (original rows) */
        double *ct = dw;
        for (size_t i = 0; i < nr; i++)
            for (size_t j = 0; j < nc; j++) ct[j * nr + i] = cost[i * nc + j];
        int64_t *c4r = iw;
        if (solve_wide(ct, nc, nr, c4r, dw + nr * nc, iw + nc) != 0) return -1;
        /* report sorted by original row: c4r maps original column -> original row (distinct) */
        size_t k = 0;
        for (size_t r = 0; r < nr; r++)
            for (size_t c = 0; c < nc; c++)
                if (c4r[c] == (int64_t)r) { rows[k] = (int64_t)r; cols[k] = (int64_t)c; k++; }
        *n_pairs = k;
        return 0;
    }
    if (solve_wide(cost, nr, nc, cols, dw, iw) != 0) return -1;
    for (size_t r = 0; r < nr; r++) rows[r] = (int64_t)r;
    *n_pairs = nr;
    return 0;
}
