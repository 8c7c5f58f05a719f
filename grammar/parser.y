/* The Verity grammar (SPEC §2-§6, §10-§12). Actions only build AST nodes (compiler/ast.h)
 * in the unit's arena; every later pass walks the tree.
 *
 * Newlines are layout, not tokens: the rule "each declaration and each step starts on
 * its own line" is checked from the spans of consecutive items (layout()).
 * Conflicts are resolved with precedence only (%expect 0). The one worth knowing:
 * `NAME within D` binds tighter than a clause's own `within`, so
 * `goal purchase within 10d` is the condition `purchase within 10d`, while in
 * `goal funnel is sql within 60d` the 60d is the goal's window (SPEC §6).
 *
 * There is no %destructor on purpose: every semantic value (nodes, lists, strings)
 * lives in the unit's arena and is freed with it, so values bison discards during error
 * recovery leak nothing. A value ever allocated outside the arena would need one. */

%code requires {
#include "compiler/parse_ctx.h"
}

%code provides {
int vt_yylex(VT_YYSTYPE *lval, VT_YYLTYPE *lloc, void *scanner);
}

%code top {
#include "common/mem.h"
#include <stdio.h>
#include <string.h>
}

%code {
#define YYMALLOC vt_malloc
#define YYFREE vt_free
#define YYSTACK_USE_ALLOCA 0
/* The parser's stack is bounded; past it the input is nested beyond any real flow. */
#define YYMAXDEPTH 20000

#define YYLLOC_DEFAULT(Cur, Rhs, N) do {                                  \
    if (N) {                                                              \
        (Cur).file = YYRHSLOC(Rhs, 1).file;                               \
        (Cur).start = YYRHSLOC(Rhs, 1).start;                             \
        (Cur).end = YYRHSLOC(Rhs, N).end;                                 \
    } else {                                                              \
        (Cur).file = YYRHSLOC(Rhs, 0).file;                               \
        (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;                   \
    }                                                                     \
} while (0)

static void vt_yyerror(VT_YYLTYPE *loc, void *scanner, vt_pctx *ctx, const char *msg);

/* Short names for the builders of compiler/parse_build.c, to keep actions readable. */
#define E vt_pb_expr
#define S vt_pb_stmt
#define D vt_pb_decl
#define NEW vt_pb_new
#define push vt_pb_push
#define leaf vt_pb_leaf
#define guard vt_pb_guard
#define mk_bin vt_pb_mk_bin
#define mk_neg vt_pb_mk_neg
#define mk_name vt_pb_mk_name
#define kw_name vt_pb_kw_name
#define steal_within vt_pb_steal_within
#define split_hist vt_pb_split_hist
#define same_line vt_pb_same_line
#define push_item vt_pb_push_item
#define wf_item vt_pb_wf_item
#define add_window vt_pb_add_window
#define mk_block vt_pb_mk_block
#define str_text vt_pb_str_text
#define type_of vt_pb_type_of
#define weekday_of vt_pb_weekday_of
}

%define api.prefix {vt_yy}
%define api.pure full
%define api.location.type {vt_span}
%define api.token.prefix {T_}
%define parse.error custom
%define parse.lac full
%locations
%param {void *scanner}
%parse-param {vt_pctx *ctx}
%expect 0
%initial-action { @$ = (vt_span){ ctx->file, 0, 0 }; }

%union {
    vt_expr *e;
    vt_ex x;
    vt_exl xl;
    vt_name n;
    vt_list l;
    vt_stmt *s;
    vt_decl *d;
    vt_block b;
    vt_trigger *tr;
    vt_typeref ty;
    vt_field_decl *fd;
    vt_field_init *fi;
    vt_state_decl *sd;
    vt_param *p;
    vt_window *w;
    vt_target tg;
    int k;
}

%token END 0 "the end of the file"
%token <n> NAME "a name"
%token <e> INT "a whole number" NUMBER "a number" MONEY "a money amount" STRING "a text in quotes"
%token <e> DURATION "a duration" TIMESTAMP "a date" TOD "a time of day" MD "a month-day"
%token ARROW "`->`" EQ "`==`" NE "`!=`" LE "`<=`" GE "`>=`" PLUSEQ "`+=`" MINUSEQ "`-=`" DOTDOT "`..`"
%token '{' "`{`" '}' "`}`" '(' "`(`" ')' "`)`" '[' "`[`" ']' "`]`" ',' "`,`" ':' "`:`"
%token '=' "`=`" '<' "`<`" '>' "`>`" '+' "`+`" '-' "`-`" '*' "`*`" '/' "`/`" '%' "`%`" '.' "`.`"
/* The keywords: the same names as compiler/keywords.h (the scanner's table). */
%token ADVANCE "`advance`" AFTER "`after`" AND "`and`" ANY "`any`" AS "`as`" ASSIGN "`assign`"
%token AT "`at`" AVG "`avg`" CAP "`cap`" CHANNEL "`channel`" CONTACT "`contact`"
%token CONTAINS "`contains`" COUNT "`count`" DUE "`due`" ELSE "`else`" ENDS "`ends`"
%token ENROLL "`enroll`" ENTER "`enter`" ESCALATE "`escalate`" ESCALATES "`escalates`"
%token EVENT "`event`" EVERY "`every`" EXIT "`exit`" EXPECT "`expect`" EXTERN "`extern`"
%token FALSE "`false`" FINAL "`final`" FIRST "`first`" FLOW "`flow`" FN "`fn`" FOR "`for`"
%token FROM "`from`" GOAL "`goal`" HAS "`has`" IF "`if`" IMPORT "`import`" IN "`in`"
%token INITIAL "`initial`" IS "`is`" KEY "`key`" LAST "`last`" LIFECYCLE "`lifecycle`"
%token MATCHES "`matches`" MAX "`max`" MIGRATE "`migrate`" MIN "`min`" MOVE "`move`" NO "`no`"
%token NOT "`not`" NOTIFY "`notify`" NOW "`now`" ON "`on`" OR "`or`" OWNER "`owner`" PER "`per`"
%token QUIET "`quiet`" REENROLL "`reenroll`" REPEAT "`repeat`" REQUIRES "`requires`"
%token SEGMENT "`segment`" SEND "`send`" SENT "`sent`" SET "`set`" SINCE "`since`"
%token SPLIT "`split`" STARTS "`starts`" STATE "`state`" STEPS "`steps`" STOP "`stop`"
%token SUM "`sum`" TAG "`tag`" TASK "`task`" TEAM "`team`" TEMPLATE "`template`" TEST "`test`"
%token TIMEZONE "`timezone`" TO "`to`" TRANSITION "`transition`" TRUE "`true`" TRUTH "`truth`"
%token UNTIL "`until`" UNTAG "`untag`" USE "`use`" VERSION "`version`" WAIT "`wait`"
%token WEAK "`weak`" WHEN "`when`" WHERE "`where`" WINDOW "`window`" WITH "`with`"
%token WITHIN "`within`" WORKFLOW "`workflow`"

%precedence LOWNAME
%precedence WITHIN
%left OR
%left AND
%precedence NOT
%nonassoc EQ NE '<' LE '>' GE IS IN CONTAINS STARTS ENDS MATCHES
%left '+' '-'
%left '*' '/'
%precedence UMINUS

%type <d> decl chopts witems
%type <l> decls_tail fields field_list states stmts if_arms arms tstmts inits_opt inits
%type <l> params_opt params types_opt types uargs_opt uargs windows
%type <xl> exprs args_opt
%type <fd> field
%type <ty> typeref
%type <e> rlit opt_default opt_due opt_at opt_str
%type <x> opt_where opt_when opt_within
%type <k> opt_key smods opt_weak agg xact opt_count
%type <n> opt_as fword opt_owner
%type <e> opt_label
%type <sd> state
%type <tr> ttrig etrig
%type <b> block
%type <s> stmt tstmt xbody
%type <fi> init uarg
%type <p> param
%type <w> window
%type <tg> target
%type <x> expr primary list

%%

file
    : decls_top
    ;

decls_top
    : %empty
    | decls_top decl        { if ($2) push_item(ctx, &ctx->decls, $2, @2, VT_IT_DECL, "declaration"); }
    | decls_top error
    | decls_top error skipped
    ;

decls_tail      /* inside a template */
    : %empty                { $$ = (vt_list){0}; }
    | decls_tail decl       { $$ = $1; if ($2) push_item(ctx, &$$, $2, @2, VT_IT_DECL, "declaration"); }
    | decls_tail error      { $$ = $1; }
    | decls_tail error skipped { $$ = $1; }
    ;

decl
    : FLOW STRING VERSION INT {
        $$ = D(ctx, VT_D_FLOW, @$);
        $$->u.flow.name = str_text(ctx, $2);
        $$->u.flow.version = $4->u.i;
      }
    | TIMEZONE STRING       { $$ = D(ctx, VT_D_TIMEZONE, @$); $$->u.timezone.zone = str_text(ctx, $2); }
    | IMPORT STRING         { $$ = D(ctx, VT_D_IMPORT, @$); $$->u.import.path = str_text(ctx, $2);
                              $$->u.import.path_span = @2; }
    | TEAM NAME             { $$ = D(ctx, VT_D_TEAM, @$); $$->name = $2; }
    | TEAM NAME ESCALATES TO NAME {
        $$ = D(ctx, VT_D_TEAM, @$); $$->name = $2; $$->u.team.escalates_to = $5;
      }
    | CONTACT '{' fields '}' {
        $$ = D(ctx, VT_D_CONTACT, @$);
        $$->u.contact.fields = (vt_field_decl **)$3.items; $$->u.contact.n = $3.n;
      }
    | EVENT NAME opt_weak   { $$ = D(ctx, VT_D_EVENT, @$); $$->name = $2; $$->u.event.weak = $3; }
    | EVENT NAME '{' fields '}' opt_weak {
        $$ = D(ctx, VT_D_EVENT, @$); $$->name = $2; $$->u.event.weak = $6;
        $$->u.event.fields = (vt_field_decl **)$4.items; $$->u.event.n = $4.n;
      }
    | CHANNEL NAME chopts   { $$ = $3; $$->kind = VT_D_CHANNEL; $$->span = @$; $$->name = $2; $$->index = 0; }
    | ON NAME opt_where block {
        $$ = D(ctx, VT_D_ON, @$); $$->u.on.event = $2; $$->u.on.where = $3.e; $$->u.on.body = $4;
      }
    | TRUTH NAME '=' expr   { $$ = D(ctx, VT_D_TRUTH, @$); $$->name = $2; $$->u.truth.cond = $4.e; }
    | SEGMENT NAME '=' expr { $$ = D(ctx, VT_D_SEGMENT, @$); $$->name = $2; $$->u.truth.cond = $4.e; }
    | LIFECYCLE NAME '{' states '}' {
        $$ = D(ctx, VT_D_LIFECYCLE, @$); $$->name = $2;
        $$->u.lifecycle.states = (vt_state_decl **)$4.items; $$->u.lifecycle.n = $4.n;
      }
    | TRANSITION NAME ARROW NAME ttrig {
        $$ = D(ctx, VT_D_TRANSITION, @$);
        $$->u.transition.from = $2; $$->u.transition.to = $4; $$->u.transition.trigger = *$5;
        $$->u.transition.from_index = $$->u.transition.to_index = -1;
      }
    | TRANSITION ANY ARROW NAME ttrig {
        $$ = D(ctx, VT_D_TRANSITION, @$);
        $$->u.transition.from = kw_name(ctx, "any", @2); $$->u.transition.from_any = true;
        $$->u.transition.to = $4; $$->u.transition.trigger = *$5;
        $$->u.transition.from_index = $$->u.transition.to_index = -1;
      }
    | WORKFLOW NAME '{' witems '}' {
        $$ = $4; $$->kind = VT_D_WORKFLOW; $$->span = @$; $$->name = $2; $$->index = 0;
      }
    | EXTERN FN NAME '(' types_opt ')' ARROW typeref FROM STRING {
        $$ = D(ctx, VT_D_EXTERN, @$); $$->name = $3;
        $$->u.ext.nparams = $5.n;
        $$->u.ext.params = $5.n ? vt_pctx_array(ctx, sizeof(vt_typeref) * $5.n) : NULL;
        if (!$$->u.ext.params) $$->u.ext.nparams = 0;
        for (uint32_t i = 0; i < $$->u.ext.nparams; i++) $$->u.ext.params[i] = *(vt_typeref *)$5.items[i];
        $$->u.ext.ret = $8;
        $$->u.ext.lib = str_text(ctx, $10); $$->u.ext.lib_span = @10;
      }
    | TEMPLATE NAME '(' params_opt ')' '{' decls_tail '}' {
        $$ = D(ctx, VT_D_TEMPLATE, @$); $$->name = $2;
        $$->u.template_.params = (vt_param **)$4.items; $$->u.template_.nparams = $4.n;
        $$->u.template_.decls = (vt_decl **)$7.items; $$->u.template_.ndecls = $7.n;
      }
    | USE NAME '(' uargs_opt ')' opt_as {
        $$ = D(ctx, VT_D_USE, @$); $$->u.use.template_name = $2;
        $$->u.use.args = (vt_field_init **)$4.items; $$->u.use.nargs = $4.n; $$->u.use.as = $6;
      }
    | TEST STRING '{' tstmts '}' {
        $$ = D(ctx, VT_D_TEST, @$); $$->u.test.name = str_text(ctx, $2);
        $$->u.test.body = mk_block($4, @3); $$->u.test.body.span.end = @5.end;
      }
    | MIGRATE STATE NAME ARROW NAME {
        $$ = D(ctx, VT_D_MIGRATE, @$); $$->u.migrate.from = $3; $$->u.migrate.to = $5;
      }
    ;

opt_weak
    : %empty                { $$ = 0; }
    | WEAK                  { $$ = 1; }
    ;

/* ---- fields: `name: TYPE [lo..hi] [key] [= default]`, comma or newline separated ---- */

fields
    : %empty                { $$ = (vt_list){0}; }
    | field_list            { $$ = $1; }
    | field_list ','        { $$ = $1; }
    ;

field_list
    : field                 { $$ = (vt_list){0}; push(ctx, &$$, $1); }
    | field_list ',' field  { $$ = $1; push(ctx, &$$, $3); }
    | field_list field      { $$ = $1; push_item(ctx, &$$, $2, @2, VT_IT_FIELD, "field"); }
    ;

field
    : NAME ':' typeref opt_key opt_default {
        $$ = NEW(ctx, sizeof *$$); $$->name = $1; $$->type = $3; $$->key = $4; $$->def = $5; $$->span = @$;
      }
    ;

opt_key
    : %empty                { $$ = 0; }
    | KEY                   { $$ = 1; }
    ;

opt_default
    : %empty                { $$ = NULL; }
    | '=' expr              { $$ = $2.e; }
    ;

typeref
    : NAME                  { $$ = (vt_typeref){ .kind = type_of(ctx, $1), .span = @$ }; }
    | TEAM                  { $$ = (vt_typeref){ .kind = VT_T_TEAM, .span = @$ }; }
    | NAME rlit DOTDOT rlit {
        $$ = (vt_typeref){ .kind = type_of(ctx, $1), .has_range = true, .lo = $2, .hi = $4, .span = @$ };
      }
    ;

rlit
    : INT                   { $$ = $1; }
    | NUMBER                { $$ = $1; }
    | MONEY                 { $$ = $1; }
    | '-' INT               { $$ = mk_neg(ctx, leaf($2), @$).e; }
    | '-' NUMBER            { $$ = mk_neg(ctx, leaf($2), @$).e; }
    | '-' MONEY             { $$ = mk_neg(ctx, leaf($2), @$).e; }
    ;

/* ---- channel options, in any order -------------------------------------------------- */

chopts
    : %empty                { $$ = D(ctx, VT_D_CHANNEL, @$); $$->u.channel.requires_index = -1; }
    | chopts REQUIRES NAME  { $$ = $1; $$->u.channel.requires = $3; }
    | chopts CAP INT PER primary {
        $$ = $1;
        $$->u.channel.has_cap = true; $$->u.channel.cap_count = $3->u.i; $$->u.channel.cap_per = $5.e;
      }
    | chopts QUIET TOD '-' TOD {
        $$ = $1;
        $$->u.channel.has_quiet = true; $$->u.channel.quiet_span = (vt_span){ @2.file, @3.start, @5.end };
        $$->u.channel.quiet_from = $3->u.tod.minutes; $$->u.channel.quiet_to = $5->u.tod.minutes;
      }
    | chopts WINDOW windows { $$ = $1; add_window(ctx, $$, $3); }
    ;

windows
    : window                { $$ = (vt_list){0}; push(ctx, &$$, $1); }
    | windows ',' window    { $$ = $1; push(ctx, &$$, $3); }
    ;

window
    : TOD '-' TOD {
        $$ = NEW(ctx, sizeof *$$); *$$ = (vt_window){ -1, -1, $1->u.tod.minutes, $3->u.tod.minutes, @$ };
      }
    | NAME TOD '-' TOD {
        int d = weekday_of(ctx, $1);
        $$ = NEW(ctx, sizeof *$$); *$$ = (vt_window){ d, d, $2->u.tod.minutes, $4->u.tod.minutes, @$ };
      }
    | NAME '-' NAME TOD '-' TOD {
        $$ = NEW(ctx, sizeof *$$);
        *$$ = (vt_window){ weekday_of(ctx, $1), weekday_of(ctx, $3), $4->u.tod.minutes, $6->u.tod.minutes, @$ };
      }
    ;

/* ---- lifecycles ----------------------------------------------------------------------- */

states
    : %empty                { $$ = (vt_list){0}; }
    | states state          { $$ = $1; push_item(ctx, &$$, $2, $2->span, VT_IT_STATE, "state"); }
    | states error          { $$ = $1; }
    | states error skipped  { $$ = $1; }
    ;

state
    : smods STATE NAME opt_label opt_owner {
        $$ = NEW(ctx, sizeof *$$); $$->name = $3; $$->label = $4 ? str_text(ctx, $4) : NULL;
        $$->initial = ($1 & 1) != 0; $$->final = ($1 & 2) != 0; $$->owner = $5;
        $$->span = (vt_span){ @$.file, $1 ? @1.start : @2.start, @$.end };
      }
    ;

smods   /* `initial`, `final`; the state's span starts at the first one written */
    : %empty                { $$ = 0; }
    | smods INITIAL         { $$ = $1 | 1; if (!$1) @$.start = @2.start; }
    | smods FINAL           { $$ = $1 | 2; if (!$1) @$.start = @2.start; }
    ;

opt_label
    : %empty                { $$ = NULL; }
    | STRING                { $$ = $1; }
    ;

opt_owner
    : %empty                { $$ = (vt_name){0}; }
    | OWNER NAME            { $$ = $2; }
    ;

/* ---- triggers ------------------------------------------------------------------------- */

ttrig
    : ON NAME opt_where {
        $$ = NEW(ctx, sizeof *$$); $$->kind = VT_TR_ON_EVENT; $$->event = $2; $$->cond = $3.e; $$->span = @$;
        $$->minutes = -1;
      }
    | WHEN expr {
        $$ = NEW(ctx, sizeof *$$); $$->kind = VT_TR_WHEN; $$->cond = $2.e; $$->span = @$; $$->minutes = -1;
      }
    | AFTER primary IN STATE {
        $$ = NEW(ctx, sizeof *$$); $$->kind = VT_TR_AFTER; $$->dur = $2.e; $$->span = @$; $$->minutes = -1;
      }
    ;

etrig
    : ON NAME opt_where {
        $$ = NEW(ctx, sizeof *$$); $$->kind = VT_TR_ON_EVENT; $$->event = $2; $$->cond = $3.e; $$->span = @$;
        $$->minutes = -1;
      }
    | ON ENTER NAME opt_when {
        $$ = NEW(ctx, sizeof *$$); $$->kind = VT_TR_ENTER; $$->state = $3; $$->cond = $4.e; $$->span = @$;
        $$->minutes = -1; $$->state_index = -1;
      }
    | WHEN expr {
        $$ = NEW(ctx, sizeof *$$); $$->kind = VT_TR_WHEN; $$->cond = $2.e; $$->span = @$; $$->minutes = -1;
      }
    | EVERY NAME ON MD opt_at {
        $$ = NEW(ctx, sizeof *$$); $$->kind = VT_TR_CALENDAR; $$->cal = VT_CAL_YEARLY; $$->span = @$;
        $$->month = $4->u.md.month; $$->day = $4->u.md.day; $$->minutes = $5 ? $5->u.tod.minutes : -1;
        if (strcmp($2.text, "year") != 0) {
            vt_diag *g = vt_pctx_error(ctx, VT_E001, $2.span, "expected `year` before a month-day, found `%s`", $2.text);
            if (g) vt_diag_hint(g, ctx->d, "write `every year on 12-20`, `every week on Mon` or `every day at 09:00`");
        }
      }
    | EVERY NAME ON NAME opt_at {
        $$ = NEW(ctx, sizeof *$$); $$->kind = VT_TR_CALENDAR; $$->cal = VT_CAL_WEEKLY; $$->span = @$;
        $$->weekday = weekday_of(ctx, $4); $$->minutes = $5 ? $5->u.tod.minutes : -1;
        if (strcmp($2.text, "week") != 0) {
            vt_diag *g = vt_pctx_error(ctx, VT_E001, $2.span, "expected `week` before a day name, found `%s`", $2.text);
            if (g) vt_diag_hint(g, ctx->d, "write `every year on 12-20`, `every week on Mon` or `every day at 09:00`");
        }
      }
    | EVERY NAME AT TOD {
        $$ = NEW(ctx, sizeof *$$); $$->kind = VT_TR_CALENDAR; $$->cal = VT_CAL_DAILY; $$->span = @$;
        $$->minutes = $4->u.tod.minutes;
        if (strcmp($2.text, "day") != 0) {
            vt_diag *g = vt_pctx_error(ctx, VT_E001, $2.span, "expected `day` before `at`, found `%s`", $2.text);
            if (g) vt_diag_hint(g, ctx->d, "write `every year on 12-20`, `every week on Mon` or `every day at 09:00`");
        }
      }
    ;

opt_at
    : %empty                { $$ = NULL; }
    | AT TOD                { $$ = $2; }
    ;

opt_where
    : %empty                { $$ = (vt_ex){ NULL, 0 }; }
    | WHERE expr            { $$ = $2; }
    ;

opt_when
    : %empty                { $$ = (vt_ex){ NULL, 0 }; }
    | WHEN expr             { $$ = $2; }
    ;

/* ---- workflows: owner, enroll, reenroll, exit, goal, steps (in any order) ------------- */

witems
    : %empty                { $$ = D(ctx, VT_D_WORKFLOW, @$); }
    | witems OWNER NAME     { $$ = $1; wf_item(ctx, $$, @2, @$); $$->u.workflow.owner = $3; }
    | witems ENROLL etrig {
        $$ = $1; wf_item(ctx, $$, @2, @$);
        vt_list l = { (void **)$$->u.workflow.enroll, $$->u.workflow.nenroll, $$->u.workflow.nenroll };
        push(ctx, &l, $3);
        $$->u.workflow.enroll = (vt_trigger **)l.items; $$->u.workflow.nenroll = l.n;
      }
    | witems REENROLL NAME {
        $$ = $1; wf_item(ctx, $$, @2, @$);
        if (strcmp($3.text, "never") == 0) $$->u.workflow.reenroll = VT_REENROLL_NEVER;
        else if (strcmp($3.text, "always") == 0) $$->u.workflow.reenroll = VT_REENROLL_ALWAYS;
        else {
            vt_diag *g = vt_pctx_error(ctx, VT_E001, $3.span, "expected `never`, `always` or `after`, found `%s`", $3.text);
            if (g) vt_diag_hint(g, ctx->d, "write `reenroll never`, `reenroll always` or `reenroll after 30d`");
        }
      }
    | witems REENROLL AFTER primary {
        $$ = $1; wf_item(ctx, $$, @2, @$);
        $$->u.workflow.reenroll = VT_REENROLL_AFTER; $$->u.workflow.reenroll_after = $4.e;
      }
    | witems EXIT ON NAME opt_where {
        $$ = $1; wf_item(ctx, $$, @2, @$);
        vt_trigger *t = NEW(ctx, sizeof *t);
        t->kind = VT_TR_ON_EVENT; t->event = $4; t->cond = $5.e; t->span = (vt_span){ @3.file, @3.start, @$.end };
        t->minutes = -1;
        vt_list l = { (void **)$$->u.workflow.exits, $$->u.workflow.nexits, $$->u.workflow.nexits };
        push(ctx, &l, t);
        $$->u.workflow.exits = (vt_trigger **)l.items; $$->u.workflow.nexits = l.n;
      }
    | witems EXIT WHEN expr {
        $$ = $1; wf_item(ctx, $$, @2, @$);
        vt_trigger *t = NEW(ctx, sizeof *t);
        t->kind = VT_TR_WHEN; t->cond = $4.e; t->span = (vt_span){ @3.file, @3.start, @$.end }; t->minutes = -1;
        vt_list l = { (void **)$$->u.workflow.exits, $$->u.workflow.nexits, $$->u.workflow.nexits };
        push(ctx, &l, t);
        $$->u.workflow.exits = (vt_trigger **)l.items; $$->u.workflow.nexits = l.n;
      }
    | witems GOAL expr {
        $$ = $1; wf_item(ctx, $$, @2, @$);
        $$->u.workflow.goal = $3.e; $$->u.workflow.goal_within = NULL;
        $$->u.workflow.goal_span = (vt_span){ @2.file, @2.start, @3.end };
      }
    | witems GOAL expr WITHIN primary {
        $$ = $1; wf_item(ctx, $$, @2, @$);
        $$->u.workflow.goal = $3.e; $$->u.workflow.goal_within = $5.e;
        $$->u.workflow.goal_span = (vt_span){ @2.file, @2.start, @5.end };
      }
    | witems STEPS block    { $$ = $1; wf_item(ctx, $$, @2, @$); $$->u.workflow.steps = $3; }
    | witems error          { $$ = $1; }
    | witems error skipped  { $$ = $1; }
    ;

/* ---- steps ---------------------------------------------------------------------------- */

block
    : '{' stmts '}'         { $$ = mk_block($2, @$); }
    ;

stmts
    : %empty                { $$ = (vt_list){0}; }
    | stmts stmt            { $$ = $1; if ($2) push_item(ctx, &$$, $2, @2, VT_IT_STMT, "step"); }
    | stmts error           { $$ = $1; }
    | stmts error skipped   { $$ = $1; }
    ;

stmt
    : SEND NAME primary     { $$ = S(ctx, VT_S_SEND, @$); $$->u.send.channel = $2; $$->u.send.template_ = $3.e; }
    | TASK target primary opt_due {
        $$ = S(ctx, VT_S_TASK, @$); $$->u.task.to = $2; $$->u.task.text = $3.e; $$->u.task.due = $4;
      }
    | NOTIFY target primary { $$ = S(ctx, VT_S_NOTIFY, @$); $$->u.task.to = $2; $$->u.task.text = $3.e; }
    | ESCALATE              { $$ = S(ctx, VT_S_ESCALATE, @$); }
    | ESCALATE STRING       { $$ = S(ctx, VT_S_ESCALATE, @$); $$->u.escalate.text = $2; }
    | ASSIGN NAME           { $$ = S(ctx, VT_S_ASSIGN, @$); $$->u.assign.team = $2; }
    | SET NAME '=' expr {
        $$ = S(ctx, VT_S_SET, @$); $$->u.set.field = $2; $$->u.set.value = $4.e; $$->u.set.field_index = -1;
      }
    | SET OWNER '=' expr {
        $$ = S(ctx, VT_S_SET, @$); $$->u.set.field = kw_name(ctx, "owner", @2); $$->u.set.value = $4.e;
        $$->u.set.field_index = -1;
      }
    | NAME PLUSEQ expr {
        $$ = S(ctx, VT_S_ADD, @$); $$->u.set.field = $1; $$->u.set.value = $3.e; $$->u.set.field_index = -1;
      }
    | NAME MINUSEQ expr {
        $$ = S(ctx, VT_S_ADD, @$); $$->u.set.field = $1; $$->u.set.value = $3.e; $$->u.set.minus = true;
        $$->u.set.field_index = -1;
      }
    | TAG primary           { $$ = S(ctx, VT_S_TAG, @$); $$->u.tag.tag = $2.e; }
    | UNTAG primary         { $$ = S(ctx, VT_S_UNTAG, @$); $$->u.tag.tag = $2.e; }
    | MOVE TO NAME          { $$ = S(ctx, VT_S_MOVE, @$); $$->u.move.state = $3; $$->u.move.state_index = -1; }
    | WAIT primary          { $$ = S(ctx, VT_S_WAIT, @$); $$->u.wait.dur = $2.e; }
    | WAIT UNTIL expr FOR primary {
        $$ = S(ctx, VT_S_WAIT_UNTIL, @$); $$->u.wait_until.cond = $3.e; $$->u.wait_until.dur = $5.e;
      }
    | WAIT UNTIL expr FOR primary ELSE block {
        $$ = S(ctx, VT_S_WAIT_UNTIL, @$); $$->u.wait_until.cond = $3.e; $$->u.wait_until.dur = $5.e;
        $$->u.wait_until.else_ = $7; $$->u.wait_until.has_else = true;
      }
    | if_arms {
        $$ = S(ctx, VT_S_IF, @$); $$->u.if_.narms = $1.n;
        $$->u.if_.arms = $1.n ? vt_pctx_array(ctx, sizeof(vt_if_arm) * $1.n) : NULL;
        if (!$$->u.if_.arms) $$->u.if_.narms = 0;
        for (uint32_t i = 0; i < $$->u.if_.narms; i++) $$->u.if_.arms[i] = *(vt_if_arm *)$1.items[i];
      }
    | if_arms ELSE block {
        vt_if_arm *a = NEW(ctx, sizeof *a); a->body = $3; a->span = (vt_span){ @2.file, @2.start, @3.end };
        vt_list l = $1; push(ctx, &l, a);
        $$ = S(ctx, VT_S_IF, @$); $$->u.if_.narms = l.n;
        $$->u.if_.arms = l.n ? vt_pctx_array(ctx, sizeof(vt_if_arm) * l.n) : NULL;
        if (!$$->u.if_.arms) $$->u.if_.narms = 0;
        for (uint32_t i = 0; i < $$->u.if_.narms; i++) $$->u.if_.arms[i] = *(vt_if_arm *)l.items[i];
      }
    | REPEAT INT block      { $$ = S(ctx, VT_S_REPEAT, @$); $$->u.repeat.count = $2->u.i; $$->u.repeat.body = $3; }
    | SPLIT '{' arms '}' {
        $$ = S(ctx, VT_S_SPLIT, @$); $$->u.split.narms = $3.n;
        $$->u.split.arms = $3.n ? vt_pctx_array(ctx, sizeof(vt_split_arm) * $3.n) : NULL;
        if (!$$->u.split.arms) $$->u.split.narms = 0;
        for (uint32_t i = 0; i < $$->u.split.narms; i++) $$->u.split.arms[i] = *(vt_split_arm *)$3.items[i];
      }
    | STOP                  { $$ = S(ctx, VT_S_STOP, @$); }
    ;

target
    : OWNER                 { $$ = (vt_target){ .is_owner = true }; }
    | NAME                  { $$ = (vt_target){ .team = $1 }; }
    ;

opt_due
    : %empty                { $$ = NULL; }
    | DUE primary           { $$ = $2.e; }
    ;

if_arms
    : IF expr block {
        vt_if_arm *a = NEW(ctx, sizeof *a); a->cond = $2.e; a->body = $3; a->span = @$;
        $$ = (vt_list){0}; push(ctx, &$$, a);
      }
    | if_arms ELSE IF expr block {
        vt_if_arm *a = NEW(ctx, sizeof *a); a->cond = $4.e; a->body = $5;
        a->span = (vt_span){ @2.file, @2.start, @5.end };
        $$ = $1; push(ctx, &$$, a);
      }
    ;

arms
    : %empty                { $$ = (vt_list){0}; }
    | arms INT '%' STRING block {
        vt_split_arm *a = NEW(ctx, sizeof *a);
        a->percent = ($2->u.i >= 0 && $2->u.i <= 1000) ? (int)$2->u.i : 1000;
        a->label = str_text(ctx, $4); a->body = $5;
        a->span = (vt_span){ @2.file, @2.start, @5.end };
        $$ = $1; push_item(ctx, &$$, a, a->span, VT_IT_ARM, "split branch");
      }
    | arms error            { $$ = $1; }
    | arms error skipped    { $$ = $1; }
    ;

/* ---- test blocks (SPEC §10) ------------------------------------------------------------ */

tstmts
    : %empty                { $$ = (vt_list){0}; }
    | tstmts tstmt          { $$ = $1; if ($2) push_item(ctx, &$$, $2, @2, VT_IT_STMT, "test step"); }
    | tstmts error          { $$ = $1; }
    | tstmts error skipped  { $$ = $1; }
    ;

tstmt
    : CONTACT NAME '{' inits_opt '}' {
        $$ = S(ctx, VT_S_T_CONTACT, @$); $$->u.t_contact.contact = $2;
        $$->u.t_contact.fields = (vt_field_init **)$4.items; $$->u.t_contact.nfields = $4.n;
      }
    | AT TIMESTAMP NAME NAME {
        $$ = S(ctx, VT_S_T_EVENT, @$); $$->u.t_event.at = $2; $$->u.t_event.contact = $3; $$->u.t_event.event = $4;
      }
    | AT TIMESTAMP NAME NAME '{' inits_opt '}' {
        $$ = S(ctx, VT_S_T_EVENT, @$); $$->u.t_event.at = $2; $$->u.t_event.contact = $3; $$->u.t_event.event = $4;
        $$->u.t_event.fields = (vt_field_init **)$6.items; $$->u.t_event.nfields = $6.n;
      }
    | AT '+' DURATION NAME NAME {
        $$ = S(ctx, VT_S_T_EVENT, @$); $$->u.t_event.relative = true; $$->u.t_event.at = $3;
        $$->u.t_event.contact = $4; $$->u.t_event.event = $5;
      }
    | AT '+' DURATION NAME NAME '{' inits_opt '}' {
        $$ = S(ctx, VT_S_T_EVENT, @$); $$->u.t_event.relative = true; $$->u.t_event.at = $3;
        $$->u.t_event.contact = $4; $$->u.t_event.event = $5;
        $$->u.t_event.fields = (vt_field_init **)$7.items; $$->u.t_event.nfields = $7.n;
      }
    | ADVANCE primary       { $$ = S(ctx, VT_S_T_ADVANCE, @$); $$->u.t_advance.dur = $2.e; }
    | EXPECT xbody          { $$ = $2; $$->span = @$; }
    | EXPECT NO xbody       { $$ = $3; $$->span = @$; $$->u.t_expect.negated = true; }
    ;

/* `expect [no] [c1] (sent CHANNEL ["tpl"] [count N] | task|notify|escalate [count N])`
 * and `expect [no] c1 COND`: a condition always names its contact. */
xbody
    : NAME SENT NAME opt_str opt_count {
        $$ = S(ctx, VT_S_T_EXPECT, @$); $$->u.t_expect.what = VT_X_SENT; $$->u.t_expect.contact = $1;
        $$->u.t_expect.channel = $3; $$->u.t_expect.template_ = $4;
        $$->u.t_expect.has_count = $5 >= 0; $$->u.t_expect.count = $5 >= 0 ? $5 : 0;
      }
    | SENT NAME opt_str opt_count {
        $$ = S(ctx, VT_S_T_EXPECT, @$); $$->u.t_expect.what = VT_X_SENT;
        $$->u.t_expect.channel = $2; $$->u.t_expect.template_ = $3;
        $$->u.t_expect.has_count = $4 >= 0; $$->u.t_expect.count = $4 >= 0 ? $4 : 0;
      }
    | NAME xact opt_count {
        $$ = S(ctx, VT_S_T_EXPECT, @$); $$->u.t_expect.what = VT_X_ACTION; $$->u.t_expect.contact = $1;
        $$->u.t_expect.action = (vt_stmt_kind)$2;
        $$->u.t_expect.has_count = $3 >= 0; $$->u.t_expect.count = $3 >= 0 ? $3 : 0;
      }
    | xact opt_count {
        $$ = S(ctx, VT_S_T_EXPECT, @$); $$->u.t_expect.what = VT_X_ACTION;
        $$->u.t_expect.action = (vt_stmt_kind)$1;
        $$->u.t_expect.has_count = $2 >= 0; $$->u.t_expect.count = $2 >= 0 ? $2 : 0;
      }
    | NAME expr {
        $$ = S(ctx, VT_S_T_EXPECT, @$); $$->u.t_expect.what = VT_X_COND; $$->u.t_expect.contact = $1;
        $$->u.t_expect.cond = $2.e;
      }
    ;

xact
    : TASK                  { $$ = VT_S_TASK; }
    | NOTIFY                { $$ = VT_S_NOTIFY; }
    | ESCALATE              { $$ = VT_S_ESCALATE; }
    ;

opt_str
    : %empty                { $$ = NULL; }
    | STRING                { $$ = $1; }
    ;

opt_count
    : %empty                { $$ = -1; }
    | COUNT INT             { $$ = $2->u.i > 1000000000 ? 1000000000 : (int)$2->u.i; }
    ;

inits_opt
    : %empty                { $$ = (vt_list){0}; }
    | inits                 { $$ = $1; }
    | inits ','             { $$ = $1; }
    ;

inits
    : init                  { $$ = (vt_list){0}; push(ctx, &$$, $1); }
    | inits ',' init        { $$ = $1; push(ctx, &$$, $3); }
    | inits init            { $$ = $1; push_item(ctx, &$$, $2, @2, VT_IT_INIT, "field"); }
    ;

init
    : fword ':' expr        { $$ = NEW(ctx, sizeof *$$); $$->name = $1; $$->value = $3.e; $$->span = @$; }
    ;

/* ---- extern functions, templates, use ---------------------------------------------------- */

types_opt
    : %empty                { $$ = (vt_list){0}; }
    | types                 { $$ = $1; }
    ;

types
    : typeref               { vt_typeref *t = NEW(ctx, sizeof *t); *t = $1; $$ = (vt_list){0}; push(ctx, &$$, t); }
    | types ',' typeref     { vt_typeref *t = NEW(ctx, sizeof *t); *t = $3; $$ = $1; push(ctx, &$$, t); }
    ;

params_opt
    : %empty                { $$ = (vt_list){0}; }
    | params                { $$ = $1; }
    ;

params
    : param                 { $$ = (vt_list){0}; push(ctx, &$$, $1); }
    | params ',' param      { $$ = $1; push(ctx, &$$, $3); }
    ;

param
    : NAME ':' typeref opt_default {
        $$ = NEW(ctx, sizeof *$$); $$->name = $1; $$->type = $3; $$->def = $4; $$->span = @$;
      }
    ;

uargs_opt
    : %empty                { $$ = (vt_list){0}; }
    | uargs                 { $$ = $1; }
    ;

uargs
    : uarg                  { $$ = (vt_list){0}; push(ctx, &$$, $1); }
    | uargs ',' uarg        { $$ = $1; push(ctx, &$$, $3); }
    ;

uarg
    : NAME '=' expr         { $$ = NEW(ctx, sizeof *$$); $$->name = $1; $$->value = $3.e; $$->span = @$; }
    ;

opt_as
    : %empty                { $$ = (vt_name){0}; }
    | AS NAME               { $$ = $2; }
    ;

/* ---- expressions (SPEC §4) --------------------------------------------------------------- */

expr
    : expr OR expr          { $$ = mk_bin(ctx, VT_OP_OR, $1, $3, @2, @$); }
    | expr AND expr         { $$ = mk_bin(ctx, VT_OP_AND, $1, $3, @2, @$); }
    | NOT expr {
        vt_expr *e = E(ctx, VT_E_UNARY, @$); e->u.unary.op = VT_OP_NOT; e->u.unary.e = $2.e;
        $$ = guard(ctx, e, $2.d + 1);
      }
    | expr EQ expr          { $$ = mk_bin(ctx, VT_OP_EQ, $1, $3, @2, @$); }
    | expr NE expr          { $$ = mk_bin(ctx, VT_OP_NE, $1, $3, @2, @$); }
    | expr '<' expr         { $$ = mk_bin(ctx, VT_OP_LT, $1, $3, @2, @$); }
    | expr LE expr          { $$ = mk_bin(ctx, VT_OP_LE, $1, $3, @2, @$); }
    | expr '>' expr         { $$ = mk_bin(ctx, VT_OP_GT, $1, $3, @2, @$); }
    | expr GE expr          { $$ = mk_bin(ctx, VT_OP_GE, $1, $3, @2, @$); }
    | expr CONTAINS expr    { $$ = mk_bin(ctx, VT_OP_CONTAINS, $1, $3, @2, @$); }
    | expr STARTS WITH expr %prec STARTS {
        $$ = mk_bin(ctx, VT_OP_STARTS_WITH, $1, $4, (vt_span){ @2.file, @2.start, @3.end }, @$);
      }
    | expr ENDS WITH expr %prec ENDS {
        $$ = mk_bin(ctx, VT_OP_ENDS_WITH, $1, $4, (vt_span){ @2.file, @2.start, @3.end }, @$);
      }
    | expr MATCHES expr     { $$ = mk_bin(ctx, VT_OP_MATCHES, $1, $3, @2, @$); }
    | expr IS NAME {
        vt_expr *e = E(ctx, VT_E_IS, @$); e->u.is.lifecycle = $1.e; e->u.is.state = $3; e->u.is.state_index = -1;
        $$ = guard(ctx, e, $1.d + 1);
      }
    | expr IN list {
        vt_expr *e = E(ctx, VT_E_IN, @$); e->u.in.e = $1.e; e->u.in.list = $3.e;
        $$ = guard(ctx, e, ($1.d > $3.d ? $1.d : $3.d) + 1);
      }
    | expr '+' expr         { $$ = mk_bin(ctx, VT_OP_ADD, $1, $3, @2, @$); }
    | expr '-' expr         { $$ = mk_bin(ctx, VT_OP_SUB, $1, $3, @2, @$); }
    | expr '*' expr         { $$ = mk_bin(ctx, VT_OP_MUL, $1, $3, @2, @$); }
    | expr '/' expr         { $$ = mk_bin(ctx, VT_OP_DIV, $1, $3, @2, @$); }
    | '-' expr %prec UMINUS { $$ = mk_neg(ctx, $2, @$); }
    | primary               { $$ = $1; }
    ;

primary
    : INT                   { $$ = leaf($1); }
    | NUMBER                { $$ = leaf($1); }
    | MONEY                 { $$ = leaf($1); }
    | STRING                { $$ = leaf($1); }
    | DURATION              { $$ = leaf($1); }
    | TIMESTAMP             { $$ = leaf($1); }
    | TOD                   { $$ = leaf($1); }
    | MD                    { $$ = leaf($1); }
    | TRUE                  { vt_expr *e = E(ctx, VT_E_BOOL, @$); e->u.b = true; $$ = leaf(e); }
    | FALSE                 { vt_expr *e = E(ctx, VT_E_BOOL, @$); e->u.b = false; $$ = leaf(e); }
    | NOW                   { $$ = leaf(E(ctx, VT_E_NOW, @$)); }
    | NAME %prec LOWNAME    { $$ = mk_name(ctx, $1); }
    | OWNER                 { $$ = mk_name(ctx, kw_name(ctx, "owner", @1)); }
    | AT                    { $$ = mk_name(ctx, kw_name(ctx, "at", @1)); }
    | '(' expr ')'          { $$ = $2; }
    | list                  { $$ = $1; }
    | NAME WITHIN primary {
        vt_expr *e = E(ctx, VT_E_WITHIN, @$); e->u.hist.event = $1; e->u.hist.within = $3.e;
        e->u.hist.field_index = -1; e->u.hist.slot = -1;
        $$ = guard(ctx, e, $3.d + 1);
      }
    | NO NAME FOR primary {
        vt_expr *e = E(ctx, VT_E_NO_FOR, @$); e->u.hist.event = $2; e->u.hist.within = $4.e;
        e->u.hist.field_index = -1; e->u.hist.slot = -1;
        $$ = guard(ctx, e, $4.d + 1);
      }
    | HAS TAG primary {
        vt_expr *e = E(ctx, VT_E_HAS_TAG, @$); e->u.has_tag.tag = $3.e;
        $$ = guard(ctx, e, $3.d + 1);
      }
    | NAME '(' args_opt ')' {
        vt_expr *e = E(ctx, VT_E_CALL, @$); e->u.call.fn = $1;
        e->u.call.args = (vt_expr **)$3.l.items; e->u.call.nargs = $3.l.n;
        $$ = guard(ctx, e, $3.d + 1);
      }
    | agg '(' NAME opt_where opt_within ')' {
        vt_expr *e = E(ctx, VT_E_AGGREGATE, @$); e->u.hist.agg = (vt_agg_kind)$1;
        e->u.hist.where = $4.e; e->u.hist.within = $5.e; e->u.hist.field_index = -1; e->u.hist.slot = -1;
        if (!e->u.hist.within && e->u.hist.where) e->u.hist.within = steal_within(ctx, &e->u.hist.where);
        split_hist(ctx, e, $3);
        $$ = guard(ctx, e, ($4.d > $5.d ? $4.d : $5.d) + 1);
      }
    | LAST '(' NAME ')' '.' fword {
        vt_expr *e = E(ctx, VT_E_LAST_FIRST, @$); e->u.hist.last = true; e->u.hist.event = $3; e->u.hist.field = $6;
        e->u.hist.field_index = -1; e->u.hist.slot = -1;
        $$ = leaf(e);
      }
    | FIRST '(' NAME ')' '.' fword {
        vt_expr *e = E(ctx, VT_E_LAST_FIRST, @$); e->u.hist.last = false; e->u.hist.event = $3; e->u.hist.field = $6;
        e->u.hist.field_index = -1; e->u.hist.slot = -1;
        $$ = leaf(e);
      }
    | SINCE '(' NAME ')' {
        vt_expr *e = E(ctx, VT_E_SINCE, @$); e->u.hist.event = $3; e->u.hist.field_index = -1; e->u.hist.slot = -1;
        $$ = leaf(e);
      }
    ;

agg
    : COUNT                 { $$ = VT_AGG_COUNT; }
    | SUM                   { $$ = VT_AGG_SUM; }
    | MIN                   { $$ = VT_AGG_MIN; }
    | MAX                   { $$ = VT_AGG_MAX; }
    | AVG                   { $$ = VT_AGG_AVG; }
    ;

opt_within
    : %empty                { $$ = (vt_ex){ NULL, 0 }; }
    | WITHIN primary        { $$ = $2; }
    ;

fword
    : NAME                  { $$ = $1; }
    | AT                    { $$ = kw_name(ctx, "at", @1); }
    | OWNER                 { $$ = kw_name(ctx, "owner", @1); }
    ;

list
    : '[' ']'               { vt_expr *e = E(ctx, VT_E_LIST, @$); $$ = leaf(e); }
    | '[' exprs ']' {
        vt_expr *e = E(ctx, VT_E_LIST, @$); e->u.list.items = (vt_expr **)$2.l.items; e->u.list.n = $2.l.n;
        $$ = guard(ctx, e, $2.d + 1);
      }
    | '[' exprs ',' ']' {
        vt_expr *e = E(ctx, VT_E_LIST, @$); e->u.list.items = (vt_expr **)$2.l.items; e->u.list.n = $2.l.n;
        $$ = guard(ctx, e, $2.d + 1);
      }
    ;

exprs
    : expr                  { $$ = (vt_exl){ {0}, $1.d }; push(ctx, &$$.l, $1.e); }
    | exprs ',' expr        { $$ = $1; push(ctx, &$$.l, $3.e); if ($3.d > $$.d) $$.d = $3.d; }
    ;

args_opt
    : %empty                { $$ = (vt_exl){ {0}, 0 }; }
    | exprs                 { $$ = $1; }
    ;

/* ---- error recovery ------------------------------------------------------------------------ */

/* After a syntax error, a `{ ... }` group is skipped whole, so the braces inside a broken
 * declaration or step do not end the enclosing block early (and keywords inside it do
 * not start new declarations). */
skipped
    : '{' junk '}'
    ;

junk
    : %empty
    | junk skip_token
    | junk '{' junk '}'
    ;

skip_token
    : NAME | INT | NUMBER | MONEY | STRING | DURATION | TIMESTAMP | TOD | MD | ARROW | EQ |
    NE | LE | GE | PLUSEQ | MINUSEQ | DOTDOT | '(' | ')' | '[' | ']' | ',' | ':' | '=' | '<' |
    '>' | '+' | '-' | '*' | '/' | '%' | '.' | ADVANCE | AFTER | AND | ANY | AS | ASSIGN | AT |
    AVG | CAP | CHANNEL | CONTACT | CONTAINS | COUNT | DUE | ELSE | ENDS | ENROLL | ENTER |
    ESCALATE | ESCALATES | EVENT | EVERY | EXIT | EXPECT | EXTERN | FALSE | FINAL | FIRST | FLOW |
    FN | FOR | FROM | GOAL | HAS | IF | IMPORT | IN | INITIAL | IS | KEY | LAST | LIFECYCLE |
    MATCHES | MAX | MIGRATE | MIN | MOVE | NO | NOT | NOTIFY | NOW | ON | OR | OWNER | PER |
    QUIET | REENROLL | REPEAT | REQUIRES | SEGMENT | SEND | SENT | SET | SINCE | SPLIT | STARTS |
    STATE | STEPS | STOP | SUM | TAG | TASK | TEAM | TEMPLATE | TEST | TIMEZONE | TO | TRANSITION |
    TRUE | TRUTH | UNTIL | UNTAG | USE | VERSION | WAIT | WEAK | WHEN | WHERE | WINDOW | WITH |
    WITHIN | WORKFLOW
    ;

%%

/* ---- syntax errors -------------------------------------------------------------------------- */

static void vt_yyerror(VT_YYLTYPE *loc, void *scanner, vt_pctx *ctx, const char *msg) {
    (void)scanner;
    if (ctx->too_deep) return;
    /* With parse.error custom, bison only calls this when its stack is exhausted. */
    (void)msg;
    vt_diag *g = vt_pctx_error(ctx, VT_E008, *loc, "nested too deeply: this part is too long or too deep to read");
    if (g) vt_diag_hint(g, ctx->d, "split the condition into named truths or segments");
    ctx->too_deep = true;
}

/* What a name means after the given tokens, for "expected a state name". */
static const char *name_role(const int *prev) {
    switch (prev[0]) {
    case T_STATE: case T_IS: case T_ARROW: case T_ENTER: return "a state name";
    case T_TRANSITION: return "a state name or `any`";
    case T_TEAM: case T_OWNER: case T_ASSIGN: case T_TASK: case T_NOTIFY: return "a team name";
    case T_TO: return prev[1] == T_ESCALATES ? "a team name" : "a state name";
    case T_EVENT: case T_ON: case T_SINCE: return "an event name";
    case T_SEND: case T_CHANNEL: case T_SENT: return "a channel name";
    case T_REQUIRES: return "a consent field name";
    case T_LIFECYCLE: return "a lifecycle name";
    case T_WORKFLOW: return "a workflow name";
    case T_TRUTH: case T_SEGMENT: case T_TEMPLATE: case T_USE: case T_FN: case T_AS: return "a name";
    case T_SET: case '{': return "a field name";
    case '(':
        switch (prev[1]) {
        case T_COUNT: case T_SUM: case T_MIN: case T_MAX: case T_AVG: case T_LAST: case T_FIRST: case T_SINCE:
            return "an event name";
        default: return "a name";
        }
    default: return "a name";
    }
}

/* What a value means after the given tokens, for "expected a duration". */
static const char *value_role(const int *prev) {
    switch (prev[0]) {
    case T_WAIT: case T_DUE: case T_WITHIN: case T_FOR: case T_PER: case T_AFTER: case T_ADVANCE:
        return "a duration (such as 30m, 4h or 7d)";
    case T_TAG: case T_UNTAG: return "a tag in quotes";
    case T_OWNER: return prev[1] == T_TASK || prev[1] == T_NOTIFY ? "a text in quotes" : "a value";
    case T_NAME:
        if (prev[1] == T_SEND) return "a template name in quotes";
        if (prev[1] == T_TASK || prev[1] == T_NOTIFY) return "a text in quotes";
        return "a value";
    default: return "a value";
    }
}

static bool sym_in(yysymbol_kind_t k, const yysymbol_kind_t *set, int n) {
    for (int i = 0; i < n; i++) if (set[i] == k) return true;
    return false;
}

/* Drops the members of `group` from exp[] when `trigger` tokens are all expected, and
 * returns whether it did (the caller then names the group in words). */
static bool collapse(yysymbol_kind_t *exp, int *n, const yysymbol_kind_t *trigger, int nt,
                     const yysymbol_kind_t *group, int ng) {
    for (int i = 0; i < nt; i++) if (!sym_in(trigger[i], exp, *n)) return false;
    int k = 0;
    for (int i = 0; i < *n; i++) if (!sym_in(exp[i], group, ng)) exp[k++] = exp[i];
    *n = k;
    return true;
}

/* The token's name for users: its bison alias without the quotes. */
static void sym_desc(yysymbol_kind_t k, const int *prev, char *out, size_t cap) {
    if (k == YYSYMBOL_NAME) { snprintf(out, cap, "%s", name_role(prev)); return; }
    const char *n = yysymbol_name(k);
    size_t l = strlen(n);
    if (l >= 2 && n[0] == '"' && n[l - 1] == '"') snprintf(out, cap, "%.*s", (int)(l - 2), n + 1);
    else snprintf(out, cap, "%s", n);
}

#define NSYM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* E001: "expected X, Y or Z, found `W`", in the words of the language. */
static int yyreport_syntax_error(const yypcontext_t *pc, void *scanner, vt_pctx *ctx) {
    (void)scanner;
    if (ctx->stopped || ctx->lex_dead) return 0;    /* the scanner stopped: what follows is its echo */
    vt_span sp = *yypcontext_location(pc);
    if (sp.start >= ctx->lex_err_from && sp.start < ctx->lex_err_to) return 0;   /* echo of a lexical error */
    yysymbol_kind_t la = yypcontext_token(pc);
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(pc, exp, YYNTOKENS);
    if (n < 0) n = 0;

#define TR(ch) YYTRANSLATE(ch)
    /* Groups of tokens named together in words. */
    const yysymbol_kind_t expr_trig[] = { YYSYMBOL_INT, YYSYMBOL_STRING, YYSYMBOL_NOT };
    const yysymbol_kind_t expr_group[] = {
        YYSYMBOL_INT, YYSYMBOL_NUMBER, YYSYMBOL_MONEY, YYSYMBOL_STRING, YYSYMBOL_DURATION, YYSYMBOL_TIMESTAMP,
        YYSYMBOL_TOD, YYSYMBOL_MD, YYSYMBOL_TRUE, YYSYMBOL_FALSE, YYSYMBOL_NOW, YYSYMBOL_NAME, YYSYMBOL_OWNER,
        YYSYMBOL_AT, YYSYMBOL_NO, TR('('), TR('['), YYSYMBOL_HAS, YYSYMBOL_COUNT, YYSYMBOL_SUM,
        YYSYMBOL_MIN, YYSYMBOL_MAX, YYSYMBOL_AVG, YYSYMBOL_LAST, YYSYMBOL_FIRST, YYSYMBOL_SINCE, YYSYMBOL_NOT,
        TR('-') };
    const yysymbol_kind_t prim_trig[] = { YYSYMBOL_INT, YYSYMBOL_STRING, YYSYMBOL_DURATION, YYSYMBOL_NOW };
    const yysymbol_kind_t op_trig[] = { YYSYMBOL_AND, YYSYMBOL_OR };
    const yysymbol_kind_t op_group[] = {
        YYSYMBOL_AND, YYSYMBOL_OR, YYSYMBOL_EQ, YYSYMBOL_NE, YYSYMBOL_LE, YYSYMBOL_GE, TR('<'),
        TR('>'), TR('+'), TR('-'), TR('*'), TR('/'), YYSYMBOL_IS, YYSYMBOL_IN,
        YYSYMBOL_CONTAINS, YYSYMBOL_STARTS, YYSYMBOL_ENDS, YYSYMBOL_MATCHES, YYSYMBOL_WITHIN, TR('(') };
    const yysymbol_kind_t decl_trig[] = { YYSYMBOL_WORKFLOW, YYSYMBOL_TRANSITION, YYSYMBOL_EVENT };
    const yysymbol_kind_t decl_group[] = {
        YYSYMBOL_FLOW, YYSYMBOL_TIMEZONE, YYSYMBOL_IMPORT, YYSYMBOL_TEAM, YYSYMBOL_CONTACT, YYSYMBOL_EVENT,
        YYSYMBOL_CHANNEL, YYSYMBOL_ON, YYSYMBOL_TRUTH, YYSYMBOL_SEGMENT, YYSYMBOL_LIFECYCLE,
        YYSYMBOL_TRANSITION, YYSYMBOL_WORKFLOW, YYSYMBOL_EXTERN, YYSYMBOL_TEMPLATE, YYSYMBOL_USE,
        YYSYMBOL_TEST, YYSYMBOL_MIGRATE };
    const yysymbol_kind_t step_trig[] = { YYSYMBOL_SEND, YYSYMBOL_WAIT, YYSYMBOL_STOP };
    const yysymbol_kind_t step_group[] = {
        YYSYMBOL_SEND, YYSYMBOL_TASK, YYSYMBOL_NOTIFY, YYSYMBOL_ESCALATE, YYSYMBOL_ASSIGN, YYSYMBOL_SET,
        YYSYMBOL_TAG, YYSYMBOL_UNTAG, YYSYMBOL_MOVE, YYSYMBOL_WAIT, YYSYMBOL_IF, YYSYMBOL_REPEAT,
        YYSYMBOL_SPLIT, YYSYMBOL_STOP, YYSYMBOL_NAME };
    const yysymbol_kind_t wf_trig[] = { YYSYMBOL_ENROLL, YYSYMBOL_STEPS };
    const yysymbol_kind_t wf_group[] = {
        YYSYMBOL_OWNER, YYSYMBOL_ENROLL, YYSYMBOL_REENROLL, YYSYMBOL_EXIT, YYSYMBOL_GOAL, YYSYMBOL_STEPS };
    const yysymbol_kind_t test_trig[] = { YYSYMBOL_EXPECT, YYSYMBOL_ADVANCE };
    const yysymbol_kind_t test_group[] = { YYSYMBOL_CONTACT, YYSYMBOL_AT, YYSYMBOL_ADVANCE, YYSYMBOL_EXPECT };

#undef TR
    const char *words[8];
    int nwords = 0;
    if (collapse(exp, &n, decl_trig, NSYM(decl_trig), decl_group, NSYM(decl_group)))
        words[nwords++] = "a declaration (`event`, `workflow`, `transition`, ...)";
    if (collapse(exp, &n, step_trig, NSYM(step_trig), step_group, NSYM(step_group)))
        words[nwords++] = "a step (`send`, `wait`, `if`, ...)";
    if (collapse(exp, &n, wf_trig, NSYM(wf_trig), wf_group, NSYM(wf_group)))
        words[nwords++] = "a workflow part (`owner`, `enroll`, `exit`, `goal`, `steps`)";
    if (collapse(exp, &n, test_trig, NSYM(test_trig), test_group, NSYM(test_group)))
        words[nwords++] = "a test step (`contact`, `at`, `advance`, `expect`)";
    if (collapse(exp, &n, expr_trig, NSYM(expr_trig), expr_group, NSYM(expr_group)))
        words[nwords++] = "a value or a condition";
    else if (collapse(exp, &n, prim_trig, NSYM(prim_trig), expr_group, NSYM(expr_group)))
        words[nwords++] = value_role(ctx->prev_tok + 1);
    bool ops = collapse(exp, &n, op_trig, NSYM(op_trig), op_group, NSYM(op_group));

    char list[400];
    size_t k = 0;
    list[0] = 0;
    /* The phrases, without a token that a role already names ("a state name or `any`"). */
    char items[6][120];
    int total = 0;
    for (int i = 0; i < n + nwords && total < 6; i++) {
        char *one = items[total];
        if (i < nwords) snprintf(one, sizeof items[0], "%s", words[i]);
        else sym_desc(exp[i - nwords], ctx->prev_tok + 1, one, sizeof items[0]);
        bool said = false;
        for (int j = 0; j < total && !said; j++) said = one[0] == '`' && strstr(items[j], one) != NULL;
        if (!said) total++;
    }
    for (int i = 0; i < total; i++) {
        const char *sep = i == 0 ? "" : i == total - 1 ? " or " : ", ";
        int w = snprintf(list + k, sizeof list - k, "%s%s", sep, items[i]);
        if (w > 0) k += (size_t)w < sizeof list - k ? (size_t)w : sizeof list - k - 1;
    }

    char found[120];
    if (la == YYSYMBOL_YYEOF) snprintf(found, sizeof found, "the end of the file");
    else {
        uint32_t a = sp.start, b = sp.end;
        bool plain = b > a && b - a <= 40 && b <= ctx->len;
        for (uint32_t i = a; plain && i < b; i++) if (ctx->src[i] == '\n') plain = false;
        if (plain) snprintf(found, sizeof found, "`%.*s`", (int)(b - a), ctx->src + a);
        else sym_desc(la, ctx->prev_tok + 1, found, sizeof found);
    }

    vt_diag *g;
    const int *pt = ctx->prev_tok;
    /* A value right after a complete condition, on the same line: an operator is missing
     * (on a new line the value would be the start of the next item, a layout error). */
    bool only_groups = true;    /* nothing concrete (like `{`) is expected besides operators */
    for (int i = 0; i < n; i++) if (exp[i] != YYSYMBOL_YYEOF) only_groups = false;
    const yysymbol_kind_t values[] = {
        YYSYMBOL_NAME, YYSYMBOL_INT, YYSYMBOL_NUMBER, YYSYMBOL_MONEY, YYSYMBOL_STRING, YYSYMBOL_DURATION,
        YYSYMBOL_TIMESTAMP, YYSYMBOL_TOD, YYSYMBOL_MD, YYSYMBOL_TRUE, YYSYMBOL_FALSE, YYSYMBOL_NOW, YYTRANSLATE('(') };
    bool missing_op = ops && only_groups && sym_in(la, values, NSYM(values)) &&
                      same_line(ctx, ctx->prev_span[1].end, sp.start);
    if (missing_op) {
        vt_span ps = ctx->prev_span[1];
        g = vt_pctx_error(ctx, VT_E001, sp, "expected an operator after `%.*s`, found %s",
                          (int)(ps.end - ps.start > 40 ? 40 : ps.end - ps.start), ctx->src + ps.start, found);
        if (g) vt_diag_hint(g, ctx->d, "join the two with an operator such as `and`, `or`, `==` or `+`");
    } else if (n == 2 && nwords == 0 && exp[0] == YYSYMBOL_PLUSEQ && exp[1] == YYSYMBOL_MINUSEQ && pt[1] == T_NAME) {
        /* A lone name where a step should be: it was read as the start of `x += n`. */
        vt_span ns = ctx->prev_span[1];
        g = vt_pctx_error(ctx, VT_E001, ns, "`%.*s` is not a step", (int)(ns.end - ns.start), ctx->src + ns.start);
        if (g) vt_diag_hint(g, ctx->d, "steps are send, task, notify, escalate, assign, set, FIELD += N, tag, untag, "
                            "move to, wait, if, repeat, split and stop");
    } else if (total == 0) g = vt_pctx_error(ctx, VT_E001, sp, "%s cannot go here", found);
    else if (total > 6) g = vt_pctx_error(ctx, VT_E001, sp, "unexpected %s: expected %s", found, list);
    else g = vt_pctx_error(ctx, VT_E001, sp, "expected %s, found %s", list, found);
    if (g && pt[1] == T_NAME && pt[2] == T_EXPECT && la != YYSYMBOL_NAME && sym_in(YYSYMBOL_SENT, exp, n)) {
        vt_diag_hint(g, ctx->d, "a condition names its contact first: `expect c1 funnel is mql`");
        g = NULL;
    }
    const char *lan = yysymbol_name(la);
    uint32_t after = sp.end;
    while (after < ctx->len && (ctx->src[after] == ' ' || ctx->src[after] == '\t')) after++;
    bool used_as_name = same_line(ctx, ctx->prev_span[1].end, sp.start) ||
                        (after < ctx->len && (ctx->src[after] == ':' || ctx->src[after] == '='));
    if (g && used_as_name && sym_in(YYSYMBOL_NAME, exp, n) && lan[0] == '`' && lan[1] >= 'a' && lan[1] <= 'z') {
        /* A keyword where a name belongs: say why the word was not taken as a name. */
        vt_diag_hint(g, ctx->d, "%s is a reserved word and cannot be used as a name; choose another one", found);
        g = NULL;
    }
    if (++ctx->nsyntax >= VT_MAX_SYNTAX_ERRORS) {
        ctx->stopped = true;
        ctx->lex_dead = true;
        vt_pctx_error(ctx, VT_E001, sp, "too many syntax errors: the rest of the file was not checked");
    }
    return 0;
}

int vt_parse_run(void *scanner, vt_pctx *c) {
    return vt_yyparse(scanner, c);
}
