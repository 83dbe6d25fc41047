/* sm_template.h: the tiny placeholder language of page templates (SelmidTemplateDir).
 *
 *   {{name}}                     a value, HTML-escaped (& < > " ' become entities)
 *   {{#block}} ... {{/block}}    repeated once per item; inside, the item's values and the
 *                                top-level values can be used; blocks do not nest
 *
 * Spaces inside the braces are allowed ("{{ title }}"). Every "{{" starts a placeholder: there is
 * no escape for a literal "{{". An unknown name, an item value outside its block, an unclosed
 * "{{" or block, a stray close, or a NUL byte is an error naming the line. */
#ifndef SM_TEMPLATE_H
#define SM_TEMPLATE_H

#include "sm_core.h"

#define SM_TEMPLATE_MAX (256 * 1024) /* larger templates are refused */

/* The names a template may use. */
typedef struct sm_template_spec_t {
    const char *const *vars;      /* top-level names, NULL-terminated */
    const char *block;            /* the repeated block's name */
    const char *const *item_vars; /* names usable inside the block, NULL-terminated */
} sm_template_spec_t;

typedef struct sm_template_t sm_template_t;

/* Parses text (len bytes) against spec. On error returns APR_EINVAL and sets *err to
 * "NAME line N: reason" (name: e.g. the file path); *out is set only on success. */
apr_status_t sm_template_parse(apr_pool_t *p, const char *text, apr_size_t len,
                               const sm_template_spec_t *spec, const char *name,
                               sm_template_t **out, const char **err);

/* Renders t: values[i] is the value of spec->vars[i]; items[k][j] that of spec->item_vars[j] for
 * the k-th repetition of the block. A NULL value renders as nothing. */
char *sm_template_render(apr_pool_t *p, const sm_template_t *t, const char *const *values,
                         const char *const *const *items, int nitems);

#endif
