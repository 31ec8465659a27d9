/* OC-SORT (Cao et al., CVPR 2023): the stages of oc_stages.c with OC-SORT's choices
 * (mottrack/trackers/ocsort.py): the centre direction, an IoU + momentum first round
 * whatever asso_func says (asso_func is the BYTE / OCR rounds' similarity), no TCM. */
#include "oc_stages.h"

static int init(mt_tracker *t) {
    mt_oc_config c = mt_oc_config_of(t);
    return mt_oc_init(t, &c);
}

static const mt_param_info params[] = {
    MT_OC_PARAMS(0.3, MT_SIM_IOU, "iou", MT_SIM_CHOICES, 0.2, 0.0),
    MT_COMMON_PARAMS("detection", 1.0),
};

const mt_kind mt_kind_ocsort = {"ocsort", params, sizeof params / sizeof params[0], MT_KIND_WARP, init,
                                mt_oc_destroy, mt_oc_reset, mt_oc_prepare, mt_oc_step, mt_oc_table,
                                mt_oc_save, mt_oc_load};
