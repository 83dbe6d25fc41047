/* test_directory_race.c: the directory adapter under concurrency (dirfix.h: SQLite, and
 * PostgreSQL with SM_TEST_PGSQL): two threads of one process linking one identity at once, two
 * processes doing the same, and processes opening a fresh directory at once. */
#include "dirfix.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define P  sm_test_pool
#define T0 DF_T0

typedef struct racer_t {
    sm_directory_t *d;
    apr_pool_t *pool;
    pthread_barrier_t *barrier;
    const sm_identity_t *id;
    apr_status_t rv;
    const char *person;
} racer_t;

static void *racer(void *arg)
{
    racer_t *r = arg;

    pthread_barrier_wait(r->barrier);
    r->rv = r->d->link(r->d->baton, r->pool, r->id, false, NULL, T0, &r->person);
    return NULL;
}

START_TEST(race_two_links)
{
    sm_directory_t *d = df_open(P);
    pthread_barrier_t barrier;
    int round, k, wins_total = 0;
    df_raw_t r;

    for (round = 0; round < 20; round++) {
        sm_identity_t id = {"line", "https://access.line.me", apr_psprintf(P, "Urace%d", round)};
        racer_t rs[2];
        pthread_t th[2];
        const char *found = NULL;
        int wins = 0, refused = 0;
        apr_time_t started = apr_time_now();

        ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, 2), 0);
        for (k = 0; k < 2; k++) {
            rs[k] = (racer_t){d, NULL, &barrier, &id, APR_EGENERAL, NULL};
            apr_pool_create(&rs[k].pool, NULL);
            ck_assert_int_eq(pthread_create(&th[k], NULL, racer, &rs[k]), 0);
        }
        for (k = 0; k < 2; k++)
            ck_assert_int_eq(pthread_join(th[k], NULL), 0);
        pthread_barrier_destroy(&barrier);
        /* writers of one process never wait out SQLite's busy timeout (5 s) for each other */
        ck_assert_msg(apr_time_now() - started < apr_time_from_sec(2), "round %d took %d ms", round,
                      (int)apr_time_as_msec(apr_time_now() - started));
        for (k = 0; k < 2; k++) {
            if (rs[k].rv == APR_SUCCESS) {
                wins++;
                ck_assert_int_eq(d->find(d->baton, P, &id, &found), APR_SUCCESS);
                ck_assert_str_eq(found, rs[k].person);
            } else if (rs[k].rv == APR_EEXIST)
                refused++;
            apr_pool_destroy(rs[k].pool);
        }
        ck_assert_msg(wins == 1 && refused == 1, "round %d: %d won, %d refused", round, wins,
                      refused);
        wins_total += wins;
    }
    r = df_raw_open();
    /* the losers' new persons were rolled back */
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM persons"),
                     apr_psprintf(P, "%d", wins_total));
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM identities"), "20");
}
END_TEST

/* Runs n child processes: each runs prep(k) (when not NULL), then all run act(k) at once (each
 * blocks on a pipe that the parent closes once every child is prepared); their exit statuses go to
 * codes (-1 when a child did not exit normally). */
static void run_children(int n, void (*prep)(int k), int (*act)(int k), int *codes)
{
    int start[2], ready[2], k, status;
    pid_t pids[8];
    char c;

    ck_assert_int_le(n, 8);
    ck_assert_int_eq(pipe(start), 0);
    ck_assert_int_eq(pipe(ready), 0);
    for (k = 0; k < n; k++) {
        pids[k] = fork();
        ck_assert_int_ge(pids[k], 0);
        if (pids[k] == 0) {
            close(start[1]);
            close(ready[0]);
            if (prep)
                prep(k);
            if (write(ready[1], "r", 1) != 1)
                _exit(8);
            while (read(start[0], &c, 1) > 0) /* end of file: the start */
                ;
            _exit(act(k));
        }
    }
    close(start[0]);
    close(ready[1]);
    for (k = 0; k < n; k++) /* a child that died early ends this with end of file */
        if (read(ready[0], &c, 1) != 1)
            break;
    close(ready[0]);
    close(start[1]);
    for (k = 0; k < n; k++) {
        ck_assert_int_eq(waitpid(pids[k], &status, 0), pids[k]);
        codes[k] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
}

/* In a child: the directory opened in a pool of its own (the exit status 9 when it fails). */
static sm_directory_t *child_open(fake_log_t *lg)
{
    apr_pool_t *cp;
    sm_dir_dbd_cfg_t *cfg = NULL;
    sm_directory_t *d = NULL;
    const char *err = NULL;

    apr_pool_create(&cp, NULL);
    fake_log_init(lg, cp);
    if (sm_directory_dbd_parse(cp, df_spec, &cfg) != NULL ||
        sm_directory_dbd_open(cp, cfg, &lg->port, &sm_rand_system, &d, &err) != APR_SUCCESS) {
        fprintf(stderr, "child open: %s\n", err ? err : "?");
        _exit(9);
    }
    return d;
}

/* 1 when this process migrated the schema, else 0. */
static int opener(int k)
{
    fake_log_t lg;

    (void)k;
    child_open(&lg);
    return fake_log_has(&lg, "schema migrated from version 0 to 2") ? 1 : 0;
}

/* Processes opening a fresh directory at once (httpd's children): all succeed, one migrates. */
START_TEST(concurrent_open_migrates_once)
{
    int codes[3], k, migrated = 0;
    sm_directory_t *d;
    df_raw_t r;

    run_children(3, NULL, opener, codes);
    for (k = 0; k < 3; k++) {
        ck_assert_msg(codes[k] == 0 || codes[k] == 1, "opener %d: status %d", k, codes[k]);
        migrated += codes[k];
    }
    ck_assert_int_eq(migrated, 1);
    d = df_open(P);
    ck_assert(!fake_log_has(&df_log, "schema migrated"));
    ck_assert_int_eq(d->link(d->baton, P, &UNIV_A, true, NULL, T0, NULL), APR_SUCCESS);
    r = df_raw_open();
    ck_assert_str_eq(df_raw_value(&r, "SELECT version FROM selmid_schema"), "2");
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM identities"), "1");
}
END_TEST

static int race_round;
static sm_directory_t *child_dir; /* a child's own */
static fake_log_t child_log;

static void linker_prep(int k)
{
    (void)k;
    child_dir = child_open(&child_log);
}

/* 0 when this process linked the identity of the round, 1 when it was refused (EEXIST). */
static int linker(int k)
{
    sm_identity_t id = {"line", "https://access.line.me",
                        apr_psprintf(child_log.pool, "Uproc%d", race_round)};
    apr_status_t rv = child_dir->link(child_dir->baton, child_log.pool, &id, false, NULL, T0, NULL);

    (void)k;
    return rv == APR_SUCCESS ? 0 : rv == APR_EEXIST ? 1 : 2;
}

/* Two processes linking one identity at once: the database decides, one wins. */
START_TEST(race_two_processes)
{
    int codes[2];
    df_raw_t r;

    df_open(P); /* the schema first: the race is on the link */
    for (race_round = 0; race_round < 4; race_round++) {
        run_children(2, linker_prep, linker, codes);
        ck_assert_msg((codes[0] == 0 && codes[1] == 1) || (codes[0] == 1 && codes[1] == 0),
                      "round %d: statuses %d, %d", race_round, codes[0], codes[1]);
    }
    r = df_raw_open();
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM persons"), "4");
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM identities"), "4");
}
END_TEST

static void add_common(TCase *tc)
{
    tcase_add_test(tc, race_two_links);
    tcase_add_test(tc, race_two_processes);
    tcase_add_test(tc, concurrent_open_migrates_once);
}

Suite *sm_suite_directory_race(void)
{
    Suite *s = suite_create("directory_race");

    df_add_cases(s, add_common, NULL, NULL);
    return s;
}
