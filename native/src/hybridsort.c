/* Hybrid-SORT (Yang et al., AAAI 2024), motion only: the stages of oc_stages.c with
 * Hybrid-SORT's choices (mottrack/trackers/hybridsort.py): four-corner directions, the TCM
 * confidence filter and its terms in the first and BYTE rounds, asso_func (default HMIoU)
 * in every round, BYTE on by default. */
#include "oc_stages.h"

/* after the shared parameters (MT_OC_PARAMS) */
enum { P_TCM_FIRST = MT_OC_N_PARAMS, P_TCM_FIRST_W, P_TCM_BYTE, P_TCM_BYTE_W };
/* asso_func: the similarity kinds, then the original's name for hmiou */
#define ALIAS_HMIOU MT_N_SIM

static int init(mt_tracker *t) {
    double *p = t->p;
    if (p[MT_OC_ASSO] == ALIAS_HMIOU) p[MT_OC_ASSO] = MT_SIM_HMIOU; /* "Height_Modulated_IoU" is "hmiou" */
    mt_oc_config c = mt_oc_config_of(t);
    c.hybrid = 1;
    c.first_kind = c.kind;
    c.tcm_first = p[P_TCM_FIRST] != 0.0 ? p[P_TCM_FIRST_W] : 0.0;
    c.tcm_byte = p[P_TCM_BYTE] != 0.0 ? p[P_TCM_BYTE_W] : 0.0;
    return mt_oc_init(t, &c);
}

static const mt_param_info params[] = {
    MT_OC_PARAMS(0.25, MT_SIM_HMIOU, "hmiou", MT_SIM_CHOICES "|Height_Modulated_IoU", 0.05, 1.0),
    {"tcm_first_step", MT_PARAM_BOOL, 1.0, NULL, 0.0, 1.0, 0, NULL},
    {"tcm_first_step_weight", MT_PARAM_FLOAT, 1.0, NULL, -1e6, 1e6, 0, NULL},
    {"tcm_byte_step", MT_PARAM_BOOL, 1.0, NULL, 0.0, 1.0, 0, NULL},
    {"tcm_byte_step_weight", MT_PARAM_FLOAT, 1.0, NULL, -1e6, 1e6, 0, NULL},
    MT_COMMON_PARAMS("detection", 1.0),
};

const mt_kind mt_kind_hybridsort = {"hybridsort", params, sizeof params / sizeof params[0], MT_KIND_WARP, init,
                                    mt_oc_destroy, mt_oc_reset, mt_oc_prepare, mt_oc_step, mt_oc_table,
                                    mt_oc_save, mt_oc_load};
