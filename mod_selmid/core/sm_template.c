/* sm_template.c: parsing and rendering of page templates (see sm_template.h). */
#include "sm_template.h"
#include "sm_url.h"
#include <string.h>

typedef enum { NODE_TEXT, NODE_VAR, NODE_ITEM_VAR, NODE_BLOCK } node_kind_e;

typedef struct node_t {
    node_kind_e kind;
    const char *text; /* NODE_TEXT */
    apr_size_t len;
    int index;                    /* NODE_VAR, NODE_ITEM_VAR */
    apr_array_header_t *children; /* NODE_BLOCK: of node_t */
} node_t;

struct sm_template_t {
    apr_array_header_t *nodes; /* of node_t */
};

static int find_name(const char *const *names, const char *s, apr_size_t n)
{
    int i;

    for (i = 0; names && names[i]; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
            return i;
    return -1;
}

static int line_of(const char *text, const char *at)
{
    int line = 1;

    for (; text < at; text++)
        if (*text == '\n')
            line++;
    return line;
}

static void add_text(apr_array_header_t *nodes, const char *s, apr_size_t n)
{
    node_t *nd;

    if (n == 0)
        return;
    nd = apr_array_push(nodes);
    memset(nd, 0, sizeof(*nd));
    nd->kind = NODE_TEXT;
    nd->text = s;
    nd->len = n;
}

static void add_var(apr_array_header_t *nodes, node_kind_e kind, int index)
{
    node_t *nd = apr_array_push(nodes);

    memset(nd, 0, sizeof(*nd));
    nd->kind = kind;
    nd->index = index;
}

apr_status_t sm_template_parse(apr_pool_t *p, const char *text, apr_size_t len,
                               const sm_template_spec_t *spec, const char *name,
                               sm_template_t **out, const char **err)
{
    sm_template_t *t;
    apr_array_header_t *cur;
    const char *pos, *end = text + len, *open_at = NULL;
    const char *why = NULL, *why_at = text;
    char *copy;

    *err = NULL;
    if (len > SM_TEMPLATE_MAX) {
        *err = apr_psprintf(p, "%s: larger than %d bytes", name, SM_TEMPLATE_MAX);
        return APR_EINVAL;
    }
    if (memchr(text, '\0', len)) {
        why_at = memchr(text, '\0', len);
        why = "contains a NUL byte";
        goto leave;
    }
    copy = apr_pstrmemdup(p, text, len); /* the nodes point into this copy */
    end = copy + len;
    t = apr_pcalloc(p, sizeof(*t));
    t->nodes = apr_array_make(p, 16, sizeof(node_t));
    cur = t->nodes;
    pos = copy;
    text = copy;
    while (pos < end) {
        const char *o = strstr(pos, "{{"), *c, *s, *e;
        apr_size_t n;
        int idx;
        if (!o) {
            add_text(cur, pos, (apr_size_t)(end - pos));
            break;
        }
        add_text(cur, pos, (apr_size_t)(o - pos));
        why_at = o;
        if (!(c = strstr(o + 2, "}}"))) {
            why = "'{{' without a closing '}}'";
            goto leave;
        }
        for (s = o + 2; s < c && *s == ' '; s++)
            ;
        for (e = c; e > s && e[-1] == ' '; e--)
            ;
        n = (apr_size_t)(e - s);
        if (n > 0 && (*s == '#' || *s == '/')) {
            bool opening = *s == '#';
            if (n - 1 != strlen(spec->block) || memcmp(s + 1, spec->block, n - 1) != 0) {
                why = apr_psprintf(p, "unknown block {{%.*s}}", (int)(n > 60 ? 60 : n), s);
                goto leave;
            }
            if (opening && cur != t->nodes) {
                why = apr_psprintf(p, "{{#%s}} inside {{#%s}}: blocks do not nest", spec->block,
                                   spec->block);
                goto leave;
            }
            if (!opening && cur == t->nodes) {
                why = apr_psprintf(p, "{{/%s}} without {{#%s}}", spec->block, spec->block);
                goto leave;
            }
            if (opening) {
                node_t *nd = apr_array_push(cur);
                memset(nd, 0, sizeof(*nd));
                nd->kind = NODE_BLOCK;
                nd->children = apr_array_make(p, 8, sizeof(node_t));
                cur = nd->children;
                open_at = o;
            } else {
                cur = t->nodes;
                open_at = NULL;
            }
        } else if ((idx = find_name(spec->vars, s, n)) >= 0) {
            add_var(cur, NODE_VAR, idx);
        } else if ((idx = find_name(spec->item_vars, s, n)) >= 0) {
            if (cur == t->nodes) {
                why = apr_psprintf(p, "{{%.*s}} is only valid inside {{#%s}}...{{/%s}}", (int)n, s,
                                   spec->block, spec->block);
                goto leave;
            }
            add_var(cur, NODE_ITEM_VAR, idx);
        } else {
            why = apr_psprintf(p, "unknown placeholder {{%.*s}}", (int)(n > 60 ? 60 : n), s);
            goto leave;
        }
        pos = c + 2;
    }
    if (open_at) {
        why_at = open_at;
        why = apr_psprintf(p, "{{#%s}} is not closed", spec->block);
        goto leave;
    }
    *out = t;
leave:
    if (why) {
        *err = apr_psprintf(p, "%s line %d: %s", name, line_of(text, why_at), why);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static void render_nodes(apr_pool_t *p, const apr_array_header_t *nodes, const char *const *values,
                         const char *const *item, apr_array_header_t *parts,
                         const char *const *const *items, int nitems)
{
    int i, k;

    for (i = 0; i < nodes->nelts; i++) {
        const node_t *nd = &APR_ARRAY_IDX(nodes, i, node_t);
        switch (nd->kind) {
        case NODE_TEXT:
            APR_ARRAY_PUSH(parts, const char *) = apr_pstrmemdup(p, nd->text, nd->len);
            break;
        case NODE_VAR:
            APR_ARRAY_PUSH(parts, const char *) = sm_html_escape(p, values[nd->index]);
            break;
        case NODE_ITEM_VAR:
            APR_ARRAY_PUSH(parts, const char *) = sm_html_escape(p, item ? item[nd->index] : NULL);
            break;
        case NODE_BLOCK:
            for (k = 0; k < nitems; k++)
                render_nodes(p, nd->children, values, items[k], parts, NULL, 0);
            break;
        }
    }
}

char *sm_template_render(apr_pool_t *p, const sm_template_t *t, const char *const *values,
                         const char *const *const *items, int nitems)
{
    apr_array_header_t *parts = apr_array_make(p, 64, sizeof(const char *));

    render_nodes(p, t->nodes, values, NULL, parts, items, nitems);
    return apr_array_pstrcat(p, parts, 0);
}
