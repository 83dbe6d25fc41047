/* test_template.c: page templates: parsing, rendering, HTML escaping, errors with line numbers. */
#include "sm_tests.h"
#include "sm_template.h"
#include <string.h>

static const char *const vars[] = {"title", "lang", "intro", NULL};
static const char *const item_vars[] = {"url", "label", "name", NULL};
static const sm_template_spec_t spec = {vars, "providers", item_vars};

static sm_template_t *parse_ok(const char *text)
{
    sm_template_t *t = NULL;
    const char *err = "unset";

    ck_assert_int_eq(sm_template_parse(sm_test_pool, text, strlen(text), &spec, "t.html", &t, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(err);
    ck_assert_ptr_nonnull(t);
    return t;
}

static const char *parse_err(const char *text)
{
    sm_template_t *t = NULL;
    const char *err = NULL;

    ck_assert_int_eq(sm_template_parse(sm_test_pool, text, strlen(text), &spec, "t.html", &t, &err),
                     APR_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(err);
    return err;
}

START_TEST(render_values_and_block)
{
    const char *values[] = {"Log in", "en", "Choose", NULL};
    const char *a[] = {"/l?p=a", "A", "a"}, *b[] = {"/l?p=b", "B", "b"};
    const char *const *items[] = {a, b};
    sm_template_t *t = parse_ok("<html lang=\"{{lang}}\"><h1>{{ title }}</h1>{{intro}}\n"
                                "{{#providers}}<a href=\"{{url}}\" id=\"{{name}}\">{{label}} "
                                "({{lang}})</a>\n{{/providers}}end");

    ck_assert_str_eq(sm_template_render(sm_test_pool, t, values, items, 2),
                     "<html lang=\"en\"><h1>Log in</h1>Choose\n"
                     "<a href=\"/l?p=a\" id=\"a\">A (en)</a>\n"
                     "<a href=\"/l?p=b\" id=\"b\">B (en)</a>\nend");
    /* no items: the block disappears */
    ck_assert_str_eq(sm_template_render(sm_test_pool, t, values, NULL, 0),
                     "<html lang=\"en\"><h1>Log in</h1>Choose\nend");
    /* plain text without placeholders, and single braces, pass unchanged */
    t = parse_ok("a { b } c }} d");
    ck_assert_str_eq(sm_template_render(sm_test_pool, t, values, NULL, 0), "a { b } c }} d");
    t = parse_ok("");
    ck_assert_str_eq(sm_template_render(sm_test_pool, t, values, NULL, 0), "");
}
END_TEST

START_TEST(render_escapes_everything)
{
    const char *values[] = {"<script>alert(1)</script>", "\"onload=x", "a&b'c", NULL};
    const char *a[] = {"/l?a=1&b=\"2\"", "<b>L</b>", NULL};
    const char *const *items[] = {a};
    sm_template_t *t = parse_ok(
        "{{title}}|{{lang}}|{{intro}}{{#providers}}|{{url}}|{{label}}|{{name}}{{/providers}}");

    ck_assert_str_eq(sm_template_render(sm_test_pool, t, values, items, 1),
                     "&lt;script&gt;alert(1)&lt;/script&gt;|&quot;onload=x|a&amp;b&#39;c"
                     "|/l?a=1&amp;b=&quot;2&quot;|&lt;b&gt;L&lt;/b&gt;|");
    /* a value that looks like a placeholder is not expanded again */
    values[0] = "{{lang}}";
    ck_assert_str_eq(sm_template_render(sm_test_pool, parse_ok("{{title}}"), values, NULL, 0),
                     "{{lang}}");
}
END_TEST

START_TEST(parse_errors_name_the_line)
{
    const char *e;

    e = parse_err("line1\nline2 {{nosuch}}\n");
    ck_assert_str_eq(e, "t.html line 2: unknown placeholder {{nosuch}}");
    e = parse_err("a\nb\n{{#providers}}\n{{url}}\n");
    ck_assert_str_eq(e, "t.html line 3: {{#providers}} is not closed");
    e = parse_err("{{title}}\n\n\n{{title\n}");
    ck_assert_str_eq(e, "t.html line 4: '{{' without a closing '}}'");
    e = parse_err("{{url}}");
    ck_assert_str_eq(e,
                     "t.html line 1: {{url}} is only valid inside {{#providers}}...{{/providers}}");
    e = parse_err("x\n{{/providers}}");
    ck_assert_str_eq(e, "t.html line 2: {{/providers}} without {{#providers}}");
    e = parse_err("{{#providers}}\n{{#providers}}{{/providers}}{{/providers}}");
    ck_assert_str_eq(e, "t.html line 2: {{#providers}} inside {{#providers}}: blocks do not nest");
    e = parse_err("{{#items}}{{/items}}");
    ck_assert_str_eq(e, "t.html line 1: unknown block {{#items}}");
    e = parse_err("{{}}");
    ck_assert_str_eq(e, "t.html line 1: unknown placeholder {{}}");
    e = parse_err("{{Title}}"); /* names are case-sensitive */
    ck_assert_ptr_nonnull(strstr(e, "unknown placeholder {{Title}}"));
    e = parse_err("{{{title}}}");
    ck_assert_ptr_nonnull(strstr(e, "unknown placeholder {{{title}}"));
}
END_TEST

START_TEST(parse_rejects_nul_and_size)
{
    sm_template_t *t = NULL;
    const char *err = NULL;
    static const char with_nul[] = "ab\ncd\0{{title}}";
    char *big;

    ck_assert_int_eq(
        sm_template_parse(sm_test_pool, with_nul, sizeof(with_nul) - 1, &spec, "t.html", &t, &err),
        APR_EINVAL);
    ck_assert_str_eq(err, "t.html line 2: contains a NUL byte");
    big = apr_palloc(sm_test_pool, SM_TEMPLATE_MAX + 2);
    memset(big, 'x', SM_TEMPLATE_MAX + 1);
    big[SM_TEMPLATE_MAX + 1] = '\0';
    ck_assert_int_eq(
        sm_template_parse(sm_test_pool, big, SM_TEMPLATE_MAX + 1, &spec, "t.html", &t, &err),
        APR_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(err, "larger than"));
    /* exactly the maximum is fine */
    ck_assert_int_eq(
        sm_template_parse(sm_test_pool, big, SM_TEMPLATE_MAX, &spec, "t.html", &t, &err),
        APR_SUCCESS);
}
END_TEST

START_TEST(template_outlives_its_source)
{
    /* the template keeps its own copy of the text */
    char *src = apr_pstrdup(sm_test_pool, "<p>{{title}}</p>");
    const char *values[] = {"T", NULL, NULL};
    sm_template_t *t = parse_ok(src);

    memset(src, 'z', strlen(src));
    ck_assert_str_eq(sm_template_render(sm_test_pool, t, values, NULL, 0), "<p>T</p>");
}
END_TEST

Suite *sm_suite_template(void)
{
    Suite *s = suite_create("template");
    TCase *tc = tcase_create("template");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, render_values_and_block);
    tcase_add_test(tc, render_escapes_everything);
    tcase_add_test(tc, parse_errors_name_the_line);
    tcase_add_test(tc, parse_rejects_nul_and_size);
    tcase_add_test(tc, template_outlives_its_source);
    suite_add_tcase(s, tc);
    return s;
}
