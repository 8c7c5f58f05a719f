/* The diagnostics table: every code Verity can report, declared once.
 * DIAG(CODE, severity, slug, title)
 *   CODE     stable identifier printed to users and CI (never renumber, never reuse)
 *   severity ERROR or WARNING (the default level; --deny warnings raises warnings)
 *   slug     short kebab-case name, used in SARIF rule ids and doc anchors
 *   title    one line for the catalogue (docs/diagnostics.md is checked against it)
 * Derived from it: the enum vt_code, the name/severity/title tables, the catalogue test. */
#define VT_DIAG_CODES(DIAG) \
    /* lexical and syntax */ \
    DIAG(E001, ERROR, syntax-error, "the text does not follow Verity's grammar") \
    DIAG(E002, ERROR, bad-character, "a character that cannot start any token") \
    DIAG(E003, ERROR, unterminated-string, "a string with no closing quote on its line") \
    DIAG(E004, ERROR, bad-escape, "an unknown escape in a string (only \\\" \\\\ \\n)") \
    DIAG(E005, ERROR, bad-number, "a number, money amount or duration that cannot be read") \
    DIAG(E006, ERROR, bad-timestamp, "a date, time or month-day that does not exist") \
    DIAG(E007, ERROR, bad-encoding, "the file is not valid UTF-8 text") \
    DIAG(E008, ERROR, too-deep, "expressions or blocks nested too deeply") \
    DIAG(E009, ERROR, io-error, "a file could not be read") \
    DIAG(E010, ERROR, bad-currency, "a money amount whose currency is not an ISO 4217 code") \
    /* names */ \
    DIAG(E020, ERROR, unknown-name, "a name that is not declared") \
    DIAG(E021, ERROR, duplicate-name, "a name declared twice") \
    DIAG(E022, ERROR, unknown-event, "an event type that is not declared") \
    DIAG(E023, ERROR, unknown-field, "a contact or event field that is not declared") \
    DIAG(E024, ERROR, unknown-state, "a state that its lifecycle does not declare") \
    DIAG(E025, ERROR, unknown-team, "a team that is not declared") \
    DIAG(E026, ERROR, unknown-channel, "a channel that is not declared") \
    DIAG(E027, ERROR, unknown-lifecycle, "a lifecycle that is not declared") \
    DIAG(E028, ERROR, reserved-name, "a keyword or built-in name used as a name") \
    DIAG(E029, ERROR, missing-header, "the flow has no `flow \"NAME\" version N` header") \
    /* imports, templates, modules */ \
    DIAG(E030, ERROR, import-not-found, "an imported module does not exist") \
    DIAG(E031, ERROR, import-cycle, "modules that import each other in a cycle") \
    DIAG(E032, ERROR, unknown-template, "`use` of a template that is not declared") \
    DIAG(E033, ERROR, bad-template-argument, "a template argument that is missing, unknown or of the wrong type") \
    DIAG(E034, ERROR, bad-extern, "an extern function that cannot be bound") \
    DIAG(E035, ERROR, bad-timezone, "a timezone that is not a known Area/City name") \
    /* types */ \
    DIAG(E040, ERROR, type-mismatch, "a value of the wrong type") \
    DIAG(E041, ERROR, money-currency, "money amounts in different currencies") \
    DIAG(E042, ERROR, not-a-condition, "a condition that is not true/false") \
    DIAG(E043, ERROR, bad-aggregate, "a history aggregate over something that is not an event field") \
    DIAG(E044, ERROR, bad-interpolation, "a `{field}` in a text that names no field") \
    DIAG(E045, ERROR, bad-range, "a value outside its field's declared range, or an empty range") \
    DIAG(E046, ERROR, wrong-arguments, "a function called with the wrong number or types of arguments") \
    DIAG(E047, ERROR, bad-assignment, "an assignment to something that cannot be set") \
    /* structure */ \
    DIAG(E050, ERROR, no-initial-state, "a lifecycle with no initial state, or more than one") \
    DIAG(E051, ERROR, bad-transition, "a transition that cannot be taken as written") \
    DIAG(E052, ERROR, bad-workflow, "a workflow missing what it needs (enrollment, steps)") \
    DIAG(E053, ERROR, bad-split, "split percentages that do not add up to 100") \
    DIAG(E054, ERROR, escalate-without-target, "an escalation from a team that escalates to nobody") \
    DIAG(E055, ERROR, bad-channel, "a channel setting that cannot hold (consent field, cap, hours)") \
    DIAG(E056, ERROR, bad-migration, "a `migrate state` that names no old or new state") \
    DIAG(E057, ERROR, bad-test, "a `test` block that cannot run as written") \
    DIAG(E058, ERROR, native-not-allowed, "a native library outside the allowed directories") \
    /* static analysis (SPEC 7) */ \
    DIAG(V001, WARNING, unreachable-state, "unreachable state: no path of live transitions from the initial state") \
    DIAG(V002, WARNING, dead-transition, "dead transition: its condition can never hold, or its source is unreachable") \
    DIAG(V003, WARNING, useless-segment, "segment that never changes behaviour") \
    DIAG(V004, WARNING, sink-state, "sink state: a non-final state with no way out") \
    DIAG(V005, WARNING, ambiguous-transitions, "ambiguous transitions: two transitions out of one state can hold at once") \
    DIAG(V006, ERROR, instant-loop, "instant loop: transitions that can cycle without time passing") \
    DIAG(V007, WARNING, weak-trigger, "weak trigger: triggered only by a weak event") \
    DIAG(V008, WARNING, missing-owner, "workflow, or non-final state, without an owner") \
    DIAG(V009, ERROR, channel-without-consent, "channel without a consent requirement") \
    DIAG(V010, WARNING, unreachable-step, "unreachable step") \
    DIAG(V011, WARNING, never-enrolls, "workflow that can never enroll") \
    DIAG(V012, WARNING, unused-declaration, "unused declaration") \
    DIAG(V013, WARNING, duplicate-condition, "two segments or truths with the same condition") \
    DIAG(V014, WARNING, acts-after-leaving, "workflow that can still act after the contact left its state")
