/* Dense linear sum assignment identical to mottrack.assignment.linear_sum_assignment. */
#ifndef MOTTRACK_LSA_H
#define MOTTRACK_LSA_H
#include <stddef.h>
#include <stdint.h>

/* Scratch sizes (doubles, int64s) mt_lsa needs for an nr x nc problem. */
size_t mt_lsa_workspace_doubles(size_t nr, size_t nc);
size_t mt_lsa_workspace_ints(size_t nr, size_t nc);
/* Minimum-cost assignment of cost (nr x nc, row-major, no NaN/-inf): min(nr, nc) pairs sorted
 * by row into rows/cols, count into *n_pairs.  Returns 0, or -1 when infeasible. */
int mt_lsa(const double *cost, size_t nr, size_t nc, int64_t *rows, int64_t *cols, size_t *n_pairs,
           double *dw, int64_t *iw);
#endif
