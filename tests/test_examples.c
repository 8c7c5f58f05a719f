/* The shipped examples do what their comments promise: on their sample data
 * (the examples/ JSONL files, the stories told at the top of each flow) and in the test
 * scenarios written at their end. */
#include "support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vt_run_result simulate(void) {
    return vt_run_verity(VT_SOURCE_DIR, NULL, "simulate examples/b2b-leads.flow examples/b2b-leads.jsonl");
}

/* The outbox line of `contact` that holds every one of the fragments. */
static int has_action(const char *out, const char *contact, const char *const *frags) {
    char who[64];
    snprintf(who, sizeof who, "\"contact\":\"%s\"", contact);
    for (const char *p = out; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = strndup(p, len);
        int all = strstr(line, who) != NULL;
        for (size_t i = 0; all && frags[i]; i++) all = strstr(line, frags[i]) != NULL;
        free(line);
        if (all) return 1;
        p += len + (eol != NULL);
    }
    return 0;
}

#define EXPECT_ACTION(out, contact, ...)                                                       \
    do {                                                                                       \
        const char *const frags_[] = {__VA_ARGS__, NULL};                                      \
        cr_expect(has_action(out, contact, frags_), "no such action for %s: %s\noutbox:\n%s", \
                  contact, #__VA_ARGS__, out);                                                 \
    } while (0)

Test(examples, b2b_month) {
    vt_run_result r = simulate();
    cr_assert_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
    /* Anna asks for a demo; nobody calls within 4 hours. */
    EXPECT_ACTION(r.out, "c-anna", "\"kind\":\"task\"", "\"team\":\"sales\"", "demo requested");
    EXPECT_ACTION(r.out, "c-anna", "\"kind\":\"escalate\"", "\"team\":\"sales_manager\"",
                  "\"at\":\"2026-03-02T14:00:00Z\"");
    /* Bruno is nurtured, called back in time (no escalation) and onboarded. */
    EXPECT_ACTION(r.out, "c-bruno", "\"template\":\"nurture-Head of Marketing\"", "\"status\":\"emitted\"");
    EXPECT_ACTION(r.out, "c-bruno", "\"template\":\"welcome-customer\"");
    cr_expect(!has_action(r.out, "c-bruno", (const char *const[]){"\"kind\":\"escalate\"", NULL}),
              "Bruno was called back within 4 hours:\n%s", r.out);
    /* Carla has not agreed to email: her nurturing is suppressed, never sent. */
    EXPECT_ACTION(r.out, "c-carla", "\"template\":\"nurture-CMO\"", "\"status\":\"suppressed\"",
                  "\"reason\":\"no_consent\"");
    cr_expect(!has_action(r.out, "c-carla", (const char *const[]){"\"status\":\"emitted\"", NULL}),
              "an email went out to Carla:\n%s", r.out);
    /* Dario's deal stays open for three weeks. */
    EXPECT_ACTION(r.out, "c-dario", "\"kind\":\"notify\"", "\"team\":\"sales_manager\"", "open for 3 weeks");
    vt_run_free(&r);
}

Test(examples, b2b_month_is_reproducible) {
    vt_run_result a = simulate(), b = simulate();
    cr_expect_eq(a.status, 0);
    cr_expect_str_eq(a.out, b.out, "two runs on the same input differ");
    vt_run_free(&a);
    vt_run_free(&b);
}

/* The e-commerce example on its sample quarter (examples/ecommerce.jsonl). */
Test(examples, ecommerce_quarter) {
    vt_run_result r = vt_run_verity(VT_SOURCE_DIR, NULL, "simulate examples/ecommerce.flow examples/ecommerce.jsonl");
    cr_assert_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
    /* Reactivation 60 days after Giulia's only order (2026-01-10T20:15Z): email on day 0,
     * SMS on day 3 held by the quiet hours until 09:00 in Rome, email 4 days later. */
    EXPECT_ACTION(r.out, "c-giulia", "\"template\":\"pause-gift\"", "\"at\":\"2026-03-11T20:15:00Z\"");
    EXPECT_ACTION(r.out, "c-giulia", "\"channel\":\"sms\"", "\"template\":\"gift-reminder\"",
                  "\"at\":\"2026-03-15T08:00:00Z\"");
    EXPECT_ACTION(r.out, "c-giulia", "\"template\":\"last-days-bonus\"", "\"at\":\"2026-03-19T08:00:00Z\"");
    /* A first order ends the welcome series: Marco never gets the second welcome email. */
    cr_expect(!has_action(r.out, "c-marco", (const char *const[]){"\"template\":\"bestsellers\"", NULL}), "%s", r.out);
    /* Marco becomes high value and is called in time: a task for the VIP desk, no escalation. */
    EXPECT_ACTION(r.out, "c-marco", "\"kind\":\"task\"", "\"team\":\"vip_care\"");
    cr_expect(!has_action(r.out, "c-marco", (const char *const[]){"\"kind\":\"escalate\"", NULL}), "%s", r.out);
    /* Luca agreed to WhatsApp only. */
    EXPECT_ACTION(r.out, "c-luca", "\"template\":\"welcome-guide\"", "\"status\":\"suppressed\"",
                  "\"reason\":\"no_consent\"");
    EXPECT_ACTION(r.out, "c-luca", "\"channel\":\"whatsapp\"", "\"template\":\"mini-survey\"",
                  "\"status\":\"emitted\"");
    vt_run_free(&r);
}

/* The scenarios written at the end of each example pass. */
Test(examples, their_own_tests_pass) {
    vt_run_result r = vt_run_verity(VT_SOURCE_DIR, NULL, "test examples/b2b-leads.flow examples/ecommerce.flow");
    cr_expect_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
    cr_expect(strstr(r.out, "\n7 passed, 0 failed\n") != NULL, "%s", r.out);
    vt_run_free(&r);
}

/* `verity explain` tells Bruno's month in the order it happened: each transition,
 * enrollment and action right under the input (or wake-up) that caused it. */
Test(examples, explain_tells_the_story_in_order) {
    char *dir = vt_temp_dir();
    vt_run_result r = vt_run_verity(VT_SOURCE_DIR, NULL,
                                    "ingest --store '%s/s.db' --flow examples/b2b-leads.flow examples/b2b-leads.jsonl"
                                    " && '%s' run examples/b2b-leads.flow --store '%s/s.db'"
                                    " && '%s' explain --store '%s/s.db' c-bruno",
                                    dir, VT_VERITY_BIN, dir, VT_VERITY_BIN, dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *story[] = {
        "event email_replied (mail-2)",
        "funnel: lead -> mql",
        "enrolled in workflow nurturing",
        "-> email \"nurture-Head of Marketing\"",
        "2026-03-12 12:00  time passed (a wake-up)",
        "-> email \"nurture-Head of Marketing\"",
        "event demo_requested (web-4)",
        "funnel: mql -> sql on demo_requested",
        "left workflow nurturing: exited",
        "-> task for sales: \"Call Bruno",
        "event sales_contacted (crm-3)",
        "left workflow fast_response",
        "event deal_won (crm-5)",
        "funnel: opportunity -> customer on deal_won",
        "-> email \"welcome-customer\"",
    };
    const char *at = r.out;
    for (size_t i = 0; i < sizeof story / sizeof *story; i++) {
        const char *found = strstr(at, story[i]);
        cr_assert(found, "`%s` missing or out of order after line %zu of the story:\n%s", story[i], i, r.out);
        at = found + strlen(story[i]);
    }
    vt_run_free(&r);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}
