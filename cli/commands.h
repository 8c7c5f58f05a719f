/* The CLI's subcommands, declared once: dispatch, `verity help` and the usage lines
 * are derived from this table. CMD(name, usage, summary) -> int cmd_name(argc, argv). */
#define VT_COMMANDS(CMD) \
    CMD(check, "check FILE... [--format text|json|sarif|github|junit] [--deny warnings] [--allow CODE] [--allow-native DIR]", \
        "find mistakes in flows: syntax, names, types and the V-checks") \
    CMD(fmt, "fmt [--check] FILE...", "rewrite flows in the canonical layout (--check: only report)") \
    CMD(graph, "graph FILE [--format dot|mermaid]", "draw each lifecycle: states and transitions") \
    CMD(build, "build FILE -o OUT.vbc [--allow-native DIR]", "compile a flow to verified bytecode") \
    CMD(disasm, "disasm FILE.vbc|FILE.flow [--allow-native DIR]", "list a program's bytecode with synopses and source lines") \
    CMD(ingest, "ingest [--store DB] --flow FLOW INPUT...|- [--allow-native DIR]", "store events and contacts (JSONL or CSV)") \
    CMD(run, "run FLOW [--store DB] [--until TIME|now] [--allow-native DIR]", "process what is new: decisions into the outbox") \
    CMD(outbox, "outbox [--store DB] [--format jsonl|csv] [--after ID]", "list what must be done") \
    CMD(contacts, "contacts [--store DB] [--format jsonl|csv]", "list every contact with its states and owner") \
    CMD(explain, "explain [--store DB] CONTACT", "a contact's timeline: what happened and why") \
    CMD(simulate, "simulate FLOW INPUT... [--contacts FILE] [--until TIME] [--allow-native DIR]", "what would happen: ingest + run in memory") \
    CMD(test, "test FILE... [--coverage] [--allow-native DIR]", "run the flows' test blocks")

/* Exit codes shared by every command. */
enum {
    VT_EXIT_OK = 0,         /* success, nothing to report */
    VT_EXIT_FINDINGS = 1,   /* errors found in the input: findings, rejected lines, failed tests */
    VT_EXIT_USAGE = 2,      /* the tool could not run: bad flags, unreadable files, I/O errors */
};
