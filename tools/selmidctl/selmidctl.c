/* selmidctl.c: the administrator's command-line tool for mod_selmid's directory (issue 6):
 * options, the choice of the directory, opening it through the port's DBD adapter (which creates
 * or migrates the schema exactly as httpd does) and the commands (ctl_cmds.c).
 * Exit codes: 0 done, 1 not found or refused, 2 usage error, 3 the directory failed. */
#include "ctl.h"
#include "sm_build.h"
#include <apr_general.h>
#include <apr_file_info.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Which options a command accepts. */
enum {
    O_JSON = 1 << 0,
    O_ORG = 1 << 1,
    O_FORCE = 1 << 2,
    O_AFTER = 1 << 3,
    O_LIMIT = 1 << 4,
    O_PERSON = 1 << 5,
    O_PAGE = 1 << 6,
};

typedef struct cmd_t {
    const char *name;
    int nargs;
    int opts;
    const char *operands[4]; /* the operands' names, for messages */
    int (*run)(ctl_t *c, const char *const *args);
} cmd_t;

static const cmd_t cmds[] = {
    {"find", 3, 0, {"PROVIDER", "ISSUER", "SUBJECT"}, ctl_find},
    {"show", 1, O_JSON, {"PERSON"}, ctl_show},
    {"link", 4, O_ORG, {"PERSON", "PROVIDER", "ISSUER", "SUBJECT"}, ctl_link},
    {"unlink", 4, O_FORCE, {"PERSON", "PROVIDER", "ISSUER", "SUBJECT"}, ctl_unlink},
    {"events", 0, O_AFTER | O_LIMIT | O_PERSON | O_PAGE, {NULL}, ctl_events},
};

#define PAGE_MAX 10000

static const char usage_text[] =
    "usage: selmidctl [-d SPEC] COMMAND [OPTIONS] OPERANDS...\n"
    "\n"
    "The administrator's tool for mod_selmid's directory (linked identities, event log).\n"
    "An identity is written as three operands: PROVIDER ISSUER SUBJECT.\n"
    "\n"
    "commands:\n"
    "  find PROVIDER ISSUER SUBJECT          print the person the identity is linked to\n"
    "  show [--json] PERSON                  the person's linked identities\n"
    "  link [--org] PERSON|new PROVIDER ISSUER SUBJECT\n"
    "                                        link an identity (to a new person with \"new\")\n"
    "  unlink [--force] PERSON PROVIDER ISSUER SUBJECT\n"
    "                                        remove a link (--force: also the person's last\n"
    "                                        organisational identity)\n"
    "  events [--after ID] [--limit N] [--person PERSON] [--page-size N]\n"
    "                                        the event log as JSON lines\n"
    "\n"
    "options:\n"
    "  -d, --directory SPEC   sqlite:/path/file.db or pgsql:<libpq conninfo>, as SelmidDirectory\n"
    "                         (default: the environment variable SELMID_DIRECTORY)\n"
    "  -v, --verbose          also print the directory's informational messages\n"
    "  -h, --help             this text\n"
    "  -V, --version          the version\n"
    "  --                     the end of the options (for an operand such as --x or -d)\n"
    "\n"
    "exit codes: 0 done, 1 not found or refused, 2 usage error, 3 the directory failed.\n"
    "Opening the directory creates or migrates its schema as httpd does. See docs/selmidctl.md.\n";

static int usage_error(const ctl_t *c, const char *msg)
{
    ctl_err(c, "SM25001: %s (selmidctl --help shows the usage)", msg);
    return CTL_USAGE;
}

/* The name of a command-line option for a message: never its value (it may hold a password). */
static const char *option_name(apr_pool_t *p, const char *arg)
{
    if (!arg)
        return "?";
    return apr_pstrndup(p, arg, strcspn(arg, "="));
}

enum {
    OPT_DIR,
    OPT_VERBOSE,
    OPT_HELP,
    OPT_VERSION,
    OPT_JSON,
    OPT_ORG,
    OPT_FORCE,
    OPT_AFTER,
    OPT_LIMIT,
    OPT_PERSON,
    OPT_PAGE
};

static const struct {
    const char *name; /* after "--" */
    const char *short_name;
    bool has_value;
    int id;
} opt_defs[] = {
    {"directory", "-d", true, OPT_DIR},  {"verbose", "-v", false, OPT_VERBOSE},
    {"help", "-h", false, OPT_HELP},     {"version", "-V", false, OPT_VERSION},
    {"json", NULL, false, OPT_JSON},     {"org", NULL, false, OPT_ORG},
    {"force", NULL, false, OPT_FORCE},   {"after", NULL, true, OPT_AFTER},
    {"limit", NULL, true, OPT_LIMIT},    {"person", NULL, true, OPT_PERSON},
    {"page-size", NULL, true, OPT_PAGE},
};

/* The option arg names (index into opt_defs), or -1; *value is what follows "=" in a long one.
 * Only "--name[=value]" of a known name and exactly "-d", "-v", "-h", "-V" are options, so that
 * an operand may start with "-" (person ids are base64url: one in 64 does). */
static int find_option(const char *arg, const char **value)
{
    size_t i, n;

    *value = NULL;
    for (i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++) {
        if (opt_defs[i].short_name && strcmp(arg, opt_defs[i].short_name) == 0)
            return (int)i;
        n = strlen(opt_defs[i].name);
        if (strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, opt_defs[i].name, n) == 0 &&
            (arg[2 + n] == '\0' || arg[2 + n] == '=')) {
            if (arg[2 + n] == '=')
                *value = arg + 3 + n;
            return (int)i;
        }
    }
    return -1;
}

/* A person id as the directory makes them (22 characters of base64url), which may also start
 * with "--". */
static bool looks_like_person(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    return n == 22 && s[n] == '\0';
}

/* Applies one option; returns -1 to go on, else an exit code. */
static int apply_option(ctl_t *c, int id, const char *val, int *used, bool *verbose,
                        const char **dir)
{
    apr_int64_t v;
    const char *why;

    switch (id) {
    case OPT_DIR:
        *dir = val;
        break;
    case OPT_VERBOSE:
        *verbose = true;
        break;
    case OPT_HELP:
        fputs(usage_text, stdout);
        return CTL_OK;
    case OPT_VERSION:
        printf("selmidctl (%s) %s, directory schema version %d\n", PACKAGE_NAME, PACKAGE_VERSION,
               SM_DIR_SCHEMA_VERSION);
        return CTL_OK;
    case OPT_JSON:
        c->json = true;
        *used |= O_JSON;
        break;
    case OPT_ORG:
        c->org = true;
        *used |= O_ORG;
        break;
    case OPT_FORCE:
        c->force = true;
        *used |= O_FORCE;
        break;
    case OPT_AFTER:
        if (!ctl_parse_int(val, 0, APR_INT64_MAX, &v))
            return usage_error(c, "--after needs an event id (a whole number, 0 or more)");
        c->after = v;
        c->has_after = true;
        *used |= O_AFTER;
        break;
    case OPT_LIMIT:
        if (!ctl_parse_int(val, 1, APR_INT64_MAX, &v))
            return usage_error(c, "--limit needs a whole number, 1 or more");
        c->limit = v;
        c->has_limit = true;
        *used |= O_LIMIT;
        break;
    case OPT_PERSON:
        if ((why = ctl_check_value(c->pool, "--person", val)) != NULL)
            return usage_error(c, why);
        c->person = val;
        c->has_person = true;
        *used |= O_PERSON;
        break;
    default: /* OPT_PAGE */
        if (!ctl_parse_int(val, 1, PAGE_MAX, &v))
            return usage_error(c, "--page-size needs a whole number from 1 to 10000");
        c->page = (int)v;
        c->has_page = true;
        *used |= O_PAGE;
        break;
    }
    return -1;
}

/* Parses the command line into c (options, anywhere before "--") and *operands (the command
 * and its operands); returns -1 to go on, else an exit code. *used collects O_*. */
static int parse_args(ctl_t *c, int argc, char **argv, apr_array_header_t **operands, int *used,
                      bool *verbose)
{
    const char *dir = NULL;
    bool ended = false;
    int i, code;

    *operands = apr_array_make(c->pool, 8, sizeof(const char *));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        int k;

        if (!ended && strcmp(a, "--") == 0) {
            ended = true;
            continue;
        }
        k = ended ? -1 : find_option(a, &val);
        if (k < 0) {
            if (!ended && strncmp(a, "--", 2) == 0 && !looks_like_person(a))
                return usage_error(
                    c, apr_psprintf(c->pool,
                                    "unknown option %s (an operand that starts with - goes "
                                    "after --)",
                                    option_name(c->pool, a)));
            APR_ARRAY_PUSH(*operands, const char *) = a;
            continue;
        }
        if (opt_defs[k].has_value && !val) {
            if (i + 1 >= argc)
                return usage_error(c, apr_psprintf(c->pool, "the option %s needs a value", a));
            val = argv[++i];
        } else if (!opt_defs[k].has_value && val) {
            return usage_error(
                c, apr_psprintf(c->pool, "the option --%s takes no value", opt_defs[k].name));
        }
        code = apply_option(c, opt_defs[k].id, val, used, verbose, &dir);
        if (code >= 0)
            return code;
    }
    c->spec = dir ? dir : getenv("SELMID_DIRECTORY");
    c->secrets = ctl_secrets(c->pool, c->spec);
    return -1;
}

/* Checks the command line after the options: the command, its operands and options. */
static int check_command(ctl_t *c, int nargs, const char *const *args, int used, const cmd_t **cmd)
{
    const cmd_t *k = NULL;
    size_t i;
    int j;

    if (nargs < 1)
        return usage_error(c, "no command (find, show, link, unlink, events)");
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(args[0], cmds[i].name) == 0)
            k = &cmds[i];
    if (!k)
        return usage_error(c, "unknown command (find, show, link, unlink, events)");
    if (nargs - 1 != k->nargs) {
        const char *want = k->nargs ? "" : "no operands";
        for (j = 0; j < k->nargs; j++)
            want = apr_pstrcat(c->pool, want, j ? " " : "", k->operands[j], NULL);
        return usage_error(c, apr_psprintf(c->pool, "%s takes %s", k->name, want));
    }
    if (used & ~k->opts) {
        static const char *const names[] = {"--json",  "--org",    "--force",    "--after",
                                            "--limit", "--person", "--page-size"};
        for (j = 0; !((used & ~k->opts) & (1 << j)); j++)
            ;
        return usage_error(c, apr_psprintf(c->pool, "%s does not take %s", k->name, names[j]));
    }
    for (j = 0; j < k->nargs; j++) {
        const char *why = ctl_check_value(c->pool, k->operands[j], args[j + 1]);
        if (!why && strcmp(k->operands[j], "PROVIDER") == 0 &&
            strlen(args[j + 1]) > SM_DIR_PROVIDER_MAX)
            why = apr_psprintf(c->pool, "PROVIDER is longer than %d bytes", SM_DIR_PROVIDER_MAX);
        if (why)
            return usage_error(c, why);
    }
    *cmd = k;
    return -1;
}

/* Opens the directory named by c->spec; returns -1 when open, else an exit code. */
static int open_directory(ctl_t *c, bool verbose)
{
    sm_dir_dbd_cfg_t *cfg = NULL;
    const char *why, *err = NULL, *file = NULL;
    apr_finfo_t fi;
    bool existed = true;

    if (!c->spec || !*c->spec)
        return usage_error(c, "no directory: give -d SPEC or set SELMID_DIRECTORY");
    /* Checked here first so that a spec of no known back end is never echoed. */
    if (strncmp(c->spec, "sqlite:", 7) != 0 && strncmp(c->spec, "pgsql:", 6) != 0)
        return usage_error(c, "the directory must be sqlite:/path/file.db or pgsql:<conninfo>");
    why = sm_directory_dbd_parse(c->pool, c->spec, &cfg);
    if (why) {
        if (strncmp(why, "SelmidDirectory: ", 17) == 0)
            why += 17;
        return usage_error(c, apr_psprintf(c->pool, "bad directory: %s", why));
    }
    if (strcmp(sm_directory_dbd_backend(cfg), "sqlite") == 0) {
        file = c->spec + 7;
        existed = apr_stat(&fi, file, APR_FINFO_TYPE, c->pool) == APR_SUCCESS;
    }
    c->log.emit = ctl_log_emit;
    c->log.baton = c;
    c->log.max_level = verbose ? SM_LOG_DEBUG : SM_LOG_NOTICE;
    if (sm_directory_dbd_open(c->pool, cfg, &c->log, &sm_rand_system, &c->dir, &err) !=
        APR_SUCCESS) {
        /* The adapter has said why (SM24011); say it here only if it did not. */
        if (c->errors_logged == 0)
            ctl_err(c, "SM25020: cannot open the directory: %s", err ? err : "(no reason)");
        return CTL_FAIL;
    }
    if (!existed) {
        bool root_owned = apr_stat(&fi, file, APR_FINFO_USER, c->pool) == APR_SUCCESS &&
                          fi.user == 0 && geteuid() == 0;
        ctl_err(c, "SM25021: created a new, empty directory in %s%s", file,
                root_owned ? " owned by root: httpd cannot write to it until it is chowned to "
                             "httpd's user (run selmidctl as that user: sudo -u www-data ...)"
                           : "");
    }
    return -1;
}

int main(int argc, char **argv)
{
    apr_pool_t *pool = NULL;
    ctl_t c = {0};
    const cmd_t *cmd = NULL;
    apr_array_header_t *operands = NULL;
    const char *const *args;
    int used = 0, code;
    bool verbose = false;

    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        fputs("selmidctl: SM25002: cannot initialise APR\n", stderr);
        return CTL_FAIL;
    }
    c.pool = pool;
    c.secrets = ctl_secrets(pool, NULL);
    code = parse_args(&c, argc, argv, &operands, &used, &verbose);
    if (code >= 0)
        goto leave;
    args = (const char *const *)operands->elts;
    code = check_command(&c, operands->nelts, args, used, &cmd);
    if (code >= 0)
        goto leave;
    code = open_directory(&c, verbose);
    if (code >= 0)
        goto leave;
    code = cmd->run(&c, args + 1);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ctl_err(&c, "SM25033: cannot write to the standard output");
        code = CTL_FAIL;
    }
leave:
    apr_pool_destroy(pool);
    apr_terminate();
    return code;
}
