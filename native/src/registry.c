/* registry.c -- the tracker-name dispatch table: the one place that lists the trackers.
 * A tracker is one file defining `const mt_kind mt_kind_<name>`; add it here. */
#include "internal.h"

extern const mt_kind mt_kind_sort;
extern const mt_kind mt_kind_bytetrack;
extern const mt_kind mt_kind_botsort;
extern const mt_kind mt_kind_ocsort;
extern const mt_kind mt_kind_deepsort;
extern const mt_kind mt_kind_hybridsort;

/* registration order of the Python package (mottrack.registry.registered_trackers) */
const mt_kind *const mt_kinds[] = {
    &mt_kind_sort,
    &mt_kind_bytetrack,
    &mt_kind_deepsort,
    &mt_kind_ocsort,
    &mt_kind_botsort,
    &mt_kind_hybridsort,
};
const size_t mt_n_kinds = sizeof mt_kinds / sizeof mt_kinds[0];
