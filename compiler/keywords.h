/* The reserved words of Verity, declared once.
 * KW(text, TOKEN, doc)
 *   text   the word as written in a .flow file
 *   TOKEN  the parser's token for it: grammar/parser.y declares the same names, and the
 *          generated C enum spells them T_TOKEN (api.token.prefix)
 *   doc    one line for the keyword list in docs/
 * The lexer reads an identifier, then looks it up here; anything else is a name.
 *
 * Reserved: every word below cannot name a field, event, state, team, ... (E001 where
 * a name is expected). A few of them are still accepted as *names* in the places
 * where the language needs them:
 *   - `at` and `owner` as names in conditions and after `last(E).` / `first(E).`
 *     (`where at > ...`, `owner == sales`, `last(purchase).at`);
 *   - `owner` as the target of task/notify (`task owner "..."`) and in `set owner = ...`;
 *   - `count` as the count of `expect c1 sent email count 2`.
 * Dotted names (`event.at`, `winback.purchase`) are read whole, so a keyword after a
 * dot is never a keyword.
 * Not reserved (read as plain names and checked where they appear): the type names
 * (`bool int number money text time duration`; `team` is a keyword and a type),
 * the day names (`Mon`..`Sun`), `year`/`week`/`day` after `every`, and `never`/`always`
 * after `reenroll`, plus the built-in fields `id`, `tags`, `created_at` and the event
 * `created`. */
#ifndef VT_KEYWORDS_H
#define VT_KEYWORDS_H

#define VT_KEYWORDS(KW) \
    KW("advance",    ADVANCE,    "test: move the test clock forward") \
    KW("after",      AFTER,      "transition after DUR in state; reenroll after DUR") \
    KW("and",        AND,        "both conditions hold") \
    KW("any",        ANY,        "transition from every non-final state") \
    KW("as",         AS,         "use TEMPLATE(...) as PREFIX") \
    KW("assign",     ASSIGN,     "step: set the contact's owner team") \
    KW("at",         AT,         "test event time; calendar time of day; event time field") \
    KW("avg",        AVG,        "history: average of an event field") \
    KW("cap",        CAP,        "channel frequency cap: cap N per DUR") \
    KW("channel",    CHANNEL,    "declares a message channel") \
    KW("contact",    CONTACT,    "the contact schema; test: a contact") \
    KW("contains",   CONTAINS,   "text contains text") \
    KW("count",      COUNT,      "history: number of events; test: expected count") \
    KW("due",        DUE,        "task deadline") \
    KW("else",       ELSE,       "the other branch of if / wait until") \
    KW("ends",       ENDS,       "text ends with text") \
    KW("enroll",     ENROLL,     "how a contact enters a workflow") \
    KW("enter",      ENTER,      "enroll on enter STATE") \
    KW("escalate",   ESCALATE,   "step: notify the escalation team") \
    KW("escalates",  ESCALATES,  "team NAME escalates to TEAM") \
    KW("event",      EVENT,      "declares an event type") \
    KW("every",      EVERY,      "calendar enrollment: every year/week/day") \
    KW("exit",       EXIT,       "when an enrollment ends with outcome exited") \
    KW("expect",     EXPECT,     "test: an expectation") \
    KW("extern",     EXTERN,     "extern fn: a native function") \
    KW("false",      FALSE,      "the boolean false") \
    KW("final",      FINAL,      "a final state") \
    KW("first",      FIRST,      "history: the first event") \
    KW("flow",       FLOW,       "the flow header") \
    KW("fn",         FN,         "extern fn") \
    KW("for",        FOR,        "no E for D; wait until C for D") \
    KW("from",       FROM,       "extern fn ... from \"LIB\"") \
    KW("goal",       GOAL,       "when an enrollment ends with outcome goal") \
    KW("has",        HAS,        "has tag \"x\"") \
    KW("if",         IF,         "step: a condition") \
    KW("import",     IMPORT,     "brings in a module") \
    KW("in",         IN,         "membership: x in [a, b]; after DUR in state") \
    KW("initial",    INITIAL,    "the initial state") \
    KW("is",         IS,         "state test: funnel is mql") \
    KW("key",        KEY,        "a contact field that identifies a contact") \
    KW("last",       LAST,       "history: the latest event") \
    KW("lifecycle",  LIFECYCLE,  "declares a state machine") \
    KW("matches",    MATCHES,    "text matches a glob") \
    KW("max",        MAX,        "history: largest value of an event field") \
    KW("migrate",    MIGRATE,    "migrate state OLD -> NEW") \
    KW("min",        MIN,        "history: smallest value of an event field") \
    KW("move",       MOVE,       "step: move to STATE") \
    KW("no",         NO,         "no E for D; test: expect no ...") \
    KW("not",        NOT,        "negation") \
    KW("notify",     NOTIFY,     "step: notify a team") \
    KW("now",        NOW,        "the current instant") \
    KW("on",         ON,         "a rule; an event trigger") \
    KW("or",         OR,         "either condition holds") \
    KW("owner",      OWNER,      "owner team of a workflow, state or contact") \
    KW("per",        PER,        "cap N per DUR") \
    KW("quiet",      QUIET,      "channel quiet hours") \
    KW("reenroll",   REENROLL,   "whether a contact may enroll again") \
    KW("repeat",     REPEAT,     "step: repeat N times") \
    KW("requires",   REQUIRES,   "channel consent field") \
    KW("segment",    SEGMENT,    "declares a named classification") \
    KW("send",       SEND,       "step: send a message") \
    KW("sent",       SENT,       "test: expect sent CHANNEL") \
    KW("set",        SET,        "step: set a field") \
    KW("since",      SINCE,      "history: time since the latest event") \
    KW("split",      SPLIT,      "step: A/B split") \
    KW("starts",     STARTS,     "text starts with text") \
    KW("state",      STATE,      "a lifecycle state") \
    KW("steps",      STEPS,      "the steps of a workflow") \
    KW("stop",       STOP,       "step: end the enrollment") \
    KW("sum",        SUM,        "history: sum of an event field") \
    KW("tag",        TAG,        "step: add a tag; has tag") \
    KW("task",       TASK,       "step: a task for a team") \
    KW("team",       TEAM,       "declares an owner team") \
    KW("template",   TEMPLATE,   "a reusable group of declarations") \
    KW("test",       TEST,       "a test scenario") \
    KW("timezone",   TIMEZONE,   "the flow's time zone") \
    KW("to",         TO,         "escalates to; move to") \
    KW("transition", TRANSITION, "a state change") \
    KW("true",       TRUE,       "the boolean true") \
    KW("truth",      TRUTH,      "declares a truth") \
    KW("until",      UNTIL,      "step: wait until C for D") \
    KW("untag",      UNTAG,      "step: remove a tag") \
    KW("use",        USE,        "instantiate a template") \
    KW("version",    VERSION,    "flow version") \
    KW("wait",       WAIT,       "step: wait") \
    KW("weak",       WEAK,       "a weak event (context, not a trigger)") \
    KW("when",       WHEN,       "a condition trigger") \
    KW("where",      WHERE,      "filters events") \
    KW("window",     WINDOW,     "channel send window") \
    KW("with",       WITH,       "starts with / ends with") \
    KW("within",     WITHIN,     "a time window") \
    KW("workflow",   WORKFLOW,   "declares a workflow")

#endif
